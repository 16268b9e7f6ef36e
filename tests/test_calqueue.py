"""The calendar queue of the engine's wake-ups (placesim/engines/des/calqueue.py): the same
order as SimPy's own heap, ties included, cancelled wake-ups never fire and are dropped from
their buckets, and the engine's residents are scheduled through it."""

from __future__ import annotations

import random

import pytest
import simpy
from simpy.core import NORMAL, URGENT

import placesim as ps
from placesim.engines.des import DesReplication
from placesim.engines.des.calqueue import MAX_BUCKETS, CalendarQueue, cancel, width_for
from placesim.engines.des.events import Wake, scheduler
from placesim.kinds import des_nodes
from placesim.plan import compile_plan

# delays from a small set, so that many wake-ups fall due at the same instant, at bucket
# openings (whole days) and inside the current bucket (0, 0.25)
DELAYS = (0.0, 0.0, 0.25, 0.5, 1.0, 1.0, 2.0, 3.0, 3.75, 7.0, 16.0, 40.0)


def _drive(use_calendar: bool, seed: int, end: float, width: float = 1.0, cancel_share: float = 0.0,
           start: float = 0.0) -> tuple[list[tuple[float, int]], list[int]]:
    """Run a random cascade of wake-ups; the order they fire in and the ones cancelled.

    Every wake-up that fires schedules 0-3 more (delays from DELAYS, priority URGENT or
    NORMAL), a third of them straight onto SimPy's heap as SimPy's own processes do, and
    may cancel a pending one. The random choices are made in firing order, so two runs make
    the same choices as long as they fire in the same order."""
    rng = random.Random(seed)
    env = simpy.Environment(initial_time=start)
    schedule = CalendarQueue(env, end, width).schedule if use_calendar else scheduler(env)
    direct = scheduler(env)
    fired: list[tuple[float, int]] = []
    cancelled: list[int] = []
    pending: dict[int, Wake] = {}
    label = [0]

    def add() -> None:
        label[0] += 1
        ev = Wake(label[0], on_fire)
        pending[label[0]] = ev
        (direct if rng.random() < 1 / 3 else schedule)(ev, rng.choice((URGENT, NORMAL, NORMAL)), rng.choice(DELAYS))

    def fire(ev: Wake) -> None:
        fired.append((env.now, ev._value))
        pending.pop(ev._value)
        for _ in range(rng.randrange(4) if len(pending) < 400 else 0):
            add()
        if pending and rng.random() < cancel_share:
            victim = rng.choice(sorted(pending))
            cancel(pending.pop(victim))
            cancelled.append(victim)

    on_fire = (fire,)
    for _ in range(50):
        add()
    env.run(until=end)
    return fired, cancelled


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("width", [1.0, 0.25, 4.0])
def test_same_order_as_simpys_heap(seed: int, width: float) -> None:
    plain, _ = _drive(False, seed, 200.0)
    calendar, _ = _drive(True, seed, 200.0, width)
    assert len(plain) > 1000
    ties = len(plain) - len({t for t, _ in plain})
    assert ties > 500  # many wake-ups share an instant: the order among them is SimPy's too
    assert calendar == plain


@pytest.mark.parametrize("seed", range(4))
def test_cancelled_wake_ups_never_fire(seed: int) -> None:
    plain, cut = _drive(False, seed, 300.0, cancel_share=0.5)
    calendar, cut_too = _drive(True, seed, 300.0, cancel_share=0.5)
    assert len(cut) > 100
    assert calendar == plain and cut_too == cut
    assert not {label for _, label in calendar} & set(cut)


def test_a_run_that_starts_later_and_ends_between_openings() -> None:
    plain, _ = _drive(False, 3, 100.5, start=20.25)
    calendar, _ = _drive(True, 3, 100.5, 2.0, start=20.25)
    assert calendar == plain and plain[0][0] >= 20.25 and plain[-1][0] < 100.5


def test_buckets_hold_what_is_due_later_and_drop_the_cancelled_and_what_is_due_after_the_end() -> None:
    env = simpy.Environment()
    cal = CalendarQueue(env, 10.0)
    seen: list[str] = []
    wakes = {name: Wake(name, (lambda ev: seen.append(ev._value),)) for name in "abcdef"}
    cal.schedule(wakes["a"], NORMAL, 0.5)    # before the next opening (day 1): SimPy's heap
    cal.schedule(wakes["b"], NORMAL, 3.0)    # bucket 3, opened on day 3
    cal.schedule(wakes["c"], NORMAL, 3.5)    # bucket 3
    cal.schedule(wakes["d"], NORMAL, 9.0)    # bucket 9
    cal.schedule(wakes["e"], NORMAL, 12.0)   # after the end: dropped, it would never fire
    cal.schedule(wakes["f"], URGENT, 12.0)   # another priority: SimPy's heap, as SimPy would
    assert cal.waiting() == 3
    events_on_heap = {e[3] for e in env._queue}
    assert wakes["a"] in events_on_heap and wakes["f"] in events_on_heap
    assert wakes["b"] not in events_on_heap and wakes["e"] not in events_on_heap
    cancel(wakes["c"])
    env.run(until=3.1)
    assert seen == ["a", "b"] and cal.waiting() == 1
    assert wakes["c"] not in {e[3] for e in env._queue}  # dropped when its bucket opened
    env.run(until=10.0)
    assert seen == ["a", "b", "d"]


@pytest.mark.parametrize("width", [0.0, -1.0, 3.0, 0.3, float("inf"), float("nan")])
def test_width_is_a_power_of_two(width: float) -> None:
    with pytest.raises(ValueError, match="power of two"):
        CalendarQueue(simpy.Environment(), 10.0, width)


@pytest.mark.parametrize("residents, end, width", [
    (0, 100.0, 1.0), (5_000, 1095.0, 1.0), (10_000, 1095.0, 1.0), (20_000, 1095.0, 0.5), (40_000, 1095.0, 0.25),
    (160_000, 1095.0, 1 / 16), (10**9, 1095.0, 1 / 32), (10**6, 36_500.0, 1.0)])
def test_buckets_narrow_as_the_population_grows(residents: int, end: float, width: float) -> None:
    """A day per 10,000 residents, a power of two from 1/64 to 1, and never more than
    MAX_BUCKETS buckets (a century of a million residents: one-day buckets)."""
    assert width_for(residents, end) == width
    assert end / width <= MAX_BUCKETS


def test_residents_clocks_wait_in_the_calendar(toy_scenario, root) -> None:
    """A replication with residents keeps their clocks in its calendar queue, not in SimPy's
    heap; a queueing model without residents has no calendar queue."""
    rep = DesReplication(compile_plan(toy_scenario("siloed")), 1, 0, des_nodes())
    assert rep.calendar is not None and rep.pop.schedule == rep.calendar.schedule
    assert rep.calendar.waiting() > 10 * len(rep.env._queue)
    rep.env.run(until=100.0)
    assert rep.calendar.waiting() > 10 * len(rep.env._queue)
    mmc = DesReplication(compile_plan(ps.load_scenario(root / "scenarios/validation/mmc.yaml")), 1, 0, des_nodes())
    assert mmc.calendar is None
