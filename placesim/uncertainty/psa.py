"""Probabilistic sensitivity analysis: every option at every draw of the parameters.

At each draw the baseline and every option are built with the draw's parameter values,
run together with common random numbers (:func:`placesim.compare`) and appraised
(:func:`placesim.appraisal.appraise`): the per-draw NPV, BCR and the rest are the
options appraisal's own figures, not re-derived here. Draws are grouped into tasks
handed to the project's executors (serial, processes, dask), each task a plain function
of picklable data, so results never depend on the executor.
"""

from __future__ import annotations

import copy
import json
import math
import time
import warnings
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from .._version import __version__
from ..appraisal import appraise
from ..calibration.parameters import value_at
from ..compare import Comparison, readable_names
from ..engines.sd import reuse as sd_reuse
from ..errors import PlacesimError, ScenarioError
from ..reinvest import reinvest
from ..results import Results
from ..run import Executor, make_executor, run_scenarios
from ..run.progress import progress_bar
from ..scenario.paths import set_path
from ..scenario.scenario import Scenario
from .adaptive import Adaptive, decided, review_evidence
from .files import Target, UncertaintySetup, correlation_matrix, load_uncertainty
from .result import MEASURES, Uncertainty
from .sample import draw

MAX_SEED = 2**63 - 1


@dataclass(frozen=True)
class DrawTask:
    """Some draws of a PSA, as plain picklable data (one executor task)."""

    draws: tuple[int, ...]
    values: np.ndarray
    data: dict[str, dict[str, Any]]
    sources: dict[str, str | None]
    targets: tuple[tuple[str, dict[str, list[Target]]], ...]
    baseline: str
    engine: str
    replications: int
    seed: int
    names: tuple[str, ...]
    review: tuple[str, float] | None = None
    adaptive: tuple[tuple[str, Adaptive], ...] = ()
    reinvest: tuple[tuple[str, dict[str, Any]], ...] = ()


class _Ran(Results):
    """Results whose scenario is known (the appraisal need not rebuild it from the provenance text)."""

    def __init__(self, results: Results, scenario: Scenario):
        super().__init__(results.ds, results.trace)
        self._scenario = scenario

    def scenario(self) -> Scenario:
        return self._scenario


def draw_seed(seed: int, i: int) -> int:
    """The seed of draw ``i`` (its own stream; every option of a draw shares it)."""
    return int(np.random.SeedSequence([int(seed), int(i)]).generate_state(1, np.uint64)[0]) % MAX_SEED


def scenarios_at(task: DrawTask, x: np.ndarray) -> dict[str, Scenario]:
    """Every scenario of the run with the parameters set to ``x``."""
    out = {}
    for label, data in task.data.items():
        d = copy.deepcopy(data)
        for (mode, targets), v in zip(task.targets, x):
            for path, base in targets.get(label, ()):
                set_path(d, path, value_at(mode, base, float(v)))
        out[label] = Scenario.from_dict(d, source=task.sources[label])
    return out


def run_draws(task: DrawTask) -> list[dict[str, np.ndarray]]:
    """Run and appraise each draw of a task: the figures of every option at each draw. SD runs
    share what the draws leave unchanged (:mod:`placesim.engines.sd.reuse`: a plan no draw
    changes, the warm-up before a team opens); the figures are the same as without."""
    with sd_reuse.sharing():
        return [run_draw(task, i, x) for i, x in zip(task.draws, task.values)]


