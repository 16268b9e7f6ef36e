"""Residents: their levels, competing-hazard transitions, help-seeking and crises.

Only transitions are events. A resident holds one pending SimPy timeout for its next
transition, drawn from its competing hazards; when anything that changes those hazards
happens (support starts or ends, it joins or leaves a service, a crisis holds it), the
timeout is replaced (the old one fires and is ignored). A stable resident therefore costs
nothing between events.

Each resident draws from its own stream (see :mod:`.streams`), so its trajectory is the
same in two scenarios until something in them treats it differently.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from typing import TYPE_CHECKING

import numpy as np
import simpy
from simpy.core import NORMAL

from .events import Wake
from .hazards import SEEK, HazardTables
from .recorder import Recorder
from .streams import Streams

if TYPE_CHECKING:  # pragma: no cover
    from .nodes import IntTeamNode, ServiceNode

_log = math.log


class Resident:
    """One resident (or household) of a cohort in a neighbourhood."""

    __slots__ = ("idx", "nb", "co", "grp", "code", "mod", "ev", "u", "k", "blk", "eng", "held", "sup",
                 "dirty", "need_t", "j_assess", "j_hand", "j_done")

    def __init__(self, idx: int, nb: int, co: int, grp: int, code: int, draws: list[float], n_domains: int):
        self.idx = idx
        self.nb = nb
        self.co = co
        self.grp = grp  # (nb * n_cohorts + co) * n_domains
        self.code = code
        self.mod = 0
        self.ev: simpy.Event | None = None
        self.u = draws
        self.k = 0
        self.blk = 0
        self.eng = [0] * n_domains
        self.held = [0] * n_domains
        self.sup: list[int] = []
        self.dirty = False
        self.need_t = 0.0 if code else -1.0
        self.j_assess = 0
        self.j_hand = 0
        self.j_done = False

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
    groups
        ``(neighbourhood index, cohort index, size, initial mix per domain)`` in order;
        residents are numbered through the groups in this order.
    n_cohorts, n_domains
        Axis sizes.
    trace
        A list to append event tuples to, or None.
    """

    def __init__(self, env: simpy.Environment, rec: Recorder, streams: Streams, tables: HazardTables,
                 groups: list[tuple[int, int, int, list[list[float]]]], n_neighbourhoods: int,
                 n_cohorts: int, n_domains: int, group_keys: list[str], trace: list | None):
        self.env = env
        self.rec = rec
        self.streams = streams
        self.tables = tables
        self.D = n_domains
        self.C = n_cohorts
        self.trace = trace
        self.front_door: list[ServiceNode | None] = [None] * n_domains
        self.crisis: list[list[tuple[ServiceNode, float]]] = [[] for _ in range(n_domains)]
        self.stay_in_crisis: list[bool] = [False] * n_domains
        self.teams: list[IntTeamNode | None] = [None] * n_neighbourhoods
        self.level_counts = [0] * (n_neighbourhoods * n_cohorts * n_domains * 4)
        self.residents: list[Resident] = []
        self.members: list[list[int]] = [[] for _ in range(n_neighbourhoods)]
        total = sum(g[2] for g in groups)
        first = streams.resident_first_blocks(total)
        codes = np.zeros(total, dtype=np.int64)
        idx = 0
        for (nb, co, size, mix), key in zip(groups, group_keys):
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
                r = Resident(idx + i, nb, co, grp, int(group_codes[i]), first[idx + i], n_domains)
                self.residents.append(r)
                for d in range(n_domains):
                    self.level_counts[(grp + d) * 4 + int(levels[i, d])] += 1
            self.members[nb].extend(range(idx, idx + size))
            idx += size
        self.codes = codes
        self.int_engaged = np.zeros(total, dtype=bool)

    # ------------------------------------------------------------------ draws and scheduling
    def draw(self, r: Resident) -> float:
        """Next uniform from the resident's own stream."""
        k = r.k
        if k == len(r.u):
            r.blk += 1
            r.u = self.streams.resident_block(r.idx, r.blk)
            k = 0
        r.k = k + 1
        return r.u[k]

    def start(self) -> None:
        """Draw every resident's first transition."""
        for r in self.residents:
            self.schedule(r)
            r.dirty = False

    def refresh(self, r: Resident) -> None:
        """Re-draw the next transition if the resident's situation changed."""
        if r.dirty:
            self._redraw(r)

    def _redraw(self, r: Resident) -> None:
        if r.dirty:
            sup = tuple(sorted(r.sup)) if len(r.sup) > 1 else tuple(r.sup)
            eng = 0
            held = 0
            for d in range(self.D):
                if r.eng[d]:
                    eng |= 1 << d
                if r.held[d]:
                    held |= 1 << d
            r.mod = self.tables.mod_id(eng, held, sup)
            r.dirty = False
        self.schedule(r)

    def schedule(self, r: Resident) -> None:
        """Draw the time of the resident's next transition and schedule it."""
        total = self.tables.entry(r.co, r.mod, r.code)[0]
        if total <= 0.0:
            r.ev = None
            return
        k = r.k
        if k == len(r.u):
            r.blk += 1
            r.u = self.streams.resident_block(r.idx, r.blk)
            k = 0
        r.k = k + 1
        ev = Wake(r, self._fire)
        self.env.schedule(ev, NORMAL, -_log(1.0 - r.u[k]) / total)
        r.ev = ev

    def _fire(self, ev: simpy.Event) -> None:
        r = ev._value
        if r.ev is not ev:
            return  # superseded by a re-draw
        total, cum, outs = self.tables.entry(r.co, r.mod, r.code)
        k = r.k
        if k == len(r.u):
            r.blk += 1
            r.u = self.streams.resident_block(r.idx, r.blk)
            k = 0
        r.k = k + 1
        i = bisect_right(cum, r.u[k] * total)
        if i == len(outs):  # guard against rounding at the top end
            i -= 1
        out = outs[i]
        d = out >> 3
        new = out & 7
        if new == SEEK:
            self.seek_help(r, d)
        else:
            self.set_level(r, d, new)
        self._redraw(r)

    # ------------------------------------------------------------------ state changes
    def set_level(self, r: Resident, d: int, new: int) -> None:
        """Move domain ``d`` to level ``new``; reaching 3 is a crisis."""
        now = self.env._now
        old = (r.code >> (2 * d)) & 3
        if self.trace is not None:
            self.trace.append((now, "transition", -1, r.idx, d, new))
        if new == 3:
            self.rec.crises[self.rec.goff + r.grp + d] += 1
            if self.trace is not None:
                self.trace.append((now, "crisis", -1, r.idx, d, 3))
            hold = self.stay_in_crisis[d]
            for node, p in self.crisis[d]:
                if self.draw(r) < p:
                    if hold:
                        now_level = (r.code >> (2 * d)) & 3
                        if now_level != 3:
                            self._move(r, d, now_level, 3)
                        r.held[d] += 1
                        r.dirty = True
                    node.arrive_crisis(r, d if hold else -1)
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
        elif r.code == 0:
            r.need_t = -1.0

    def release_hold(self, r: Resident, d: int) -> None:
        """A crisis service has finished with the resident; the last one returns them to level 2."""
        r.held[d] -= 1
        r.dirty = True
        if r.held[d] == 0 and (r.code >> (2 * d)) & 3 == 3:
            self._move(r, d, 3, 2)

    def seek_help(self, r: Resident, d: int) -> None:
        """The resident approaches a front door for domain ``d`` (the INT's, if it is theirs)."""
        rec = self.rec
        rec.help_seeking[rec.goff + r.grp + d] += 1
        team = self.teams[r.nb]
        if team is not None and team.front_door and team.covers(d) and team.active():
            team.arrive_help(r, d)
        else:
            node = self.front_door[d]
            if node is not None:
                node.arrive_help(r, d)

    def active_team(self, r: Resident) -> "IntTeamNode | None":
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
            r.dirty = True

    def support_start(self, r: Resident, effect: int) -> None:
        r.sup.append(effect)
        r.dirty = True
        if not r.j_done and r.need_t >= 0.0:
            rec = self.rec
            o = rec.noff + r.nb
            rec.journeys[o] += 1
            rec.journey_assessments[o] += r.j_assess
            rec.journey_handoffs[o] += r.j_hand
            rec.journey_days_sum[o] += self.env._now - r.need_t
            r.j_done = True

    def support_end(self, r: Resident, effect: int, mask: int, resolve: float, step_down: float) -> None:
        """End a support and apply its completion effect to the domains in ``mask``."""
        r.sup.remove(effect)
        r.dirty = True
        if resolve > 0.0 or step_down > 0.0:
            for d in range(self.D):
                if mask >> d & 1:
                    k = (r.code >> (2 * d)) & 3
                    if k == 1 or k == 2:
                        u = self.draw(r)
                        if u < resolve:
                            self._move(r, d, k, 0)
                        elif u < resolve + step_down:
                            self._move(r, d, k, k - 1)

    def level_snapshot(self) -> list[int]:
        return list(self.level_counts)
