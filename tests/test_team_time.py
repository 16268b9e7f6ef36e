"""A team over time: ramp-up after its start, its end (funding ends), and seconded staff."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import placesim as ps
from placesim.plan import compile_plan

TOY = Path(__file__).resolve().parent / "scenarios"
TIME = {"time": {"horizon_days": 360, "warmup_days": 60, "report_every_days": 30}}
ENGINES = ["des", "sd"]


def _toy(**int_fields) -> ps.Scenario:
    return ps.load_scenario(TOY / "toy_int.yaml").with_overrides({**TIME, "int": {"days_per_week": 5, **int_fields}})


def _team(ds, var: str) -> np.ndarray:
    return ds[var].sel(service="int:A").mean("replication").to_numpy()


@pytest.mark.parametrize("engine", ENGINES)
def test_a_team_opens_after_its_delay_and_fills_its_posts_month_by_month(engine):
    sc = _toy(neighbourhoods={"A": {"start_day": 30}}, ramp={"delay_days": 60, "months_to_full": 4, "initial_share": 0.25})
    ds = ps.simulate(sc, replications=2, seed=1, engine=engine).ds
    places = _team(ds, "place_days")
    assert (places[:3] == 0).all() and (_team(ds, "arrivals")[:3] == 0).all()  # opens on day 90
    full = compile_plan(sc).services[-1].capacity
    assert places[3] < 0.5 * full * 30 and places[-1] == pytest.approx(full * 30)
    assert (np.diff(places[3:8]) >= 0).all()
    assert (_team(ds, "busy_server_days") <= places + 1e-6).all()
    # staff cost follows the posts filled: a third of a fully staffed month in the first month
    cost = _team(ds, "cost_gbp") - _team(ds, "assessments") * 60 - _team(ds, "outreach_contacts") * 25
    premises = 10000 / 365.25 * 30
    assert cost[3] - premises == pytest.approx(0.25 * (cost[-1] - premises), rel=1e-6)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("on_end", ["hand_back", "close"])
def test_when_a_team_ends_its_cases_are_handed_back_or_closed(engine, on_end):
    sc = _toy(neighbourhoods={"A": {"start_day": 0, "end_day": 180}}, on_end=on_end)
    ds = ps.simulate(sc, replications=2, seed=2, engine=engine).ds
    after = slice(6, None)  # bins from day 180
    assert np.allclose(_team(ds, "arrivals")[after], 0) and np.allclose(_team(ds, "busy_server_days")[after], 0)
    assert np.allclose(_team(ds, "in_system")[after], 0, atol=1e-3)
    assert np.allclose(_team(ds, "cost_gbp")[after], 0) and _team(ds, "place_days")[after].sum() == 0
    referred_at_end = _team(ds, "referrals")[6]  # day 180 is the first of bin 6
    if on_end == "hand_back":
        assert referred_at_end > 1
    else:
        assert _team(ds, "exits")[6] > 1
    # residents are neither created nor lost
    residents = ds["residents"].sum(("neighbourhood", "cohort", "level")).mean("replication")
    assert np.allclose(residents, 10000, rtol=1e-6)


def test_the_des_hands_back_every_case_it_held_at_the_end():
    """On its last day the team held in_system people; each leaves then: handed back for each
    covered domain in need (one referral each) or, with nothing to hand back, out of the network."""
    sc = _toy(neighbourhoods={"A": {"start_day": 0, "end_day": 180}}, case_finding=None,
              warm_handover={"loss": 0.0})
    ds = ps.simulate(sc, replications=3, seed=3, trace=True)
    team = ds.ds.sel(service="int:A")
    held = team["in_system"].isel(time=5)  # at the team when it ends (day 180)
    trace = ds.trace
    at_end = trace[(trace["time"] == 180) & (trace["service"] == list(ds.ds["service"].values).index("int:A"))
                   & (trace["event"] == "refer")]
    referred = at_end.groupby("replication")["resident"].nunique().reindex(range(3), fill_value=0).to_numpy()
    nothing_to_hand_back = team["exits"].isel(time=6).to_numpy()  # no covered domain in need: out
    assert (held.to_numpy() > 0).all() and (referred > 0).all()
    assert (referred + nothing_to_hand_back == held.to_numpy()).all()
    assert (team["in_system"].isel(time=slice(6, None)) == 0).all()


@pytest.mark.parametrize("engine", ENGINES)
def test_seconded_staff_leave_places_behind_and_are_paid_by_their_service(engine):
    """Advice seconds one money adviser to the team: advice loses caseload x FTE places while the
    team runs; the adviser's cost is at the team but paid by advice's organisation (vcs)."""
    workers = {"money_adviser": {"fte": 1, "domains": ["money"], "caseload": 25, "cost_per_fte_gbp_per_year": 40000,
                                 "seconded_from": "advice"}}
    sc = _toy(workers=workers)
    base = _toy()
    ds, ds0 = (ps.simulate(s, replications=2, seed=4, engine=engine).ds for s in (sc, base))
    advice = lambda d: d["place_days"].sel(service="advice").mean("replication").to_numpy()
    assert advice(ds) == pytest.approx(advice(ds0) - 1 * 20 * 30)  # advice: caseload 20 per FTE
    seconded = _team(ds, "seconded_cost_gbp")
    assert seconded == pytest.approx(40000 / 365.25 * 30)
    org = ds["organisation_cost_gbp"].mean("replication").sum("time")
    team_cost = ds["cost_gbp"].sel(service="int:A").mean("replication").sum("time")
    assert float(org.sum()) == pytest.approx(float(ds["cost_gbp"].mean("replication").sum()), rel=1e-9)
    # vcs pays the seconded adviser as well as advice's own costs
    vcs_own = ds["cost_gbp"].sel(service="advice").mean("replication").sum("time")
    assert float(org.sel(organisation="vcs")) == pytest.approx(float(vcs_own) + float(seconded.sum()), rel=1e-9)
    assert float(team_cost) > float(seconded.sum())


@pytest.mark.parametrize("change, field, says", [
    ({"workers": {"money_adviser": {"seconded_from": "nowhere"}}}, r"int\.workers\.money_adviser\.seconded_from", "unknown service"),
    ({"workers": {"money_adviser": {"seconded_from": "ae"}}}, r"seconded_from", "unlimited"),
    ({"workers": {"money_adviser": {"seconded_from": "advice", "fte": 11}}}, r"seconded_from", "places from 'advice'"),
    ({"neighbourhoods": {"A": {"end_day": 20}}, "ramp": {"delay_days": 30}}, r"int\.neighbourhoods\.A\.end_day", "before it opens"),
    ({"ramp": {"months_to_full": -1}}, r"int\.ramp\.months_to_full", "at least 0"),
    ({"on_end": "vanish"}, r"int\.on_end", "hand_back"),
])
def test_bad_team_timing_and_secondments_are_refused_with_their_field(change, field, says):
    with pytest.raises(ps.ScenarioError, match=rf"{field}.*{says}"):
        _toy(**change)


@pytest.mark.parametrize("engine", ENGINES)
def test_case_finding_improves_on_its_schedule(engine):
    """Data sharing arrives on day 180: before it a screen covers no one (no contacts), after it
    everyone; the screens' quality follows its schedule."""
    finding = {"coverage": 0.0, "schedule": [{"from_day": 180, "coverage": 1.0}], "max_contacts_per_screen": None,
               "contacts_per_fte_per_week": 2.0}
    ds = ps.simulate(_toy(case_finding=finding), replications=2, seed=6, engine=engine).ds
    contacts = _team(ds, "outreach_contacts")
    assert np.allclose(contacts[:6], 0) and (contacts[6:] > 0).all()


