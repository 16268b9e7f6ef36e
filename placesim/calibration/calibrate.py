"""``ps.calibrate``: fit a scenario's parameters to observed data (SD search, DES refinement)."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ScenarioError
from ..run import Executor, make_executor, simulate
from ..scenario.files import refer
from ..scenario.loader import deep_merge
from ..scenario.scenario import Scenario, load_scenario
from .fit import Clock, Model, Objective, covariance, hessian, mean_interval, search, wald_interval, z_start
from .likelihood import goodness_of_fit, predictive_interval
from .observed import Extractor, Observed, read_observed
from .outputs import calibrated_yaml, plot_fit, write_outputs
from .parameters import Parameter, overrides_for, parse_path, resolve_parameters
from .setup import Setup, load_setup


@dataclass
class Calibration:
    """The outcome of a calibration.

    Attributes
    ----------
    setup
        The set-up that was run.
    parameters
        One row per fitted parameter: ``estimate``, ``lower``, ``upper`` (the set-up's
        interval level), ``start``, ``bound_lower``, ``bound_upper``, ``mode``, ``paths``.
    fitted
        One row per observation: ``period_start``, ``date``, ``measure``, ``neighbourhood``,
        ``set`` (fit or holdout), ``observed``, ``fitted`` (the DES-corrected SD value),
        ``fitted_lower``/``fitted_upper`` (interval of the expected value from the
        parameters' uncertainty), ``predicted_lower``/``predicted_upper`` (interval of an
        observation: that plus the count's own noise), ``sd`` (the raw SD value),
        ``des_mean``/``des_se`` (the DES check at the estimate, when run).
    goodness
        Fit statistics by ``(model, set)``: model ``fitted`` (corrected SD) or ``des``.
    rounds
        Each search: its round, SD runs, the objective at the optimum and the estimates.
    overrides
        The scenario overrides that set the fitted values (plus the set-up's own).
    scenario
        The calibrated scenario (the set-up's scenario with ``overrides`` applied).
    """

    setup: Setup
    parameters: pd.DataFrame
    fitted: pd.DataFrame
    goodness: pd.DataFrame
    rounds: pd.DataFrame
    overrides: dict[str, Any]
    scenario: Scenario
    size: float | None
    covariance_ok: bool
    timings: dict[str, float]

    @property
    def estimates(self) -> dict[str, float]:
        """Fitted values by parameter name."""
        return dict(zip(self.parameters["name"], self.parameters["estimate"]))

    def write(self, out: str | Path) -> dict[str, Path]:
        """Write calibrated.yaml, parameters.csv, fitted.csv, diagnostics.png and diagnostics.html
        into folder ``out`` (each atomically). Returns the paths by name."""
        return write_outputs(self, Path(out))

    def calibrated_yaml(self, folder: str | Path) -> str:
        """calibrated.yaml's text for a file written in ``folder`` (extends the scenario by a
        path relative to it)."""
        return calibrated_yaml(self, Path(folder))

    def plot(self):
        """Observed against fitted, with intervals, one panel per measure (matplotlib Figure)."""
        return plot_fit(self)

    def __repr__(self) -> str:
        rows = ", ".join(f"{r.name}={r.estimate:.4g} [{r.lower:.4g}, {r.upper:.4g}]"
                         for r in self.parameters.itertuples())
        return f"Calibration({self.setup.model.name!r}: {rows})"

    def _repr_html_(self) -> str:
        table = self.parameters[["name", "estimate", "lower", "upper"]].to_html(index=False)
        return (f"<h4>{self.setup.model.name}</h4>" + table
                + self.goodness.to_html())


def _rows_in(obs: Observed, window, day_of: Callable[[Any], float]) -> np.ndarray:
    lo, hi = day_of(window.from_), day_of(window.to)
    return (obs.period_start >= lo) & (obs.period_start <= hi)


def split_periods(setup: Setup, obs: Observed, scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks of the fitting and the held-out rows."""
    start = scenario.time.start_date

    def day_of(v: dt.date | int) -> float:
        if isinstance(v, int):
            return float(v)
        if start is None:
            raise setup.error("dates need the scenario's time.start_date; give day numbers instead", ("periods",))
        return float((v - start).days)

    per = setup.model.periods
    if per.fit is not None and per.holdout is not None:
        fit_days = (day_of(per.fit.from_), day_of(per.fit.to))
        hold_days = (day_of(per.holdout.from_), day_of(per.holdout.to))
        if max(fit_days[0], hold_days[0]) <= min(fit_days[1], hold_days[1]):
            raise setup.error(f"the holdout periods ({per.holdout.from_} to {per.holdout.to}) overlap the fitting "
                              f"periods ({per.fit.from_} to {per.fit.to}); a period held out to test the fit "
                              f"must not be fitted", ("periods", "holdout"))
    fit = _rows_in(obs, per.fit, day_of) if per.fit is not None else np.ones(len(obs), bool)
    hold = _rows_in(obs, per.holdout, day_of) & ~fit if per.holdout is not None else ~fit
    if not fit.any():
        raise setup.error("no observed rows fall in the fitting periods", ("periods", "fit"))
    return fit, hold


def prepare(setup: Setup) -> tuple[Scenario, Scenario, Observed, list[Parameter]]:
    """Load the scenario (with the set-up's overrides), the data and the parameters, checking them."""
    m = setup.model
    path = setup.folder / m.scenario
    if not path.exists():
        raise setup.error(f"scenario file {path} does not exist", ("scenario",))
    try:
        scenario = load_scenario(path)
    except ScenarioError as exc:
        raise refer(exc, str(path), f"scenario file {m.scenario!r}", setup.problem("", ("scenario",))) from None
    if m.overrides:
        try:
            scenario = scenario.with_overrides(m.overrides)
        except ScenarioError as exc:  # point at the set-up's own lines
            raise ScenarioError([setup.problem(p.message, ("overrides",) + tuple(parse_path(p.path)) if p.path
                                               else ("overrides",)) for p in exc.problems],
                                "the calibration set-up") from None
    period = m.period_days or scenario.time.report_every_days
    fit_scenario = scenario if period == scenario.time.report_every_days else \
        scenario.with_overrides({"time": {"report_every_days": period}})
    obs_path = setup.folder / m.observed
    obs = read_observed(obs_path, fit_scenario.model, period)
    params = resolve_parameters(setup, fit_scenario)
    return scenario, fit_scenario, obs, params


def _series_ratio(obs: Observed, des: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """DES/SD ratio of each observed series (measure x neighbourhood), per row."""
    out = np.ones(len(obs))
    labels = np.array(obs.series)
    for s in np.unique(labels):
        rows = labels == s
        a, b = des[rows].sum(), sd[rows].sum()
        if b > 1e-9 and a > 0:
            out[rows] = a / b
    return out


def calibrate(setup: str | Path | Setup, *, executor: str | Executor = "serial", workers: int | None = None,
              progress: Callable[[str], None] | None = None, scheduler: str | None = None) -> Calibration:
    """Fit a scenario's parameters to observed data.

    Parameters
    ----------
    setup
        A calibration set-up file (see docs/calibration.md) or a loaded :class:`Setup`.
    executor, workers, scheduler
        How the DES check runs its replications (as in :func:`placesim.simulate`); one
        executor (one dask cluster) serves every round.
    progress
        Called with a line of text at each stage (e.g. ``print``).

    Returns
    -------
    Calibration
        Estimates with intervals, fitted values, goodness of fit; ``.write(folder)`` writes
        calibrated.yaml, parameters.csv and the diagnostics.

    Examples
    --------
    >>> cal = ps.calibrate("calibration/harlesden/setup.yaml")       # doctest: +SKIP
    >>> cal.parameters[["name", "estimate", "lower", "upper"]]       # doctest: +SKIP
    """
    say = progress or (lambda _: None)
    st = setup if isinstance(setup, Setup) else load_setup(setup)
    m = st.model
    clock = Clock()
    scenario, fit_scenario, obs, params = prepare(st)
    fit_rows, hold_rows = split_periods(st, obs, fit_scenario)
    family = m.likelihood.family
    size = None if family == "poisson" or m.likelihood.size == "fit" else float(m.likelihood.size)
    model = Model(fit_scenario.to_dict(), fit_scenario.source, params, Extractor(obs, fit_scenario.model))
    correction = np.ones(len(obs))
    z: np.ndarray | None = None  # the estimate on the search scale, once a round has found one
    rounds: list[dict[str, Any]] = []
    des_mean = des_se = None
    n_rounds = m.des.rounds if m.des.replications > 0 else 0
    clock.lap("prepare")
    runner = make_executor(executor, workers, scheduler)

    def des_at(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        sc = model.scenario(x)
        r = simulate(sc, m.des.replications, seed=m.des.seed, executor=runner)
        vals = model.extractor({k: r.ds[k].values for k in {g[0] for g in model.extractor.groups}})
        se = vals.std(axis=0, ddof=1) / np.sqrt(len(vals)) if len(vals) > 1 else np.full(vals.shape[1], np.nan)
        return vals.mean(axis=0), se

    with runner if m.des.replications > 0 else contextlib.nullcontext():  # one executor (one cluster) for all rounds
        for rnd in range(n_rounds + 1):
            obj = Objective(model, obs, np.flatnonzero(fit_rows), family, size, correction)
            z0 = z_start(obj) if z is None else z
            before = model.counter[0]
            z, fval, _ = search(obj, z0, m.max_evaluations, step=0.5 if rnd == 0 else 0.1)
            x, k = obj.split(z)
            rounds.append({"round": rnd, "sd_runs": model.counter[0] - before, "neg_log_posterior": fval,
                           **{p.name: xi for p, xi in zip(params, x)}, **({"nb_size": k} if obj.fit_size else {})})
            say(f"round {rnd}: " + ", ".join(f"{p.name}={xi:.4g}" for p, xi in zip(params, x))
                + f" ({rounds[-1]['sd_runs']} SD runs)")
            clock.lap("sd_fit")
            if m.des.replications == 0:
                break
            des_mean, des_se = des_at(x)
            clock.lap("des_check")
            rounds[-1]["des_neg_log_likelihood"] = float(-goodness_of_fit(
                obs.value[fit_rows], des_mean[fit_rows], des_mean[fit_rows], des_mean[fit_rows], family,
                k, len(params))["log_likelihood"])
            if rnd < n_rounds:
                sd_raw = obj.mu(x) / correction
                correction = _series_ratio(obs, des_mean, sd_raw)

    obj = Objective(model, obs, np.flatnonzero(fit_rows), family, size, correction)
    assert z is not None  # the loop runs at least once
    x, k = obj.split(z)
    H = hessian(obj, z)
    cov, ok = covariance(H)
    mu = obj.mu(x)
    mu_lo, mu_hi = mean_interval(obj, z, cov, m.interval)
    clock.lap("intervals")
    state = "well-defined" if ok else "NOT positive definite: some parameters are not identified"
    say(f"intervals from the Hessian ({state})")

    level = m.interval
    prows = []
    for i, p in enumerate(params):
        lo, hi = (wald_interval(p, z[i], cov[i, i], level) if ok else (p.lower, p.upper))
        prows.append({"name": p.name, "estimate": x[i], "lower": lo, "upper": hi, "start": p.start,
                      "bound_lower": p.lower, "bound_upper": p.upper, "mode": p.spec.mode,
                      "paths": ";".join(p.spec.paths)})
    parameters = pd.DataFrame(prows)

    pred_lo, _ = predictive_interval(mu_lo, family, k, level)
    _, pred_hi = predictive_interval(mu_hi, family, k, level)
    fitted = pd.DataFrame({
        "period_start": obs.period_start, "date": obs.dates, "measure": obs.measure,
        "neighbourhood": obs.neighbourhood,
        "set": np.where(fit_rows, "fit", np.where(hold_rows, "holdout", "unused")),
        "observed": obs.value, "fitted": mu, "fitted_lower": mu_lo, "fitted_upper": mu_hi,
        "predicted_lower": pred_lo, "predicted_upper": pred_hi, "sd": mu / correction,
        "des_mean": des_mean if des_mean is not None else np.nan,
        "des_se": des_se if des_se is not None else np.nan,
        "line": obs.line,
    })
    gof = []
    for label, values in (("fitted", mu), ("des", des_mean)):
        if values is None:
            continue
        for name, rows in (("fit", fit_rows), ("holdout", hold_rows)):
            g = goodness_of_fit(obs.value[rows], values[rows], pred_lo[rows], pred_hi[rows], family, k,
                                len(params) if name == "fit" else 0)
            gof.append({"model": label, "set": name, **g})
    goodness = pd.DataFrame(gof).set_index(["model", "set"])

    fitted_over = overrides_for(scenario.to_dict(), params, x)
    overrides = deep_merge(m.overrides, fitted_over) if m.overrides else fitted_over
    calibrated = scenario.with_overrides(fitted_over, name=f"{scenario.name} (calibrated)")
    clock.lap("outputs")
    return Calibration(st, parameters, fitted, goodness, pd.DataFrame(rounds), overrides, calibrated,
                       k if family == "negative_binomial" else None, ok, dict(clock.stages))
