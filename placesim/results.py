"""Results of a run: an xarray Dataset with summaries a modeller and a planner can read."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
import xarray as xr
import yaml

from ._version import __version__
from .cautions import warn_run
from .display import ReadableFrame, readable_frame
from .errors import PlacesimError
from .io import write_netcdf
from .plan import COUNTERS, Plan, compile_plan
from .plan.clock import DAYS_PER_YEAR
from .plots import ResultsPlots
from .reach import reach_frame, reach_per_replication
from .scenario.assumptions import DATASET_KEY, assumptions_table, assumptions_to_json
from .scenario.model import LEVEL_NAMES
from .scenario.network import INT_PREFIX
from .scenario.scenario import Scenario
from .stats import Interval, mean_interval, ratio
from .warmup import WarmupCheck, check_warmup

TRACE_COLUMNS = ["replication", "time", "event", "service", "resident", "domain", "level", "target"]
"""Columns of the event trace. ``time`` is in days from the end of the warm-up (negative
during it), like the Dataset's ``time``; ``service``, ``resident``, ``domain`` and
``target`` (the service a referral goes to) are indices on the results' axes, -1 where
they do not apply."""


_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def scenario_yaml(scenario: Scenario) -> str:
    """:meth:`Scenario.to_yaml`'s text, written by PyYAML's C emitter where it is built (a
    few times faster: it was a sixth of an SD run's time); the same text either way."""
    return yaml.dump(scenario.to_dict(), Dumper=_DUMPER, sort_keys=False, allow_unicode=True)


def assemble(scenario: Scenario, plan: Plan, outs: list[dict[str, np.ndarray]], seed: int,
             engine: str = "des", provenance: bool = True) -> xr.Dataset:
    """Stack per-replication arrays into the results Dataset (with units and provenance).

    Every variable of :data:`~placesim.plan.COUNTERS` is there; one the engine does not
    fill is NaN. Organisation costs are the services' costs by funding share. Warns
    (:func:`placesim.cautions.warn_run`) of too few replications and of the scenario's own
    warnings. ``provenance=False`` leaves out the scenario's YAML and assumptions table
    (about 20 ms of a Brent run), for a caller that keeps the Scenario itself.
    """
    warn_run(scenario, len(outs), engine)
    m = scenario.model
    axes = plan.axes
    t = m.time
    n_bins = t.n_bins
    starts = np.arange(n_bins) * t.report_every_days
    widths = np.minimum(starts + t.report_every_days, t.horizon_days) - starts
    coords: dict[str, Any] = {
        "replication": np.arange(len(outs)),
        "time": ("time", starts, {"units": "days",
                                  "long_name": "start of the reporting bin, days from the end of the warm-up"}),
        "bin_days": ("time", widths, {"units": "days", "long_name": "width of the reporting bin"}),
        "service": axes.services,
        "service_organisation": ("service", axes.service_organisations),
        "service_kind": ("service", axes.service_kinds),
        "service_capacity": ("service", np.asarray(axes.service_capacity, dtype=float),
                             {"units": "concurrent cases", "long_name": "capacity (inf: unlimited)"}),
        "organisation": axes.organisations,
        "neighbourhood": np.asarray(axes.neighbourhoods, dtype=str),
        "cohort": np.asarray(axes.cohorts, dtype=str),
        "domain": np.asarray(axes.domains, dtype=str),
        "level": np.arange(4),
        "level_name": ("level", list(LEVEL_NAMES)),
    }
    attrs = plan.attributes
    if attrs is not None:  # household attributes: the axis of their values
        coords["attribute_value"] = np.asarray(attrs.values, dtype=str)
        coords["attribute"] = ("attribute_value", np.asarray(attrs.attribute, dtype=str))
        coords["value"] = ("attribute_value", np.asarray(attrs.value, dtype=str))
    if t.start_date is not None:
        base = np.datetime64(t.start_date, "D")
        coords["date"] = ("time", base + starts.astype("timedelta64[D]"))
    sizes = {"replication": len(outs), "time": n_bins, "service": len(axes.services),
             "organisation": len(axes.organisations), "neighbourhood": len(axes.neighbourhoods),
             "cohort": len(axes.cohorts), "domain": len(axes.domains), "level": 4,
             "attribute_value": 0 if attrs is None else len(attrs.values)}
    data: dict[str, Any] = {}
    for name, var in COUNTERS.items():
        if var.attributes and attrs is None:
            continue  # no household attributes: no breakdowns by them
        if name == "organisation_cost_gbp":
            cost, seconded = data["cost_gbp"][1], data["seconded_cost_gbp"][1]
            arr = (np.einsum("rts,so->rto", cost - seconded, axes.cost_shares)
                   + np.einsum("rts,so->rto", seconded, axes.seconded_shares))
        elif engine in var.engines:
            arr = np.stack([o[name] for o in outs])
        else:
            arr = np.full(tuple(sizes[d] for d in var.dims), np.nan)
        data[name] = (var.dims, arr, {"units": var.units, "long_name": var.description})
    ds = xr.Dataset(data, coords=coords)
    ds.attrs.update({
        "title": f"placesim results: {m.name}",
        "scenario_name": m.name,
        "scenario_hash": scenario.hash,
        "scenario_source": scenario.source or "",
        "seed": int(seed),
        "replications": len(outs),
        "engine": engine,
        "placesim_version": __version__,
        "warmup_days": float(t.warmup_days),
        "horizon_days": float(t.horizon_days),
        "report_every_days": float(t.report_every_days),
        "start_date": str(t.start_date) if t.start_date else "",
        "costs_note": "Unit costs are summed at the price years given in the scenario; no uprating is applied "
                      "(an appraisal, placesim.appraise, uprates and discounts them).",
    })
    if provenance:
        ds.attrs["scenario_yaml"] = scenario_yaml(scenario)
        ds.attrs[DATASET_KEY] = assumptions_to_json(assumptions_table(scenario))
    return ds


def int_neighbourhoods(ds: xr.Dataset) -> list[str]:
    """The neighbourhoods where an INT team works in these results (its services ``int:NAME``),
    in the order of the ``neighbourhood`` axis."""
    if "service_kind" not in ds.coords or ds["service_kind"].ndim != 1:
        return []
    teams = {str(s).removeprefix(INT_PREFIX) for s, k in zip(ds["service"].values, ds["service_kind"].values)
             if k == "int" and str(s).startswith(INT_PREFIX)}
    return [str(n) for n in ds["neighbourhood"].values if str(n) in teams]


def area_label(neighbourhood: str) -> str:
    """The summary row of the crises in one neighbourhood where an INT works."""
    return f"crises in {neighbourhood} (INT area)"


def _per_replication(ds: xr.Dataset, areas: list[str] | None = None) -> pd.DataFrame:
    """Headline measures per replication (rows: replication; columns: measure); ``areas`` are
    the neighbourhoods given their own crises row (default: :func:`int_neighbourhoods`)."""
    rows: dict[str, np.ndarray] = {}
    units: dict[str, str] = {}
    if ds.sizes.get("domain", 0) and ds.sizes.get("neighbourhood", 0):
        crises = ds["crises"].sum(("time", "neighbourhood", "cohort"))
        rows["crises"] = crises.sum("domain").values
        units["crises"] = "crises"
        for d in ds["domain"].values:
            rows[f"crises: {d}"] = crises.sel(domain=d).values
            units[f"crises: {d}"] = "crises"
        by_area = ds["crises"].sum(("time", "cohort", "domain"))
        known = [str(n) for n in ds["neighbourhood"].values]
        for nb in int_neighbourhoods(ds) if areas is None else areas:
            if nb not in known:
                raise PlacesimError(f"no neighbourhood {nb!r} in these results; neighbourhoods: {', '.join(known)}")
            rows[area_label(nb)] = by_area.sel(neighbourhood=nb).values
            units[area_label(nb)] = "crises"
        rows["help-seeking presentations"] = ds["help_seeking"].sum(
            ("time", "neighbourhood", "cohort", "domain")).values
        units["help-seeking presentations"] = "presentations"
    svc = ds[["assessments", "turned_away", "handoffs_lost", "abandoned", "exits", "system_days_sum"]].sum(
        ("time", "service"))
    rows["assessments"] = svc["assessments"].values
    if "repeat_assessments" in ds:  # results written before it existed have none
        rows["repeat assessments (told their story again)"] = ds["repeat_assessments"].sum(
            ("time", "service"), skipna=False).values
        units["repeat assessments (told their story again)"] = "assessments"
    rows["turned away"] = svc["turned_away"].values
    rows["hand-offs lost"] = svc["handoffs_lost"].values
    rows["gave up waiting"] = svc["abandoned"].values
    rows["mean time in the service network (days)"] = ratio(svc["system_days_sum"].values, svc["exits"].values)
    units.update({"assessments": "assessments", "turned away": "people", "hand-offs lost": "referrals",
                  "gave up waiting": "people", "mean time in the service network (days)": "days"})
    teams = np.flatnonzero(ds["service_kind"].values == "int") if "place_days" in ds else np.zeros(0, int)
    if teams.size:  # the INT's places: how many were in use while its teams were open
        used = ds["busy_server_days"].isel(service=teams).sum(("time", "service")).values
        open_ = ds["place_days"].isel(service=teams).sum(("time", "service")).values
        rows["INT places in use (mean)"] = used / float(ds["bin_days"].sum())
        rows["INT utilisation (places in use / places open)"] = ratio(used, open_)
        units.update({"INT places in use (mean)": "places", "INT utilisation (places in use / places open)": "share"})
    org = ds["organisation_cost_gbp"].sum("time")
    for o in ds["organisation"].values:
        rows[f"cost: {o}"] = org.sel(organisation=o).values
        units[f"cost: {o}"] = "GBP"
    rows["cost: total"] = org.sum("organisation").values
    units["cost: total"] = "GBP"
    if ds.sizes.get("neighbourhood", 0):
        # skipna=False: the sd engine has no journeys (NaN), which must not sum to 0 episodes
        j = ds[["journeys", "journey_assessments", "journey_handoffs", "journey_days_sum"]].sum(
            ("time", "neighbourhood"), skipna=False)
        rows["need episodes reaching support"] = j["journeys"].values
        rows["assessments per episode, up to support"] = ratio(j["journey_assessments"].values, j["journeys"].values)
        rows["hand-offs per episode, before support"] = ratio(j["journey_handoffs"].values, j["journeys"].values)
        rows["days from first need to support"] = ratio(j["journey_days_sum"].values, j["journeys"].values)
        units.update({"need episodes reaching support": "episodes",
                      "assessments per episode, up to support": "assessments",
                      "hand-offs per episode, before support": "referrals", "days from first need to support": "days"})
        if "need_days" in ds:  # over the whole run, every assessment and hand-off (results before it have none)
            r = ds[["resident_assessments", "resident_handoffs", "need_days"]].sum(
                ("time", "neighbourhood", "cohort"))
            years = r["need_days"].values / DAYS_PER_YEAR
            rows["resident-years in need"] = years
            rows["assessments per resident-year in need"] = ratio(r["resident_assessments"].values, years)
            rows["hand-offs per resident-year in need"] = ratio(r["resident_handoffs"].values, years)
            units.update({"resident-years in need": "years", "assessments per resident-year in need": "assessments",
                          "hand-offs per resident-year in need": "referrals"})
    if teams.size and "assessments_spared" in ds:
        rows["assessments spared by the INT's shared record"] = ds["assessments_spared"].sum(("time", "service")).values
        units["assessments spared by the INT's shared record"] = "assessments"
    frame = pd.DataFrame(rows, index=pd.Index(ds["replication"].values, name="replication"))
    frame.attrs["units"] = units
    return frame


SERVICE_UNITS = {"mean wait (days)": "days", "mean time at service (days)": "days", "utilisation": "share",
                 "mean occupancy": "places", "throughput (per day)": "people per day",
                 "arrivals (per day)": "people per day"}
"""Units of the measures of :meth:`Results.service_summary`."""

def _summarise(per_rep: pd.DataFrame, level: float, interval: Interval) -> ReadableFrame:
    out = []
    for col in per_rep.columns:
        mean, lo, hi = mean_interval(per_rep[col].to_numpy(), level, interval)
        out.append((col, per_rep.attrs.get("units", {}).get(col, ""), mean, lo, hi))
    return readable_frame(pd.DataFrame(out, columns=["measure", "unit", "mean", "lower", "upper"]).set_index("measure"))


class ComparedResults(Protocol):
    """What appraisals and reviews read of scenarios run together (a :class:`placesim.Comparison`):
    each scenario's results, the baseline label, the labels in order, and the combined Dataset."""

    results: dict[str, Results]
    baseline: str

    @property
    def labels(self) -> list[str]: ...

    @property
    def ds(self) -> xr.Dataset: ...


class Results(ResultsPlots):
    """Results of :func:`placesim.simulate`.

    Attributes
    ----------
    ds
        The ``xarray.Dataset``: dimensions ``replication``, ``time``, ``service``,
        ``organisation``, ``neighbourhood``, ``cohort``, ``domain``, ``level``; every
        variable has ``units``; provenance is in ``ds.attrs``.
    trace
        The event log as a DataFrame, if the run asked for one (else None).
    """

    def __init__(self, ds: xr.Dataset, trace: pd.DataFrame | None = None):
        self.ds = ds
        self.trace = trace

    # ------------------------------------------------------------------ basics
    @property
    def name(self) -> str:
        return str(self.ds.attrs.get("scenario_name", ""))

    @property
    def replications(self) -> int:
        return int(self.ds.sizes["replication"])

    @property
    def seed(self) -> int:
        return int(self.ds.attrs["seed"])

    def scenario(self) -> Scenario:
        """The scenario that was run, rebuilt from the provenance text."""
        return Scenario.from_yaml(self.ds.attrs["scenario_yaml"], name=f"<{self.name} provenance>")

    def warmup_check(self, plan: Plan | None = None) -> WarmupCheck:
        """Whether the main outputs are still trending when reporting starts (see
        :mod:`placesim.warmup`); ``plan`` is the plan that ran (default: compiled again from
        the provenance)."""
        return check_warmup(self.ds, plan if plan is not None else compile_plan(self.scenario()))

    def to_netcdf(self, path: str | Path) -> Path:
        """Write the Dataset to NetCDF atomically (a temporary file renamed into place)."""
        return write_netcdf(self.ds, path)

    @classmethod
    def open(cls, path: str | Path) -> Results:
        """Read results written by :meth:`to_netcdf`."""
        with xr.open_dataset(path) as ds:
            return cls(ds.load())

    # ------------------------------------------------------------------ summaries
    def per_replication(self, areas: list[str] | None = None) -> pd.DataFrame:
        """Headline measures, one row per replication (the basis of summaries and comparisons);
        ``areas`` as for :meth:`summary`."""
        return _per_replication(self.ds, areas)

    def summary(self, level: float = 0.9, interval: Interval = "confidence",
                areas: list[str] | None = None) -> ReadableFrame:
        """Crises, costs by organisation and journey figures over the reported horizon.

        Parameters
        ----------
        level
            Interval coverage (default 90 %).
        interval
            ``'confidence'`` (t-interval of the mean across replications) or ``'spread'``
            (central range of the replications).
        areas
            Neighbourhoods whose crises get a row of their own beside the whole place's
            (``crises in NAME (INT area)``); default: those where an INT team works.

        Returns
        -------
        DataFrame indexed by measure with columns ``unit``, ``mean``, ``lower``, ``upper``
        (a :class:`~placesim.display.ReadableFrame`: it displays its figures readably).
        """
        return _summarise(self.per_replication(areas), level, interval)

    def story_summary(self, level: float = 0.9, interval: Interval = "confidence") -> pd.DataFrame:
        """'Telling my story' over the whole run, per neighbourhood and cohort: assessments and
        hand-offs per resident-year in need (every one, not only those up to first support).

        Each is a ratio per replication over the reported horizon (a resident is in need at
        level 1 or above in at least one domain), summarised across replications.

        Returns
        -------
        DataFrame indexed by (neighbourhood, cohort), with columns ``(measure, stat)`` where
        stat is ``mean``, ``lower`` or ``upper``; measures ``resident-years in need``,
        ``assessments per resident-year in need`` and ``hand-offs per resident-year in need``.
        """
        ds = self.ds
        if "need_days" not in ds:
            raise PlacesimError("these results were written before placesim counted residents' assessments "
                                "over the whole run; run the scenario again")
        tot = ds[["resident_assessments", "resident_handoffs", "need_days"]].sum("time")
        years = tot["need_days"].values / DAYS_PER_YEAR
        measures = {"resident-years in need": years,
                    "assessments per resident-year in need": ratio(tot["resident_assessments"].values, years),
                    "hand-offs per resident-year in need": ratio(tot["resident_handoffs"].values, years)}
        rows = []
        for i, nb in enumerate(ds["neighbourhood"].values):
            for j, co in enumerate(ds["cohort"].values):
                row: dict[tuple[str, str], Any] = {}
                for name, arr in measures.items():
                    row[(name, "mean")], row[(name, "lower")], row[(name, "upper")] = mean_interval(
                        arr[:, i, j], level, interval)
                rows.append(pd.Series(row, name=(str(nb), str(co))))
        frame = pd.DataFrame(rows)
        frame.columns = pd.MultiIndex.from_tuples(frame.columns)
        frame.index = pd.MultiIndex.from_tuples(frame.index, names=["neighbourhood", "cohort"])
        frame.attrs["units"] = {"resident-years in need": "years",
                                "assessments per resident-year in need": "assessments",
                                "hand-offs per resident-year in need": "referrals"}
        return readable_frame(frame)

    def reach_summary(self, level: float = 0.9, interval: Interval = "confidence") -> pd.DataFrame:
        """Who is reached, by household attribute value (a scenario with ``attributes:``).

        Per value, over the reported horizon and every neighbourhood: residents, resident-years
        in need, the share of residents the INT supported at least once (the des engine; NaN
        for the sd, which follows no one), INT episodes started, outreach contacts and residents
        found per 1,000 residents, crises per resident-year, and assessments and help-seeking
        per resident-year in need. Each is a ratio per replication, summarised across them.
        Crises averted need a baseline: :meth:`placesim.Comparison.reach_summary`.

        Returns
        -------
        DataFrame indexed by (attribute, value), with columns ``(measure, stat)`` where stat is
        ``mean``, ``lower`` or ``upper``.
        """
        measures = reach_per_replication(self.ds)
        del measures["crises"]
        return reach_frame(self.ds, measures, level, interval)

    def service_summary(self, level: float = 0.9, interval: Interval = "confidence") -> pd.DataFrame:
        """Per service: mean wait, mean time at the service, utilisation and throughput.

        Each is computed per replication over the whole reported horizon (e.g. mean wait =
        total wait of those who started / number who started) and summarised across
        replications with a ``level`` interval.

        Returns
        -------
        DataFrame indexed by service, with columns ``(measure, stat)`` where stat is
        ``mean``, ``lower`` or ``upper``.
        """
        ds = self.ds
        tot = ds[["wait_days_sum", "started", "sojourn_days_sum", "completed", "busy_server_days",
                  "arrivals", "turned_away", "abandoned"]].sum("time")
        horizon = float(ds["bin_days"].sum())
        cap = ds["service_capacity"].values
        # places open (as a team opens, fills its posts or closes; staff seconded away); before
        # place_days was kept: capacity x the horizon
        places = (ds["place_days"].sum("time").values if "place_days" in ds
                  else horizon * np.where(np.isfinite(cap), cap, 1.0))
        places = np.where(np.isfinite(places) & (places > 0), places, np.nan)
        measures = {
            ("mean wait (days)"): ratio(tot["wait_days_sum"].values, tot["started"].values),
            ("mean time at service (days)"): ratio(tot["sojourn_days_sum"].values, tot["completed"].values),
            ("utilisation"): np.where(np.isfinite(cap), tot["busy_server_days"].values / places, np.nan),
            ("mean occupancy"): tot["busy_server_days"].values / horizon,
            ("throughput (per day)"): tot["completed"].values / horizon,
            ("arrivals (per day)"): tot["arrivals"].values / horizon,
        }
        rows = []
        for j, s in enumerate(ds["service"].values):
            row: dict[tuple[str, str], Any] = {("organisation", ""): str(ds["service_organisation"].values[j])}
            for name, arr in measures.items():
                mean, lo, hi = mean_interval(arr[:, j], level, interval)
                row[(name, "mean")] = mean
                row[(name, "lower")] = lo
                row[(name, "upper")] = hi
            rows.append(pd.Series(row, name=str(s)))
        frame = pd.DataFrame(rows)
        frame.columns = pd.MultiIndex.from_tuples(frame.columns)
        frame.index.name = "service"
        frame.attrs["units"] = SERVICE_UNITS
        return readable_frame(frame)

    # ------------------------------------------------------------------ display
    def __repr__(self) -> str:
        ds = self.ds
        return (f"Results({self.name!r}: {self.replications} replications x {ds.sizes['time']} bins of "
                f"{ds.attrs.get('report_every_days', 0):g} days, seed {self.seed}, engine {ds.attrs.get('engine')})")

    def _repr_html_(self) -> str:
        head = f"<p><b>{html.escape(repr(self))}</b></p>"
        return head + self.summary()._repr_html_()


def trace_frame(traces: list[list | None], warmup: float) -> pd.DataFrame | None:
    """Event logs of the replications as one DataFrame (see :data:`TRACE_COLUMNS`)."""
    if all(t is None for t in traces):
        return None
    rows = []
    for r, tr in enumerate(traces):
        for ev in tr or []:
            rows.append((r,) + tuple(ev))
    frame = pd.DataFrame(rows, columns=TRACE_COLUMNS)
    frame["time"] -= warmup
    return frame


