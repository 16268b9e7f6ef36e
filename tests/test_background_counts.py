"""Background demand counted without events at services nothing waits for: the same
distribution as the event path (M/G/infinity theory and a traced run), and residents untouched."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import placesim as ps
from placesim.engines.des.background_counts import counts_only
from placesim.plan import compile_plan

TOY = Path(__file__).resolve().parent / "scenarios"
RATE, MEAN_DAYS, REPS = 200.0, 0.5, 8


def _toy(**ae) -> ps.Scenario:
    """The toy place with A&E taking only background demand (money crises go to housing options)."""
    over = {"time": {"horizon_days": 360, "warmup_days": 60, "report_every_days": 30},
            "domains": {"money": {"crisis": {"responses": [{"service": "housing_options", "probability": 0.3}]}}},
            "services": {"ae": {"arrivals": {"rate_per_day": RATE, "level": 3},
                                "duration": {"distribution": "lognormal", "mean_days": MEAN_DAYS, "sd_days": 0.3},
                                **ae}}}
    return ps.load_scenario(TOY / "toy_siloed.yaml").with_overrides(over)


def _ae(ds, var: str) -> np.ndarray:
    return ds[var].sel(service="ae").to_numpy()  # (replication, time)


def test_which_services_are_counted_without_events():
    plan = compile_plan(_toy())
    ae = next(s for s in plan.services if s.name == "ae")
    assert counts_only(ae, True) and not counts_only(ae, False)  # closed some days: cases wait
    limited = next(s for s in compile_plan(_toy(servers=50)).services if s.name == "ae")
    assert not counts_only(limited, True)
    routed = compile_plan(_toy(referrals=[{"to": "ta", "probability": 0.1}]))
    assert not counts_only(next(s for s in routed.services if s.name == "ae"), True)  # background is referred on
    only_housing = compile_plan(_toy(referrals=[{"to": "ta", "probability": 0.1, "domain": "housing"}]))
    assert counts_only(next(s for s in only_housing.services if s.name == "ae"), True)  # never a background case


def test_counted_background_follows_m_g_infinity_theory():
    ds = ps.simulate(_toy(), replications=REPS, seed=11).ds
    every = 30.0
    for var, expected in (("arrivals", RATE * every), ("started", RATE * every), ("completed", RATE * every),
                          ("busy_server_days", RATE * MEAN_DAYS * every), ("in_system", RATE * MEAN_DAYS)):
        x = _ae(ds, var).mean(axis=1)  # per replication: the mean over its twelve 30-day bins
        se = x.std(ddof=1) / np.sqrt(REPS)
        assert abs(x.mean() - expected) < 4 * se, var
    assert _ae(ds, "in_system_start").mean() == pytest.approx(RATE * MEAN_DAYS, rel=0.2)
    # costs follow the counters: per case and per day as the plan says
    sp = next(s for s in compile_plan(_toy()).services if s.name == "ae")
    cost = _ae(ds, "cost_gbp")
    np.testing.assert_allclose(cost, _ae(ds, "assessments") * sp.assess_cost + _ae(ds, "started") * sp.case_cost
                               + _ae(ds, "busy_server_days") * sp.daily_cost, rtol=1e-12)


def test_counted_and_event_background_agree_and_residents_are_untouched():
    sc = _toy()
    counted = ps.simulate(sc, replications=REPS, seed=5).ds
    events = ps.simulate(sc, replications=REPS, seed=5, trace=True).ds  # a traced run keeps the events
    # residents' paths do not depend on background cases at such a service: identical
    np.testing.assert_array_equal(counted["crises"].values, events["crises"].values)
    for var in ("arrivals", "busy_server_days", "in_system", "completed"):
        a, b = _ae(counted, var).sum(axis=1), _ae(events, var).sum(axis=1)
        se = np.sqrt(a.var(ddof=1) / REPS + b.var(ddof=1) / REPS)
        assert abs(a.mean() - b.mean()) < 4 * se, var
    assert not np.array_equal(_ae(counted, "arrivals"), _ae(events, "arrivals"))  # different draws, same law


def test_a_rate_of_zero_counts_nothing():
    ds = ps.simulate(_toy(arrivals={"rate_per_day": 0.0, "level": 3}), replications=1, seed=1).ds
    assert _ae(ds, "arrivals").sum() == 0 and _ae(ds, "busy_server_days").sum() == 0
