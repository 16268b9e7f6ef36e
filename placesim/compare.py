"""Comparing scenarios with common random numbers and paired differences."""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from .appraisal import appraise
from .display import readable_frame
from .errors import PlacesimError
from .io import write_netcdf
from .plots import ComparisonPlots
from .reach import reach_frame, reach_per_replication
from .results import Results, int_neighbourhoods
from .run import Checkpoint, Executor, run_scenarios
from .scenario.scenario import Scenario
from .stats import Interval, mean_interval

_SERVICE_COORDS = ("service_organisation", "service_kind", "service_capacity")


def combine(results: Mapping[str, Results]) -> xr.Dataset:
    """One Dataset with a ``scenario`` dimension.

    Services and organisations are unioned: a service or organisation absent from a
    scenario has zero activity and cost there. A service's organisation, kind and capacity
    may differ between scenarios (an INT team works one day a week in one and five in
    another), so they become ``(scenario, service)`` coordinates; absent services have an
    empty organisation and kind and a NaN capacity.
    """
    names = list(results)
    datasets = [results[n].ds for n in names]
    services: list[str] = []
    orgs: list[str] = []
    for ds in datasets:
        services += [s for s in ds["service"].values.tolist() if s not in services]
        orgs += [o for o in ds["organisation"].values.tolist() if o not in orgs]
    aligned = []
    per_scenario: dict[str, list[list[object]]] = {c: [] for c in _SERVICE_COORDS}
    for ds in datasets:
        here = ds["service"].values.tolist()
        for c in _SERVICE_COORDS:
            values = dict(zip(here, ds[c].values.tolist()))
            missing = np.nan if c == "service_capacity" else ""
            per_scenario[c].append([values.get(s, missing) for s in services])
        core = ds.drop_vars(list(_SERVICE_COORDS)).reindex(service=services, organisation=orgs, fill_value=0)
        core.attrs = {}
        aligned.append(core)
    out = xr.concat(aligned, dim=pd.Index(names, name="scenario"), join="exact", coords="minimal",
                    compat="override", combine_attrs="drop")
    for c in _SERVICE_COORDS:
        out = out.assign_coords({c: (("scenario", "service"), np.asarray(per_scenario[c]))})
        out[c].attrs = dict(datasets[0][c].attrs)
    for key in ("scenario_hash", "scenario_yaml", "scenario_name", "scenario_source", "scenario_assumptions"):
        out[key] = ("scenario", [str(results[n].ds.attrs.get(key, "")) for n in names])
    first = datasets[0].attrs
    out.attrs.update({k: first[k] for k in ("seed", "replications", "engine", "placesim_version", "warmup_days",
                                             "horizon_days", "report_every_days", "start_date", "costs_note")
                      if k in first})
    out.attrs["title"] = "placesim comparison: " + ", ".join(names)
    out.attrs["baseline"] = names[0]
    for var in datasets[0].data_vars:
        out[var].attrs = dict(datasets[0][var].attrs)
    return out


def readable_names(names: dict[str, str]) -> dict[str, str]:
    """Each label's name for people to read: the name given, with the label added in brackets
    where several labels share a name; the label where the name is empty."""
    names = {label: n.strip() or label for label, n in names.items()}
    shared = {n for n in names.values() if list(names.values()).count(n) > 1}
    return {label: f"{n} ({label})" if n in shared and n != label else n for label, n in names.items()}


