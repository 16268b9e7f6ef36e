"""Residents: their levels, competing-hazard transitions, help-seeking and crises.

Only transitions are events. A resident holds one pending wake-up for its next transition.
Its clock follows the next-reaction method: one unit-exponential draw ``E`` is spent at
the resident's current total hazard; when the hazard changes (support starts or ends, it
joins or leaves a service, a crisis holds it) the unspent part of ``E`` carries over at the
new rate, so no new draw is made. When the clock runs out, a second uniform picks which
transition happens, in proportion to the hazards at that moment. Every transition thus
costs exactly two draws, whatever happened in between, and a stable resident costs nothing
between events.

The pending wake-up is scheduled through the replication's calendar queue (see
:mod:`.calqueue`), so the many clocks due far ahead wait in its buckets, not in SimPy's
heap. When the hazard changes, the pending wake-up is cancelled and a new one scheduled.

Each resident draws from two streams of its own (see :mod:`.streams`): one for its
transitions and one for what services decide about it (durations, patience, referrals,
crisis responses, completion effects). Two scenarios therefore treat a resident with the
same random numbers until they treat it differently -- common random numbers at the level
of the person. A resident reads its draws from a window ``[k, end)`` of a compact array of
doubles: at first its row of the population's array of first blocks, then arrays of its own
holding at most a chunk (:data:`~.streams.RESIDENT_CHUNK`) of draws.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_right
from typing import TYPE_CHECKING

import numpy as np
import simpy
from simpy.core import NORMAL

from ...plan import Plan
from .calqueue import CANCELLED
from .events import Schedule, Wake
from .hazards import SEEK, HazardTables
from .recorder import Recorder
from .streams import CARE, RESIDENT_FIRST_BLOCK, TRANSITIONS, Streams

if TYPE_CHECKING:  # pragma: no cover
    from .contacts import RepeatContacts
    from .node import ServiceNode


_log = math.log


class Resident:
    """One resident (or household) of a cohort in a neighbourhood."""

    __slots__ = ("idx", "nb", "co", "grp", "rg", "code", "mod", "ev", "u", "k", "ue", "blk", "c", "ck", "ce",
                 "cblk", "mass", "rate", "t0", "eng", "held", "sup", "dirty", "stale", "need_t", "j_assess",
                 "j_hand", "j_done", "pressed")

    def __init__(self, idx: int, nb: int, co: int, grp: int, code: int, u: array, c: array, n_domains: int,
                 n_cohorts: int):
        # Short names are kept for speed in the per-event path; each says what it is here.
        self.idx = idx          # index of the resident (its own random streams are keyed by it)
        self.nb = nb            # neighbourhood index
        self.co = co            # cohort index
        self.grp = grp          # offset of its group in group counters: (nb * n_cohorts + co) * n_domains
        self.rg = nb * n_cohorts + co  # its offset in resident counters
        self.code = code        # levels of every domain, two bits each (domain d: (code >> 2d) & 3)
        self.mod = 0            # modifier id (HazardTables.mod_id): engaged, held and supported domains
        self.ev: Wake | None = None  # the wake-up of its transition clock (None: stopped; cancelled when replaced)
        first = idx * RESIDENT_FIRST_BLOCK
        self.u = u              # transition stream: uniforms for the clock and the choice of transition ...
        self.k = first          # ... its next unused position in u
        self.ue = first + RESIDENT_FIRST_BLOCK  # ... and the end of its draws in u
        self.blk = 0            # chunks of the transition stream drawn after its first block
        self.c = c              # care stream: u, k, ue and blk of the draws for service decisions
        self.ck = first
        self.ce = first + RESIDENT_FIRST_BLOCK
        self.cblk = 0
        self.mass = 0.0         # unspent unit-exponential mass of the transition clock
        self.rate = 0.0         # total hazard the clock runs at since t0
        self.t0 = 0.0           # clock time mass was last updated
        self.eng = [0] * n_domains   # visits engaging each domain (no help-seeking while engaged)
        self.held = [0] * n_domains  # crisis services holding each domain at level 3
        self.sup: list[int] = []     # effect ids of the supports acting now
        self.dirty = False      # something changed: the clock must be re-run
        self.stale = False      # engagement, holds or supports changed: the modifier must be rebuilt
        # start of the current need episode; -1 none, -2 in need since before the run
        # (its start is unknown, so it is left out of the journey figures)
        self.need_t = -2.0 if code else -1.0
        self.j_assess = 0       # journey: assessments in this episode so far
        self.j_hand = 0         # journey: referrals and hand-overs in this episode so far
        self.j_done = False     # journey: this episode has reached its first support
        self.pressed = 0        # 1 + the service that last turned it away under pressure in this episode (0: none)

    def level(self, d: int) -> int:
        return (self.code >> (2 * d)) & 3


class Population:
    """All residents of one replication and what happens to them between services.

    Parameters
    ----------
    env, rec, streams
        SimPy environment, recorder and random streams of the replication.
    tables
        Hazard tables of the cohorts.
    plan
        The plan: its groups (residents are numbered through them in order) and axes.
    trace
        A list to append event tuples to, or None.
    schedule
        How wake-ups are scheduled (the replication's calendar queue).
    """

    def __init__(self, env: simpy.Environment, rec: Recorder, streams: Streams, tables: HazardTables,
                 plan: Plan, trace: list | None, schedule: Schedule):
        n_neighbourhoods, n_cohorts, n_domains = plan.n_neighbourhoods, plan.n_cohorts, plan.n_domains
        self.env = env
        self.rec = rec
        self.streams = streams
        self.tables = tables
        self.D = n_domains
        self.C = n_cohorts
        self.trace = trace
        self.front_door: list[ServiceNode | None] = [None] * n_domains
        # per domain, its crisis responses: (service, probability, its repeat contacts or None)
        self.crisis: list[list[tuple[ServiceNode, float, RepeatContacts | None]]] = [[] for _ in range(n_domains)]
        self.stay_in_crisis: list[bool] = [False] * n_domains
        # the neighbourhood team (e.g. an INT team) serving each neighbourhood, if any
        self.teams: list[ServiceNode | None] = [None] * n_neighbourhoods
        self.level_counts = [0] * (n_neighbourhoods * n_cohorts * n_domains * 4)
        # residents in need (any domain above 0) per neighbourhood x cohort, and the clock time
        # their need-days were last added up to (integrated lazily, and at every bin edge)
        self.need_n = [0] * (n_neighbourhoods * n_cohorts)
        self.need_t0 = [0.0] * (n_neighbourhoods * n_cohorts)
        self.residents: list[Resident] = []
        # household attributes: each cohort's multipliers of case-finding's coverage and acceptance
        self.coverage = np.array([c.coverage for c in plan.cohorts], dtype=float)
        self.acceptance = np.array([c.acceptance for c in plan.cohorts], dtype=float)
        self.members: list[list[int]] = [[] for _ in range(n_neighbourhoods)]
        total = plan.n_residents
        # every resident's first blocks, row after row: resident i's are [16 i, 16 i + 16)
        first_u = array("d", streams.resident_first_blocks(total, TRANSITIONS).tobytes())
        first_c = array("d", streams.resident_first_blocks(total, CARE).tobytes())
        codes = np.zeros(total, dtype=np.int64)
        idx = 0
        for group in plan.groups:
            nb, co, size, key = group.neighbourhood, group.cohort, group.size, group.key
            mix = plan.cohorts[co].initial
            if size == 0:
                continue
            levels = np.zeros((size, n_domains), dtype=np.int64)
            u = streams.generator("initial-levels", key).random((size, n_domains))
            for d in range(n_domains):
                levels[:, d] = np.searchsorted(np.cumsum(mix[d])[:-1], u[:, d], side="right")
            group_codes = (levels << (2 * np.arange(n_domains))).sum(axis=1)
            codes[idx: idx + size] = group_codes
            grp = (nb * n_cohorts + co) * n_domains
            for i in range(size):
                r = Resident(idx + i, nb, co, grp, int(group_codes[i]), first_u, first_c, n_domains, n_cohorts)
                self.residents.append(r)
                if r.code:
                    self.need_n[r.rg] += 1
                for d in range(n_domains):
                    self.level_counts[(grp + d) * 4 + int(levels[i, d])] += 1
            self.members[nb].extend(range(idx, idx + size))
            idx += size
        self.codes = codes
        self.team_engaged = np.zeros(total, dtype=bool)  # engaged with their neighbourhood team (not screened)
        self.end = math.inf  # clock time the run stops at (set by the replication)
        self._tables = tables.tables
        self._shift = tables.shift
        self.schedule = schedule
        self._fire_callbacks = (self._fire,)
        self._fade_callbacks = (self._fade,)

    # ------------------------------------------------------------------ draws and scheduling
    def _next_u(self, r: Resident) -> float:
        """Next uniform of the resident's transition stream."""
        if r.k >= r.ue:
            self._refill(r)
        k = r.k
        r.k = k + 1
        return r.u[k]

    def care(self, r: Resident) -> float:
        """Next uniform of the resident's care stream (service decisions about them)."""
        k = r.ck
        if k == r.ce:
            chunk = self.streams.resident_chunk(CARE, r.idx, r.cblk)
            r.cblk += 1
            r.c = array("d", chunk.tobytes())
            r.ce = len(chunk)
            k = 0
        r.ck = k + 1
        return r.c[k]

    def start(self) -> None:
        """Start every resident's transition clock.

        A resident who starts at level 3 in a domain is in crisis at time 0: it starts at
        level 2 and its crisis happens as the first event of the run, going through the
        domain's crisis response (held there, or back to level 2) like any other. It is
        counted only if there is no warm-up, like anything else at time 0.
        """
        now = self.env.now
        on_crisis = (self._initial_crisis,)
        for r in self.residents:
            in_crisis = 0
            for d in range(self.D):
                if (r.code >> (2 * d)) & 3 == 3:
                    self._move(r, d, 3, 2)
                    in_crisis |= 1 << d
            r.mass = -_log(1.0 - self._next_u(r))
            r.t0 = now
            r.rate = 0.0
            r.stale = True
            self._run_clock(r)
            if in_crisis:
                self.schedule(Wake((r, in_crisis), on_crisis), NORMAL, 0.0)

    def _initial_crisis(self, ev: Wake) -> None:
        """The crises of a resident who started the run at level 3 (see :meth:`start`)."""
        r, in_crisis = ev._value
        for d in range(self.D):
            if in_crisis >> d & 1 and (r.code >> (2 * d)) & 3 == 2:
                self.set_level(r, d, 3)
        self.refresh(r)

    def refresh(self, r: Resident) -> None:
        """Move the resident's clock to its new hazard if its situation changed."""
        if r.dirty:
            now = self.env._now
            mass = r.mass - r.rate * (now - r.t0)
            r.mass = mass if mass > 0.0 else 0.0
            r.t0 = now
            self._run_clock(r)

    def _run_clock(self, r: Resident) -> None:
        """Schedule the wake-up at which the clock's unspent mass runs out at the current hazard
        (cancelling the one pending, if any)."""
        ev = r.ev
        if ev is not None:
            ev.callbacks = CANCELLED  # calqueue.cancel, inlined: the pending wake-up does nothing now
        r.dirty = False
        if r.stale:
            self._rebuild_modifier(r)
        entry = self._tables[r.co].get((r.mod << self._shift) | r.code)
        if entry is None:
            entry = self.tables.entry(r.co, r.mod, r.code)
        total = entry[0]
        r.rate = total
        if total <= 0.0:
            r.ev = None  # the clock stops; its unspent mass waits for a hazard
            return
        delay = r.mass / total
        if r.t0 + delay >= self.end:
            r.ev = None  # not before the end of the run (a later change re-runs the clock)
            return
        ev = Wake(r, self._fire_callbacks)
        self.schedule(ev, NORMAL, delay)
        r.ev = ev

    def _rebuild_modifier(self, r: Resident) -> None:
        sup = r.sup
        key = tuple(sorted(sup)) if len(sup) > 1 else tuple(sup)
        eng = 0
        held = 0
        bit = 1
        for e, h in zip(r.eng, r.held):
            if e:
                eng |= bit
            if h:
                held |= bit
            bit <<= 1
        r.mod = self.tables.mod_id(eng, held, key)
        r.stale = False

    def _fire(self, ev: Wake) -> None:
        r = ev._value  # a wake-up replaced when the hazard changed was cancelled: it never gets here
        total, cum, outs = self._tables[r.co][(r.mod << self._shift) | r.code]
        k = r.k
        if k + 1 >= r.ue:  # two draws: the choice now and the next clock
            self._refill(r)
            k = r.k
        u = r.u
        r.k = k + 2
        i = bisect_right(cum, u[k] * total)
        if i == len(outs):  # guard against rounding at the top end
            i -= 1
        out = outs[i]
        new = out & 7
        if new == SEEK:
            self.seek_help(r, out >> 3)
        else:
            self.set_level(r, out >> 3, new)
        r.mass = -_log(1.0 - u[k + 1])
        r.t0 = self.env._now
        self._run_clock(r)

    def _refill(self, r: Resident) -> None:
        """Top up the resident's transition draws with its next chunk (at least two are left then)."""
        u = r.u[r.k:r.ue]  # the unused draw, if any, then the chunk
        u.frombytes(self.streams.resident_chunk(TRANSITIONS, r.idx, r.blk).tobytes())
        r.blk += 1
        r.u = u
        r.k = 0
        r.ue = len(u)

    # ------------------------------------------------------------------ state changes
    def set_level(self, r: Resident, d: int, new: int) -> None:
        """Move domain ``d`` to level ``new``; reaching 3 is a crisis."""
        now = self.env._now
        old = (r.code >> (2 * d)) & 3
        if self.trace is not None:
            self.trace.append((now, "transition", -1, r.idx, d, new, -1))
        if new == 3:
            self.rec.crises[self.rec.goff + r.grp + d] += 1
            if r.pressed:  # a crisis after being turned away under pressure
                self.rec.pressure_crises[self.rec.off + r.pressed - 1] += 1
                r.pressed = 0
            if self.trace is not None:
                self.trace.append((now, "crisis", -1, r.idx, d, 3, -1))
            hold = self.stay_in_crisis[d]
            for node, p, repeats in self.crisis[d]:
                if self.care(r) < p:
                    if hold:
                        now_level = (r.code >> (2 * d)) & 3
                        if now_level != 3:
                            self._move(r, d, now_level, 3)
                        r.held[d] += 1
                        r.dirty = r.stale = True
                    node.arrive_crisis(r, d if hold else -1)  # the first contact (only it holds)
                    if repeats is not None:
                        repeats.after_first(r)
            return  # without a hold (or if no crisis service took them) they are back at level 2
        self._move(r, d, old, new)

    def _move(self, r: Resident, d: int, old: int, new: int) -> None:
        if old == new:
            return
        before = r.code
        r.code = before + ((new - old) << (2 * d))
        r.dirty = True
        base = (r.grp + d) * 4
        lc = self.level_counts
        lc[base + old] -= 1
        lc[base + new] += 1
        self.codes[r.idx] = r.code
        if before == 0:
            r.need_t = self.env._now
            r.j_assess = 0
            r.j_hand = 0
            r.j_done = False
            self._need_change(r.rg, 1)
        elif r.code == 0:
            r.need_t = -1.0
            r.pressed = 0
            self._need_change(r.rg, -1)

    def _need_change(self, g: int, delta: int) -> None:
        """A resident of neighbourhood x cohort ``g`` comes into need (+1) or out of it (-1)."""
        now = self.env._now
        self.rec.need_days[self.rec.roff + g] += self.need_n[g] * (now - self.need_t0[g])
        self.need_t0[g] = now
        self.need_n[g] += delta

    def integrate_need(self, now: float) -> None:
        """Add up need-days to ``now`` (at a bin edge, before the recorder moves on)."""
        rec = self.rec
        days, n, t0 = rec.need_days, self.need_n, self.need_t0
        for g in range(len(n)):
            days[rec.roff + g] += n[g] * (now - t0[g])
            t0[g] = now

    def release_hold(self, r: Resident, d: int) -> None:
        """A crisis service has finished with the resident; the last one returns them to level 2."""
        r.held[d] -= 1
        r.dirty = r.stale = True
        if r.held[d] == 0 and (r.code >> (2 * d)) & 3 == 3:
            self._move(r, d, 3, 2)
            if self.trace is not None:
                self.trace.append((self.env._now, "crisis_over", -1, r.idx, d, 2, -1))

    def seek_help(self, r: Resident, d: int) -> None:
        """The resident approaches a front door for domain ``d`` (the INT's, if it is theirs)."""
        rec = self.rec
        rec.help_seeking[rec.goff + r.grp + d] += 1
        team = self.teams[r.nb]
        share = team.help_share(d) if team is not None else 0.0
        if share > 0.0 and team is not None and team.active() and (share >= 1.0 or self.care(r) < share):
            team.arrive_help(r, d)
        else:
            node = self.front_door[d]
            if node is not None:
                node.arrive_help(r, d)

    def active_team(self, r: Resident) -> ServiceNode | None:
        team = self.teams[r.nb]
        if team is not None and team.active():
            return team
        return None

    def engage(self, r: Resident, mask: int, delta: int) -> None:
        """Join (+1) or leave (-1) a service for the domains in ``mask``."""
        if mask:
            eng = r.eng
            for d in range(self.D):
                if mask >> d & 1:
                    eng[d] += delta
            r.dirty = r.stale = True

    def support_start(self, r: Resident, effect: int) -> None:
        r.sup.append(effect)
        r.dirty = r.stale = True
        if not r.j_done and r.need_t >= 0.0:
            rec = self.rec
            o = rec.noff + r.nb
            rec.journeys[o] += 1
            rec.journey_assessments[o] += r.j_assess
            rec.journey_handoffs[o] += r.j_hand
            rec.journey_days_sum[o] += self.env._now - r.need_t
            r.j_done = True

    def support_end(self, r: Resident, effect: int, mask: int, resolve: float, step_down: float,
                    persistence: float = 0.0) -> None:
        """End a support and apply its completion effect to the domains in ``mask``; its effect on
        the hazards stops now, or after an exponential time of mean ``persistence`` days."""
        if persistence > 0.0:  # the effect stays on, and fades later (a draw of the care stream)
            self.schedule(Wake((r, effect), self._fade_callbacks), NORMAL, -persistence * _log(1.0 - self.care(r)))
        else:
            r.sup.remove(effect)
        r.dirty = r.stale = True
        if resolve > 0.0 or step_down > 0.0:
            for d in range(self.D):
                if mask >> d & 1:
                    k = (r.code >> (2 * d)) & 3
                    if k == 1 or k == 2:
                        u = self.care(r)
                        new = 0 if u < resolve else k - 1 if u < resolve + step_down else k
                        if new != k:
                            self._move(r, d, k, new)
                            if self.trace is not None:
                                self.trace.append((self.env._now, "support_effect", -1, r.idx, d, new, -1))

    def _fade(self, ev: Wake) -> None:
        """A support's lasting effect on a resident ends."""
        r, effect = ev._value
        r.sup.remove(effect)
        r.dirty = r.stale = True
        self.refresh(r)

    def level_snapshot(self) -> list[int]:
        return list(self.level_counts)
