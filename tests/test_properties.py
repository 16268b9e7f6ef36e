"""Property tests: Hypothesis-generated valid scenarios never crash and keep the invariants.

The scenarios come from :func:`strategies.scenarios`, which covers the whole schema (see
its docstring for what it covers and what it leaves out, and why). Every example must

* validate (``Scenario.from_dict`` never raises ``ScenarioError`` on it);
* simulate without raising, and keep the conservation laws of ``invariants.py``;
* be reproducible: the same seed gives identical Datasets, and a scenario compared with
  itself differs by exactly zero in every paired difference;
* have an event trace that agrees with the binned counters of the reported period.

The Hypothesis settings are fixed here (derandomised, no example database) so that a run
is deterministic and writes nothing into the repository. Three engine bugs found by these
properties are kept as regression tests at the end of the file.

Each property runs twice: at its full number of examples in the slow tier (``slow``, run by
CI), and at a tenth of them (``FAST``) in the fast tier, as ``test_..._quick``. The two draw
different examples (Hypothesis derandomises from the test's own source).
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from invariants import assert_invariants, must_be_finite
from strategies import has_delays, scenarios

import placesim as ps
from placesim.engines.sd import run as sd_run
from placesim.plan import COUNTERS
from placesim.scenario.model import WEEKDAYS

BASE = settings(
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
seeds = st.integers(0, 2**63 - 1)
FAST = 10
"""The fast tier's ``_quick`` variants run one example in FAST of the slow tier's."""


def check_invariants(results: ps.Results, scenario: ps.Scenario, d: dict) -> None:
    """``assert_invariants`` with the right ``zero_delays`` for the scenario."""
    assert_invariants(results, scenario, zero_delays=not has_delays(d))


# ----------------------------------------------------------------------------- properties


def check_validates(d: dict) -> None:
    s = ps.Scenario.from_dict(d)  # a ScenarioError here is a bug in the strategy or in checks.py
    assert s.name == "hypothesis"
    assert (s.model.int_team is not None) == ("int" in d)


@pytest.mark.slow
@settings(BASE, max_examples=300)
@given(scenarios())
def test_generated_scenarios_validate(d):
    check_validates(d)


@settings(BASE, max_examples=300 // FAST)
@given(scenarios())
def test_generated_scenarios_validate_quick(d):
    check_validates(d)


def check_runs_and_keeps_the_invariants(d: dict, seed: int) -> None:
    s = ps.Scenario.from_dict(d)
    results = ps.simulate(s, 2, seed)
    check_invariants(results, s, d)
    ds = results.ds
    assert ds.sizes["replication"] == 2
    assert ds.sizes["time"] == s.model.time.n_bins
    assert ds.sizes["service"] == len(d["services"]) + len(d.get("int", {}).get("neighbourhoods", {}))
    summary = results.summary()
    assert len(summary) > 0
    assert len(results.service_summary()) > 0


@pytest.mark.slow
@settings(BASE, max_examples=200)
@given(scenarios(), seeds)
def test_simulation_never_crashes_and_keeps_the_invariants(d, seed):
    check_runs_and_keeps_the_invariants(d, seed)


@settings(BASE, max_examples=200 // FAST)
@given(scenarios(), seeds)
def test_simulation_never_crashes_and_keeps_the_invariants_quick(d, seed):
    check_runs_and_keeps_the_invariants(d, seed)


def check_int_invariants(d: dict, seed: int) -> None:
    s = ps.Scenario.from_dict(d)
    check_invariants(ps.simulate(s, 2, seed), s, d)


@pytest.mark.slow
@settings(BASE, max_examples=100)
@given(scenarios(int_team=True), seeds)
def test_int_scenarios_keep_the_invariants(d, seed):
    """As above with an INT in every example (the INT needs a neighbourhood, so the general
    strategy draws one in fewer than half of its examples)."""
    check_int_invariants(d, seed)


@settings(BASE, max_examples=100 // FAST)
@given(scenarios(int_team=True), seeds)
def test_int_scenarios_keep_the_invariants_quick(d, seed):
    check_int_invariants(d, seed)


def check_same_seed_same_results(d: dict, seed: int) -> None:
    s = ps.Scenario.from_dict(d)
    first = ps.simulate(s, 2, seed)
    again = ps.simulate(ps.Scenario.from_dict(d), 2, seed)
    xr.testing.assert_identical(first.ds, again.ds)

    comparison = ps.compare({"a": s, "b": s}, 2, seed)
    xr.testing.assert_identical(comparison.results["a"].ds, first.ds)
    per = comparison.per_replication()
    np.testing.assert_array_equal(per["a"].to_numpy(), per["b"].to_numpy())  # NaNs (0/0 ratios) match too
    diffs = comparison.differences()
    assert len(diffs) > 0
    undefined = per["a"].isna().any().to_numpy()  # a ratio with no denominator in some replication
    mean = diffs["mean"].to_numpy()
    assert np.all(mean[~undefined] == 0), diffs[~undefined & (mean != 0)]
    assert np.all(np.isnan(mean[undefined]) | (mean[undefined] == 0)), diffs[undefined]
    bounds = diffs.loc[~undefined, ["lower", "upper"]].to_numpy()
    assert np.all(bounds == 0), diffs


@pytest.mark.slow
@settings(BASE, max_examples=50)
@given(scenarios(), seeds)
def test_same_seed_same_results(d, seed):
    check_same_seed_same_results(d, seed)


@settings(BASE, max_examples=50 // FAST)
@given(scenarios(), seeds)
def test_same_seed_same_results_quick(d, seed):
    check_same_seed_same_results(d, seed)


# ----------------------------------------------------------------------------- the trace


TRACE_COUNTERS = {
    "crisis": "crises",
    "assess": "assessments",
    "arrive": "arrivals",
    "start": "started",
    "complete": "completed",
    "abandon": "abandoned",
    "turned_away": "turned_away",
    "lost": "handoffs_lost",
    "contact": "outreach_contacts",
}


def check_trace_agrees_with_the_counters(d: dict, seed: int) -> None:
    s = ps.Scenario.from_dict(d)
    results = ps.simulate(s, 2, seed, trace=True)
    ds, trace = results.ds, results.trace
    t = s.model.time
    assert list(trace.columns) == ["replication", "time", "event", "service", "resident", "domain", "level",
                                   "target"]
    assert (trace["time"] < t.horizon_days).all()  # trace times count from the end of the warm-up
    reported = trace[trace["time"] >= 0]
    counts = reported["event"].value_counts()
    for event, counter in TRACE_COUNTERS.items():
        assert counts.get(event, 0) == ds[counter].sum().item(), (event, counter)
    # every referral made is traced as either passed on ("refer") or lost
    assert counts.get("refer", 0) + counts.get("lost", 0) == ds["referrals"].sum().item()
    # per replication and service, too
    by_service = reported[reported["event"] == "arrive"].groupby(["replication", "service"]).size()
    arrivals = ds["arrivals"].sum("time")
    for (rep, svc), n in by_service.items():
        assert arrivals.isel(replication=rep, service=svc).item() == n
    assert arrivals.sum().item() == by_service.sum()

    # nodes assess and start cases on their open days only, and an INT team nothing before its start
    m = s.model
    weekday0 = t.start_date.weekday() if t.start_date else 0
    calendars = [(svc.open_days or list(WEEKDAYS), -t.warmup_days) for svc in m.services.values()]
    if m.int_team is not None:
        calendars += [(m.int_team.team_open_days(nb), team.start_day)
                      for nb, team in m.int_team.neighbourhoods.items()]
    at_nodes = trace[trace["event"].isin(["arrive", "assess", "start"])]
    for i, (open_days, active_from) in enumerate(calendars):
        events = at_nodes[at_nodes["service"] == i]
        # (trace times are clock times minus the warm-up: allow for rounding in the subtraction)
        assert (events["time"] >= active_from - 1e-9).all(), (ds.service.values[i], "active before its start")
        acting = events[events["event"] != "arrive"]
        day = np.floor(acting["time"].to_numpy() + 1e-9).astype(int)
        weekdays = {WEEKDAYS[k] for k in (day + weekday0) % 7}
        assert weekdays <= set(open_days), (ds.service.values[i], sorted(weekdays - set(open_days)))


@pytest.mark.slow
@settings(BASE, max_examples=150)
@given(scenarios(), seeds)
def test_trace_agrees_with_the_counters(d, seed):
    check_trace_agrees_with_the_counters(d, seed)


@settings(BASE, max_examples=150 // FAST)
@given(scenarios(), seeds)
def test_trace_agrees_with_the_counters_quick(d, seed):
    check_trace_agrees_with_the_counters(d, seed)


# ----------------------------------------------------------------------------- engine bugs found (fixed)


def test_completion_at_opening_with_closed_day_arrivals():
    """A case started at Monday's opening with a fixed 7-day duration ends at the next Monday's
    opening; people who arrived Tuesday-Sunday are still pending, the queue is empty."""
    d = {"placesim": 1, "name": "closed-day arrivals", "time": {"horizon_days": 28, "report_every_days": 28},
         "services": {"desk": {"organisation": "council", "servers": "unlimited", "open_days": ["mon"],
                               "duration": {"distribution": "fixed", "days": 7},
                               "arrivals": {"rate_per_day": 1}}}}
    ds = ps.simulate(ps.Scenario.from_dict(d), 1, seed=1).ds
    assert ds["started"].sum().item() > 15


def test_signposting_ping_pong():
    """Two services that each turn everyone away and signpost them to the other with probability
    0.97: a chain lasts 33 hops on average, and in 600 arrivals one exceeds the stack."""
    d = {"placesim": 1, "name": "ping-pong", "time": {"horizon_days": 30, "report_every_days": 30},
         "services": {
             "a": {"organisation": "x", "servers": 1, "eligibility": {"min_level": 3},
                   "duration": {"distribution": "fixed", "days": 1}, "arrivals": {"rate_per_day": 20, "level": 2},
                   "referrals": [{"to": "b", "probability": 0.97, "when": "turned_away"}]},
             "b": {"organisation": "x", "servers": 1, "eligibility": {"min_level": 3},
                   "duration": {"distribution": "fixed", "days": 1},
                   "referrals": [{"to": "a", "probability": 0.97, "when": "turned_away"}]}}}
    ds = ps.simulate(ps.Scenario.from_dict(d), 1, seed=1).ds
    arrivals = ds["arrivals"].sel(service="a").sum().item() - ds["referrals_received"].sel(service="a").sum().item()
    hops = ds["turned_away"].sum().item() / arrivals
    assert 20 < hops < 50  # 1 / 0.03 = 33 hops on average
    # with certainty the loop never ends: refused when the scenario is read
    d["services"]["b"]["referrals"][0]["probability"] = 1.0
    d["services"]["a"]["referrals"][0]["probability"] = 1.0
    with pytest.raises(ps.ScenarioError, match="signposting loop"):
        ps.Scenario.from_dict(d)


def test_day_zero_screen_is_reported():
    d = {"placesim": 1, "name": "day-0 screen", "time": {"horizon_days": 30, "report_every_days": 30},
         "neighbourhoods": {"A": {}},
         "domains": {"money": {"front_door": "advice"}},
         "cohorts": {"c": {"size": {"A": 100}, "initial": {"money": [0, 1, 0, 0]}}},
         "services": {"advice": {"organisation": "vcs", "servers": 1, "domains": ["money"],
                                 "duration": {"distribution": "exponential", "mean_days": 1}}},
         "int": {"neighbourhoods": {"A": {}}, "days_per_week": 7,
                 "workers": {"w": {"fte": 1, "domains": ["money"], "caseload": 5}},
                 "duration": {"distribution": "exponential", "mean_days": 5},
                 "case_finding": {"screen_every_days": 100, "coverage": 1, "sensitivity": 1, "specificity": 1,
                                  "acceptance": 1, "contact_cost_gbp": 10}}}
    results = ps.simulate(ps.Scenario.from_dict(d), 1, seed=1, trace=True)
    ds = results.ds
    screened = (results.trace["event"] == "contact").sum()
    assert screened == 100
    assert ds["outreach_contacts"].sum().item() == screened
    assert ds["cost_gbp"].sel(service="int:A").sum().item() == 10 * screened


def check_sd_engine(d: dict) -> None:
    s = ps.Scenario.from_dict(d)
    ds = ps.simulate(s, 1, engine="sd").ds
    for name, var in ds.data_vars.items():
        if "sd" not in COUNTERS[name].engines:
            assert np.isnan(var.values).all(), name
            continue
        assert np.all(np.isfinite(must_be_finite(ds, name))), f"{name} has non-finite values"
        # stocks are exact up to the solver's absolute tolerance (people)
        assert np.all(var.values >= -sd_run.ATOL), f"{name} is negative"
    m = s.model
    if m.cohorts and m.domains and m.neighbourhoods:
        sizes = np.array([[m.cohorts[c].size.get(n, 0) for c in m.cohorts] for n in m.neighbourhoods], float)
        totals = ds["residents"].sum("level").values
        assert np.allclose(totals, np.broadcast_to(sizes[None, None, :, :, None], totals.shape), rtol=1e-6, atol=1e-6)


@pytest.mark.slow
@settings(BASE, max_examples=60)
@given(scenarios())
def test_sd_engine_never_crashes_and_conserves_residents(d):
    """The SD engine on the same generated scenarios: it runs, its counters are finite and
    non-negative (the journey variables, which follow individual residents, are NaN), and
    residents by level add up to the cohort sizes in every bin."""
    check_sd_engine(d)


@settings(BASE, max_examples=60 // FAST)
@given(scenarios())
def test_sd_engine_never_crashes_and_conserves_residents_quick(d):
    check_sd_engine(d)