class Comparison(ComparisonPlots):
    """Scenarios run with the same seed and replications (common random numbers).

    Attributes
    ----------
    results
        The :class:`Results` of each scenario, by label.
    baseline
        Label differences are taken against (the first, unless given).
    """

    def __init__(self, results: Mapping[str, Results], baseline: str | None = None):
        if not results:
            raise PlacesimError("a comparison needs at least one scenario")
        self.results = dict(results)
        self.baseline = baseline or next(iter(self.results))
        if self.baseline not in self.results:
            raise PlacesimError(f"baseline {self.baseline!r} is not one of {', '.join(self.results)}")
        self._ds: xr.Dataset | None = None

    @property
    def ds(self) -> xr.Dataset:
        """All results in one Dataset with a ``scenario`` dimension."""
        if self._ds is None:
            self._ds = combine(self.results)
        return self._ds

    @property
    def labels(self) -> list[str]:
        return list(self.results)

    @property
    def names(self) -> dict[str, str]:
        """Each label's name for people to read: its scenario's name, with the label added
        in brackets where several scenarios share a name; the label where there is none."""
        return readable_names({label: r.name for label, r in self.results.items()})

    @property
    def int_areas(self) -> list[str]:
        """Neighbourhoods where an INT team works in any of the scenarios: each gets a crises
        row in :meth:`summary` and :meth:`differences`, in every scenario."""
        found = {nb for r in self.results.values() for nb in int_neighbourhoods(r.ds)}
        first = next(iter(self.results.values())).ds
        return [str(n) for n in first["neighbourhood"].values if str(n) in found]

    def per_replication(self) -> dict[str, pd.DataFrame]:
        """Each scenario's headline measures, one row per replication, on the same measures
        (an organisation absent from a scenario costs 0 there)."""
        areas = self.int_areas
        frames = {k: r.per_replication(areas) for k, r in self.results.items()}
        columns: list[str] = []
        units: dict[str, str] = {}
        for f in frames.values():
            for c in f.columns:
                if c not in columns:
                    columns.append(c)
            units.update(f.attrs.get("units", {}))
        out = {}
        for k, f in frames.items():
            g = f.reindex(columns=columns)
            cost_cols = [c for c in columns if c.startswith("cost: ")]
            g[cost_cols] = g[cost_cols].fillna(0.0)
            g.attrs["units"] = units
            out[k] = g
        return out

    def differences(self, baseline: str | None = None, level: float = 0.9,
                    interval: Interval = "confidence") -> pd.DataFrame:
        """Paired differences (scenario minus baseline) of every headline measure.

        Replication ``r`` of every scenario uses the same random streams, so the difference
        is taken replication by replication; the interval is of the mean difference. A
        scenario compared with itself differs by exactly zero.

        Returns
        -------
        DataFrame indexed by (scenario, measure) with ``unit``, ``mean``, ``lower``, ``upper``.
        """
        base = baseline or self.baseline
        per = self.per_replication()
        if base not in per:
            raise PlacesimError(f"baseline {base!r} is not one of {', '.join(per)}")
        rows = []
        b = per[base]
        units = b.attrs.get("units", {})
        for label, f in per.items():
            if label == base:
                continue
            for col in f.columns:
                diff = f[col].to_numpy() - b[col].to_numpy()
                mean, lo, hi = mean_interval(diff, level, interval)
                rows.append((label, col, units.get(col, ""), mean, lo, hi))
        return readable_frame(pd.DataFrame(rows, columns=["scenario", "measure", "unit", "mean", "lower", "upper"]
                                           ).set_index(["scenario", "measure"]))

    def summary(self, level: float = 0.9, interval: Interval = "confidence") -> pd.DataFrame:
        """Each scenario's mean and interval, and each difference from the baseline.

        Returns
        -------
        DataFrame indexed by measure; columns ``(label, stat)`` for every scenario and
        ``(label - baseline, stat)`` for every difference, with stat ``mean``, ``lower``,
        ``upper``.
        """
        per = self.per_replication()
        first = next(iter(per.values()))
        units = first.attrs.get("units", {})
        table: dict[tuple[str, str], list[float]] = {}
        measures = list(first.columns)
        table[("unit", "")] = [units.get(m, "") for m in measures]
        for label, f in per.items():
            stats = [mean_interval(f[m].to_numpy(), level, interval) for m in measures]
            for i, stat in enumerate(("mean", "lower", "upper")):
                table[(label, stat)] = [s[i] for s in stats]
        diffs = self.differences(level=level, interval=interval)
        for label in per:
            if label == self.baseline:
                continue
            key = f"{label} - {self.baseline}"
            for stat in ("mean", "lower", "upper"):
                table[(key, stat)] = [diffs.loc[(label, m), stat] for m in measures]
        frame = pd.DataFrame(table, index=pd.Index(measures, name="measure"))
        frame.columns = pd.MultiIndex.from_tuples(frame.columns)
        return readable_frame(frame)

    def reach_summary(self, baseline: str | None = None, level: float = 0.9,
                      interval: Interval = "confidence") -> pd.DataFrame:
        """Who is reached, by household attribute value, in every scenario, with the crises each
        averts against the baseline (paired by replication).

        Returns
        -------
        DataFrame indexed by (scenario, attribute, value), with the measures of
        :meth:`placesim.Results.reach_summary` and ``crises averted`` (baseline minus scenario,
        over the horizon) and ``crises averted per 1,000 residents`` as columns
        ``(measure, stat)``.
        """
        base = baseline or self.baseline
        if base not in self.results:
            raise PlacesimError(f"baseline {base!r} is not one of {', '.join(self.results)}")
        b = reach_per_replication(self.results[base].ds)
        frames = []
        for label, r in self.results.items():
            m = reach_per_replication(r.ds)
            averted = b["crises"] - m.pop("crises")
            m["crises averted"] = averted
            m["crises averted per 1,000 residents"] = averted * 1000.0 / np.where(m["residents"] > 0, m["residents"],
                                                                                 np.nan)
            f = reach_frame(r.ds, m, level, interval)
            f.index = pd.MultiIndex.from_tuples([(label,) + k for k in f.index], names=["scenario", "attribute",
                                                                                        "value"])
            frames.append(f)
        out = pd.concat(frames)
        out.attrs = dict(frames[0].attrs) if frames else {}
        return readable_frame(out)

    def appraise(self, **kwargs):
        """Appraise every other scenario against the baseline (see :func:`placesim.appraise`)."""
        return appraise(self, **kwargs)

    def to_netcdf(self, path: str | Path) -> Path:
        """Write the combined Dataset to NetCDF atomically."""
        return write_netcdf(self.ds, path)

    @classmethod
    def open(cls, path: str | Path) -> Comparison:
        """Read a comparison written by :meth:`to_netcdf`."""
        with xr.open_dataset(path) as ds:
            ds = ds.load()
        if "scenario" not in ds.dims:
            raise PlacesimError(f"{path} holds a single run, not a comparison; open it with placesim.open_results")
        return cls(split(ds), baseline=ds.attrs.get("baseline"))

    def __repr__(self) -> str:
        r = next(iter(self.results.values()))
        return (f"Comparison({', '.join(self.labels)}; baseline {self.baseline!r}; "
                f"{r.replications} replications, seed {r.seed})")

    def _repr_html_(self) -> str:
        return f"<p><b>{html.escape(repr(self))}</b></p>" + self.summary()._repr_html_()


