"""Figures of results and comparisons: time series with interval bands, paired differences
and journey bar charts.

Every figure function takes a results Dataset (``Results.ds``, or ``Comparison.ds`` with its
leading ``scenario`` dimension) and returns a matplotlib ``Figure``; :class:`ResultsPlots`
and :class:`ComparisonPlots` give them as ``.plot_...()`` methods. The x axis is always
months from the start of reporting (days / 30.4375; the calendar start date, if the
scenario has one, is in the axis label). Flows (crises, costs, ...) are shown as rates per
month at the middle of each reporting bin, so a shorter last bin does not look like a
drop; stocks and cumulative totals are shown at the end of each bin.

matplotlib is imported only when a figure is drawn, and pyplot's backend is never changed
(inline in a notebook, Agg without a display).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from itertools import product
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd
import xarray as xr
from scipy import stats

from ..errors import PlacesimError
from ..stats import Interval

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

DAYS_PER_MONTH = 30.4375
"""Days in an average month (365.25 / 12): the unit of the time axis and of the rates."""

STOCKS = frozenset({"in_system", "residents"})
"""Variables that are counts at the end of a bin (not flows during it)."""

JOURNEY_MEASURES: dict[str, tuple[str, str, str]] = {
    "told_story": ("journey_assessments", "Times told my story", "assessments per episode"),
    "handoffs": ("journey_handoffs", "Hand-offs before support", "referrals per episode"),
    "days": ("journey_days_sum", "Days from first need to support", "days per episode"),
}
"""Journey measure -> (numerator variable, title, y label); the denominator is ``journeys``."""

_TITLES = {"crises": "Crises", "help_seeking": "Help-seeking presentations", "cost_gbp": "Cost",
           "organisation_cost_gbp": "Cost"}


# ---------------------------------------------------------------------- numbers
def band(da: xr.DataArray, dim: str = "replication", level: float = 0.9,
         interval: Interval = "confidence") -> xr.Dataset:
    """Mean and interval across ``dim``, elementwise (vectorised :func:`placesim.stats.mean_interval`).

    Parameters
    ----------
    da
        Values with a ``dim`` dimension (NaNs are dropped, element by element).
    dim, level, interval
        As for :func:`~placesim.stats.mean_interval`: ``'confidence'`` is the Student-t
        interval of the mean, ``'spread'`` the central ``level`` share of the values.

    Returns
    -------
    Dataset with ``mean``, ``lower``, ``upper`` (``dim`` removed); the bounds are NaN where
    fewer than two values are present.
    """
    da = da.astype(float)
    n = da.notnull().sum(dim)
    mean = da.mean(dim, skipna=True).where(n > 0)
    if interval == "spread":
        with warnings.catch_warnings():  # all-NaN elements give NaN, as intended
            warnings.simplefilter("ignore", RuntimeWarning)
            q = da.quantile([(1 - level) / 2, (1 + level) / 2], dim=dim, skipna=True).where(n >= 2)
        lower, upper = q.isel(quantile=0, drop=True), q.isel(quantile=1, drop=True)
    elif interval == "confidence":
        sd = da.std(dim, ddof=1, skipna=True)
        t = xr.apply_ufunc(lambda k: stats.t.ppf((1 + level) / 2, np.maximum(k - 1, 1)), n)
        half = (t * sd / np.sqrt(n.where(n >= 2))).where(n >= 2)
        lower, upper = mean - half, mean + half
    else:
        raise PlacesimError(f"interval must be 'confidence' or 'spread', got {interval!r}")
    return xr.Dataset({"mean": mean, "lower": lower, "upper": upper})


def time_series(ds: xr.Dataset, measure: str, by: str | None = None, neighbourhood: str | None = None,
                cumulative: bool = False) -> xr.DataArray:
    """One measure per replication and reporting bin, summed over every dimension but ``by``.

    Parameters
    ----------
    ds
        Results (or comparison) Dataset.
    measure
        A variable with ``replication`` and ``time`` dimensions, e.g. ``'crises'``,
        ``'help_seeking'``, ``'cost_gbp'``, ``'organisation_cost_gbp'``, ``'started'``,
        ``'in_system'``.
    by
        A dimension of the variable to keep (``'domain'``, ``'neighbourhood'``,
        ``'organisation'``, ``'service'``, ...), or None for the total.
    neighbourhood
        Keep one neighbourhood only.
    cumulative
        Running total from the start of reporting instead of a rate per month.

    Returns
    -------
    DataArray with dims (``scenario``, ``by``, ``replication``, ``time``), those present:
    per month for flows, at the end of the bin for stocks and cumulative totals.
    """
    if measure not in ds.data_vars or not {"replication", "time"} <= set(ds[measure].dims):
        options = [str(v) for v in ds.data_vars
                   if {"replication", "time"} <= set(ds[v].dims) and not str(v).endswith("_sum")]
        raise PlacesimError(f"{measure!r} is not a measure over time; choose one of {', '.join(options)}")
    if measure.endswith("_sum"):
        raise PlacesimError(f"{measure!r} is a sum of durations; plot it as a mean (e.g. service_summary)")
    da = ds[measure]
    if neighbourhood is not None:
        if "neighbourhood" not in da.dims:
            raise PlacesimError(f"{measure!r} is not kept by neighbourhood")
        if neighbourhood not in ds["neighbourhood"].values.tolist():
            raise PlacesimError(f"no neighbourhood {neighbourhood!r}; the run has "
                                f"{', '.join(map(str, ds['neighbourhood'].values)) or 'none'}")
        da = da.sel(neighbourhood=neighbourhood)
    if by is not None and by not in da.dims:
        extra = [str(d) for d in da.dims if d not in ("scenario", "replication", "time")]
        choices = ", ".join(extra) or "none"
        raise PlacesimError(f"{measure!r} cannot be split by {by!r}; choose one of {choices} or None")
    empty = [d for d in da.dims if da.sizes[d] == 0]
    if empty:
        raise PlacesimError(f"this run has no {empty[0]} values, so {measure!r} is empty "
                            "(a scenario without neighbourhoods has no residents, crises or journeys)")
    keep = {"scenario", "replication", "time", by}
    da = da.sum([d for d in da.dims if d not in keep], skipna=False)
    if cumulative:
        if measure in STOCKS:
            raise PlacesimError(f"{measure!r} is a count at the end of each bin; it has no cumulative total")
        da = da.cumsum("time", skipna=False)
    elif measure not in STOCKS:
        da = da / ds["bin_days"] * DAYS_PER_MONTH
    order = [d for d in ("scenario", by, "replication", "time") if d is not None and d in da.dims]
    return da.transpose(*order).assign_attrs(units=ds[measure].attrs.get("units", ""))


def journey_ratios(ds: xr.Dataset) -> xr.Dataset:
    """Journey measures per replication and neighbourhood (and ``'all'``) over the horizon.

    Returns
    -------
    Dataset with one variable per key of :data:`JOURNEY_MEASURES`, dims (``scenario``,)
    ``replication``, ``neighbourhood``; NaN where no episode reached support (and
    everywhere for the sd engine, which does not follow individuals).
    """
    if ds.sizes.get("neighbourhood", 0) == 0:
        raise PlacesimError("this run has no neighbourhoods, so no journeys")
    names = ["journeys"] + [v for v, _, _ in JOURNEY_MEASURES.values()]
    per = ds[names].sum("time", skipna=False)
    total = per.sum("neighbourhood", skipna=False).expand_dims(neighbourhood=["all"])
    per = xr.concat([per.assign_coords(neighbourhood=per["neighbourhood"].astype(object)),
                     total.assign_coords(neighbourhood=np.array(["all"], dtype=object))], "neighbourhood")
    den = per["journeys"].where(per["journeys"] != 0)
    return xr.Dataset({key: per[var] / den for key, (var, _, _) in JOURNEY_MEASURES.items()})


# ---------------------------------------------------------------------- drawing helpers
def _axes(ax: Axes | None, figsize: tuple[float, float] = (7.5, 4.0)) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax  # type: ignore[return-value]
    import matplotlib.pyplot as plt  # the session's backend: inline in a notebook, Agg without a display

    fig, new = plt.subplots(figsize=figsize, layout="constrained")
    return fig, new


def months(ds: xr.Dataset, where: str = "mid") -> np.ndarray:
    """x positions of the bins in months from the start of reporting (``'start'``, ``'mid'`` or ``'end'``)."""
    frac = {"start": 0.0, "mid": 0.5, "end": 1.0}[where]
    return (ds["time"].values + frac * ds["bin_days"].values) / DAYS_PER_MONTH


def _xlabel(ds: xr.Dataset) -> str:
    label = "months from the start of reporting"
    if "date" in ds.coords and ds.sizes.get("time", 0):
        start = pd.Timestamp(ds["date"].values[0])
        label += f" ({start.day} {start:%b %Y})"
    return label


def _note(ds: xr.Dataset, level: float, interval: Interval, what: str = "mean") -> str:
    n = int(ds.sizes["replication"])
    if n < 2:
        return f"{what} of {n} replication (no interval)"
    if interval == "spread":
        return f"{what} of {n} replications; band: central {level:.0%} of replications"
    return f"{what} of {n} replications with its {level:.0%} confidence interval"


def _ylabel(units: str, measure: str, cumulative: bool, prefix: str = "") -> str:
    if cumulative:
        return f"{prefix}{units}, cumulative"
    if measure in STOCKS:
        return f"{prefix}{units} at the end of the bin"
    return f"{prefix}{units} per month"


def _labelled(da: xr.DataArray) -> list[tuple[str, xr.DataArray]]:
    """Split along every dimension but replication and time, with a readable label each."""
    dims = [d for d in da.dims if d not in ("replication", "time")]
    if not dims:
        return [("all", da)]
    out = []
    for values in product(*(da[d].values.tolist() for d in dims)):
        out.append((": ".join(map(str, values)), da.sel(dict(zip(dims, values)))))
    return out


def _draw_bands(ax: Axes, x: np.ndarray, da: xr.DataArray, level: float, interval: Interval) -> None:
    """One line (mean) and one shaded band per series of ``da``."""
    for i, (label, one) in enumerate(_labelled(da)):
        b = band(one, level=level, interval=interval)
        color = f"C{i % 10}"
        ax.fill_between(x, b["lower"].values, b["upper"].values, color=color, alpha=0.25, lw=0)
        ax.plot(x, b["mean"].values, color=color, lw=1.6, label=label)


def _finish(ax: Axes, ds: xr.Dataset, title: str, note: str, ylabel: str, units: str,
            legend_title: str | None, n_series: int, legend: bool = False) -> None:
    ax.set_title(f"{title}\n{note}", fontsize=10)
    ax.set_xlabel(_xlabel(ds))
    ax.set_ylabel(ylabel)
    if units == "GBP":
        from matplotlib.ticker import FuncFormatter

        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if abs(v) >= 100 else f"{v:g}"))
    if n_series > 1 or legend:
        ax.legend(title=legend_title, fontsize=8, title_fontsize=8, frameon=False)


def _run_name(ds: xr.Dataset) -> str:
    name = ds.attrs.get("scenario_name", "")
    return f": {name}" if name and "scenario" not in ds.dims else ""


# ---------------------------------------------------------------------- figures
def measure_figure(ds: xr.Dataset, measure: str, by: str | None = None, *, neighbourhood: str | None = None,
                   cumulative: bool = False, level: float = 0.9, interval: Interval = "confidence",
                   ax: Axes | None = None, title: str | None = None) -> Figure:
    """Any measure over time: one line per scenario (and ``by`` group) with its band.

    Parameters
    ----------
    ds
        Results or comparison Dataset.
    measure, by, neighbourhood, cumulative
        As for :func:`time_series`.
    level, interval
        Band coverage and kind (as for :func:`band`).
    ax
        Axes to draw into (default: a new figure).
    title
        Overrides the default title.

    Returns
    -------
    matplotlib Figure.
    """
    da = time_series(ds, measure, by=by, neighbourhood=neighbourhood, cumulative=cumulative)
    fig, ax = _axes(ax)
    stock = cumulative or measure in STOCKS
    _draw_bands(ax, months(ds, "end" if stock else "mid"), da, level, interval)
    units = str(da.attrs.get("units", ""))
    split = [str(d) for d in da.dims if d not in ("replication", "time")]
    if title is None:
        what = _TITLES.get(measure, measure.replace("_", " ").capitalize())
        title = what + (" by " + by if by else "") + (f" in {neighbourhood}" if neighbourhood else "") + _run_name(ds)
    _finish(ax, ds, title, _note(ds, level, interval), _ylabel(units, measure, cumulative), units,
            " / ".join(split) or None, len(_labelled(da)))
    if not (da < 0).any():
        ax.set_ylim(bottom=0, top=None if (da > 0).any() else 1.0)
    return fig


def crises_figure(ds: xr.Dataset, by: str | None = "domain", *, neighbourhood: str | None = None,
                  level: float = 0.9, interval: Interval = "confidence", ax: Axes | None = None) -> Figure:
    """Crises per month, by ``'domain'``, ``'neighbourhood'``, ``'cohort'`` or in total (None)."""
    return measure_figure(ds, "crises", by, neighbourhood=neighbourhood, level=level, interval=interval, ax=ax)


def costs_figure(ds: xr.Dataset, by: str | None = "organisation", *, cumulative: bool = False,
                 level: float = 0.9, interval: Interval = "confidence", ax: Axes | None = None) -> Figure:
    """Cost per month (or cumulative), by ``'organisation'`` (who pays), ``'service'`` or in total (None)."""
    measure = "organisation_cost_gbp" if by == "organisation" else "cost_gbp"
    return measure_figure(ds, measure, by, cumulative=cumulative, level=level, interval=interval, ax=ax)


def differences_figure(ds: xr.Dataset, measure: str = "crises", baseline: str | None = None, *,
                       by: str | None = None, neighbourhood: str | None = None, cumulative: bool = False,
                       level: float = 0.9, interval: Interval = "confidence", ax: Axes | None = None
                       ) -> Figure:
    """Paired differences over time: each scenario minus the baseline, replication by replication.

    Replication ``r`` of every scenario shares its random streams, so the difference is
    taken per replication first and the band is of the mean difference (much narrower than
    the two scenarios' own bands). A scenario compared with itself differs by exactly zero.

    Parameters
    ----------
    ds
        Comparison Dataset (with a ``scenario`` dimension).
    measure, by, neighbourhood, cumulative
        As for :func:`time_series`.
    baseline
        Scenario to subtract (default: the Dataset's ``baseline`` attribute, else the first).
    level, interval, ax
        As for :func:`measure_figure`.

    Returns
    -------
    matplotlib Figure.
    """
    if "scenario" not in ds.dims:
        raise PlacesimError("differences need a comparison (a Dataset with a scenario dimension)")
    labels = [str(s) for s in ds["scenario"].values.tolist()]
    base = baseline or ds.attrs.get("baseline") or labels[0]
    if base not in labels:
        raise PlacesimError(f"baseline {base!r} is not one of {', '.join(labels)}")
    others = [s for s in labels if s != base]
    if not others:
        raise PlacesimError("a comparison of one scenario has no differences to plot")
    da = time_series(ds, measure, by=by, neighbourhood=neighbourhood, cumulative=cumulative)
    diff = (da.sel(scenario=others) - da.sel(scenario=base)).assign_coords(
        scenario=[f"{s} \u2212 {base}" for s in others])
    fig, ax = _axes(ax)
    ax.axhline(0.0, color="grey", lw=0.8, ls="--")
    stock = cumulative or measure in STOCKS
    _draw_bands(ax, months(ds, "end" if stock else "mid"), diff, level, interval)
    units = str(da.attrs.get("units", ""))
    what = _TITLES.get(measure, measure.replace("_", " ").capitalize())
    title = (f"{what}{' by ' + by if by else ''}{' in ' + neighbourhood if neighbourhood else ''}: "
             f"difference from {base}")
    note = _note(ds, level, interval, "paired difference, mean").replace("replications", "paired replications")
    _finish(ax, ds, title, note, _ylabel(units, measure, cumulative, "difference in "), units,
            None, len(_labelled(diff)), legend=True)
    return fig


def journeys_figure(ds: xr.Dataset, measures: Sequence[str] | None = None, *, level: float = 0.9,
                    interval: Interval = "confidence", ax: Axes | Sequence[Axes] | None = None) -> Figure:
    """Journeys to first support per neighbourhood (and all): bars with intervals, one per scenario.

    Parameters
    ----------
    ds
        Results or comparison Dataset.
    measures
        Keys of :data:`JOURNEY_MEASURES` (default: all three: times told my story,
        hand-offs before support, days from first need to support), one panel each.
    level, interval
        As for :func:`band`; each replication's ratio is over the whole horizon.
    ax
        One Axes per measure (a single Axes if one measure), default: a new figure.

    Returns
    -------
    matplotlib Figure. Panels without journey data (the sd engine) say so instead of bars.
    """
    keys = list(measures or JOURNEY_MEASURES)
    unknown = [k for k in keys if k not in JOURNEY_MEASURES]
    if unknown:
        raise PlacesimError(f"unknown journey measure {unknown[0]!r}; choose from {', '.join(JOURNEY_MEASURES)}")
    ratios = journey_ratios(ds)
    if ax is None:
        import matplotlib.pyplot as plt

        fig, grid = plt.subplots(1, len(keys), figsize=(3.8 * len(keys), 3.6), layout="constrained", squeeze=False)
        axes: list[Any] = list(grid[0])
    else:
        many = isinstance(ax, Sequence) or isinstance(ax, np.ndarray)
        axes = list(np.ravel(cast(Any, ax))) if many else [ax]
        if len(axes) != len(keys):
            raise PlacesimError(f"give one Axes per journey measure ({len(keys)}), got {len(axes)}")
        fig = axes[0].figure
    scenarios = [str(s) for s in ds["scenario"].values.tolist()] if "scenario" in ds.dims else [None]
    places = [str(p) for p in ratios["neighbourhood"].values.tolist()]
    x = np.arange(len(places))
    width = 0.8 / len(scenarios)
    for a, key in zip(axes, keys):
        _, title, ylabel = JOURNEY_MEASURES[key]
        b = band(ratios[key], level=level, interval=interval)
        a.set_title(title, fontsize=10)
        a.set_ylabel(ylabel)
        a.set_xlabel("neighbourhood")
        a.set_xticks(x, places)
        a.set_xlim(-0.5, len(places) - 0.5)
        if b["mean"].isnull().all():
            why = ("the sd engine does not follow individuals" if ds.attrs.get("engine") == "sd"
                   else "no need episode reached support")
            a.text(0.5, 0.5, f"no journey data\n({why})", ha="center", va="center", transform=a.transAxes,
                   fontsize=9, color="grey")
            continue
        for i, s in enumerate(scenarios):
            one = b if s is None else b.sel(scenario=s)
            mean, lo, hi = (one[k].values.astype(float) for k in ("mean", "lower", "upper"))
            err = np.vstack([mean - lo, hi - mean])
            a.bar(x - 0.4 + width * (i + 0.5), mean, width, color=f"C{i % 10}", label=s or "mean", yerr=err,
                  capsize=3,
                  error_kw={"lw": 1, "ecolor": "black"})
        a.set_ylim(bottom=0)
    if scenarios[0] is not None and len(scenarios) > 1:
        axes[0].legend(fontsize=8, frameon=False)
    if ax is None:
        fig.suptitle(f"Journeys to first support{_run_name(ds)}\n{_note(ds, level, interval)}", fontsize=10)
    return fig
