"""The INT team in the DES: one assessment for every covered domain, the huddle, warm
hand-overs, case-finding, and handing cases back when the team ends."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from simpy.core import NORMAL

from ...engines.des import Case, NodeContext, ServiceNode
from ...engines.des.events import Wake
from ...plan import CaseFindingPlan, TeamPlan
from ...plan.place import escalation_by_code

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Callable

    from ...engines.des.population import Resident


class Handover:
    """Where an uncovered domain is handed over to (a warm hand-over compiled against the nodes)."""

    __slots__ = ("domain", "target", "loss", "min_level", "delay")

    def __init__(self, domain: int, target: ServiceNode, loss: float, min_level: int, delay: float):
        self.domain = domain
        self.target = target
        self.loss = loss
        self.min_level = min_level
        self.delay = delay


class CaseFinder:
    """Case-finding of one team: its plan, the residents it screens and its random stream."""

    def __init__(self, plan: CaseFindingPlan, members: np.ndarray, rng: np.random.Generator):
        self.every = plan.every
        self.specificity = plan.specificity
        self.plan = plan
        self.members = members
        self.rng = rng


class IntTeamNode(ServiceNode):
    """One neighbourhood team of the INT (see :class:`ServiceNode` for the parameters)."""

    plan: TeamPlan

    def __init__(self, plan: TeamPlan, ctx: NodeContext):
        super().__init__(plan, ctx)
        n_domains = ctx.pop.D
        self.neighbourhood = plan.home
        self.huddle = plan.huddle
        self.n_domains = n_domains
        self.esc = plan.escalation_multiplier
        self.rec_mult = plan.recovery_multiplier
        self.handovers: list[Handover] = []
        self.finder: CaseFinder | None = None
        n_codes = 4 ** n_domains
        codes = np.arange(n_codes)
        covered = [d for d in range(n_domains) if self.dmask >> d & 1]
        levels = np.stack([(codes >> (2 * d)) & 3 for d in covered], axis=1) if covered else np.zeros((n_codes, 1), int)
        self.severity_of_code = levels.max(axis=1)  # highest covered level of each state code
        cf = plan.case_finding
        lo, hi = cf.target_levels if cf is not None else (1, 3)
        self.in_band_of_code = (self.severity_of_code >= lo) & (self.severity_of_code <= hi)  # what a screen looks for
        self.clear_of_code = self.severity_of_code == 0  # no need: a flag is a false positive
        self.staff_share = 1.0  # share of the team's staff in post (ramp-up)
        self.reached: set[int] = set()  # residents the team has supported (int_reached counts each once)
        # episode length by the case's lead domain (its lead discipline's duration, else the team's)
        leads = plan.lead_durations
        self.lead_q = [self.duration_q if lead is None else lead.quantile_function()
                       for lead in (leads or (None,) * n_domains)]
        if cf is not None:
            pop = ctx.pop
            screened = set(cf.cohorts)
            members = np.array([r for r in pop.members[plan.home] if pop.residents[r].co in screened], dtype=np.int64)
            self.finder = CaseFinder(cf, members, ctx.streams.generator("case-finding", plan.name))
            self.member_cohort = np.array([pop.residents[r].co for r in members.tolist()], dtype=np.int64)
            # household attributes: per member, its multipliers of coverage and acceptance (None: all 1)
            cov = pop.coverage[self.member_cohort]
            acc = pop.acceptance[self.member_cohort]
            self.cov_mult = None if (cov == 1.0).all() else cov
            self.acc_mult = None if (acc == 1.0).all() else acc
            # what a contact is ranked by when flags exceed the team's contacts: escalation hazard or level
            tables = ctx.pop.tables
            self.rank_of_code = (escalation_by_code(tables.cohorts, tables.coupling, plan.domains, n_domains)
                                 if cf.rank_by == "escalation"
                                 else np.tile(self.severity_of_code.astype(float), (len(tables.cohorts), 1)))

    def support_effect(self) -> int:
        return -1  # chosen per case: the covered domains in need when support starts

    def connect(self, nodes: list[ServiceNode]) -> None:
        super().connect(nodes)
        self.handovers = [Handover(h.domain, nodes[h.target], h.loss, h.min_level, h.delay)
                          for h in self.plan.handovers]
        self.pop.teams[self.neighbourhood] = self
        for node in nodes:
            if node is not self:
                node.spare = max(node.spare, self.plan.spare_at(node.index))

    def help_share(self, d: int) -> float:
        """Share of its residents seeking help in domain ``d`` who come here (1: their front door)."""
        return self.plan.help_share if self.dmask >> d & 1 else 0.0

    def covers(self, d: int) -> bool:
        return bool(self.dmask >> d & 1)

    def start_processes(self) -> None:
        super().start_processes()
        if self.finder is not None:
            self.env.process(self._case_finding())

    # ------------------------------------------------------------------ engagement and support
    def _engage(self, res: Resident, case: Case, delta: int) -> None:
        self.pop.engage(res, case.emask, delta)
        self.pop.team_engaged[res.idx] = delta > 0

    def _support_start(self, res: Resident, case: Case) -> Callable[[float], float]:
        """Support every covered domain in need (huddle), or the most severe one not yet
        supported in this chain of episodes (no huddle); the episode lasts as its lead
        discipline's support does (the discipline of the most severe domain)."""
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
        rec = self.rec
        rec.int_started[rec.roff + res.rg] += 1
        if res.idx not in self.reached:
            self.reached.add(res.idx)
            rec.int_reached[rec.roff + res.rg] += 1
        return self.lead_q[best_d] if best_d >= 0 else self.duration_q

    def _after_completion(self, case: Case) -> None:
        res = case.res
        if res is None:
            self._leave(case, True)
            return
        onward: list[tuple[ServiceNode, int, float, float]] = []  # (target, domain, delay, loss)
        code = res.code
        done = case.done | case.supm
        if not self.huddle:  # on to the next covered domain in need, re-referred and re-assessed
            for d in range(self.n_domains):
                if self.dmask >> d & 1 and not done >> d & 1 and (code >> (2 * d)) & 3 >= 1:
                    onward.append((self, d, 0.0, 0.0))
                    break
        for h in self.handovers:
            if (code >> (2 * h.domain)) & 3 >= h.min_level:
                onward.append((h.target, h.domain, h.delay, h.loss))
        self._send_on(case, onward, done)

    def _end_case(self, case: Case) -> None:
        """The team ends: a case still here is handed back to the front door of each covered
        domain in need (with the warm hand-over's loss), or closed (``int.on_end``)."""
        res = case.res
        if res is None or self.plan.on_end == "close":
            self._leave(case, True)
            return
        onward: list[tuple[ServiceNode, int, float, float]] = []
        for d in range(self.n_domains):
            door = self.pop.front_door[d]
            if door is not None and self.dmask >> d & 1 and (res.code >> (2 * d)) & 3 >= 1:
                onward.append((door, d, 0.0, self.plan.handback_loss))
        self._send_on(case, onward, 0)

    def on_capacity_change(self) -> None:
        """The share of the team's posts filled (its outreach follows it)."""
        share = self.plan.staff_share
        self.staff_share = 1.0 if share is None else share.at(self.env.now - self.warmup)

    def close(self) -> None:
        super().close()
        self.staff_share = 0.0

    def _send_on(self, case: Case, onward: list[tuple[ServiceNode, int, float, float]], done: int) -> None:
        """Refer a resident on to each target (re-referrals to itself carry the domains ``done``);
        a referral is lost with its chance; they leave the network if every one is lost."""
        res = case.res
        assert res is not None
        if not onward:
            self._leave(case, True)
            return
        rec = self.rec
        o = rec.off + self.index
        survivors: list[tuple[ServiceNode, int, float]] = []
        for target, d, delay, loss in onward:
            rec.referrals[o] += 1
            res.j_hand += 1
            rec.resident_handoffs[rec.roff + res.rg] += 1
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
            else:
                new.shared = True  # they carry the team's record (int.shared_record)
            hold = -1
            if self.trace is not None:
                self._log("refer", case, domain=d, target=target.index)
            self.schedule(Wake(new, target._on_receive), NORMAL, delay)

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
                opening = next(self.calendar.openings(env.now), None)
                if opening is None:
                    return  # the team has ended
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
        in_band = self.in_band_of_code[codes]
        u = f.rng.random((3, m.size))
        coverage, sensitivity, acceptance = f.plan.quality_on(self.env._now - self.warmup)
        # household attributes: coverage per member
        covered = u[0] < (coverage if self.cov_mult is None else np.minimum(coverage * self.cov_mult, 1.0))
        flagged = covered & ~pop.team_engaged[m] & np.where(
            in_band, u[1] < sensitivity, self.clear_of_code[codes] & (u[1] >= f.specificity))
        idx = np.flatnonzero(flagged)
        cap = f.plan.contacts_per_screen(self.staff_share)
        if idx.size > cap:
            n = int(cap + 1e-9)
            order = np.argsort(-self.rank_of_code[self.member_cohort[idx], codes[idx]], kind="stable")
            idx = idx[order[:n]]
        if idx.size == 0:
            return
        rec = self.rec
        o = rec.off + self.index
        now = self.env._now
        # household attributes: acceptance per member
        took = u[2] < (acceptance if self.acc_mult is None else np.minimum(acceptance * self.acc_mult, 1.0))
        residents = pop.residents
        for i in idx.tolist():
            rec.outreach_contacts[o] += 1
            r = residents[int(m[i])]
            rec.int_contacts[rec.roff + r.rg] += 1
            if self.trace is not None:
                self.trace.append((now, "contact", self.index, r.idx, -1, int(self.severity_of_code[codes[i]]), -1))
            if not in_band[i]:
                rec.false_positive_contacts[o] += 1
            elif took[i]:
                rec.case_found[o] += 1
                rec.int_found[rec.roff + r.rg] += 1
                self.arrive(Case(r, 0, now))
                pop.refresh(r)