def run_draw(task: DrawTask, i: int, x: np.ndarray) -> dict[str, np.ndarray]:
    """The figures of every option at draw ``i`` (parameter values ``x``)."""
    try:
        scenarios = scenarios_at(task, x)
    except ScenarioError as exc:
        values = ", ".join(f"{n} = {v:.4g}" for n, v in zip(task.names, x))
        raise PlacesimError(f"draw {i} ({values}) makes a scenario that is not valid: {exc}; bound the "
                            "distribution (distribution.bounds) to the field's allowed range") from None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ran = run_scenarios(scenarios, task.replications, draw_seed(task.seed, i), engine=task.engine,
                            executor="serial", provenance=False)  # the scenarios are kept here
        comparison = Comparison({k: _Ran(r, scenarios[k]) for k, r in ran.items()}, task.baseline)
        for label, spec in task.reinvest:  # shift upstream: each year's savings buy places the next
            comparison.results[label] = reinvest(comparison, label, scenarios[label], **spec, baseline=task.baseline,
                                                 replications=task.replications, seed=draw_seed(task.seed, i),
                                                 executor="serial")[0]
        if task.reinvest:
            comparison = Comparison(dict(comparison.results), task.baseline)
        a = appraise(comparison, baseline=task.baseline)
    rng = np.random.default_rng([task.seed, i, 1])  # the SD review's counts: one stream per draw
    chosen = {label: (spec.if_fall, spec.if_not, decided(comparison.ds, spec, scenarios[spec.if_not],
                                                         task.engine == "sd", rng))
              for label, spec in task.adaptive}
    row = figures(a, chosen)
    if task.review is not None:
        label, months = task.review
        try:
            pre, post, _ = review_evidence(comparison.ds, label, scenarios[label], months)
            row["review"] = np.array([pre[0], post[0]])  # the first world's evidence (DES); the expected (SD)
        except PlacesimError:  # the windows do not fit this draw's run
            row["review"] = np.array([np.nan, np.nan])
    return row


def figures(a: Any, chosen: dict[str, tuple[str, str, np.ndarray]] | None = None) -> dict[str, np.ndarray]:
    """One draw's figures from its appraisal: per option and measure the mean over
    replications and its standard error, and per option and organisation who pays and who
    saves. ``chosen``: "pilot, then decide" options (after the options run), each
    ``(if_fall, if_not, scaled)``: replication ``r`` takes ``if_fall``'s figures where
    ``scaled[r]``, else ``if_not``'s; ``scaled`` is returned as ``p_scale`` (its mean)."""
    chosen = chosen or {}
    options = [*a.options, *chosen]
    n_opt, n_org = len(options), len(a.organisations)
    mean = np.full((n_opt, len(MEASURES)), np.nan)
    se = np.full_like(mean, np.nan)
    orgs = {k: np.zeros((n_opt, n_org)) for k in ("int_cost_by_org", "costs_avoided_by_org", "npv_by_org")}
    d = a.period.discount[None, :, None]
    for j, option in enumerate(options):
        per, f = _per_replication(a, option, chosen.get(option))
        r = len(per)
        for k, m in enumerate(MEASURES):
            if m == "bcr":
                den = per["pv_int_cost_gbp"].mean()
                mean[j, k] = per["pv_costs_avoided_gbp"].mean() / den if den > 0 else np.nan
                continue
            v = per[m].to_numpy(dtype=float)
            mean[j, k] = v.mean()
            if r > 1:
                se[j, k] = v.std(ddof=1) / math.sqrt(r)
        int_by_org, avoided_by_org = f
        orgs["int_cost_by_org"][j] = int_by_org.sum(axis=1).mean(axis=0)
        orgs["costs_avoided_by_org"][j] = avoided_by_org.sum(axis=1).mean(axis=0)
        orgs["npv_by_org"][j] = ((avoided_by_org - int_by_org) * d).sum(axis=1).mean(axis=0)
    p_scale = np.array([float(np.mean(c[2])) for c in chosen.values()])
    return {"value": mean, "mc_se": se, "organisations": np.array(a.organisations), "p_scale": p_scale, **orgs}


def _per_replication(a: Any, option: str, chosen: tuple[str, str, np.ndarray] | None
                     ) -> tuple[pd.DataFrame, tuple[np.ndarray, np.ndarray]]:
    """An option's appraisal figures per replication and its flows by organisation
    (replication x year x organisation); for a "pilot, then decide" option, each
    replication's from the continuation its review chose."""
    if chosen is None:
        f = a.flows[option]
        return a.per_replication(option), (f.int_by_org, f.avoided_by_org)
    fall, not_, scaled = chosen
    up, down = a.per_replication(fall), a.per_replication(not_)
    per = pd.DataFrame(np.where(scaled[:, None], up.to_numpy(dtype=float), down[up.columns].to_numpy(dtype=float)),
                       index=up.index, columns=up.columns)
    pick = scaled[:, None, None]
    return per, tuple(np.where(pick, getattr(a.flows[fall], k), getattr(a.flows[not_], k))
                      for k in ("int_by_org", "avoided_by_org"))


