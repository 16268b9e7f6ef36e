"""Run a back-test case and compare its results with the pinned ones."""

from __future__ import annotations

import hashlib

import numpy as np
import xarray as xr

import placesim as ps

from .cases import CASES, PINS, SEED, Case

IGNORED_ATTRS = ("placesim_version", "scenario_source")
"""Dataset attributes that may change without the results changing (the version; the
scenario file's path, which depends on where the project is checked out)."""
SCENARIO_ATTRS = ("scenario_hash", "scenario_yaml")
"""Provenance of the scenario: compared as the scenario it describes (see :func:`differences`)."""


def trace_digest(trace) -> str:
    """SHA-256 of the event trace, row by row (times to 1e-9 days)."""
    h = hashlib.sha256()
    for row in trace.itertuples(index=False):
        r, t, event, service, resident, domain, level, target = row
        h.update(f"{r:d}|{t:.9f}|{event}|{service:d}|{resident:d}|{domain:d}|{level:d}|{target:d}\n".encode())
    return h.hexdigest()


def run_case(case: Case) -> xr.Dataset:
    """The results Dataset of a case (with the trace's digest and length as attributes)."""
    scenario = ps.load_scenario(case.path)
    if case.overrides:
        scenario = scenario.with_overrides(case.overrides)
    results = ps.simulate(scenario, replications=case.replications, seed=SEED, engine=case.engine,
                          trace=case.trace)
    ds = results.ds.copy()
    if case.trace:
        ds.attrs["trace_sha256"] = trace_digest(results.trace)
        ds.attrs["trace_events"] = len(results.trace)
    return ds


def pin_path(name: str):
    return PINS / f"{name}.nc"


def differences(name: str, got: xr.Dataset, pinned: xr.Dataset) -> list[str]:
    """Every way ``got`` differs from ``pinned`` (empty if they agree)."""
    case = CASES[name]
    exact = case.engine == "des"
    out: list[str] = []
    for kind, a, b in (("variable", got.data_vars, pinned.data_vars), ("coordinate", got.coords, pinned.coords)):
        if set(b) - set(a):  # a new variable is an addition, not a change; a lost one is
            out.append(f"{kind}s gone: {sorted(set(b) - set(a))}")
        for v in sorted(set(a) & set(b)):
            x, y = a[v], b[v]
            if x.dims != y.dims or x.shape != y.shape:
                out.append(f"{v}: dims {x.dims}{x.shape} != pinned {y.dims}{y.shape}")
                continue
            xv, yv = np.asarray(x.values), np.asarray(y.values)
            if xv.dtype.kind == "M" or yv.dtype.kind == "M":
                xv, yv = xv.astype("datetime64[D]"), yv.astype("datetime64[D]")
            if xv.dtype.kind in "fc" or yv.dtype.kind in "fc":
                xv, yv = xv.astype(float), yv.astype(float)
                same_nan = np.isnan(xv) == np.isnan(yv)
                if exact:
                    ok = same_nan & ((xv == yv) | np.isnan(xv))
                else:
                    ok = same_nan & (np.isclose(xv, yv, rtol=1e-9, atol=1e-9) | np.isnan(xv))
                if not ok.all():
                    worst = np.nanmax(np.abs(xv - yv)) if np.isfinite(xv - yv).any() else np.nan
                    out.append(f"{v}: {int((~ok).sum())} of {ok.size} values differ (largest by {worst:.6g}; "
                               f"sum {np.nansum(xv):.10g} vs pinned {np.nansum(yv):.10g})")
            elif not np.array_equal(xv.astype(str), yv.astype(str)):
                out.append(f"{v}: values differ")
    for k in sorted(pinned.attrs):
        if k in IGNORED_ATTRS or k in SCENARIO_ATTRS:
            continue
        if str(got.attrs.get(k)) != str(pinned.attrs.get(k)):
            out.append(f"attribute {k!r} differs")
    # the scenario that ran: the pinned text read with today's models (a field added since,
    # with its default, is the same scenario) must be the one run now
    then = ps.Scenario.from_yaml(pinned.attrs["scenario_yaml"], name="<pinned>")
    if then.hash != got.attrs["scenario_hash"]:
        out.append("the scenario run differs from the pinned one (scenario_yaml)")
    return out
