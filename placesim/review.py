"""Power of a pilot's six-month review: how often a before-after evaluation finds a real effect.

A place decides to continue or stop a pilot on its evaluation at six months: crises in the
pilot neighbourhood in the months before the team started against the months after. Each
replication is one possible world; :func:`review_power` runs that evaluation in every world
of the option and of the baseline and reports how often it finds a reduction.
"""

from __future__ import annotations

import html
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xarray as xr
from pydantic import Field
from scipy import stats

from .errors import PlacesimError
from .formatting import averted_words, estimate_text, fmt, pct, range_text, settled
from .results import ComparedResults
from .scenario.base import FileModel, Money, Months
from .scenario.scenario import Scenario
from .stats import mean_interval

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure


class ReviewSettings(FileModel):
    """The pilot evaluation whose power is reported."""

    option: str = Field(description="The option whose pilot is reviewed.")
    months: Months = Field(6.0, gt=0, description="Months before and after the team starts that the review compares.")
    alpha: float = Field(0.05, gt=0, lt=1, description="One-sided significance level of the review's test.")
    cost_gbp: Money | None = Field(None, ge=0, description="What the review's evaluation costs (GBP); the PSA "
                                   "sets the value of its evidence (EVSI) beside it.")


MONTH_DAYS = 365.25 / 12
"""Days in a month."""

DESIGNS = ("before_after",)
"""Evaluation designs :func:`review_power` knows."""

LEVEL = 0.9
"""Coverage of every interval reported."""

_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")
_EPS = 1e-9