def make_tasks(setup: UncertaintySetup, x: np.ndarray, engine: str, replications: int, seed: int,
               chunk: int) -> list[DrawTask]:
    """The draws of a PSA in tasks of ``chunk`` draws."""
    data = setup.scenario_data()
    sources = {k: sc.source for k, sc in setup.scenarios.items()}
    targets = tuple((spec.mode, setup.targets[name]) for name, spec in setup.section.parameters.items())
    return [DrawTask(tuple(range(s, min(s + chunk, len(x)))), x[s:s + chunk], data, sources, targets,
                     setup.baseline, engine, replications, seed, tuple(setup.section.names), setup.review,
                     tuple(setup.adaptive.items()), tuple(setup.reinvest.items()))
            for s in range(0, len(x), chunk)]


def uncertainty(source: str | Path | UncertaintySetup, *, samples: int | None = None, seed: int | None = None,
                engine: str | None = None, replications: int | None = None, executor: str | Executor = "processes",
                workers: int | None = None, scheduler: str | None = None, progress: bool = False,
                chunk: int | None = None) -> Uncertainty:
    """Probabilistic sensitivity analysis of an options file's ``uncertainty:`` section (or of
    an uncertainty file).

    Parameters
    ----------
    source
        An options file with an ``uncertainty:`` section, an uncertainty file
        (``placesim_uncertainty: 1``), or a loaded :class:`~placesim.uncertainty.files.UncertaintySetup`.
    samples, seed, engine, replications
        Override the section's: draws N, seed, engine (``'sd'`` by default: one
        deterministic run per draw; ``'des'``: ``replications`` per draw with common random
        numbers, their Monte Carlo error reported).
    executor, workers, scheduler
        As for :func:`placesim.simulate`: ``'serial'``, ``'processes'`` or ``'dask'`` (a
        DES-based PSA on a cluster).
    progress
        Show a progress bar on stderr.
    chunk
        Draws per task (default: about four tasks per worker, at most 50 draws each).

    Returns
    -------
    Uncertainty
        ``.ds`` (draw x option x measure), :meth:`~Uncertainty.decision`,
        :meth:`~Uncertainty.evppi`, :meth:`~Uncertainty.sensitivity`, plots and a report.
    """
    setup = source if isinstance(source, UncertaintySetup) else load_uncertainty(source)
    sec = setup.section
    n = int(samples if samples is not None else sec.samples)
    seed_ = int(seed if seed is not None else sec.seed)
    engine_ = engine or sec.engine
    reps = int(replications if replications is not None else sec.replications)
    if n < 8:
        raise PlacesimError(f"samples must be at least 8, got {n}")
    if engine_ not in ("sd", "des"):
        raise PlacesimError(f"engine must be sd or des, got {engine_!r}")
    if engine_ == "sd":
        reps = 1
    corr = correlation_matrix(sec) if sec.correlations else None
    u, x = draw(sec, n, seed_, corr)
    started = time.perf_counter()
    rows = evaluate(setup, x, engine=engine_, replications=reps, seed=seed_, executor=executor, workers=workers,
                    scheduler=scheduler, progress=progress, chunk=chunk, label=f"PSA: {n} draws")
    ds = assemble(setup, rows, u, x, engine_, reps, seed_, time.perf_counter() - started)
    return Uncertainty(ds, setup, partial(_values, setup, engine_, reps, seed_))


def _values(setup: UncertaintySetup, engine: str, replications: int, seed: int, x: np.ndarray,
            **run: Any) -> np.ndarray:
    """Figures (row x option x measure) at parameter values ``x``: :func:`evaluate`'s values."""
    run.setdefault("executor", "processes")
    rows = evaluate(setup, x, engine=engine, replications=replications, seed=seed, **run)
    return np.stack([r["value"] for r in rows])