def split(ds: xr.Dataset) -> dict[str, Results]:
    """Per-scenario Results from a combined Dataset."""
    out = {}
    for label in ds["scenario"].values.tolist():
        one = ds.sel(scenario=label).drop_vars("scenario")
        one = one.isel(service=np.flatnonzero(one["service_kind"].values != ""))  # services it does not have
        attrs = {k: v for k, v in ds.attrs.items() if k not in ("title", "baseline")}
        for key in ("scenario_hash", "scenario_yaml", "scenario_name", "scenario_source", "scenario_assumptions"):
            attrs[key] = str(one[key].values)
            one = one.drop_vars(key)
        one.attrs = attrs
        out[str(label)] = Results(one)
    return out


def compare(scenarios: Mapping[str, Scenario | str | Path], replications: int = 10, seed: int | None = None, *,
            baseline: str | None = None, executor: str | Executor = "serial", workers: int | None = None,
            progress: bool = False, trace: bool = False, engine: str = "des", scheduler: str | None = None,
            checkpoint: str | Path | Checkpoint | None = None, resume: bool = False) -> Comparison:
    """Run scenarios with common random numbers and compare them.

    Parameters
    ----------
    scenarios
        Label -> scenario (or path), e.g. ``{"siloed": a, "int": b}``; the first is the
        baseline unless ``baseline`` is given.
    replications, seed, executor, workers, progress, trace, engine, scheduler, checkpoint, resume
        As for :func:`placesim.simulate`; every scenario gets the same seed, so
        replication ``r`` of each shares its random streams. With ``engine='sd'`` each
        scenario is one deterministic run and the differences are exact (no intervals).

    Returns
    -------
    Comparison
    """
    if not isinstance(scenarios, Mapping) or not scenarios:
        raise PlacesimError("compare needs a mapping of labels to scenarios, e.g. {'siloed': a, 'int': b}")
    results = run_scenarios(scenarios, replications, seed, executor=executor, workers=workers, progress=progress,
                            trace=trace, engine=engine, label="compare " + " vs ".join(str(k) for k in scenarios),
                            scheduler=scheduler, checkpoint=checkpoint, resume=resume)
    return Comparison(results, baseline)


def open_results(path: str | Path) -> Results | Comparison:
    """Open a results file: a :class:`Results`, or a :class:`Comparison` if it holds several scenarios."""
    with xr.open_dataset(path) as ds:
        is_comparison = "scenario" in ds.dims
    return Comparison.open(path) if is_comparison else Results.open(path)