@dataclass(frozen=True)
class ReviewPower:
    """How often a before-after review of a pilot finds a reduction in crises.

    Attributes
    ----------
    option, baseline
        Labels of the scenario with the pilot and of the one without it.
    neighbourhoods
        The pilot neighbourhood(s) whose crises the review counts.
    start_day
        Day the pilot team(s) started (from the end of the warm-up).
    months, alpha, design
        Review length asked for, level of the one-sided test, evaluation design.
    pre_window, post_window
        ``(first day, end day)`` of the whole reporting bins counted before and after the
        start (days from the end of the warm-up; the end day is excluded).
    replications
        Worlds (replications) in each scenario.
    power, power_interval
        Share of the option's worlds in which the review finds a reduction, and its
        Clopper-Pearson 90 % interval.
    false_alarm, false_alarm_interval
        The same share in the baseline's worlds (no pilot there), and its interval.
    true_reduction, true_reduction_interval
        Mean crises the pilot really averted in the pilot area over the post window
        (baseline minus option, paired by replication), and its 90 % t-interval.
    option_pre, option_post, baseline_pre, baseline_post
        Mean crises counted in the pre and post windows.
    per_replication
        One row per (scenario, replication): ``pre``, ``post``, ``p_value``, ``reduction_found``.
    """

    option: str
    baseline: str
    neighbourhoods: tuple[str, ...]
    start_day: float
    months: float
    alpha: float
    design: str
    pre_window: tuple[float, float]
    post_window: tuple[float, float]
    replications: int
    power: float
    power_interval: tuple[float, float]
    false_alarm: float
    false_alarm_interval: tuple[float, float]
    true_reduction: float
    true_reduction_interval: tuple[float, float]
    option_pre: float
    option_post: float
    baseline_pre: float
    baseline_post: float
    per_replication: pd.DataFrame = field(repr=False, compare=False)

    # ------------------------------------------------------------------ tables
    def to_frame(self) -> pd.DataFrame:
        """The result as one row with readable column names."""
        row = {
            "option": self.option,
            "baseline": self.baseline,
            "pilot neighbourhoods": ", ".join(self.neighbourhoods),
            "team start day": self.start_day,
            "review months": self.months,
            "pre window (days)": f"{self.pre_window[0]:g}-{self.pre_window[1]:g}",
            "post window (days)": f"{self.post_window[0]:g}-{self.post_window[1]:g}",
            "test level (alpha)": self.alpha,
            "replications": self.replications,
            "power": self.power,
            "power lower": self.power_interval[0],
            "power upper": self.power_interval[1],
            "false alarm": self.false_alarm,
            "false alarm lower": self.false_alarm_interval[0],
            "false alarm upper": self.false_alarm_interval[1],
            "crises averted in post window": self.true_reduction,
            "crises averted lower": self.true_reduction_interval[0],
            "crises averted upper": self.true_reduction_interval[1],
            "option crises pre": self.option_pre,
            "option crises post": self.option_post,
            "baseline crises pre": self.baseline_pre,
            "baseline crises post": self.baseline_post,
        }
        return pd.DataFrame([row])

    def rows(self) -> list[tuple[str, str]]:
        """The result as (label, text) pairs for a two-column table (plain text)."""
        lo, hi = self.power_interval
        flo, fhi = self.false_alarm_interval
        rlo, rhi = self.true_reduction_interval
        averted = estimate_text(self.true_reduction, rlo, rhi, "crises")
        if not settled(rlo, rhi):
            averted = f"none detectable (90 % CI {range_text(rlo, rhi, 'crises')})"
        elif not math.isnan(rlo):
            averted = f"{fmt(self.true_reduction, 'crises')} (90 % CI {range_text(rlo, rhi, 'crises')})"
        return [
            ("Pilot area", ", ".join(self.neighbourhoods)),
            ("Team started", f"day {self.start_day:g} of reporting"),
            ("Windows counted", f"before: days {_span(self.pre_window)}; after: days {_span(self.post_window)}"),
            ("Test", f"one-sided exact Poisson-rate test, alpha {self.alpha:g}"),
            ("Worlds (replications)", f"{self.replications}"),
            ("Power: reduction found where the pilot runs", f"{_pct(self.power)} (90 % CI {_pct(lo)} to {_pct(hi)})"),
            ("False alarm: reduction found with no pilot",
             f"{_pct(self.false_alarm)} (90 % CI {_pct(flo)} to {_pct(fhi)})"),
            ("Crises really averted after the start", averted),
            (f"Mean crises before / after: {self.option}",
             f"{fmt(self.option_pre, 'crises')} / {fmt(self.option_post, 'crises')}"),
            (f"Mean crises before / after: {self.baseline}",
             f"{fmt(self.baseline_pre, 'crises')} / {fmt(self.baseline_post, 'crises')}"),
        ]

    def _repr_html_(self) -> str:
        body = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
                       f"<td style='text-align:left'>{html.escape(v)}</td></tr>" for k, v in self.rows())
        title = html.escape(f"Review power: {self.option} against {self.baseline}, {_months(self.months)} months")
        return f"<p><b>{title}</b></p><table>{body}</table><p>{html.escape(str(self))}</p>"

    def __str__(self) -> str:
        months = _months(self.months)
        where = ", ".join(self.neighbourhoods)
        lo, hi = self.power_interval
        rlo, rhi = self.true_reduction_interval
        averts = averted_words(self.true_reduction, rlo, rhi, self.replications, LEVEL)
        text = (f"With {self.replications} replications, a before-after evaluation at {months} months (crises in "
                f"{where} on days {_span(self.post_window)} against days {_span(self.pre_window)}) finds a reduction "
                f"in {_pct(self.power)} of worlds (90 % interval {_pct(lo)} to {_pct(hi)}) where the pilot {averts} "
                f"over those {months} months; in worlds without the pilot it claims a reduction "
                f"{_pct(self.false_alarm)} of the time (the test's level is {_pct(self.alpha)}).")
        if self.power < 0.8 and self.true_reduction > 0 and settled(rlo, rhi):
            text += (f" So a review that finds no significant fall is weak evidence that the pilot does not work: "
                     f"it would miss a real effect of this size in {_pct(1 - self.power)} of worlds.")
        if self.false_alarm_interval[0] > self.alpha:
            text += (" The false-alarm rate is above the test's level: without any pilot, crises in the area "
                     "drift or vary more than the Poisson test allows, and a before-after review credits that "
                     "to the pilot.")
        return text

    def plot(self) -> Figure:
        """Left: post-minus-pre change in crises per world, with and without the pilot;
        right: power and false alarm with their 90 % intervals (matplotlib Figure)."""
        import matplotlib.pyplot as plt  # the session's backend: inline in a notebook, Agg without a display

        per = self.per_replication
        fig, (ax, bx) = plt.subplots(1, 2, figsize=(10, 3.6), width_ratios=[2, 1], layout="constrained")
        change = {lab: (per.loc[per["scenario"] == lab, "post"] - per.loc[per["scenario"] == lab, "pre"]).to_numpy()
                  for lab in (self.baseline, self.option)}
        both = np.concatenate(list(change.values()))
        bins = np.histogram_bin_edges(both, bins=min(40, max(5, int(np.sqrt(both.size)))))
        for (lab, ch), colour in zip(change.items(), ("tab:grey", "tab:blue")):
            kind = "no pilot" if lab == self.baseline else "pilot"
            ax.hist(ch, bins=bins, alpha=0.55, color=colour, label=f"{lab} ({kind})")
        cut = _threshold(self)
        if cut is not None:
            ax.axvline(cut, color="tab:red", ls="--", lw=1.2,
                       label="reduction found left of here (at the pilot's mean count)")
        ax.axvline(0, color="black", lw=0.6)
        ax.set_xlabel(f"crises after minus before, {', '.join(self.neighbourhoods)}")
        ax.set_ylabel("worlds (replications)")
        ax.legend(fontsize=8)
        shares = [self.false_alarm, self.power]
        ci = [self.false_alarm_interval, self.power_interval]
        err = np.array([[s - c[0] for s, c in zip(shares, ci)], [c[1] - s for s, c in zip(shares, ci)]])
        bx.bar(["false alarm\n(no pilot)", "power\n(pilot)"], shares, yerr=err, capsize=4,
               color=["tab:grey", "tab:blue"])
        bx.axhline(self.alpha, color="tab:red", ls="--", lw=1, label=f"alpha {self.alpha:g}")
        bx.axhline(0.8, color="black", ls=":", lw=1, label="80 % power")
        bx.set_ylim(0, 1)
        bx.set_ylabel("share of worlds finding a reduction")
        bx.legend(fontsize=8)
        fig.suptitle(f"{_months(self.months).capitalize()}-month before-after review: {self.option} vs {self.baseline}")
        return fig