def test_a_case_finding_schedule_must_move_forward():
    with pytest.raises(ps.ScenarioError, match=r"int\.case_finding\.schedule.*increase"):
        _toy(case_finding={"schedule": [{"from_day": 90, "coverage": 0.5}, {"from_day": 30, "coverage": 0.9}]})


@pytest.mark.parametrize("engine", ENGINES)
def test_support_that_lasts_after_it_ends_averts_more_crises(engine):
    """persistence_days: the INT's effect stays on for an exponential time after support (mean
    180 days here), so the same team averts more crises than one whose effect stops dead.
    Measured on the toy (8 DES replications): 94 averted without, 115 with (paired, CRN)."""
    finding = {"contacts_per_fte_per_week": 3, "max_contacts_per_screen": None}
    runs = {p: _toy(case_finding=finding, effect={"persistence_days": p}) for p in (0, 180)}
    c = ps.compare({"stops": runs[0], "lasts": runs[180]}, replications=8 if engine == "des" else 1, seed=2,
                   engine=engine)
    d = c.differences().loc[("lasts", "crises")]
    assert d["mean"] < 0
    if engine == "des":
        assert d["upper"] < 0


def test_a_negative_persistence_is_refused():
    with pytest.raises(ps.ScenarioError, match=r"int\.effect\.persistence_days.*at least 0"):
        _toy(effect={"persistence_days": -5})
