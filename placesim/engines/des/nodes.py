"""Service nodes: front doors, queues, servers and routing.

A node is event-driven without a SimPy process per person: an arrival is assessed, turned
away or queued, started when a server is free (on an open day), and completed by a
scheduled callback that routes the person onward. This keeps the cost of a visit to one
scheduled completion (plus one event per referral, patience clock or multi-day
assessment). :class:`IntTeamNode` specialises the hooks for the INT: one assessment
across all covered domains, a key worker, huddles, warm hand-overs and case-finding.

Convention: node methods never re-draw a resident's next transition themselves; every
event callback that touches a resident ends with ``pop.refresh(resident)``.
"""

from __future__ import annotations

import math
from collections import deque
from heapq import heappop, heappush
from typing import TYPE_CHECKING, Callable, Iterator

import simpy
from simpy.core import NORMAL

from .events import Wake
from .recorder import Recorder

if TYPE_CHECKING:  # pragma: no cover
    from .population import Population, Resident

PENDING, ASSESSING, QUEUED, IN_SERVICE, DONE = range(5)
NO_TIMER, PATIENT, OUT_OF_PATIENCE = range(3)
DAY_EPS = 1e-9


class Case:
    """One person's visit to one service (a resident, or a background arrival if ``res`` is None)."""

    __slots__ = ("res", "level", "t_arr", "t_sys", "state", "hold", "emask", "supm", "eff", "waiting_timer", "done")

    def __init__(self, res: "Resident | None", level: int, t_sys: float, hold: int = -1, emask: int = 0):
        self.res = res
        self.level = level
        self.t_arr = t_sys
        self.t_sys = t_sys
        self.state = PENDING
        self.hold = hold
        self.emask = emask
        self.supm = 0
        self.eff = -1
        self.waiting_timer = NO_TIMER
        self.done = 0  # domains an INT already supported in this chain of episodes (no huddle)


class Rule:
    """A compiled referral rule."""

    __slots__ = ("target", "to_int", "p", "dom", "min", "loss", "delay")

    def __init__(self, target: "ServiceNode | None", to_int: bool, p: float, dom: int, min_level: int,
                 loss: float, delay: float):
        self.target = target
        self.to_int = to_int
        self.p = p
        self.dom = dom
        self.min = min_level
        self.loss = loss
        self.delay = delay


class Calendar:
    """Which clock times a node is open: from ``active_from``, on the open weekdays."""

    def __init__(self, warmup: float, weekday0: int, open_days: tuple[bool, ...], active_from: float):
        self.warmup = warmup
        self.weekday0 = weekday0
        self.open_days = open_days
        self.active_from = active_from
        self.always = all(open_days) and active_from <= 0.0

    def is_open(self, t: float) -> bool:
        if t < self.active_from:
            return False
        day = math.floor(t - self.warmup + DAY_EPS)
        return self.open_days[(day + self.weekday0) % 7]

    def openings(self, env: simpy.Environment) -> Iterator[float]:
        """Clock times at which the node opens (start of each open day, and ``active_from``)."""
        t = max(env.now, self.active_from)
        if self.is_open(t):
            yield t
        day = math.floor(t - self.warmup + DAY_EPS) + 1
        while True:
            if self.open_days[(day + self.weekday0) % 7]:
                yield self.warmup + day
            day += 1