# ---------------------------------------------------------------------- entry points
def review_power(comparison: ComparedResults, option: str, *, baseline: str | None = None, months: float = 6,
                 alpha: float = 0.05, neighbourhoods: Sequence[str] | None = None,
                 design: str = "before_after") -> ReviewPower:
    """How often a before-after review of the pilot finds a reduction in crises.

    In the pilot neighbourhood(s) the review counts crises in the ``months`` before the
    team started and the ``months`` after, and tests for a fall in the rate (one-sided
    exact conditional test: given ``n = pre + post``, ``post ~ Binomial(n, w_post /
    (w_pre + w_post))`` under no change, where ``w`` are the window lengths in days).

    Parameters
    ----------
    comparison
        A :class:`placesim.Comparison` of DES runs (common random numbers).
    option
        Label of the scenario with the pilot (it must have an INT).
    baseline
        Label of the scenario without it (default the comparison's baseline).
    months
        Length of each window (a month is 365.25 / 12 days). Windows are whole reporting
        bins: the nearest whole number of bins to ``months`` on each side of the start; a
        bin the start falls inside is in neither.
    alpha
        Level of the test.
    neighbourhoods
        Pilot neighbourhoods (default: the option's INT neighbourhoods with the earliest
        start day); their teams must start on the same day.
    design
        Only ``'before_after'``.

    Returns
    -------
    ReviewPower

    Raises
    ------
    PlacesimError
        For an unknown label or neighbourhood, a scenario without an INT, or a window
        outside the reported period.
    """
    if option not in comparison.results:
        raise PlacesimError(f"option {option!r} is not one of {', '.join(comparison.results)}")
    base = baseline or comparison.baseline
    starts = int_start_days(_scenario_of(comparison.results[option]), option)
    base_starts = (int_start_days(_scenario_of(comparison.results[base]), base, required=False)
                   if base in comparison.results else {})
    return review_power_from_dataset(comparison.ds, option, baseline=base, months=months, alpha=alpha,
                                     neighbourhoods=neighbourhoods, design=design, start_days=starts,
                                     baseline_start_days=base_starts)


