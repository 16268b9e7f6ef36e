"""Is a run warmed up? A check, after the run, that its main outputs are not still trending
when reporting starts (docs/decisions.md, "The warm-up check").

It reads only the recorded outputs: the stock at each service (``in_system``, with
``in_system_start`` at the end of the warm-up) and the residents at each level (summed over
neighbourhoods, cohorts and domains), over the *window*: the reported days before the
scenario first changes anything (a service or INT team opening or closing, its places
changing, a non-repeating arrival schedule, case-finding quality), since after a change a
trend is the change's effect, not the warm-up's.

For each output and replication, the *drift* is the mean of the window's first fifth less
the mean of its second half. An output is still trending if the mean drift over the
replications is

* material: larger than :data:`TOLERANCE` of the settled level (the second half's mean) and
  than :data:`FLOOR` people, and
* significant: larger than its standard error across the replications times the t quantile
  at :data:`ALPHA`, Bonferroni-corrected for the number of outputs (the sd engine is
  deterministic: any material drift counts).

The suggested warm-up extrapolates an exponential approach to the settled level,
``a + b exp(-t / tau)``, fitted to the mean series over the window: the drift shrinks by
``exp(-x / tau)`` with ``x`` more days of warm-up, so it is ``tau ln(drift / target)`` more
days, the target being half the material threshold, rounded up to :data:`ROUND_DAYS`.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import xarray as xr
from scipy import stats

from .errors import PlacesimWarning
from .plan import Plan, TeamPlan
from .plan.clock import DAY_EPS

TOLERANCE = 0.05
"""Drift that matters, as a share of the settled level."""
FLOOR = 1.0
"""Drift that matters, in people, whatever the level (small stocks are noisy)."""
ALPHA = 0.05
"""Chance of a false warning on a run that is warmed up, over all the outputs checked."""
MIN_POINTS = 6
"""Fewest points (end-of-bin stocks) in the window for the check to run."""
EARLY_SHARE = 0.2
"""The window's first fifth is the start of reporting."""
ROUND_DAYS = 30.0
"""A suggested warm-up is rounded up to whole months of 30 days."""
TAU_GRID = 200
"""Relaxation times tried in the exponential fit (log-spaced)."""


class WarmupWarning(PlacesimWarning):
    """A run's main outputs are still trending when reporting starts: the warm-up is too short."""


@dataclass(frozen=True)
class Trend:
    """An output still trending at the start of reporting.

    Attributes
    ----------
    output
        What it is, e.g. ``'people at temporary_accommodation'``.
    start, settled
        Its mean over the window's first fifth and its second half (over replications).
    drift, se
        ``start - settled``, and its standard error across replications (0 for the sd engine).
    relaxation_days
        The fitted time constant of its approach to the settled level.
    suggested_warmup_days
        Warm-up that would bring the drift under half the tolerance.
    at_least
        The fit could not bound the relaxation time (the trend is near linear over the
        window): the suggestion is a lower bound.
    """

    output: str
    start: float
    settled: float
    drift: float
    se: float
    relaxation_days: float
    suggested_warmup_days: float
    at_least: bool

    def __str__(self) -> str:
        more = "at least " if self.at_least else ""
        side = "below" if self.drift < 0 else "above"
        share = f"{abs(self.drift / self.settled):.0%} {side}" if self.settled else side
        return (f"{self.output}: {self.start:,.1f} at the start of reporting, {share} its later "
                f"{self.settled:,.1f}; suggested warm-up {more}{self.suggested_warmup_days:,.0f} days")


@dataclass(frozen=True)
class WarmupCheck:
    """The result of :func:`check_warmup`.

    Attributes
    ----------
    warmup_days
        The run's warm-up.
    window_days
        Reported days the check looked at (before the scenario first changes anything).
    checked
        The outputs checked.
    trends
        Those still trending (empty: the run passes).
    skipped
        Why nothing was checked (None if the check ran).
    """

    warmup_days: float
    window_days: float
    checked: tuple[str, ...] = ()
    trends: tuple[Trend, ...] = ()
    skipped: str | None = None

    @property
    def ok(self) -> bool:
        """No output is still trending (also when the check could not run)."""
        return not self.trends

    @property
    def suggested_warmup_days(self) -> float:
        """The longest warm-up any trending output needs (the run's own if none)."""
        return max((t.suggested_warmup_days for t in self.trends), default=self.warmup_days)

    def message(self) -> str:
        """One paragraph for a user: what trends, and the warm-up to use."""
        if self.skipped:
            return f"warm-up not checked: {self.skipped}"
        if self.ok:
            return (f"warm-up of {self.warmup_days:,.0f} days: no output checked ({len(self.checked)}) is "
                    f"still trending over the first {self.window_days:,.0f} reported days")
        lines = [f"the warm-up of {self.warmup_days:,.0f} days looks too short: "
                 f"{len(self.trends)} output(s) still trending at the start of reporting; "
                 f"suggested warm-up: {self.suggested_warmup_days:,.0f} days (time.warmup_days)"]
        lines += [f"  {t}" for t in self.trends]
        return "\n".join(lines)


def stable_days(plan: Plan) -> float:
    """Reported days before the scenario first changes anything (the horizon if never).

    A weekly opening pattern or a repeating arrival schedule is not a change: it repeats
    in the warm-up too.
    """
    clock = plan.clock
    start, end = clock.warmup - DAY_EPS, clock.end
    times: list[float] = []
    for sp in plan.services:
        times += [t for t in (sp.active_from, sp.active_until) if 0 < t < end]  # open from the run's start: no change
        if sp.capacity_at is not None and sp.capacity_at.period is None:
            times += sp.capacity_at.changes(clock.warmup, end)
        if sp.background is not None and sp.background.rate.period is None:
            times += sp.background.rate.changes(clock.warmup, end)
        if isinstance(sp, TeamPlan) and sp.case_finding is not None:
            times += sp.case_finding.change_times(clock.warmup, end)
    later = [t - clock.warmup for t in times if t >= start]
    return max(0.0, min(later, default=clock.horizon))