class ServiceNode:
    """A siloed service.

    Parameters
    ----------
    name, index
        Service name and position on the service axis.
    env, rec, pop
        Environment, recorder and population of the replication.
    capacity
        Concurrent cases (``math.inf`` for unlimited).
    calendar
        Opening days.
    durations, patience, uniforms
        Draw iterators for background arrivals: support durations, patience (or None for
        infinite), and uniforms for routing and hand-off loss.
    duration_q, patience_q
        Inverse CDFs of the duration and patience distributions: a resident's draws come
        from its own care stream through these, so a resident's support lasts as long in
        two scenarios that treat it alike.
    """

    kind = "service"

    def __init__(self, name: str, index: int, env: simpy.Environment, rec: Recorder, pop: "Population",
                 capacity: float, calendar: Calendar, durations: Iterator[float], *, uniforms: Iterator[float],
                 duration_q: Callable[[float], float], patience: Iterator[float] | None = None,
                 patience_q: Callable[[float], float] | None = None, domain_mask: int = 0, severity: bool = False,
                 assess_cost: float = 0.0, assess_days: float = 0.0, min_level: int = 0,
                 case_cost: float = 0.0, daily_cost: float = 0.0, effect: int = -1,
                 resolve: float = 0.0, step_down: float = 0.0, trace: list | None = None):
        self.name = name
        self.index = index
        self.env = env
        self.rec = rec
        self.pop = pop
        self.capacity = capacity
        self.calendar = calendar
        self.always_open = calendar.always
        self.durations = durations
        self.patience = patience
        self.u = uniforms
        self.duration_q = duration_q
        self.patience_q = patience_q
        self.dmask = domain_mask
        self.severity = severity
        self.assess_cost = assess_cost
        self.assess_days = assess_days
        self.min_level = min_level
        self.case_cost = case_cost
        self.daily_cost = daily_cost
        self.effect = effect
        self.resolve = resolve
        self.step_down = step_down
        self.trace = trace
        self.rules_done: list[Rule] = []
        self.rules_away: list[Rule] = []
        self.busy = 0
        self.waiting = 0    # pending an open day or queued
        self.queued = 0     # live entries in the queue
        self.assessing = 0
        self.queue: deque[Case] | list = [] if severity else deque()
        self.pending: list[Case] = []
        self.seq = 0
        self.last_t = 0.0
        self._on_assessed = (self._assessed,)
        self._on_renege = (self._renege,)
        self._on_complete = (self._complete,)
        self._on_receive = (self._receive,)

    # ------------------------------------------------------------------ bookkeeping
    def _log(self, event: str, case: Case, level: int | None = None, domain: int = -1, target: int = -1) -> None:
        """Append one event to the trace (callers check ``self.trace is not None`` first)."""
        res = case.res
        self.trace.append((self.env._now, event, self.index, res.idx if res is not None else -1, domain,
                           case.level if level is None else level, target))

    @property
    def in_system(self) -> int:
        return self.waiting + self.assessing + self.busy

    def integrate(self, now: float) -> None:
        """Add busy-server and queue days since the last change to the current bin."""
        dt = now - self.last_t
        if dt > 0.0:
            o = self.rec.off + self.index
            if self.busy:
                self.rec.busy_server_days[o] += self.busy * dt
            if self.waiting:
                self.rec.queue_days[o] += self.waiting * dt
        self.last_t = now

    def start_processes(self) -> None:
        """Start the opening-day process if the node is not always open."""
        if not self.always_open:
            self.env.process(self._opener())

    def _opener(self):
        env = self.env
        for t in self.calendar.openings(env):
            if t > env.now:
                yield env.timeout(t - env.now)
            self._on_open()

    def _on_open(self) -> None:
        pend, self.pending = self.pending, []
        refresh = self.pop.refresh
        for case in pend:
            if case.state != PENDING:
                continue
            self.integrate(self.env._now)
            self.waiting -= 1
            self._assess(case)
            if case.res is not None:
                refresh(case.res)
        self._next()

    # ------------------------------------------------------------------ entry points
    def arrive_background(self, level: int) -> None:
        self.arrive(Case(None, level, self.env._now))

    def arrive_help(self, r: "Resident", d: int) -> None:
        self.arrive(Case(r, 0, self.env._now, emask=1 << d))

    def arrive_crisis(self, r: "Resident", hold: int) -> None:
        self.arrive(Case(r, 3, self.env._now, hold=hold))

    def _receive(self, ev: Wake) -> None:
        """Arrival by referral or hand-over (scheduled by the referring node)."""
        case = ev._value
        self.rec.referrals_received[self.rec.off + self.index] += 1
        self.arrive(case)
        if case.res is not None:
            self.pop.refresh(case.res)

    def arrive(self, case: Case) -> None:
        now = self.env._now
        self.rec.arrivals[self.rec.off + self.index] += 1
        case.t_arr = now
        res = case.res
        if res is not None:
            case.emask |= self.dmask
            self._engage(res, case, 1)
        if self.trace is not None:
            self._log("arrive", case)
        if self.always_open or self.calendar.is_open(now):
            self._assess(case)
        else:
            self.integrate(now)
            self.waiting += 1
            case.state = PENDING
            self.pending.append(case)
            self._start_patience(case)

    # ------------------------------------------------------------------ assessment
    def _assess(self, case: Case) -> None:
        rec = self.rec
        o = rec.off + self.index
        rec.assessments[o] += 1
        if self.assess_cost:
            rec.cost_gbp[o] += self.assess_cost
        res = case.res
        if res is not None:
            res.j_assess += 1
        if self.trace is not None:
            self._log("assess", case)
        if self.assess_days > 0.0:
            case.state = ASSESSING
            self.assessing += 1
            self.env.schedule(Wake(case, self._on_assessed), NORMAL, self.assess_days)
        else:
            self._decide(case)

    def _assessed(self, ev: Wake) -> None:
        case = ev._value
        self.assessing -= 1
        self._decide(case)
        if case.res is not None:
            self.pop.refresh(case.res)

    def level_of(self, case: Case) -> int:
        """Level used for eligibility and severity: highest across the case's domains."""
        res = case.res
        level = case.level
        if res is not None:
            mask = case.emask
            code = res.code
            d = 0
            while mask:
                if mask & 1:
                    k = (code >> (2 * d)) & 3
                    if k > level:
                        level = k
                mask >>= 1
                d += 1
        return level

    def _decide(self, case: Case) -> None:
        level = self.level_of(case)
        if level < self.min_level:
            rec = self.rec
            rec.turned_away[rec.off + self.index] += 1
            if self.trace is not None:
                self._log("turned_away", case, level)
            case.state = DONE
            self._route(case, self.rules_away)
            return
        case.level = level
        if self.waiting == 0 and self.busy < self.capacity and (self.always_open or self.calendar.is_open(self.env._now)):
            self._start(case)
        elif case.waiting_timer == OUT_OF_PATIENCE:
            self._abandon(case)  # their patience ran out while they were being assessed
        else:
            self.integrate(self.env._now)
            self.waiting += 1
            self.queued += 1
            case.state = QUEUED
            if self.severity:
                self.seq += 1
                heappush(self.queue, (-level, self.seq, case))
            else:
                self.queue.append(case)
            self._start_patience(case)

    # ------------------------------------------------------------------ waiting
    def _start_patience(self, case: Case) -> None:
        if self.patience is not None and case.waiting_timer == NO_TIMER:
            case.waiting_timer = PATIENT
            res = case.res
            wait = next(self.patience) if res is None else self.patience_q(self.pop.care(res))
            self.env.schedule(Wake(case, self._on_renege), NORMAL, wait)

    def _renege(self, ev: Wake) -> None:
        """The patience clock ran out: leave the queue (or leave once assessed)."""
        case = ev._value
        if case.state == ASSESSING:
            case.waiting_timer = OUT_OF_PATIENCE
            return
        if case.state != PENDING and case.state != QUEUED:
            return
        self.integrate(self.env._now)
        self.waiting -= 1
        if case.state == QUEUED:
            self.queued -= 1
        self._abandon(case)
        if case.res is not None:
            self.pop.refresh(case.res)

    def _abandon(self, case: Case) -> None:
        case.state = DONE  # left in the queue, if it was there; skipped when reached
        rec = self.rec
        rec.abandoned[rec.off + self.index] += 1
        if self.trace is not None:
            self._log("abandon", case)
        self._leave(case, True)

    def _next(self) -> None:
        """Start waiting cases while servers are free and the service is open."""
        if not (self.always_open or self.calendar.is_open(self.env._now)):
            return
        queue = self.queue
        refresh = self.pop.refresh
        while self.queued and self.busy < self.capacity:
            if self.severity:
                case = heappop(queue)[2]
            else:
                case = queue.popleft()
            if case.state != QUEUED:
                continue  # gave up waiting; left in the queue until reached
            self.integrate(self.env._now)
            self.waiting -= 1
            self.queued -= 1
            self._start(case)
            if case.res is not None:
                refresh(case.res)

    # ------------------------------------------------------------------ support
    def _start(self, case: Case) -> None:
        env = self.env
        now = env._now
        self.integrate(now)
        self.busy += 1
        case.state = IN_SERVICE
        rec = self.rec
        o = rec.off + self.index
        rec.started[o] += 1
        rec.wait_days_sum[o] += now - case.t_arr - self.assess_days
        if self.case_cost:
            rec.cost_gbp[o] += self.case_cost
        res = case.res
        if res is not None:
            self._support_start(res, case)
        if self.trace is not None:
            self._log("start", case)
        duration = next(self.durations) if res is None else self.duration_q(self.pop.care(res))
        self.env.schedule(Wake(case, self._on_complete), NORMAL, duration)

    def _complete(self, ev: simpy.Event) -> None:
        case = ev._value
        now = self.env._now
        self.integrate(now)
        self.busy -= 1
        rec = self.rec
        o = rec.off + self.index
        rec.completed[o] += 1
        rec.sojourn_days_sum[o] += now - case.t_arr
        case.state = DONE
        res = case.res
        if self.trace is not None:
            self._log("complete", case)
        if res is not None:
            self._support_end(res, case)
        self._after_completion(case)
        if res is not None:
            self.pop.refresh(res)
        self._next()

    def _support_start(self, res: "Resident", case: Case) -> None:
        if self.dmask:
            case.supm = self.dmask
            case.eff = self.effect
            self.pop.support_start(res, self.effect)

    def _support_end(self, res: "Resident", case: Case) -> None:
        if case.eff >= 0:
            self.pop.support_end(res, case.eff, case.supm, self.resolve, self.step_down)

    def _after_completion(self, case: Case) -> None:
        self._route(case, self.rules_done)

    # ------------------------------------------------------------------ routing
    def _route(self, case: Case, rules: list[Rule]) -> None:
        """One draw over the referral rules that apply to this person; else they leave."""
        if rules:
            res = case.res
            u = next(self.u) if res is None else self.pop.care(res)
            acc = 0.0
            for rule in rules:
                if rule.dom >= 0 and (res is None or (res.code >> (2 * rule.dom)) & 3 < rule.min):
                    continue
                if rule.to_int:
                    target = self.pop.active_team(res) if res is not None else None
                    if target is None:
                        continue
                else:
                    target = rule.target
                acc += rule.p
                if u < acc:
                    self._refer(case, target, rule.loss, rule.delay, rule.dom)
                    return
        self._leave(case, True)

    def _refer(self, case: Case, target: "ServiceNode", loss: float, delay: float, dom: int = -1) -> None:
        rec = self.rec
        o = rec.off + self.index
        rec.referrals[o] += 1
        res = case.res
        if res is not None:
            res.j_hand += 1
        if loss > 0.0 and (next(self.u) if res is None else self.pop.care(res)) < loss:
            rec.handoffs_lost[o] += 1
            if self.trace is not None:
                self._log("lost", case, domain=dom, target=target.index)
            self._leave(case, True)
            return
        if self.trace is not None:
            self._log("refer", case, domain=dom, target=target.index)
        onward = Case(res, case.level if res is None else 0, case.t_sys, hold=case.hold,
                      emask=(1 << dom) if dom >= 0 else 0)
        case.hold = -1
        self._leave(case, False)
        # Arrival is its own event, even without a delay, so that a chain of instant
        # referrals (signposting from door to door) does not recurse.
        self.env.schedule(Wake(onward, target._on_receive), NORMAL, delay)

    def _engage(self, res: "Resident", case: Case, delta: int) -> None:
        self.pop.engage(res, case.emask, delta)

    def _leave(self, case: Case, exits: bool) -> None:
        """The person is done here; ``exits`` if they also leave the service network."""
        case.state = DONE
        res = case.res
        if res is not None:
            self._engage(res, case, -1)
            if case.hold >= 0:
                self.pop.release_hold(res, case.hold)
                case.hold = -1
        if exits:
            rec = self.rec
            o = rec.off + self.index
            rec.exits[o] += 1
            rec.system_days_sum[o] += self.env._now - case.t_sys