def review_power_from_dataset(ds: xr.Dataset, option: str, *, baseline: str | None = None, months: float = 6,
                              alpha: float = 0.05, neighbourhoods: Sequence[str] | None = None,
                              design: str = "before_after", start_days: Mapping[str, float] | None = None,
                              baseline_start_days: Mapping[str, float] | None = None) -> ReviewPower:
    """:func:`review_power` on a comparison Dataset (e.g. read from NetCDF).

    Parameters
    ----------
    ds
        Dataset with dimensions ``scenario``, ``replication``, ``time`` and a ``crises``
        variable over (scenario, replication, time, neighbourhood, cohort, domain).
    start_days, baseline_start_days
        INT team start day by neighbourhood in the option and in the baseline; default
        read from the Dataset's ``scenario_yaml``.
    option, baseline, months, alpha, neighbourhoods, design
        As for :func:`review_power`; ``baseline`` defaults to ``ds.attrs['baseline']``.
    """
    if design not in DESIGNS:
        raise PlacesimError(f"design {design!r} is not supported; use one of {', '.join(DESIGNS)}")
    if not 0 < alpha < 1:
        raise PlacesimError(f"alpha must be between 0 and 1, got {alpha!r}")
    if not months > 0:
        raise PlacesimError(f"months must be positive, got {months!r}")
    if str(ds.attrs.get("engine", "des")) == "sd":
        raise PlacesimError("review power needs replications of the DES engine (counts of crises in possible "
                            "worlds); the SD engine gives one expected path. Run the comparison with engine='des'")
    labels = [str(s) for s in ds["scenario"].values]
    base = baseline or str(ds.attrs.get("baseline", labels[0]))
    for what, lab in (("option", option), ("baseline", base)):
        if lab not in labels:
            raise PlacesimError(f"{what} {lab!r} is not one of {', '.join(labels)}")
    if option == base:
        raise PlacesimError(f"option and baseline are both {option!r}; review the pilot against a scenario without it")
    if start_days is None:
        start_days = int_start_days(_scenario_from(ds, option), option)
    if baseline_start_days is None:  # only to warn if the baseline has a team there too
        baseline_start_days = (int_start_days(_scenario_from(ds, base), base, required=False)
                               if "scenario_yaml" in ds else {})
    hoods, start = pilot_area(ds, option, start_days, neighbourhoods)
    pre, post = review_windows(ds, start, months)
    clash = sorted(h for h in hoods if h in baseline_start_days and baseline_start_days[h] < _end(ds, post))
    if clash:
        warnings.warn(f"the baseline {base!r} also has an INT team in {', '.join(clash)} before the review ends; "
                      "its false-alarm rate is then not a rate with no pilot", stacklevel=2)

    crises = ds["crises"].sel(neighbourhood=list(hoods)).sum(("neighbourhood", "cohort", "domain"))
    w_pre = float(ds["bin_days"].values[pre].sum())
    w_post = float(ds["bin_days"].values[post].sum())
    counts = {lab: (_counts(crises.sel(scenario=lab), pre), _counts(crises.sel(scenario=lab), post))
              for lab in (base, option)}
    share = w_post / (w_pre + w_post)
    frames, found = [], {}
    for lab, (a, b) in counts.items():
        p = np.array([_p_value(int(x), int(y), share) for x, y in zip(a, b)])
        found[lab] = p <= alpha
        frames.append(pd.DataFrame({"scenario": lab, "replication": ds["replication"].values, "pre": a, "post": b,
                                    "p_value": p, "reduction_found": found[lab]}))
    reps = int(found[option].size)
    averted = counts[base][1] - counts[option][1]
    mean, lo, hi = mean_interval(averted, LEVEL)
    t = ds["time"].values
    return ReviewPower(
        option=option, baseline=base, neighbourhoods=tuple(hoods), start_day=float(start), months=float(months),
        alpha=float(alpha), design=design,
        pre_window=(float(t[pre[0]]), _end(ds, pre)), post_window=(float(t[post[0]]), _end(ds, post)),
        replications=reps,
        power=float(found[option].mean()), power_interval=_proportion_ci(int(found[option].sum()), reps),
        false_alarm=float(found[base].mean()), false_alarm_interval=_proportion_ci(int(found[base].sum()), reps),
        true_reduction=mean, true_reduction_interval=(lo, hi),
        option_pre=float(counts[option][0].mean()), option_post=float(counts[option][1].mean()),
        baseline_pre=float(counts[base][0].mean()), baseline_post=float(counts[base][1].mean()),
        per_replication=pd.concat(frames, ignore_index=True),
    )


