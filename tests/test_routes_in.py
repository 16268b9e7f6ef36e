"""Routes into the INT: its front door, self-referral, and referrals to it from any service."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import placesim as ps

TOY = Path(__file__).resolve().parent / "scenarios"
SHORT = {"time": {"horizon_days": 360, "warmup_days": 60, "report_every_days": 30}}
NO_FINDING = {"case_finding": None, "days_per_week": 5}


def _toy(**int_fields) -> ps.Scenario:
    return ps.load_scenario(TOY / "toy_int.yaml").with_overrides({**SHORT, "int": {**NO_FINDING, **int_fields}})


def _team_arrivals(sc: ps.Scenario, engine: str, reps: int = 4) -> float:
    ds = ps.simulate(sc, replications=reps, seed=8, engine=engine).ds
    return float(ds["arrivals"].sel(service="int:A").sum("time").mean("replication"))


@pytest.mark.parametrize("engine", ["des", "sd"])
def test_self_referral_sends_a_share_of_help_seekers_to_the_team(engine):
    none = _team_arrivals(_toy(front_door=False, self_referral=0.0), engine)
    half = _team_arrivals(_toy(front_door=False, self_referral=0.5), engine)
    every = _team_arrivals(_toy(front_door=True), engine)
    assert none == 0.0  # no case-finding, no referrals to it, not the front door: no one comes
    assert 0.3 * every < half < 0.7 * every


def test_self_referral_of_everyone_is_the_front_door():
    """A share of 1 draws nothing: the same run as front_door: true, draw for draw."""
    a = ps.simulate(_toy(front_door=False, self_referral=1.0), replications=2, seed=3).ds
    b = ps.simulate(_toy(front_door=True), replications=2, seed=3).ds
    for v in ("arrivals", "crises", "cost_gbp", "residents"):
        xr.testing.assert_equal(a[v], b[v])


def test_des_and_sd_agree_on_self_referrals():
    sc = _toy(front_door=False, self_referral=0.5)
    des, sd = _team_arrivals(sc, "des", reps=8), _team_arrivals(sc, "sd")
    assert sd == pytest.approx(des, rel=0.1)


@pytest.mark.parametrize("engine", ["des", "sd"])
def test_a_service_can_refer_to_the_int(engine):
    """A GP's social prescribing: advice refers residents with a housing need on to the INT of
    their neighbourhood once it has started; residents of a neighbourhood without a team stay."""
    refer = {"services": {"advice": {"referrals": [
        {"to": "int", "domain": "housing", "min_level": 1, "probability": 0.5}]}}}
    sc = _toy(front_door=False).with_overrides(refer)
    ds = ps.simulate(sc, replications=2, seed=5, engine=engine).ds
    received = ds["referrals_received"].sum("time").mean("replication")
    assert float(received.sel(service="int:A")) > 0
    assert np.isclose(float(ds["arrivals"].sel(service="int:A").sum("time").mean("replication")),
                      float(received.sel(service="int:A")))


@pytest.mark.parametrize("value", [1.5, -0.1, "half"])
def test_a_bad_self_referral_share_is_refused_with_its_field(value):
    with pytest.raises(ps.ScenarioError, match=r"int\.self_referral"):
        _toy(front_door=False, self_referral=value)


def test_referral_rules_to_a_team_not_yet_open_change_nobodys_random_numbers():
    """Common random numbers: a place with an INT that has not opened, and services that refer
    to it, is the siloed place until the team opens, draw for draw (a rule that cannot apply
    must not take a draw: it once made every turned-away household draw a routing number that
    the siloed place did not, so the two drifted apart before the INT existed)."""
    siloed = ps.load_scenario(TOY / "toy_siloed.yaml")
    later = ps.load_scenario(TOY / "toy_int.yaml").with_overrides({
        "int": {"neighbourhoods": {"A": {"start_day": 300}}},
        "services": {"ae": {"referrals": [{"to": "int", "probability": 0.5, "when": "completed"}]},
                     "housing_options": {"referrals": [
                         {"to": "int", "probability": 0.4, "when": "turned_away"},
                         {"to": "advice", "domain": "money", "probability": 0.5, "handoff_loss": 0.3,
                          "when": "turned_away"}]}}})
    a = ps.simulate(siloed, 2, seed=3).ds
    b = ps.simulate(later, 2, seed=3).ds
    before = a["time"].values + a["bin_days"].values <= 300
    assert before.sum() >= 5
    for name in ("crises", "arrivals", "started", "turned_away", "in_system"):
        x, y = a[name].isel(time=before), b[name].isel(time=before)
        if "service" in x.dims:
            y = y.sel(service=x["service"])
        assert np.array_equal(x.values, y.values), name
    assert np.array_equal(a["in_system_start"].values, b["in_system_start"].sel(service=a["service"]).values)
