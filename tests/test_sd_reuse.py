"""Work shared between SD runs (:mod:`placesim.engines.sd.reuse`): exact, and used.

Runs made inside ``reuse.sharing()`` must equal the same runs made alone, to the last bit:
the state kept where the INT team opens is the state the run would have computed, and a
whole run kept is the run. The store must also be hit where the draws leave the start of the
run unchanged, and missed where they do not.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import placesim as ps
from placesim.engines.sd import reuse
from placesim.engines.sd.run import SdRun, run_sd
from placesim.kinds import sd_flows
from placesim.plan import compile_plan

ROOT = Path(__file__).resolve().parents[1]

# draws of the INT's own values, as an uncertainty analysis makes them
INT_DRAWS = [
    {"int": {"effect": {"escalation_multiplier": 0.3}, "duration": {"mean_days": 90}}},
    {"int": {"effect": {"escalation_multiplier": 0.8}, "duration": {"mean_days": 150}}},
    {"int": {"effect": {"escalation_multiplier": 0.5, "recovery_multiplier": 3.0},
             "case_finding": {"sensitivity": 0.9, "acceptance": 0.3}}},
]


@pytest.fixture(scope="module")
def toy_int():
    return ps.load_scenario(ROOT / "tests/scenarios/toy_int.yaml")


def _alone(scenario: ps.Scenario) -> dict[str, np.ndarray]:
    return SdRun(compile_plan(scenario), sd_flows()).run()


def _assert_same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


def test_draws_of_the_int_share_the_run_before_it_opens_and_equal_runs_alone(toy_int):
    scenarios = [toy_int.with_overrides(d) for d in INT_DRAWS]
    alone = [_alone(s) for s in scenarios]
    with reuse.sharing() as store:
        shared = [SdRun(compile_plan(s), sd_flows()).run() for s in scenarios]
        assert store.hits == len(scenarios) - 1  # the first draw keeps the state, the others start from it
    for a, b in zip(alone, shared):
        _assert_same(a, b)
    # the draws do differ after the team opens (otherwise the test would prove nothing)
    assert not np.array_equal(alone[0]["crises"], alone[1]["crises"])


def test_a_change_before_the_team_opens_is_not_shared(toy_int):
    other = toy_int.with_overrides({"cohorts": {"hardship": {"hazards": {"money": {"onset_per_year": 0.5}}}}})
    with reuse.sharing() as store:
        SdRun(compile_plan(toy_int), sd_flows()).run()
        got = SdRun(compile_plan(other), sd_flows()).run()
        assert store.hits == 0
    _assert_same(got, _alone(other))


def test_a_plan_run_again_gives_its_kept_arrays_as_copies(toy_int):
    plan = compile_plan(toy_int)
    with reuse.sharing() as store:
        first = run_sd(plan, sd_flows())
        first["crises"][:] = -1.0  # a caller changing what it got must not change what is kept
        second = run_sd(plan, sd_flows())
        assert store.hits >= 1
    _assert_same(second, _alone(toy_int))


def test_nothing_is_shared_outside_the_block(toy_int):
    assert reuse.current() is None
    with reuse.sharing() as store:
        with reuse.sharing() as inner:
            assert inner is store
    assert reuse.current() is None