# ---------------------------------------------------------------------- the pilot and its windows
def _scenario_of(results):
    sc = results.scenario
    return sc() if callable(sc) else sc


def _scenario_from(ds: xr.Dataset, label: str):
    if "scenario_yaml" not in ds:
        raise PlacesimError("the Dataset holds no scenario_yaml to read INT start days from; pass start_days")

    return Scenario.from_yaml(str(ds["scenario_yaml"].sel(scenario=label).values), name=f"<{label} provenance>")


def int_start_days(scenario, label: str, required: bool = True) -> dict[str, float]:
    team = scenario.model.int_team
    if team is None:
        if required:
            raise PlacesimError(f"scenario {label!r} has no INT; the option must be the scenario with the pilot")
        return {}
    return {name: float(n.start_day) for name, n in team.neighbourhoods.items()}


def pilot_area(ds: xr.Dataset, option: str, start_days: Mapping[str, float],
           neighbourhoods: Sequence[str] | None) -> tuple[list[str], float]:
    """The pilot neighbourhoods and their common start day."""
    if not start_days:
        raise PlacesimError(f"scenario {option!r} has no INT neighbourhoods")
    if neighbourhoods is None:
        first = min(start_days.values())
        hoods = [h for h, d in start_days.items() if d == first]
    else:
        hoods = [neighbourhoods] if isinstance(neighbourhoods, str) else list(dict.fromkeys(neighbourhoods))
        if not hoods:
            raise PlacesimError("neighbourhoods is empty; name at least one pilot neighbourhood")
        missing = [h for h in hoods if h not in start_days]
        if missing:
            raise PlacesimError(f"{', '.join(missing)} has no INT team in {option!r}; its INT covers "
                                f"{', '.join(start_days)}")
        days = {h: start_days[h] for h in hoods}
        if len(set(days.values())) > 1:
            raise PlacesimError("the pilot neighbourhoods' teams start on different days ("
                                + ", ".join(f"{h}: day {d:g}" for h, d in days.items())
                                + "); review them separately")
    absent = [h for h in hoods if h not in ds["neighbourhood"].values.tolist()]
    if absent:
        raise PlacesimError(f"neighbourhood {', '.join(absent)} is not in the results")
    return hoods, float(start_days[hoods[0]])


