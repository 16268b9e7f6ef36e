"""The INT neighbourhood team as a service node.

Differences from a siloed service: it opens on its start day and on its working days only;
one assessment covers every covered domain; the key worker's support acts on all covered
domains in need at once (the huddle) or, without a huddle, on one domain per episode with
an internal re-referral; at the end, uncovered domains in need are handed over warmly
(lower loss) to specialist services; and it finds people itself from shared data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

import numpy as np
import simpy
from simpy.core import NORMAL

from .events import Wake

from .nodes import Case, ServiceNode

if TYPE_CHECKING:  # pragma: no cover
    from .population import Resident


class Handover:
    """Where an uncovered domain is handed over to."""

    __slots__ = ("dom", "target", "loss", "min", "delay")

    def __init__(self, dom: int, target: ServiceNode, loss: float, min_level: int, delay: float):
        self.dom = dom
        self.target = target
        self.loss = loss
        self.min = min_level
        self.delay = delay


class CaseFinder:
    """Parameters of case-finding for one team."""

    def __init__(self, every: float, coverage: float, sensitivity: float, specificity: float,
                 acceptance: float, contact_cost: float, max_contacts: int | None,
                 members: np.ndarray, rng: np.random.Generator):
        self.every = every
        self.coverage = coverage
        self.sensitivity = sensitivity
        self.specificity = specificity
        self.acceptance = acceptance
        self.contact_cost = contact_cost
        self.max_contacts = max_contacts
        self.members = members
        self.rng = rng


class IntTeamNode(ServiceNode):
    """One neighbourhood team of the INT (see :class:`ServiceNode` for the parameters)."""

    kind = "int"

    def __init__(self, *args, neighbourhood: int, huddle: bool, front_door: bool, n_domains: int,
                 escalation: float, recovery: float, **kwargs):
        super().__init__(*args, **kwargs)
        self.neighbourhood = neighbourhood
        self.huddle = huddle
        self.front_door = front_door
        self.n_domains = n_domains
        self.esc = escalation
        self.rec_mult = recovery
        self.handovers: list[Handover] = []
        self.finder: CaseFinder | None = None
        n_codes = 4 ** n_domains
        codes = np.arange(n_codes)
        covered = [d for d in range(n_domains) if self.dmask >> d & 1]
        levels = np.stack([(codes >> (2 * d)) & 3 for d in covered], axis=1) if covered else np.zeros((n_codes, 1), int)
        self.severity_of_code = levels.max(axis=1)
        self.need_of_code = self.severity_of_code >= 1

    def covers(self, d: int) -> bool:
        return bool(self.dmask >> d & 1)

    def active(self) -> bool:
        return self.env._now >= self.calendar.active_from

    def start_processes(self) -> None:
        super().start_processes()
        if self.finder is not None:
            self.env.process(self._case_finding())

    # ------------------------------------------------------------------ engagement and support
    def _engage(self, res: "Resident", case: Case, delta: int) -> None:
        self.pop.engage(res, case.emask, delta)
        self.pop.int_engaged[res.idx] = delta > 0

    def _support_start(self, res: "Resident", case: Case) -> None:
        """Support every covered domain in need (huddle), or the most severe one not yet
        supported in this chain of episodes (no huddle)."""
        code = res.code
        mask = 0
        best = 0
        best_d = -1
        for d in range(self.n_domains):
            if self.dmask >> d & 1:
                k = (code >> (2 * d)) & 3
                if k >= 1:
                    mask |= 1 << d
                    if k > best and not case.done >> d & 1:
                        best, best_d = k, d
        if not self.huddle:
            mask = 1 << best_d if best_d >= 0 else 0
        case.supm = mask
        case.eff = self.pop.tables.effect_id(mask, self.esc, self.rec_mult)
        self.pop.support_start(res, case.eff)

    def _after_completion(self, case: Case) -> None:
        res = case.res
        if res is None:
            self._leave(case, True)
            return
        onward: list[tuple[ServiceNode, int, float]] = []
        code = res.code
        done = case.done | case.supm
        if not self.huddle:  # on to the next covered domain in need, re-referred and re-assessed
            for d in range(self.n_domains):
                if self.dmask >> d & 1 and not done >> d & 1 and (code >> (2 * d)) & 3 >= 1:
                    onward.append((self, d, 0.0))
                    break
        for h in self.handovers:
            if (code >> (2 * h.dom)) & 3 >= h.min:
                onward.append((h.target, h.dom, h.delay))
        if not onward:
            self._leave(case, True)
            return
        rec = self.rec
        o = rec.off + self.index
        survivors: list[tuple[ServiceNode, int, float]] = []
        for target, d, delay in onward:
            rec.referrals[o] += 1
            res.j_hand += 1
            loss = 0.0 if target is self else self._loss_of(d)
            if loss > 0.0 and self.pop.care(res) < loss:
                rec.handoffs_lost[o] += 1
                if self.trace is not None:
                    self._log("lost", case, domain=d, target=target.index)
            else:
                survivors.append((target, d, delay))
        if not survivors:
            self._leave(case, True)
            return
        hold = case.hold
        case.hold = -1
        self._leave(case, False)
        for target, d, delay in survivors:
            new = Case(res, 0, case.t_sys, hold=hold, emask=1 << d)
            if target is self:
                new.done = done
            hold = -1
            if self.trace is not None:
                self._log("refer", case, domain=d, target=target.index)
            self.env.schedule(Wake(new, target._on_receive), NORMAL, delay)

    def _loss_of(self, d: int) -> float:
        for h in self.handovers:
            if h.dom == d:
                return h.loss
        return 0.0

    # ------------------------------------------------------------------ case-finding
    def _case_finding(self):
        env = self.env
        finder = self.finder
        assert finder is not None
        t = self.calendar.active_from
        while True:
            if t > env.now:
                yield env.timeout(t - env.now)
            if not self.calendar.is_open(env.now):
                opening = next(self.calendar.openings(env))
                yield env.timeout(opening - env.now)
            self._screen(finder)
            t += finder.every
            while t <= env.now:
                t += finder.every

    def _screen(self, f: CaseFinder) -> None:
        """Screen the shared data once: flag, contact, and take on those who accept."""
        m = f.members
        if m.size == 0:
            return
        pop = self.pop
        codes = pop.codes[m]
        need = self.need_of_code[codes]
        u = f.rng.random((3, m.size))
        flagged = (u[0] < f.coverage) & ~pop.int_engaged[m] & np.where(need, u[1] < f.sensitivity,
                                                                         u[1] >= f.specificity)
        idx = np.flatnonzero(flagged)
        if f.max_contacts is not None and idx.size > f.max_contacts:
            order = np.argsort(-self.severity_of_code[codes[idx]], kind="stable")
            idx = idx[order[: f.max_contacts]]
        if idx.size == 0:
            return
        rec = self.rec
        o = rec.off + self.index
        now = self.env._now
        accept = u[2]
        residents = pop.residents
        for i in idx.tolist():
            rec.outreach_contacts[o] += 1
            rec.cost_gbp[o] += f.contact_cost
            r = residents[int(m[i])]
            if self.trace is not None:
                self.trace.append((now, "contact", self.index, r.idx, -1, int(self.severity_of_code[codes[i]]), -1))
            if not need[i]:
                rec.false_positive_contacts[o] += 1
            elif accept[i] < f.acceptance:
                rec.case_found[o] += 1
                self.arrive(Case(r, 0, now))
                pop.refresh(r)
