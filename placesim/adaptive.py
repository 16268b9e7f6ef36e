"""The six-month decision, simulated: a pilot's own review decides, world by world, what comes next.

An adaptive option names two continuations of one pilot: ``if_fall``, taken when the pilot's
before-after review (:mod:`placesim.review`) finds crises falling in the pilot area, and
``if_not``, taken otherwise (typically the pilot stopping at its review). Both are ordinary
options, run with common random numbers: until the review they are the same scenario, so
replication ``r`` of each has the same history until then, and the adaptive option is, in
each replication, the continuation its review chose. Its figures (crises, costs, NPV) are
therefore those of "pilot, then decide at the review", with the review's chance of being
wrong included.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import xarray as xr

from .compare import Comparison
from .errors import PlacesimError
from .formatting import averted_words, pct
from .results import Results
from .review import ReviewPower, review_power
from .stats import mean_interval

CHECKED = ("crises", "arrivals", "cost_gbp", "help_seeking")
"""Variables the two continuations must agree on, bin by bin, until the review."""


@dataclass
class Decision:
    """What an adaptive option's review decided in each world.

    Attributes
    ----------
    option
        The adaptive option's label.
    if_fall, if_not
        The continuations taken when the review finds a fall in crises, and otherwise.
    review
        The pilot's review (on ``if_not``, identical to ``if_fall`` until the review).
    scaled
        Per replication: whether the review found a fall (``if_fall`` taken).
    """

    option: str
    if_fall: str
    if_not: str
    review: ReviewPower
    scaled: np.ndarray

    @property
    def p_scale(self) -> float:
        """Share of worlds in which the review saw a fall and ``if_fall`` was taken."""
        return float(self.scaled.mean())

    @property
    def decided_on_day(self) -> float:
        """Day (from the end of the warm-up) the review ends and the decision takes effect."""
        return float(self.review.post_window[1])

    def reading(self, names: Mapping[str, str] | None = None) -> str:
        """The decision in plain words; ``names`` gives the options' names (default: their labels)."""
        name = {k: (names or {}).get(k, k) for k in (self.option, self.if_fall, self.if_not)}
        r = self.review
        works = r.true_reduction_interval[0] > 0
        lo, hi = r.true_reduction_interval
        text = (f"{name[self.option]}: the pilot's review on day {self.decided_on_day:g} saw crises fall in "
                f"{pct(self.p_scale)} of the {self.scaled.size} simulated worlds, which then went on as "
                f"'{name[self.if_fall]}'; the other {pct(1 - self.p_scale)} went on as '{name[self.if_not]}'. "
                f"In its review window the pilot {averted_words(r.true_reduction, lo, hi, r.replications)}. ")
        if works:
            text += f"So the rule stops a pilot that works in {pct(1 - self.p_scale)} of worlds."
        else:
            text += (f"Its effect is not distinguishable from none; a review of a pilot that does nothing "
                     f"scales it up in about {pct(r.false_alarm)} of worlds (the false-alarm rate).")
        return text

    def rows(self) -> list[tuple[str, str]]:
        """The decision's figures as (label, value) rows for tables and the report."""
        _, lo, hi = mean_interval(self.scaled.astype(float), 0.9)
        return [("review ends (day)", f"{self.decided_on_day:g}"),
                ("worlds scaled up", f"{pct(self.p_scale)} (90 % interval {pct(max(lo, 0))} to {pct(min(hi, 1))})"),
                ("taken if the review sees a fall", self.if_fall),
                ("taken otherwise", self.if_not)]

    def _repr_html_(self) -> str:
        body = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in self.rows())
        return f"<p>{html.escape(self.reading())}</p><table>{body}</table>"


def decide(comparison: Comparison, option: str, if_fall: str, if_not: str, *, months: float = 6,
           alpha: float = 0.05, baseline: str | None = None) -> tuple[Results, Decision]:
    """The results of "pilot, then decide at the review" from its two continuations.

    Parameters
    ----------
    comparison
        A DES comparison holding the baseline and both continuations.
    option
        Label of the adaptive option.
    if_fall, if_not
        Labels of the continuations taken when the review finds a fall, and otherwise.
    months, alpha
        The review's windows and level (as for :func:`placesim.review_power`).
    baseline
        The scenario without the pilot (default the comparison's baseline).

    Returns
    -------
    The adaptive option's :class:`Results` (replication ``r`` from the continuation its
    review chose) and the :class:`Decision`.

    Raises
    ------
    PlacesimError
        If a label is unknown, the run is not DES, or the continuations differ before the
        review ends (their scenarios must be the same until then).
    """
    for label in (if_fall, if_not):
        if label not in comparison.results:
            raise PlacesimError(f"{option}: continuation {label!r} is not one of {', '.join(comparison.results)}")
    review = review_power(comparison, if_not, baseline=baseline, months=months, alpha=alpha)
    scaled = review.per_replication.query("scenario == @if_not")["reduction_found"].to_numpy(bool)
    fall, other = comparison.results[if_fall].ds, comparison.results[if_not].ds
    _check_same_until(fall, other, review.post_window[1], option, if_fall, if_not)
    services = list(dict.fromkeys(fall["service"].values.tolist() + other["service"].values.tolist()))
    orgs = list(dict.fromkeys(fall["organisation"].values.tolist() + other["organisation"].values.tolist()))
    keep = ["service_organisation", "service_kind", "service_capacity"]
    a = fall.reindex(service=services, organisation=orgs, fill_value=0)
    b = other.drop_vars(keep).reindex(service=services, organisation=orgs, fill_value=0)
    chosen = xr.DataArray(scaled, dims="replication", coords={"replication": a["replication"]})
    ds = a.copy()
    for name in a.data_vars:
        if "replication" in a[name].dims:
            ds[name] = xr.where(chosen, a[name], b[name], keep_attrs=True)
    ds.attrs = dict(fall.attrs)
    ds.attrs.update({"scenario_name": option, "adaptive": json.dumps({
        "if_fall": if_fall, "if_not": if_not, "months": months, "alpha": alpha,
        "scaled_replications": np.flatnonzero(scaled).tolist()})})
    return Results(ds), Decision(option, if_fall, if_not, review, scaled)


def _check_same_until(a: xr.Dataset, b: xr.Dataset, day: float, option: str, x: str, y: str) -> None:
    ends = a["time"].values + a["bin_days"].values
    bins = np.flatnonzero(ends <= day + 1e-9)
    for name in CHECKED:
        u, v = a[name].isel(time=bins), b[name].isel(time=bins)
        if "service" in u.dims:
            common = [s for s in u["service"].values if s in v["service"].values]
            u, v = u.sel(service=common), v.sel(service=common)
        if not np.array_equal(u.values, v.values):
            raise PlacesimError(f"{option}: {x!r} and {y!r} differ before the review ends (day {day:g}, in "
                                f"{name}); an adaptive option's continuations must be the same scenario until "
                                "then (e.g. the scale-up's new teams start after the review, and the pilot stops "
                                "at it)")
