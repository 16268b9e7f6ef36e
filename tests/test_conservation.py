"""Conservation: residents are neither created nor lost; every crisis, assessment and pound is
accounted for once (checked against the event trace)."""

from __future__ import annotations

import numpy as np
import pytest
from invariants import assert_invariants

import placesim as ps


@pytest.fixture(scope="module", params=["siloed", "int", "brent_full"], ids=["toy", "toy INT", "Brent full INT"])
def run(request, toy_scenario):
    time = {"horizon_days": 180, "warmup_days": 60, "report_every_days": 30}
    if request.param == "brent_full":
        s = request.getfixturevalue("brent_full").with_overrides({"time": time})
    else:
        s = toy_scenario(request.param, **time)
    return s, ps.simulate(s, 2, seed=17, trace=True)


def test_conservation_laws(run):
    scenario, results = run
    assert_invariants(results, scenario)


def test_every_crisis_and_assessment_is_counted_once(run):
    _, results = run
    ds, trace = results.ds, results.trace
    reported = trace[trace["time"] >= 0]
    for event, variable in (("crisis", "crises"), ("assess", "assessments"), ("arrive", "arrivals"),
                            ("start", "started"), ("complete", "completed")):
        by_rep = reported[reported["event"] == event].groupby("replication").size()
        counted = ds[variable].sum([d for d in ds[variable].dims if d != "replication"]).values
        assert np.array_equal(by_rep.reindex(range(ds.sizes["replication"]), fill_value=0).values, counted), event
    # crises by domain, too
    crises = reported[reported["event"] == "crisis"].groupby("domain").size()
    by_domain = ds["crises"].sum(("replication", "time", "neighbourhood", "cohort")).values
    assert np.array_equal(crises.reindex(range(len(by_domain)), fill_value=0).values, by_domain)


def test_every_pound_is_counted_once(run):
    """Costs rebuilt from the trace and the unit costs equal the Dataset's, service by service."""
    scenario, results = run
    ds, trace = results.ds, results.trace
    reported = trace[trace["time"] >= 0]
    for j, (name, svc) in enumerate(scenario.services.items()):
        events = reported[reported["service"] == j]
        assessed = (events["event"] == "assess").sum()
        started = (events["event"] == "start").sum()
        busy = ds["busy_server_days"].sel(service=name).sum().item()
        rebuilt = assessed * svc.assessment.cost_gbp + started * svc.costs.per_case_gbp + busy * svc.costs.daily
        assert ds["cost_gbp"].sel(service=name).sum().item() == pytest.approx(rebuilt, rel=1e-9, abs=1e-6), name
    total_by_org = ds["organisation_cost_gbp"].sum().item()
    assert total_by_org == pytest.approx(ds["cost_gbp"].sum().item(), rel=1e-12)