def evaluate(setup: UncertaintySetup, x: np.ndarray, *, engine: str = "sd", replications: int = 1, seed: int = 1,
             executor: str | Executor = "processes", workers: int | None = None, scheduler: str | None = None,
             progress: bool = False, chunk: int | None = None, label: str = "draws") -> list[dict[str, np.ndarray]]:
    """Run and appraise every option at each row of parameter values ``x`` (draw x
    parameter), through an executor: one dict of figures per row (see :func:`figures`).
    The PSA, the tornado and the Morris and Sobol designs all run through here."""
    with make_executor(executor, workers, scheduler) as runner:
        width = max(1, runner.concurrency(len(x)))
        size = chunk or max(1, min(50, math.ceil(len(x) / (4 * width))))
        tasks = make_tasks(setup, x, engine, replications, seed, size)
        with progress_bar(len(tasks), progress, f"{label} x {len(setup.scenarios)} scenarios") as advance:
            outs = runner.map(run_draws, tasks, advance)
    return [r for chunk_ in outs for r in chunk_]


def assemble(setup: UncertaintySetup, rows: list[dict[str, np.ndarray]], u: np.ndarray, x: np.ndarray,
             engine: str, replications: int, seed: int, seconds: float) -> xr.Dataset:
    """The PSA's Dataset: draw x option x measure, who pays and who saves, and the draws."""
    sec = setup.section
    orgs = [str(o) for o in rows[0]["organisations"]]
    coords = {"draw": np.arange(len(rows)), "option": setup.options, "measure": list(MEASURES),
              "organisation": orgs, "parameter": sec.names, "window": ["before", "after"],
              **({"adaptive": list(setup.adaptive)} if setup.adaptive else {})}
    stack = {k: np.stack([r[k] for r in rows]) for k in ("value", "mc_se", "int_cost_by_org",
                                                        "costs_avoided_by_org", "npv_by_org")}
    ds = xr.Dataset({
        "value": (("draw", "option", "measure"), stack["value"], {"long_name": "per-draw figure"}),
        "mc_se": (("draw", "option", "measure"), stack["mc_se"], {"long_name": "Monte Carlo standard error of value"}),
        "int_cost_by_org": (("draw", "option", "organisation"), stack["int_cost_by_org"], {"units": "GBP"}),
        "costs_avoided_by_org": (("draw", "option", "organisation"), stack["costs_avoided_by_org"], {"units": "GBP"}),
        "npv_by_org": (("draw", "option", "organisation"), stack["npv_by_org"], {"units": "GBP"}),
        **({"review_evidence": (("draw", "window"), np.stack([r["review"] for r in rows]),
                                {"long_name": "crises in the pilot area before and after the team starts",
                                 "option": setup.review[0], "months": setup.review[1],
                                 **({} if setup.review_cost is None else {"cost_gbp": setup.review_cost})})}
           if setup.review is not None else {}),
        **({"p_scale": (("draw", "adaptive"), np.stack([r["p_scale"] for r in rows]),
                        {"long_name": "share of the draw's worlds whose review took the if_fall continuation",
                         "continuations": json.dumps({k: list(v[:2]) for k, v in setup.adaptive.items()})})}
           if setup.adaptive else {}),
        "parameter_value": (("draw", "parameter"), x),
        "parameter_quantile": (("draw", "parameter"), u),
    }, coords=coords)
    given = {k: sc.name for k, sc in setup.scenarios.items()}
    if setup.options_file is not None:  # "pilot, then decide" options have a name, not a scenario; so do those left out
        of = setup.options_file
        given.update({k: of.model.options[k].name or (of.scenarios[k].name if k in of.scenarios else k)
                      for k in [*setup.adaptive, *setup.skipped] if k in of.model.options})
    names = readable_names(given)  # as the options report names them
    ds.attrs.update({
        "name": setup.name, "source_file": str(setup.path), "engine": engine, "replications": replications,
        "seed": seed, "samples": len(rows), "sampler": sec.sampler, "baseline": setup.baseline,
        "seconds": round(seconds, 3), "placesim_version": __version__,
        "section": json.dumps(sec.model_dump(mode="json")), "option_names": json.dumps(names),
        "skipped": json.dumps(setup.skipped), "units": json.dumps(MEASURES),
        "population_scale": sec.population.scale,
    })
    return ds
