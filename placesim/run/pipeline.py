"""The one pipeline every run goes through: check, compile, make tasks, execute, assemble.

:func:`simulate`, :func:`placesim.compare`, options files, break-even searches and the
calibration's DES check all call :func:`run_scenarios`.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ..errors import PlacesimError, Problem, ScenarioError
from ..plan import compile_plan
from ..results import Results, assemble, trace_frame
from ..scenario.checks import semantic_issues
from ..scenario.limits import MAX_REPLICATIONS
from ..scenario.scenario import Scenario, load_scenario
from ..scenario.yamlio import dotted
from ..warmup import warn_if_trending
from .checkpoint import Checkpoint, TaskResult, read_manifest
from .choose import make_executor
from .executors import Executor
from .memory import check_memory
from .progress import progress_bar
from .tasks import ENGINES, run_task, tasks_for

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


def check_run(replications: int, engine: str, trace: bool) -> None:
    """Refuse run settings that cannot work, with a message saying what is expected."""
    if (isinstance(replications, bool) or not isinstance(replications, (int, np.integer))
            or not 1 <= replications <= MAX_REPLICATIONS):
        raise PlacesimError(f"replications must be a whole number from 1 to {MAX_REPLICATIONS:,}, got {replications!r}")
    if engine not in ENGINES:
        raise PlacesimError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if engine == "sd" and trace:
        raise PlacesimError("the sd engine has no events to trace; run the des engine for a trace")


def run_scenarios(scenarios: Mapping[str, Scenario | str | Path], replications: int = 10, seed: int | None = None, *,
                  executor: str | Executor = "serial", workers: int | None = None, progress: bool = False,
                  trace: bool = False, engine: str = "des", label: str | None = None, scheduler: str | None = None,
                  checkpoint: str | Path | Checkpoint | None = None, resume: bool = False,
                  provenance: bool = True) -> dict[str, Results]:
    """Run every scenario with the same seed and replications (common random numbers).

    Parameters are those of :func:`simulate`; ``label`` names the progress bar. A
    ``checkpoint`` may also be a :class:`~placesim.run.checkpoint.Checkpoint` already
    opened (an options file's, shared by its runs). ``provenance=False`` leaves the
    scenarios' YAML and assumptions out of the results (:func:`placesim.results.assemble`).

    Returns
    -------
    The :class:`Results` of each scenario, by label, in the order given.
    """
    loaded = {str(k): as_scenario(v) for k, v in scenarios.items()}
    check_run(replications, engine, trace)
    runner = make_executor(executor, workers, scheduler)
    if resume and checkpoint is None:
        raise PlacesimError("resume=True continues the run kept in a checkpoint folder; give it as checkpoint=")
    if checkpoint is not None and trace:
        raise PlacesimError("a checkpoint keeps the results of each replication, not their traces; "
                            "run with trace=True without a checkpoint")
    if seed is None and checkpoint is not None and not isinstance(checkpoint, Checkpoint):
        found = read_manifest(checkpoint)  # a resumed run takes the seed its folder was started with
        seed = found["run"].get("seed") if found is not None else None
    seed = resolve_seed(seed)
    hashes = {k: sc.hash for k, sc in loaded.items()} if checkpoint is not None else {}
    store = checkpoint if isinstance(checkpoint, Checkpoint) or checkpoint is None else Checkpoint.open(
        checkpoint, describe_run(loaded, hashes, seed, replications, engine), resume=resume)
    plans = {k: compile_plan(sc) for k, sc in loaded.items()}
    per_scenario = [tasks_for(plan, seed, replications, engine, trace) for plan in plans.values()]
    owners = [k for k, chunk in zip(loaded, per_scenario) for _ in chunk]
    tasks = [t for chunk in per_scenario for t in chunk]
    done: list[TaskResult | None] = ([store.load(hashes[k], t) for k, t in zip(owners, tasks)] if store is not None
                                     else [None] * len(tasks))
    todo = [i for i, d in enumerate(done) if d is None]
    check_memory(loaded, replications, engine, runner.concurrency(len(todo)))

    def keep(j: int, result: TaskResult) -> None:  # each result on disk as it arrives
        i = todo[j]
        assert store is not None
        store.save(hashes[owners[i]], loaded[owners[i]].name, tasks[i], result)

    with progress_bar(len(tasks), progress, label or " vs ".join(loaded)) as advance:
        for _ in range(len(tasks) - len(todo)):
            advance()
        pending = [tasks[i] for i in todo]
        # on_result only when it is needed: an Executor written before it existed still runs plain runs
        fresh = (runner.map(run_task, pending, advance, on_result=keep) if store is not None
                 else runner.map(run_task, pending, advance))
    for i, result in zip(todo, fresh):
        done[i] = result
    results: dict[str, Results] = {}
    start = 0
    for (name, sc), chunk in zip(loaded.items(), per_scenario):
        outs = done[start:start + len(chunk)]
        start += len(chunk)
        ds = assemble(sc, plans[name], [o[0] for o in outs if o is not None], seed, engine, provenance)
        frame = trace_frame([o[1] for o in outs if o is not None], sc.time.warmup_days) if trace else None
        results[name] = Results(ds, frame)
    return results


def describe_run(scenarios: Mapping[str, Scenario], hashes: Mapping[str, str], seed: int, replications: int,
                 engine: str) -> dict[str, object]:
    """What a run is, for its checkpoint's manifest: its scenarios (label: name and the
    start of their SHA-256), seed, replications and engine."""
    return {"scenarios": {k: f"{sc.name} ({hashes[k][:12]})" for k, sc in scenarios.items()}, "seed": seed,
            "replications": 1 if engine == "sd" else int(replications), "engine": engine}


def simulate(scenario: Scenario | str | Path, replications: int = 10, seed: int | None = None, *,
             executor: str | Executor = "serial", workers: int | None = None, progress: bool = False,
             trace: bool = False, engine: str = "des", warmup_check: bool = True, scheduler: str | None = None,
             checkpoint: str | Path | Checkpoint | None = None, resume: bool = False) -> Results:
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
        but draws nothing. With a checkpoint folder already started, ``None`` takes the
        folder's seed.
    executor
        ``'serial'``, ``'processes'`` (local processes, one replication per task),
        ``'dask'`` (a dask cluster: the ``scheduler`` given, else the current dask client,
        else a LocalCluster started for the run; see docs/cluster.md), or an
        :class:`~placesim.run.Executor`.
    workers
        Processes to use (default: the number of CPUs); with ``'dask'``, the workers of a
        LocalCluster it starts.
    progress
        Show a progress bar.
    trace
        Keep an event log of every replication (``results.trace``); slower. des only.
    engine
        ``'des'`` (the discrete-event engine, the reference) or ``'sd'`` (the
        system-dynamics engine: the deterministic mean-field twin, in a fraction of a
        second; journey variables are NaN; see docs/system-dynamics.md).
    warmup_check
        After the run, check that the main outputs are not still trending when reporting
        starts, and warn (:class:`~placesim.warmup.WarmupWarning`, with a suggested
        warm-up) if they are; ``results.warmup_check()`` gives the details.
    scheduler
        With ``executor='dask'``: the address of a running dask scheduler, e.g.
        ``'tcp://10.0.0.5:8786'``.
    checkpoint
        A folder in which each finished replication is kept as it arrives (one NetCDF file
        each, with a manifest naming the run). Run again with the same folder and the
        replications already there are not run again; the results are the same, bit for
        bit, as a run never stopped. A folder of another run is refused
        (:class:`~placesim.errors.CheckpointError`). Not with ``trace``.
    resume
        Only continue the run in ``checkpoint``: refuse a folder without one.

    Returns
    -------
    Results
    """
    sc = as_scenario(scenario)
    results = run_scenarios({sc.name: sc}, replications, seed, executor=executor, workers=workers,
                            progress=progress, trace=trace, engine=engine, scheduler=scheduler,
                            checkpoint=checkpoint, resume=resume)[sc.name]
    if warmup_check:
        warn_if_trending(results.warmup_check(compile_plan(sc)), stacklevel=2)
    return results
