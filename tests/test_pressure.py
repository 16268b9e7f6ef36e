"""Thresholds raised under pressure (``eligibility.pressure``, issue 9 item 6): a siloed service
sends people away while its queue is long, and those sent away are followed up."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import placesim as ps

ROOT = Path(__file__).resolve().parent.parent
TOY = ROOT / "tests" / "scenarios"
TIME = {"horizon_days": 540, "warmup_days": 120, "report_every_days": 30}


def _toy(pressure: dict | None, staff: float = 7.5) -> ps.Scenario:
    """The toy place with its advice service short of staff (a queue of about 50 without pressure)."""
    return ps.load_scenario(TOY / "toy_siloed.yaml").with_overrides({
        "time": TIME, "services": {"advice": {"staff": staff, "eligibility": {"min_level": 1, "pressure": pressure}}}})


PRESSURE = {"min_level": 2, "raise_at": 20, "lower_at": 5}


def _advice(res: ps.Results, name: str) -> np.ndarray:
    return res.ds[name].sel(service="advice").sum("time").values


def test_the_threshold_rises_and_falls_with_the_queue_as_the_trace_shows():
    """In the trace the threshold switches on and off in turn; everyone turned away while it is
    on at a level the usual threshold accepts is a turn-away under pressure (the counter), and
    no one is turned away under pressure while it is off."""
    res = ps.simulate(_toy(PRESSURE), replications=2, seed=1, trace=True)
    tr = res.trace
    advice = list(res.ds["service"].values).index("advice")
    for rep in range(2):
        t = tr[(tr["replication"] == rep) & (tr["service"] == advice)]
        switches = t[t["event"].isin(["pressure_on", "pressure_off"])]["event"].tolist()
        assert len(switches) >= 4
        assert all(a != b for a, b in zip(switches, switches[1:]))  # on, off, on, off ...
        raised, pressed = False, 0
        for event, level, time in zip(t["event"], t["level"], t["time"]):
            if event == "pressure_on":
                raised = True
            elif event == "pressure_off":
                raised = False
            elif event == "turned_away" and level >= 1 and time >= 0:
                assert raised
                pressed += 1
        assert pressed == _advice(res, "turned_away_pressure")[rep] > 0


def test_pressure_days_are_the_time_between_switches():
    res = ps.simulate(_toy(PRESSURE), replications=1, seed=2, trace=True)
    tr = res.trace
    advice = list(res.ds["service"].values).index("advice")
    t = tr[(tr["service"] == advice) & tr["event"].isin(["pressure_on", "pressure_off"])]
    horizon = TIME["horizon_days"]
    on_days, since = 0.0, None
    for event, time in zip(t["event"], t["time"]):
        time = min(max(time, 0.0), horizon)
        if event == "pressure_on":
            since = time
        elif since is not None:
            on_days += time - since
            since = None
    if since is not None:
        on_days += horizon - since
    assert _advice(res, "pressure_days")[0] == pytest.approx(on_days, rel=1e-9)


def test_without_pressure_nothing_is_pressed_and_the_run_is_unchanged():
    never = {"min_level": 2, "raise_at": 100000, "lower_at": 5}
    a = ps.simulate(_toy(None), replications=2, seed=3)
    b = ps.simulate(_toy(never), replications=2, seed=3)
    for name in ("turned_away", "started", "crises", "assessments"):
        np.testing.assert_array_equal(a.ds[name].values, b.ds[name].values)
    assert float(b.ds["pressure_days"].sum()) == 0 and float(b.ds["turned_away_pressure"].sum()) == 0


def test_those_sent_away_come_back_or_have_a_crisis_later():
    """The follow-up counters count each turn-away under pressure at most once (returns and
    crises together cannot exceed the turn-aways, less a margin for those sent away in the
    warm-up)."""
    res = ps.simulate(_toy(PRESSURE), replications=3, seed=4)
    pressed = _advice(res, "turned_away_pressure")
    returns, crises = _advice(res, "pressure_returns"), _advice(res, "pressure_crises")
    assert (returns > 0).all() and (crises > 0).all()
    assert (returns + crises < pressed).all()


@pytest.mark.parametrize("engine", ["des", "sd"])
def test_a_lower_trigger_presses_more_often_and_shortens_the_queue(engine):
    reps = 4 if engine == "des" else 1
    results = [ps.simulate(_toy(p), replications=reps, seed=5, engine=engine)
               for p in (None, {"min_level": 2, "raise_at": 40, "lower_at": 20}, PRESSURE)]
    days = [float(_advice(r, "pressure_days").mean()) for r in results]
    queue = [float(_advice(r, "queue_days").mean()) for r in results]
    assert days[0] == 0 < days[1] < days[2] <= TIME["horizon_days"]
    assert queue[0] > queue[1] > queue[2]
    turned = [float(_advice(r, "turned_away_pressure").mean()) for r in results]
    assert turned[0] == 0 < turned[1] < turned[2]


def test_the_sd_leaves_the_follow_up_to_the_des():
    sd = ps.simulate(_toy(PRESSURE), engine="sd")
    assert np.isnan(sd.ds["pressure_returns"]).all() and np.isnan(sd.ds["pressure_crises"]).all()


def test_the_brent_pressure_scenario_rations_its_front_doors():
    sc = ps.load_scenario(ROOT / "scenarios" / "brent" / "siloed_pressure.yaml").with_overrides(
        {"time": {"horizon_days": 180, "warmup_days": 180}})
    res = ps.simulate(sc, replications=1, seed=6)
    assert float(res.ds["turned_away_pressure"].sel(service="debt_advice").sum()) > 0


@pytest.mark.parametrize(("pressure", "words"), [
    ({"min_level": 2, "raise_at": 10, "lower_at": 10}, "lower_at (10) must be below raise_at (10)"),
    ({"min_level": 1, "raise_at": 10, "lower_at": 5}, "pressure.min_level (1) must be above min_level (1)"),
    ({"min_level": 2, "raise_at": 0, "lower_at": 0}, "raise_at"),
    ({"min_level": 2, "raise_at": 10}, "lower_at"),
])
def test_a_bad_pressure_is_refused_with_its_field(pressure, words):
    with pytest.raises(ps.ScenarioError, match=r"services\.advice\.eligibility") as err:
        _toy(pressure)
    assert words in str(err.value)


def test_pressure_on_an_unlimited_service_is_refused():
    sc = ps.load_scenario(TOY / "toy_siloed.yaml")
    with pytest.raises(ps.ScenarioError, match=re.escape("services.ae.eligibility.pressure")) as err:
        sc.with_overrides({"services": {"ae": {"eligibility": {"pressure": PRESSURE}}}})
    assert "no queue" in str(err.value)