def _series(ds: xr.Dataset, plan: Plan, n_bins: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Times (days from the end of the warm-up) and each output's values ``(replication, time)``."""
    ends = (ds["time"].values + ds["bin_days"].values)[:n_bins].astype(float)
    out: dict[str, np.ndarray] = {}
    start_at = plan.clock.warmup + DAY_EPS
    stock = ds["in_system"].values[:, :n_bins, :]
    first = ds["in_system_start"].values
    for i, sp in enumerate(plan.services):
        if sp.active_from <= start_at:  # open throughout the window
            out[f"people at {sp.name}"] = np.concatenate([first[:, i:i + 1], stock[:, :, i]], axis=1)
    levels = ds["residents"].sum(("neighbourhood", "cohort", "domain")).values[:, :n_bins, :]
    names = ds["level_name"].values if "level_name" in ds.coords else ds["level"].values
    for k, name in enumerate(names):
        out[f"residents at level {k} ({name})"] = np.concatenate([np.full((levels.shape[0], 1), np.nan),
                                                                  levels[:, :, k]], axis=1)
    return np.concatenate([[0.0], ends]), out


def relaxation_days(t: np.ndarray, y: np.ndarray, longest: float) -> tuple[float, bool]:
    """The time constant of ``a + b exp(-t / tau)`` fitted to ``y`` by least squares over a
    log grid of ``tau``, and whether it is the grid's longest (not bounded by the data)."""
    taus = np.geomspace(max(longest / 500.0, 1.0), longest, TAU_GRID)
    best, best_sse = taus[-1], math.inf
    for tau in taus:
        design = np.column_stack([np.ones_like(t), np.exp(-t / tau)])
        coef, *_ = np.linalg.lstsq(design, y, rcond=None)
        sse = float(np.sum((design @ coef - y) ** 2))
        if sse < best_sse * (1 - 1e-12):  # the shortest of equally good fits
            best, best_sse = tau, sse
    return float(best), bool(best >= taus[-1])


def check_warmup(ds: xr.Dataset, plan: Plan, *, tolerance: float = TOLERANCE, floor: float = FLOOR,
                 alpha: float = ALPHA) -> WarmupCheck:
    """Whether a run's main outputs are still trending when reporting starts.

    Parameters
    ----------
    ds
        The run's results Dataset (``Results.ds``).
    plan
        The plan it ran (for the warm-up and the scenario's first change).
    tolerance, floor, alpha
        See :data:`TOLERANCE`, :data:`FLOOR` and :data:`ALPHA`.

    Returns
    -------
    WarmupCheck
    """
    warmup = plan.clock.warmup
    window = min(stable_days(plan), plan.clock.horizon)
    n_bins = int(np.searchsorted(ds["time"].values + ds["bin_days"].values, window + DAY_EPS, side="right"))
    if n_bins + 1 < MIN_POINTS:
        what = "the scenario changes" if window < plan.clock.horizon else "reporting ends"
        return WarmupCheck(warmup, window, skipped=(
            f"{what} {window:,.0f} days after reporting starts, too soon to see a trend (it needs "
            f"{MIN_POINTS - 1} bins); check the warm-up on the scenario without its changes (e.g. its baseline)"))
    replications = int(ds.sizes["replication"])
    deterministic = str(ds.attrs.get("engine", "des")) == "sd"
    if replications < 2 and not deterministic:
        return WarmupCheck(warmup, window, skipped="it needs two replications or more of the des engine")
    t, outputs = _series(ds, plan, n_bins)
    early = t <= EARLY_SHARE * t[-1] + DAY_EPS
    late = t >= 0.5 * t[-1] - DAY_EPS
    quantile = 0.0 if deterministic else float(stats.t.ppf(1 - alpha / (2 * len(outputs)), replications - 1))
    trends = []
    for name, y in outputs.items():
        keep = ~np.isnan(y[0])
        drifts = np.nanmean(y[:, early & keep], axis=1) - np.nanmean(y[:, late], axis=1)
        drift = float(drifts.mean())
        se = 0.0 if deterministic else float(drifts.std(ddof=1) / math.sqrt(replications))
        start = float(np.nanmean(y[:, early & keep]))
        settled = float(np.nanmean(y[:, late]))
        threshold = max(tolerance * abs(settled), floor)
        if not (math.isfinite(drift) and math.isfinite(threshold)) or abs(drift) <= threshold \
                or abs(drift) <= quantile * se:
            continue  # no drift to speak of, or no values to measure one (e.g. an empty series)
        tau, unbounded = relaxation_days(t[keep], y[:, keep].mean(axis=0), 2.0 * t[-1])
        more = tau * math.log(abs(drift) / (0.5 * threshold))
        if not math.isfinite(more):  # a fit the data cannot bound: at least the longest time fitted
            more, unbounded = 2.0 * t[-1], True
        suggested = math.ceil((warmup + more) / ROUND_DAYS) * ROUND_DAYS
        trends.append(Trend(name, start, settled, drift, se, tau, suggested, unbounded))
    trends.sort(key=lambda tr: -tr.suggested_warmup_days)
    return WarmupCheck(warmup, window, tuple(outputs), tuple(trends))


def warn_if_trending(check: WarmupCheck, stacklevel: int = 2) -> None:
    """Issue a :class:`WarmupWarning` with the check's message if an output is still trending."""
    if not check.ok:
        warnings.warn(check.message(), WarmupWarning, stacklevel=stacklevel + 1)
