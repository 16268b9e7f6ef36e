"""Running replications: seeds, executors and progress."""

from __future__ import annotations

import os
import secrets
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import nullcontext
from pathlib import Path
from typing import Any, Callable, Literal

import numpy as np

from .engines.des.model import run_replication
from .errors import PlacesimError, Problem, ScenarioError
from .results import Results, assemble, trace_frame
from .scenario.checks import semantic_issues
from .scenario.scenario import Scenario, load_scenario
from .scenario.yamlio import dotted

Executor = Literal["serial", "processes"]
ENGINES = ("des", "sd")
MAX_SEED = 2**63 - 1


def as_scenario(scenario: Scenario | str | Path) -> Scenario:
    """A Scenario from a Scenario or a path (checked again, in case it was built by hand)."""
    if isinstance(scenario, (str, Path)):
        return load_scenario(scenario)
    if not isinstance(scenario, Scenario):
        raise TypeError(f"expected a Scenario or a path to a scenario file, got {type(scenario).__name__}")
    issues = semantic_issues(scenario.model)
    if issues:
        raise ScenarioError([Problem(msg, dotted(path), scenario.source, None) for path, msg in issues])
    return scenario


def resolve_seed(seed: int | None) -> int:
    """The seed to use: the one given, or a fresh random one (recorded in the results)."""
    if seed is None:
        return secrets.randbelow(MAX_SEED)
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or not 0 <= int(seed) <= MAX_SEED:
        raise PlacesimError(f"seed must be a whole number from 0 to 2**63 - 1, got {seed!r}")
    return int(seed)


def _check_run_args(replications: int, executor: str, engine: str, workers: int | None) -> None:
    if isinstance(replications, bool) or not isinstance(replications, (int, np.integer)) or replications < 1:
        raise PlacesimError(f"replications must be a whole number >= 1, got {replications!r}")
    if executor not in ("serial", "processes"):
        raise PlacesimError(f"executor must be 'serial' or 'processes', got {executor!r}")
    if engine not in ENGINES:
        raise PlacesimError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        raise PlacesimError(f"workers must be a whole number >= 1, got {workers!r}")


def _check_engine_args(engine: str, trace: bool) -> None:
    if engine == "sd" and trace:
        raise PlacesimError("the sd engine has no events to trace; run the des engine for a trace")


def _job(args: tuple) -> tuple[int, dict[str, np.ndarray], list | None]:
    scenario, seed, rep, trace = args[:4]
    if len(args) > 4 and args[4] == "sd":
        from .engines.sd import run_sd

        return rep, run_sd(scenario), None
    out, tr = run_replication(scenario, seed, rep, trace)
    return rep, out, tr


def engine_jobs(scenario: Scenario, seed: int, replications: int, trace: bool, engine: str) -> list[tuple]:
    """The jobs of one scenario: its replications (des), or its one deterministic run (sd)."""
    if engine == "sd":
        return [(scenario, seed, 0, False, "sd")]
    return [(scenario, seed, r, trace) for r in range(int(replications))]


def run_jobs(jobs: list[tuple], executor: Executor = "serial", workers: int | None = None,
             on_done: Callable[[], None] | None = None) -> list[tuple[dict[str, np.ndarray], list | None]]:
    """Run replication jobs serially or in local processes; results in job order."""
    results: list[Any] = [None] * len(jobs)
    if executor == "serial" or len(jobs) == 1:
        for i, job in enumerate(jobs):
            _, out, tr = _job(job)
            results[i] = (out, tr)
            if on_done:
                on_done()
        return results
    n = workers or min(len(jobs), os.cpu_count() or 1)
    with ProcessPoolExecutor(max_workers=n) as pool:
        futures = {pool.submit(_job, job): i for i, job in enumerate(jobs)}
        for fut in as_completed(futures):
            _, out, tr = fut.result()
            results[futures[fut]] = (out, tr)
            if on_done:
                on_done()
    return results


def progress_bar(total: int, enabled: bool, label: str):
    """A rich progress bar context yielding an ``advance()`` callable (or a no-op)."""
    if not enabled:
        return nullcontext(lambda: None)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    class _Bar:
        def __enter__(self):
            self.p = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                              TimeElapsedColumn(), transient=False)
            self.p.__enter__()
            self.task = self.p.add_task(label, total=total)
            return lambda: self.p.advance(self.task)

        def __exit__(self, *exc):
            return self.p.__exit__(*exc)

    return _Bar()


def simulate(scenario: Scenario | str | Path, replications: int = 10, seed: int | None = None, *,
             executor: Executor = "serial", workers: int | None = None, progress: bool = False,
             trace: bool = False, engine: str = "des") -> Results:
    """Run replications of a scenario.

    Parameters
    ----------
    scenario
        A :class:`Scenario` or the path of a scenario file.
    replications
        Number of independent replications (des). The sd engine is deterministic: it makes
        one run, recorded as one replication, whatever ``replications`` says.
    seed
        Seed of the run; ``None`` draws one (recorded in ``results.ds.attrs['seed']``).
        The same seed gives the same results on any executor. The sd engine records it
        but draws nothing.
    executor
        ``'serial'`` or ``'processes'`` (local processes, one replication per task).
    workers
        Processes to use (default: the number of CPUs).
    progress
        Show a progress bar.
    trace
        Keep an event log of every replication (``results.trace``); slower. des only.
    engine
        ``'des'`` (the discrete-event engine, the reference) or ``'sd'`` (the
        system-dynamics engine: the deterministic mean-field twin, in a fraction of a
        second; journey variables are NaN; see docs/system-dynamics.md).

    Returns
    -------
    Results
    """
    sc = as_scenario(scenario)
    _check_run_args(replications, executor, engine, workers)
    _check_engine_args(engine, trace)
    seed = resolve_seed(seed)
    jobs = engine_jobs(sc, seed, replications, trace, engine)
    with progress_bar(len(jobs), progress, f"{sc.name}") as advance:
        done = run_jobs(jobs, executor, workers, advance)
    ds = assemble(sc, [o for o, _ in done], seed, engine)
    return Results(ds, trace_frame([t for _, t in done], sc.time.warmup_days) if trace else None)
