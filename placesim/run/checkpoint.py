"""Checkpoints: each finished task of a long run kept on disk, so that a run stopped
half-way (Ctrl-C, a killed job, a lost node) resumes where it was.

A checkpoint folder holds

* ``placesim-checkpoint.json``, the manifest: what the run is (its scenarios with their
  SHA-256, seed, replications, engine; or the options file's), written when the folder is
  first used. A run given a folder whose manifest describes another run is refused, with
  what differs, so results of different runs are never mixed;
* one NetCDF file per finished task, ``<key>.nc``, written atomically by the caller as the
  task's result arrives (so a file is there whole or not at all). The key is a hash of
  what the task's result depends on: the scenario's SHA-256, the engine, the seed and the
  replication. An options file's runs (the comparison, each reinvesting year's run, each
  break-even evaluation) share one folder this way: each task is found by its own key.

A task's file holds its arrays exactly (float64, no fill values), so a resumed run
assembles the same dataset, bit for bit, as one never stopped. The folder is left in
place after the run (delete it when it is no longer wanted).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from .._version import __version__
from ..errors import CheckpointError
from ..io import atomic_path, check_writable, write_bytes_atomic
from .tasks import Task

MANIFEST = "placesim-checkpoint.json"
"""Name of the manifest file in a checkpoint folder."""

FORMAT = 1
"""Version of the folder's layout, in the manifest."""

TaskResult = tuple[dict[str, np.ndarray], list | None]
"""What :func:`~placesim.run.tasks.run_task` returns: the arrays and (no trace here) None."""


def read_manifest(folder: str | Path) -> dict[str, Any] | None:
    """The manifest of a checkpoint folder, or None if the folder or its manifest is missing."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{path}: not a readable checkpoint manifest ({exc})") from None
    if not isinstance(data, dict) or data.get("placesim_checkpoint") != FORMAT or not isinstance(data.get("run"), dict):
        raise CheckpointError(f"{path}: not a placesim checkpoint manifest (format {FORMAT})")
    return data


class Checkpoint:
    """A checkpoint folder opened for one run (see the module's docstring).

    Use :meth:`open`; ``run`` is the description of the run that the manifest holds.
    """

    def __init__(self, folder: Path, run: dict[str, Any]):
        self.folder = folder
        self.run = run
        self.loaded = 0
        """Tasks found finished in the folder by this run so far."""
        self.saved = 0
        """Tasks written to the folder by this run so far."""

    def __repr__(self) -> str:
        return f"Checkpoint({str(self.folder)!r})"

    @classmethod
    def open(cls, folder: str | Path, run: dict[str, Any], *, resume: bool = False) -> Checkpoint:
        """Open ``folder`` for the run ``run`` (JSON-safe), creating it and its manifest if new.

        Parameters
        ----------
        folder
            The checkpoint folder (created if missing, when its parent exists).
        run
            What the run is: compared with the manifest of a folder already used.
        resume
            Only continue: refuse a folder that is missing or holds no manifest.

        Raises
        ------
        CheckpointError
            The folder belongs to another run (saying what differs), is a file, is not
            empty and not a checkpoint folder, or (``resume``) holds nothing to resume.
        """
        path = Path(folder)
        if path.exists() and not path.is_dir():
            raise CheckpointError(f"checkpoint {path} is a file; expected a folder")
        found = read_manifest(path)
        if found is None:
            if resume:
                why = "the folder does not exist" if not path.exists() else f"it has no {MANIFEST}"
                raise CheckpointError(f"nothing to resume in {path}: {why}; expected the folder of an earlier run "
                                      "(started with --checkpoint / checkpoint=)")
            if path.exists() and any(p.name != MANIFEST for p in path.iterdir()):
                raise CheckpointError(f"checkpoint folder {path} is not empty and holds no {MANIFEST}; "
                                      "expected a new or empty folder, or the folder of an earlier run")
            check_writable(path, folder=True)
            path.mkdir(exist_ok=True)
            manifest = {"placesim_checkpoint": FORMAT, "placesim_version": __version__, "run": run}
            write_bytes_atomic((json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode(), path / MANIFEST)
        else:
            differences = describe_differences(found["run"], run)
            if differences:
                raise CheckpointError(f"checkpoint folder {path} belongs to another run: "
                                      + "; ".join(differences)
                                      + ". Resume it with the same inputs, or give a new folder")
            check_writable(path, folder=True)
            for stale in path.glob(".*.part"):  # temporary files of a run killed while writing
                with contextlib.suppress(OSError):
                    stale.unlink()
        return cls(path, run)

    # ------------------------------------------------------------------ tasks
    @staticmethod
    def key(scenario_hash: str, task: Task) -> str:
        """The file name (without ``.nc``) of a task's result: a hash of all it depends on."""
        text = f"{scenario_hash}:{task.engine}:{task.seed}:{task.replication}"
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def path(self, key: str) -> Path:
        return self.folder / f"{key}.nc"

    def load(self, scenario_hash: str, task: Task) -> TaskResult | None:
        """The result of ``task`` if the folder holds it, else None.

        Raises
        ------
        CheckpointError
            The task's file is there but cannot be read, or was written for another task.
        """
        path = self.path(self.key(scenario_hash, task))
        if not path.is_file():
            return None
        try:
            with xr.open_dataset(path, engine="netcdf4", decode_cf=False) as ds:
                attrs = dict(ds.attrs)
                arrays = {str(name): np.array(var.values) for name, var in ds.data_vars.items()}
        except (OSError, ValueError, KeyError) as exc:
            raise CheckpointError(f"{path}: a task file of the checkpoint cannot be read ({exc}); "
                                  "delete it to run that task again") from None
        expected = _task_attrs(scenario_hash, task)
        if any(str(attrs.get(k)) != str(v) for k, v in expected.items()):
            raise CheckpointError(f"{path}: holds another task than {expected}; delete it to run that task again")
        self.loaded += 1
        return arrays, None

    def save(self, scenario_hash: str, scenario_name: str, task: Task, result: TaskResult) -> Path:
        """Write a task's result to the folder, atomically."""
        arrays, _ = result
        ds = xr.Dataset({name: ([f"{name}_{i}" for i in range(np.ndim(a))], np.asarray(a))
                         for name, a in arrays.items()},
                        attrs={**_task_attrs(scenario_hash, task), "scenario_name": scenario_name,
                               "placesim_version": __version__})
        path = self.path(self.key(scenario_hash, task))
        with atomic_path(path) as tmp:
            ds.to_netcdf(tmp, engine="netcdf4", encoding={name: {"_FillValue": None} for name in arrays})
        self.saved += 1
        return path


def _task_attrs(scenario_hash: str, task: Task) -> dict[str, Any]:
    return {"scenario_hash": scenario_hash, "engine": task.engine, "seed": str(task.seed),
            "replication": int(task.replication)}


def describe_differences(found: dict[str, Any], wanted: dict[str, Any], prefix: str = "") -> list[str]:
    """What differs between two run descriptions, in words: ``"seed: the folder's 1, this run's 2"``."""
    out = []
    for k in sorted(set(found) | set(wanted)):
        a, b = found.get(k), wanted.get(k)
        name = f"{prefix}{k}"
        if isinstance(a, dict) and isinstance(b, dict):
            out += describe_differences(a, b, f"{name}.")
        elif a != b:
            out.append(f"{name}: the folder's {_short(a)}, this run's {_short(b)}")
    return out


def _short(value: Any) -> str:
    if value is None:
        return "none"
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
