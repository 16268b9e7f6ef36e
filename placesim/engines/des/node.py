"""Service nodes: front doors, queues, places and routing.

A node is event-driven without a SimPy process per person: an arrival is assessed, turned
away or queued, started when a place is free (on an open day), and completed by a
scheduled callback that routes the person onward. This keeps the cost of a visit to one
scheduled completion (plus one event per referral, patience clock or multi-day
assessment). Kinds of service (:mod:`placesim.kinds`) subclass :class:`ServiceNode` and
override its hooks (``_support_start``, ``_after_completion``, ``_engage`` ...).

Convention: node methods never re-draw a resident's next transition themselves; every
event callback that touches a resident ends with ``pop.refresh(resident)``.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterator
from heapq import heappop, heappush
from typing import TYPE_CHECKING, Any

from simpy.core import NORMAL

from ...plan import Calendar, ServicePlan
from .case import (
    ASSESSING,
    DONE,
    IN_SERVICE,
    NO_TIMER,
    OUT_OF_PATIENCE,
    PATIENT,
    PENDING,
    QUEUED,
    Case,
    NodeContext,
    Route,
)
from .events import Wake
from .over_time import OverTime
from .routing import Routing

if TYPE_CHECKING:  # pragma: no cover
    from .population import Resident


def _waits_for_ever(u: float) -> float:
    raise AssertionError("a service without patience has no patience draws")  # pragma: no cover



class ServiceNode(Routing, OverTime):
    """A siloed service (the base of every kind of service node).

    Parameters
    ----------
    plan
        The service's plan.
    ctx
        The replication's environment, recorder, population, streams, clock and trace.

    Notes
    -----
    Background arrivals draw support durations, patience and routing uniforms from the
    service's own streams; a resident's draws come from its own care stream through the
    distributions' inverse CDFs (``duration_q``, ``patience_q``), so a resident's support
    lasts as long in two scenarios that treat it alike.
    """

    def __init__(self, plan: ServicePlan, ctx: NodeContext):
        name = plan.name
        streams = ctx.streams
        self.plan = plan
        self.name = name
        self.index = plan.index
        self.kind = plan.kind
        self.env = ctx.env
        self.schedule = ctx.schedule
        self.rec = ctx.rec
        self.pop = ctx.pop
        self.trace = ctx.trace
        self.capacity = plan.capacity
        self.calendar = Calendar(ctx.clock.warmup, ctx.clock.weekday0, plan.open_days, plan.active_from,
                                 plan.active_until)
        self.warmup = ctx.clock.warmup
        # cases at the service, kept only for one that closes for good (to hand them on then)
        self.open_cases: set[Case] | None = None if math.isinf(plan.active_until) else set()
        self.numbered = 0  # arrivals numbered so far at such a service
        self.always_open = self.calendar.always
        self.durations: Iterator[float] = streams.iterator("duration", name, plan.duration.block_sampler)
        self.duration_q: Callable[[float], float] = plan.duration.quantile_function()
        self.patience: Iterator[float] | None = None  # None: people wait for ever
        self.patience_q: Callable[[float], float] = _waits_for_ever
        if plan.patience is not None:
            self.patience = streams.iterator("patience", name, plan.patience.block_sampler)
            self.patience_q = plan.patience.quantile_function()
        self.u = streams.iterator("routing", name)  # uniforms for background arrivals' routing and losses
        self.dmask = plan.domain_mask               # domains addressed (bit mask)
        self.severity = plan.severity_queue
        self.assess_days = plan.assess_days
        self.min_level = plan.min_level  # the threshold now (raised under pressure)
        self.base_level = plan.min_level
        # a threshold raised under pressure: (raised level, queued to raise, queued to lower)
        self.pressure = plan.pressure
        self.raised = False
        self.effect = self.support_effect()
        self.resolve = plan.resolve
        self.persistence = plan.persistence  # mean days support's effect lasts after it ends
        self.step_down = plan.step_down
        self.rules_done: list[Route] = []
        self.rules_away: list[Route] = []
        self.busy = 0
        self.waiting = 0    # pending an open day or queued
        self.queued = 0     # live entries in the queue
        self.assessing = 0
        # chance the INT's shared record spares the assessment of a resident known to a team
        # (sent on by it, or supported by it now); set by the teams when they connect
        self.spare = 0.0
        # a heap of (-level, arrival number, case) for a severity queue, else a deque of cases
        self.queue: Any = [] if self.severity else deque()
        self.pending: list[Case] = []
        self.attenders: dict[int, int] = {}  # crisis contacts here in the reported period, by resident
        self.seq = 0
        self.last_t = 0.0
        self._on_assessed = (self._assessed,)
        self._on_renege = (self._renege,)
        self._on_complete = (self._complete,)
        self._on_receive = (self._receive,)

    def support_effect(self) -> int:
        """Effect id of support on the service's domains (-1: chosen per case)."""
        p = self.plan
        return self.pop.tables.effect_id(p.domain_mask, p.escalation_multiplier, p.recovery_multiplier)

    def help_share(self, d: int) -> float:
        """Share of its neighbourhood's residents seeking help in domain ``d`` who come here (a
        neighbourhood team's; a siloed service is reached through the domain's front door)."""
        return 0.0

    def active(self) -> bool:
        """Whether it is open for business (a phased team not before its start, nor after its end)."""
        now = self.env._now
        return self.calendar.active_from <= now < self.calendar.active_until

    def connect(self, nodes: list[ServiceNode]) -> None:
        """Compile the referral rules against the replication's nodes."""
        self.rules_done = [Route(r, nodes) for r in self.plan.rules_done]
        self.rules_away = [Route(r, nodes) for r in self.plan.rules_away]

    # ------------------------------------------------------------------ bookkeeping
    def _log(self, event: str, case: Case, level: int | None = None, domain: int = -1, target: int = -1) -> None:
        """Append one event to the trace (callers check ``self.trace is not None`` first)."""
        res = case.res
        assert self.trace is not None
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
            if self.raised:
                self.rec.pressure_days[o] += dt
        self.last_t = now

    def _press(self, raised: bool) -> None:
        """Raise the threshold (the queue has reached ``raise_at``) or lower it (down to ``lower_at``)."""
        assert self.pressure is not None
        self.integrate(self.env._now)
        self.raised = raised
        self.min_level = self.pressure[0] if raised else self.base_level
        if self.trace is not None:
            self.trace.append((self.env._now, "pressure_on" if raised else "pressure_off", self.index, -1, -1,
                               self.min_level, -1))

    def start_processes(self) -> None:
        """Start the opening-day process if the node is not always open, the process that changes
        its capacity over time if it does, and its closing if it closes for good."""
        if not self.always_open:
            self.env.process(self._opener())
        capacity_at = self.plan.capacity_at
        if capacity_at is not None:
            self.capacity = capacity_at.at(self.env.now - self.warmup)
            self.on_capacity_change()
            self.env.process(self._capacity_changes())
        if self.open_cases is not None and self.plan.active_until < math.inf:
            self.env.process(self._closing())

    def _opener(self):
        env = self.env
        for t in self.calendar.openings(env.now):
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

    def arrive_help(self, r: Resident, d: int) -> None:
        self.arrive(Case(r, 0, self.env._now, emask=1 << d))

    def arrive_crisis(self, r: Resident, hold: int) -> None:
        """A crisis contact: the first of an episode (``hold``: the domain it holds, or -1) or a repeat."""
        now = self.env._now
        rec = self.rec
        rec.crisis_contacts[rec.off + self.index] += 1
        if now >= self.warmup:  # the resident's crisis contacts here in the reported period
            a = self.attenders
            a[r.idx] = a.get(r.idx, 0) + 1
        self.arrive(Case(r, 3, now, hold=hold))

    def arrive_repeat(self, r: Resident, d: int) -> None:
        """A repeat contact of the resident's crisis episode in domain ``d``: it holds no one."""
        rec = self.rec
        rec.repeat_contacts[rec.off + self.index] += 1
        if self.trace is not None:
            self.trace.append((self.env._now, "repeat_contact", self.index, r.idx, d, 3, -1))
        self.arrive_crisis(r, -1)

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
        if self.open_cases is not None:
            self.numbered += 1
            case.seq_no = self.numbered
            self.open_cases.add(case)
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
        res = case.res
        spared = False
        if res is None:
            rec.assessments[o] += 1
        elif self.spare > 0.0 and (case.shared or self.pop.team_engaged[res.idx]) and self.pop.care(res) < self.spare:
            rec.assessments_spared[o] += 1  # the INT's record is read: their story is not asked again
            spared = True
        else:
            rec.assessments[o] += 1
            rec.resident_assessments[rec.roff + res.rg] += 1
            if res.j_assess:  # assessed before in this need episode: telling their story again
                rec.repeat_assessments[o] += 1
            res.j_assess += 1
        if self.trace is not None:
            self._log("assess_spared" if spared else "assess", case)
        if self.assess_days > 0.0:
            case.state = ASSESSING
            self.assessing += 1
            self.schedule(Wake(case, self._on_assessed), NORMAL, self.assess_days)
        else:
            self._decide(case)

    def _assessed(self, ev: Wake) -> None:
        case = ev._value
        if case.state != ASSESSING:
            return  # the service closed while they were being assessed
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
        res = case.res
        if self.pressure is not None and res is not None and res.pressed == self.index + 1:
            rec = self.rec
            rec.pressure_returns[rec.off + self.index] += 1  # back after a turn-away under pressure
            res.pressed = 0
        if level < self.min_level:
            rec = self.rec
            rec.turned_away[rec.off + self.index] += 1
            if self.raised and level >= self.base_level:  # sent away only because of the pressure
                rec.turned_away_pressure[rec.off + self.index] += 1
                if res is not None:
                    res.pressed = self.index + 1
            if self.trace is not None:
                self._log("turned_away", case, level)
            case.state = DONE
            self._route(case, self.rules_away)
            return
        case.level = level
        if (self.waiting == 0 and self.busy < self.capacity
                and (self.always_open or self.calendar.is_open(self.env._now))):
            self._start(case)
        elif case.waiting_timer == OUT_OF_PATIENCE:
            self._abandon(case)  # their patience ran out while they were being assessed
        else:
            self.integrate(self.env._now)
            self.waiting += 1
            self.queued += 1
            if self.pressure is not None and not self.raised and self.queued >= self.pressure[1]:
                self._press(True)
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
            self.schedule(Wake(case, self._on_renege), NORMAL, wait)

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
            if self.raised and self.queued <= self.pressure[2]:  # type: ignore[index]
                self._press(False)
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
            if self.raised and self.queued <= self.pressure[2]:  # type: ignore[index]
                self._press(False)
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
        res = case.res
        if res is None:
            if self.trace is not None:
                self._log("start", case)
            duration = next(self.durations)
        else:
            length = self._support_start(res, case)
            if self.trace is not None:
                self._log("start", case)
            duration = length(self.pop.care(res))
        self.schedule(Wake(case, self._on_complete), NORMAL, duration)

    def _complete(self, ev: Wake) -> None:
        case = ev._value
        if case.state != IN_SERVICE:
            return  # the service closed during their support
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

    def _support_start(self, res: Resident, case: Case) -> Callable[[float], float]:
        """Start supporting a resident; returns the quantile function of this episode's length."""
        if self.dmask:
            case.supm = self.dmask
            case.eff = self.effect
            self.pop.support_start(res, self.effect)
        return self.duration_q

    def _support_end(self, res: Resident, case: Case) -> None:
        if case.eff >= 0:
            self.pop.support_end(res, case.eff, case.supm, self.resolve, self.step_down, self.persistence)

    def _after_completion(self, case: Case) -> None:
        self._route(case, self.rules_done)

    def _engage(self, res: Resident, case: Case, delta: int) -> None:
        self.pop.engage(res, case.emask, delta)

    def _leave(self, case: Case, exits: bool) -> None:
        """The person is done here; ``exits`` if they also leave the service network."""
        case.state = DONE
        if self.open_cases is not None:
            self.open_cases.discard(case)
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
