"""Intensity per discipline: a case lasts as its lead discipline's support does
(``int.workers.X.duration``), in both engines."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import placesim as ps
from placesim.plan import compile_plan
from placesim.plan.teams import lead_shares

TOY = Path(__file__).resolve().parent / "scenarios"
TIME = {"time": {"horizon_days": 720, "warmup_days": 120, "report_every_days": 30}}
SHORT, TEAM, LONG = 10.0, 50.0, 100.0


def _toy(**workers) -> ps.Scenario:
    over = {**TIME, "int": {"days_per_week": 5, "workers": workers,
                            "duration": {"distribution": "fixed", "days": TEAM}}}
    return ps.load_scenario(TOY / "toy_int.yaml").with_overrides(over)


def _fixed(days: float) -> dict:
    return {"duration": {"distribution": "fixed", "days": days}}


def test_without_durations_of_their_own_every_case_lasts_the_teams_duration():
    team = compile_plan(ps.load_scenario(TOY / "toy_int.yaml")).services[-1]
    assert team.lead_durations == () and team.episode_mean is None
    assert team.mean_support_days == team.duration.mean


def test_lead_shares_follow_the_initial_mix_with_the_most_severe_domain_leading():
    # money at level 0 or 1 (half each), housing at level 0 or 2 (half each), independent:
    # (1, 0) money leads, (0, 2) and (1, 2) housing leads, (0, 0) is no case: 1/3 and 2/3
    sc = _toy().with_overrides({"cohorts": {"hardship": {"initial": {"money": [0.5, 0.5, 0, 0],
                                                                     "housing": [0.5, 0, 0.5, 0]}}}})
    m = sc.model
    cohorts = list(m.cohorts)
    if len(cohorts) > 1:  # only the one cohort counts
        sc = sc.with_overrides({"cohorts": {c: {"size": {"A": 0}} for c in cohorts[1:]}})
        m = sc.model
    shares = lead_shares(m, "A", [0, 1])
    total = sum(shares.values())
    assert shares[0] / total == pytest.approx(1 / 3) and shares[1] / total == pytest.approx(2 / 3)


def test_the_sd_episode_length_is_the_lead_weighted_mean():
    sc = _toy(money_adviser=_fixed(SHORT), housing_officer=_fixed(LONG))
    team = compile_plan(sc).services[-1]
    shares = lead_shares(sc.model, "A", list(team.domains))
    total = sum(shares.values())
    expected = (shares[0] * SHORT + shares[1] * LONG) / total
    assert team.episode_mean == pytest.approx(expected) and SHORT < team.episode_mean < LONG


def test_des_episodes_last_as_their_lead_disciplines_support():
    sc = _toy(money_adviser=_fixed(SHORT), housing_officer=_fixed(LONG))
    res = ps.simulate(sc, replications=2, seed=3, trace=True)
    team = compile_plan(sc).services[-1].index
    t = res.trace
    t = t[(t["service"] == team) & t["event"].isin(["start", "complete"])].sort_values(["replication", "time"],
                                                                                        kind="stable")
    lengths = []
    for _, g in t.groupby(["replication", "resident"]):
        started = None
        for time, event in zip(g["time"], g["event"]):
            if event == "start":
                started = time
            elif started is not None:
                lengths.append(time - started)
                started = None
    lengths = np.asarray(lengths)
    assert len(lengths) > 100
    short, team, long = (np.isclose(lengths, x) for x in (SHORT, TEAM, LONG))
    assert (short | team | long).all()  # every episode is one discipline's length, nothing else
    assert short.sum() > 20 and long.sum() > 20
    # the team's own length only for a case with no covered domain in need when it starts
    # (recovered while waiting): a few
    assert team.sum() < 0.02 * len(lengths)


@pytest.mark.parametrize("engine", ["des", "sd"])
def test_shorter_light_touch_support_turns_the_teams_places_over_faster(engine):
    """The same places, the money adviser's cases shorter: more cases started."""
    long = ps.simulate(_toy(money_adviser=_fixed(LONG), housing_officer=_fixed(LONG)), replications=4, seed=5,
                       engine=engine).ds
    light = ps.simulate(_toy(money_adviser=_fixed(SHORT), housing_officer=_fixed(LONG)), replications=4, seed=5,
                        engine=engine).ds
    started = [float(ds["started"].sel(service="int:A").sum("time").mean()) for ds in (long, light)]
    assert started[1] > 1.2 * started[0]


def test_des_and_sd_agree_on_the_cases_a_mixed_intensity_team_starts():
    """Within the 5 % the engines keep on the shipped scenarios (measured: 2.1 %; the SD's
    lead mix is read from the initial levels, docs/decisions.md "Intensity per discipline")."""
    sc = _toy(money_adviser=_fixed(SHORT), housing_officer=_fixed(LONG))
    des = ps.simulate(sc, replications=8, seed=5).ds["started"].sel(service="int:A").sum("time")
    sd = float(ps.simulate(sc, engine="sd").ds["started"].sel(service="int:A").sum())
    mean, se = float(des.mean()), float(des.std(ddof=1)) / np.sqrt(des.size)
    assert abs(sd - mean) < 0.05 * mean + 3 * se


@pytest.mark.parametrize("duration, says", [
    ({"distribution": "lognormal", "mean_days": -5, "sd_days": 2}, "greater than 0"),
    ({"distribution": "weibull", "mean_days": 30}, "weibull"),
    ("three months", "expected a mapping"),
])
def test_a_bad_discipline_duration_is_refused_with_its_field(duration, says):
    with pytest.raises(ps.ScenarioError, match=rf"int\.workers\.money_adviser\.duration(?s:.*){says}"):
        _toy(money_adviser={"duration": duration})
