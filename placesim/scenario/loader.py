"""Reading scenario files: ``extends`` chains, deep merge, line tracking."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from ..errors import Problem, ScenarioError
from .files import not_there, refer, shown
from .limits import MAX_EXTENDS
from .yamlio import Marks, Path_, read_yaml_file


def deep_merge(base: Any, override: Any) -> Any:
    """Merge ``override`` into ``base``: mappings merge key by key (so services,
    neighbourhoods and cohorts are keyed by name); anything else is replaced.

    A mapping that changes its ``distribution`` kind (e.g. lognormal to fixed) replaces
    the base mapping whole, since the two kinds have different fields.
    """
    if (isinstance(base, dict) and isinstance(override, dict) and "distribution" in override
            and base.get("distribution") != override["distribution"]):
        return copy.deepcopy(override)
    if isinstance(base, dict) and isinstance(override, dict):
        out = {k: copy.deepcopy(v) for k, v in base.items()}
        for k, v in override.items():
            out[k] = deep_merge(out[k], v) if k in out else copy.deepcopy(v)
        return out
    return copy.deepcopy(override)


def merge_marks(base_marks: Marks, override: Any, override_marks: Marks) -> Marks:
    """Marks of ``deep_merge(base, override)``: the override's marks win, and the base's
    marks inside values the override replaces whole (lists, scalars) are dropped, so an
    error in a replaced list points at the file that wrote the list."""
    replaced = _replaced_paths(override)
    out = {p: m for p, m in base_marks.items()
           if not any(p[:k] in replaced for k in range(1, len(p)))}
    out.update(override_marks)
    return out


def _replaced_paths(data: Any, prefix: Path_ = ()) -> set[Path_]:
    if isinstance(data, dict):
        out: set[Path_] = set()
        for k, v in data.items():
            out |= _replaced_paths(v, prefix + (k,))
        return out
    return {prefix} if prefix else set()


def read_scenario_data(path: str | Path) -> tuple[dict[str, Any], Marks]:
    """Read a scenario file and everything it ``extends``, merged.

    Returns
    -------
    data, marks
        The merged data (without ``extends``) and where each field was written.

    Raises
    ------
    ScenarioError
        Missing file, YAML error, a root that is not a mapping, a bad or circular
        ``extends`` (reported in the file and on the line of the ``extends`` at fault). An
        ``extends`` naming something that is not a scenario file (a folder, a device, a
        file too large, unreadable or not text, or one whose top is not a mapping) is
        reported on the ``extends`` line of the file that names it, without quoting the
        target's content.
    """
    return _read_chain(Path(path), [], [])


def _read_chain(path: Path, seen: list[Path], names: list[tuple[str, int | None]]
                ) -> tuple[dict[str, Any], Marks]:
    resolved = path.resolve()
    if resolved in seen:
        start = seen.index(resolved)
        loop = " -> ".join([n for n, _ in names[start:]] + [str(path)])
        file, line = names[-1]
        if len(seen) - start == 1:
            what = f"a file cannot extend itself (extends {path.name!r})"
        else:
            what = f"circular extends: {loop}; an extends chain must end in a file without extends"
        raise ScenarioError([Problem(what, "extends", file, line)])
    if len(seen) >= MAX_EXTENDS:
        file, line = names[-1]
        raise ScenarioError([Problem(f"more than {MAX_EXTENDS} files extend one another in a chain; shorten the "
                                     f"chain", "extends", file, line)])
    data, marks = _read_one(path, names[-1] if names else None)
    name = str(path)
    if "extends" not in data:
        return data, marks
    parent = data.pop("extends")
    line = marks.get(("extends",), (name, None))[1]
    if not isinstance(parent, str) or not parent.strip():
        raise ScenarioError([Problem(f"extends must be the path of another scenario file, got {parent!r}",
                                     "extends", name, line)])
    base_path = path.parent / parent
    why = not_there(base_path)
    if why == "not found":
        raise ScenarioError([Problem(f"extends {parent!r}, but {base_path} does not exist", "extends", name, line)])
    if why is not None:  # a name the system refuses to look up (too long, ...)
        raise ScenarioError([Problem(f"extends {shown(parent)!r}, which {why}", "extends", name, line)])
    base, base_marks = _read_chain(base_path, seen + [resolved], names + [(name, line)])
    marks = {p: m for p, m in marks.items() if p[:1] != ("extends",)}
    return deep_merge(base, data), merge_marks(base_marks, data, marks)


def _read_one(path: Path, referrer: tuple[str, int | None] | None) -> tuple[dict[str, Any], Marks]:
    """One file of a chain as a mapping. A file-level problem of a file named by
    ``extends`` is reported at the ``referrer`` (file, line of its extends)."""
    name = str(path)
    try:
        data, marks, _ = read_yaml_file(path)
    except ScenarioError as exc:
        if referrer is None:
            raise
        raise refer(exc, name, f"extends {name!r}", Problem("", "extends", *referrer)) from None
    if isinstance(data, dict):
        return data, marks
    kind = ("empty" if data is None else "a list" if isinstance(data, list)
            else "a single value, not a mapping of fields")
    if referrer is not None:
        raise ScenarioError([Problem(f"extends {name!r}, which is not a scenario file: its top is {kind} "
                                     f"(expected a mapping of fields: placesim: 1, name: ...)",
                                     "extends", referrer[0], referrer[1])])
    if data is None:
        raise ScenarioError([Problem("the file is empty; expected a scenario mapping (placesim: 1, name: ...)",
                                     "", name, 1)])
    kind = "a list" if isinstance(data, list) else f"a single value ({_short(data)})"
    raise ScenarioError([Problem(f"expected a mapping of fields (placesim: 1, name: ...) at the top of "
                                 f"the file, got {kind}", "", name, marks.get((), (name, 1))[1])])


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