def review_windows(ds: xr.Dataset, start: float, months: float) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the reporting bins before and after ``start``.

    Each window is the nearest whole number of bins to ``months``; a bin the start falls
    inside (not on its edge) is left out of both.
    """
    starts = ds["time"].values.astype(float)
    widths = ds["bin_days"].values.astype(float)
    ends = starts + widths
    every = float(ds.attrs.get("report_every_days", widths[0]))
    horizon = float(ends[-1])
    span = months * MONTH_DAYS
    n = max(1, int(round(span / every)))
    label = f"{_months(months)}-month"
    if start >= horizon - _EPS:
        raise PlacesimError(f"the team starts on day {start:g}, after the reported period ends (day {horizon:g}); "
                            "lengthen the horizon (time.horizon_days)")
    k = int(np.searchsorted(starts, start + _EPS, side="right") - 1)  # bin holding the start
    on_edge = abs(starts[k] - start) <= _EPS
    first_post = k if on_edge else k + 1
    pre = np.arange(k - n, k)
    post = np.arange(first_post, first_post + n)
    if pre[0] < 0:
        raise PlacesimError(
            f"the {label} window before the team starts (day {start:g}) would begin on day "
            f"{starts[k] - n * every:g}, before reporting starts (day 0): {n} whole bins of {every:g} days are needed "
            f"before the start. Start the team later (start_day >= {n * every:g}), or review over fewer months")
    if post[-1] >= starts.size or widths[post[-1]] < every - _EPS:
        end = (starts[k] if on_edge else starts[k] + every) + n * every
        raise PlacesimError(
            f"the {label} window after the team starts (day {start:g}) would run to day {end:g}, past the end of "
            f"the reported period (day {horizon:g}). Lengthen the horizon (time.horizon_days >= {end:g}) or start "
            "the team earlier")
    return pre, post


def _end(ds: xr.Dataset, idx: np.ndarray) -> float:
    return float(ds["time"].values[idx[-1]] + ds["bin_days"].values[idx[-1]])


# ---------------------------------------------------------------------- the test
def _counts(crises: xr.DataArray, idx: np.ndarray) -> np.ndarray:
    """Crises per replication summed over the bins ``idx``, as integers."""
    v = crises.isel(time=idx).sum("time").transpose("replication").values.astype(float)
    if np.any(np.abs(v - np.round(v)) > 1e-6) or np.any(v < 0):
        raise PlacesimError("crises are not whole counts; the review test needs DES replications")
    return np.round(v).astype(np.int64)


def reduction_found(pre: np.ndarray, post: np.ndarray, share: float, alpha: float) -> np.ndarray:
    """Whether the review's test (:func:`review_power`'s) finds a fall, per world: whole counts
    ``pre`` and ``post``, the post window ``share`` of the days, level ``alpha``."""
    return np.array([_p_value(int(x), int(y), share) <= alpha for x, y in zip(pre, post)], dtype=bool)


def _p_value(pre: int, post: int, share: float) -> float:
    """Lower-tail p-value of the exact conditional test of a fall in a Poisson rate."""
    n = pre + post
    if n == 0:
        return 1.0
    return float(stats.binomtest(post, n, share, alternative="less").pvalue)


def _proportion_ci(k: int, n: int) -> tuple[float, float]:
    if n == 0:
        return (math.nan, math.nan)
    ci = stats.binomtest(k, n).proportion_ci(method="exact", confidence_level=LEVEL)
    return (float(ci.low), float(ci.high))


def _threshold(r: ReviewPower) -> float | None:
    """Post-minus-pre change below which the test finds a reduction, at the option's mean total count."""
    n = int(round(r.option_pre + r.option_post))
    if n == 0:
        return None
    w_pre = r.pre_window[1] - r.pre_window[0]
    w_post = r.post_window[1] - r.post_window[0]
    k = stats.binom.ppf(r.alpha, n, w_post / (w_pre + w_post))
    k = int(k) if stats.binom.cdf(k, n, w_post / (w_pre + w_post)) <= r.alpha else int(k) - 1
    if k < 0:
        return None
    return float(2 * k - n) + 0.5


# ---------------------------------------------------------------------- wording
def _pct(x: float) -> str:
    return "n/a" if math.isnan(x) else pct(x)


def _span(w: tuple[float, float]) -> str:
    return f"{w[0]:g}-{w[1]:g}"


def _months(m: float) -> str:
    return _WORDS[int(m)] if float(m).is_integer() and 0 <= m < len(_WORDS) else f"{m:g}"
