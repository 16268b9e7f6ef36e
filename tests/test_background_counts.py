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


@pytest.mark.parametrize("arrivals", [
    {"rate_per_day": RATE, "level": 3},
    {"rate_per_day": None, "schedule": [{"from_day": 0, "rate_per_day": RATE}, {"from_day": 3, "rate_per_day": RATE / 4}],
     "repeat_every_days": 7, "level": 3},  # thinned from the peak, weekly
])
def test_counted_background_takes_the_events_draws(arrivals):
    """The counted path takes the very draws the events would (gaps, thinning, durations, in
    order): every count equals a traced run's, and the residents' paths are untouched."""
    sc = _toy(arrivals=arrivals, assessment={"days": 0.25})
    counted = ps.simulate(sc, replications=2, seed=5).ds
    events = ps.simulate(sc, replications=2, seed=5, trace=True).ds  # a traced run keeps the events
    for var in ("crises", "arrivals", "assessments", "started", "completed", "exits", "in_system", "in_system_start"):
        np.testing.assert_array_equal(counted[var].values, events[var].values, err_msg=var)
    for var in ("busy_server_days", "sojourn_days_sum", "cost_gbp"):  # sums of the same stays, added in another order
        np.testing.assert_allclose(counted[var].values, events[var].values, rtol=1e-9, err_msg=var)


def test_a_service_sent_other_services_background_keeps_its_events():
    """Background cases referred on to it would share its duration stream: it is not counted apart."""
    from placesim.engines.des.background_counts import referred_background_targets

    plan = compile_plan(_toy(arrivals={"rate_per_day": 1.0, "level": 3}))
    ta = next(s for s in plan.services if s.name == "ta")
    assert ta.index in referred_background_targets(plan.services)  # the toy's homeless_app refers everyone on


def test_a_rate_of_zero_counts_nothing():
    ds = ps.simulate(_toy(arrivals={"rate_per_day": 0.0, "level": 3}), replications=1, seed=1).ds
    assert _ae(ds, "arrivals").sum() == 0 and _ae(ds, "busy_server_days").sum() == 0
