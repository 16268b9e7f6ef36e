"""Invariants every run must keep: conservation of residents, people, referrals and pounds."""

from __future__ import annotations

import numpy as np

import placesim as ps


def must_be_finite(ds, name: str) -> np.ndarray:
    """The values of a variable that must be finite: all of them, but for the place-days of
    unlimited services (inf: no limit on places)."""
    var = ds[name]
    if name == "place_days":
        var = var.isel(service=np.flatnonzero(np.isfinite(ds["service_capacity"].values)))
    return var.values


def assert_invariants(results: ps.Results, scenario: ps.Scenario, zero_delays: bool = True) -> None:
    """Assert the conservation laws on a run's Dataset (raises AssertionError with the law broken)."""
    ds = results.ds
    m = scenario.model

    # Every counter is non-negative and finite.
    for name, var in ds.data_vars.items():
        values = var.values
        assert np.all(np.isfinite(must_be_finite(ds, name))), f"{name} has non-finite values"
        assert np.all(values >= -1e-9), f"{name} has negative values"

    # Residents are neither created nor lost: every bin, every domain, the levels add up to the cohort size.
    if m.cohorts and m.domains and m.neighbourhoods:
        sizes = np.array([[m.cohorts[c].size.get(n, 0) for c in m.cohorts] for n in m.neighbourhoods], float)
        totals = ds["residents"].sum("level").values  # (rep, time, nb, cohort, domain)
        assert np.array_equal(totals, np.broadcast_to(sizes[None, None, :, :, None], totals.shape)), \
            "residents by level do not add up to the cohort sizes"

    # People at each service: start + arrivals - departures = end, bin by bin.
    inflow = ds["arrivals"].values
    outflow = (ds["completed"] + ds["turned_away"] + ds["abandoned"]).values
    level = ds["in_system"].values
    start = ds["in_system_start"].values[:, None, :]
    previous = np.concatenate([start, level[:, :-1, :]], axis=1)
    assert np.array_equal(previous + inflow - outflow, level), "people at a service are not conserved"

    # Crisis contacts are arrivals, and repeat contacts crisis contacts; a tenth of the attenders
    # make at least a tenth of the contacts.
    assert np.all(ds["crisis_contacts"].values <= inflow), "more crisis contacts than arrivals"
    assert np.all(ds["repeat_contacts"].values <= ds["crisis_contacts"].values), "more repeat than crisis contacts"
    share = ds["top_decile_contact_share"].values
    attended = ds["crisis_attenders"].values > 0
    assert np.all(share[attended] >= 0.1 - 1e-12) and np.all(share <= 1.0), "top-decile share outside 0.1-1"

    # Started cases were assessed cases (or ones whose assessment the INT's shared record spared)
    # that were not turned away (or are still waiting / assessing).
    decided = ds["assessments"] + ds["assessments_spared"]
    assert np.all(ds["started"].sum("time") <= decided.sum("time") + ds["in_system_start"]), \
        "more cases started than were assessed"
    # Residents' own assessments are some of the assessments (the rest are background arrivals').
    if ds.sizes.get("cohort", 0):
        own = ds["resident_assessments"].sum(("neighbourhood", "cohort")).values
        assert np.all(own <= ds["assessments"].sum("service").values + 1e-6 * np.abs(own)), \
            "more residents' assessments than assessments"

    # Referrals: every referral made is either lost or received, in the same instant when there
    # are no delays. (With delays, referrals cross bin edges and the warm-up: no law per bin.)
    if zero_delays:
        made = ds["referrals"].sum("service").values
        lost = ds["handoffs_lost"].sum("service").values
        received = ds["referrals_received"].sum("service").values
        assert np.array_equal(made, lost + received), "referrals made != lost + received"

    # For siloed services each departure either leaves the network or is one successful referral.
    siloed = (ds["service_kind"] == "service").values
    departures = outflow[:, :, siloed]
    onward = (ds["referrals"] - ds["handoffs_lost"]).values[:, :, siloed]
    assert np.array_equal(departures, ds["exits"].values[:, :, siloed] + onward), \
        "departures != exits + successful referrals"

    # Pounds: organisation totals add up to service totals, and siloed costs are the unit costs times activity.
    np.testing.assert_allclose(ds["organisation_cost_gbp"].sum("organisation").values,
                               ds["cost_gbp"].sum("service").values, rtol=1e-12, atol=1e-6)
    for s, svc in m.services.items():
        expect = (ds["assessments"].sel(service=s) * svc.assessment.cost_gbp
                  + ds["started"].sel(service=s) * svc.costs.per_case_gbp
                  + ds["busy_server_days"].sel(service=s) * svc.costs.daily)
        np.testing.assert_allclose(ds["cost_gbp"].sel(service=s).values, expect.values, rtol=1e-9, atol=1e-6,
                                   err_msg=f"cost of {s} is not its unit costs times its activity")
