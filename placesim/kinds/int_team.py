"""The INT neighbourhood team: its DES node and its SD flows, side by side.

Differences from a siloed service: it opens on its start day and on its working days only;
it serves one neighbourhood's residents (their help-seeking in covered domains comes to it
if it is their front door, and referrals 'to: int' reach it); one assessment covers every
covered domain; the key worker's support acts on all covered domains in need at once (the
huddle) or, without a huddle, on one domain per episode with an internal re-referral; at
the end, uncovered domains in need are handed over warmly (lower loss) to specialist
services; and it finds people itself from shared data (case-finding).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from simpy.core import NORMAL

from ..engines.des import Case, NodeContext, ServiceNode
from ..engines.des.events import Wake
from ..engines.sd import ServiceFlows
from ..plan import CaseFindingPlan, Rule, TeamPlan
from ..plan.place import escalation_by_code
from .base import Kind

if TYPE_CHECKING:  # pragma: no cover
    from ..engines.des.population import Resident
    from ..engines.sd.builder import Builder
    from ..engines.sd.core import Group


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
        self.coverage = plan.coverage
        self.sensitivity = plan.sensitivity
        self.specificity = plan.specificity
        self.acceptance = plan.acceptance
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
        if cf is not None:
            pop = ctx.pop
            screened = set(cf.cohorts)
            members = np.array([r for r in pop.members[plan.home] if pop.residents[r].co in screened], dtype=np.int64)
            self.finder = CaseFinder(cf, members, ctx.streams.generator("case-finding", plan.name))
            self.member_cohort = np.array([pop.residents[r].co for r in members.tolist()], dtype=np.int64)
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

    def _support_start(self, res: Resident, case: Case) -> None:
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
            if (code >> (2 * h.domain)) & 3 >= h.min_level:
                onward.append((h.target, h.domain, h.delay))
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
            self.schedule(Wake(new, target._on_receive), NORMAL, delay)

    def _loss_of(self, d: int) -> float:
        for h in self.handovers:
            if h.domain == d:
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
                opening = next(self.calendar.openings(env.now))
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
        flagged = (u[0] < f.coverage) & ~pop.team_engaged[m] & np.where(
            in_band, u[1] < f.sensitivity, self.clear_of_code[codes] & (u[1] >= f.specificity))
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
        accept = u[2]
        residents = pop.residents
        for i in idx.tolist():
            rec.outreach_contacts[o] += 1
            r = residents[int(m[i])]
            if self.trace is not None:
                self.trace.append((now, "contact", self.index, r.idx, -1, int(self.severity_of_code[codes[i]]), -1))
            if not in_band[i]:
                rec.false_positive_contacts[o] += 1
            elif accept[i] < f.acceptance:
                rec.case_found[o] += 1
                self.arrive(Case(r, 0, now))
                pop.refresh(r)


# ---------------------------------------------------------------------------- system dynamics

_TINY = 1e-12  # guards divisions by stocks that are (nearly) empty


def _ints(values: list[int]) -> np.ndarray:
    return np.asarray(values, dtype=int)


class IntTeamFlows(ServiceFlows):
    """An INT team in the SD engine: it serves its neighbourhood's groups, supports domains not
    in need without an effect (phase ``Sx``), hands over uncovered domains warmly at the end,
    takes its residents' help-seeking once it has started (if it is their front door), and
    finds residents by case-finding."""

    plan: TeamPlan

    def make_phases(self) -> list[str]:
        return super().make_phases() + ["Sx"]

    def serves(self, group: Group) -> bool:
        return group.team == self.index

    def start_phase(self, level: int) -> str:
        return "S" if level >= 1 else "Sx"

    def rules(self, when: str) -> list[Rule]:
        if when == "away":
            return self.rules_away
        return [Rule(h.target, 1.0, h.domain, h.min_level, h.loss, h.delay) for h in self.plan.handovers]

    def background_rules(self, when: str) -> list[Rule]:
        return self.rules_away if when == "away" else []

    def help_share(self, d: int) -> float:
        return self.plan.help_share if d in self.domains else 0.0

    def extra_flows(self, b: Builder, n_stocks: int) -> list[Any]:
        cf = self.plan.case_finding
        return [] if cf is None else [CaseFindingFlow(b, self.index, cf, n_stocks)]


class CaseFindingFlow:
    """Case-finding of one INT team as a continuous flow (screens spread over their interval).

    Per screen the DES flags, among its neighbourhood's residents of the screened cohorts
    not engaged with the team, those in need in a covered domain with probability
    coverage x sensitivity and the others with coverage x (1 - specificity), contacts the
    most severe first up to the cap, and takes on those in need who accept. Here the
    severity (highest covered level) of a group's residents follows from the per-domain
    level distributions taken as independent; the expected contacts of each severity are
    capped from the top down, and the residents taken on leave the free stocks of every
    covered domain for the team's assessment, each domain's levels weighted by how likely
    a resident at that level is to have been taken on. Everything per screen is divided by
    the screening interval.
    """

    def __init__(self, b: Builder, s: int, cf: CaseFindingPlan, ns: int):
        node = b.nodes[s]
        screened = set(cf.cohorts)
        self.groups = [g for g, grp in enumerate(b.groups) if grp.team == s and grp.cohort in screened]
        self.s = s
        self.every = cf.every
        self.cov = cf.coverage
        lo, hi = cf.target_levels
        # chance of being flagged by severity 0-3: false positives at 0, the band with the sensitivity
        self.flag = np.array([1.0 - cf.specificity] + [cf.sensitivity if lo <= k <= hi else 0.0 for k in (1, 2, 3)])
        self.acc = cf.acceptance
        self.plan = cf
        self.cap = cf.contacts_per_screen(1.0)
        self.priority = self._priority(b, cf)
        idx = b.c.index
        doms = node.domains
        ng, nd = len(self.groups), len(doms)
        self.shape = (ng, nd, 4)
        all_i, all_c, free_i, free_c, dst_c = [], [], [], [], []
        for ig, g in enumerate(self.groups):
            for je, e in enumerate(doms):
                for st in b.statuses(g, e):
                    if st is not None and st[0] == s:
                        continue
                    for k in range(b.doms[e].levels):
                        all_i.append((ig * nd + je) * 4 + k)
                        all_c.append(idx[("R", g, e, st, k)])
                for k in range(b.doms[e].levels):
                    free_i.append((ig * nd + je) * 4 + k)
                    free_c.append(idx[("R", g, e, None, k)])
                    dst_c.append(idx[("R", g, e, (s, "A2"), k)])
        self.all_i, self.all_c = _ints(all_i), _ints(all_c)
        self.free_i, self.free_c, self.dst_c = _ints(free_i), _ints(free_c), _ints(dst_c)
        self.src, self.dst = self.free_c, self.dst_c
        eng_i, eng_c = [], []
        for cell, _w, _ph in b.service_cells[s]:
            key = b.c.keys[cell]
            if key[0] == "R" and key[1] in self.groups:
                eng_i.append(self.groups.index(key[1]))
                eng_c.append(cell)
        self.eng_i, self.eng_c = _ints(eng_i), _ints(eng_c)
        self.size = np.asarray([b.groups[g].size for g in self.groups], dtype=float)
        self.mult = np.asarray([b.groups[g].mult for g in self.groups], dtype=float)
        ci = b.counter_index
        self.c_out = ns + ci[("outreach_contacts", s)]
        self.c_fp = ns + ci[("false_positive_contacts", s)]
        self.c_found = [ns + ci[("case_found", s)], ns + ci[("arrivals", s)], ns + ci[("assessments", s)]]
        self.act = 0.0

    def _priority(self, b: Builder, cf: CaseFindingPlan) -> list[np.ndarray]:
        """Masks of the (group, severity) cells in the order they are contacted, ties together.

        'severity': highest severity first. 'escalation': a cell's rank is its cohort's
        escalation hazards from that severity summed over the covered domains (a fluid proxy
        for the DES's ranking of each resident by its own hazards); false positives (severity
        0) and severity 3 have no escalation hazard and come last, severity breaking ties.
        """
        ng = len(self.groups)
        sev = np.tile(np.arange(4), (ng, 1))
        haz = np.zeros((ng, 4))
        if cf.rank_by == "escalation":
            doms = b.nodes[self.s].domains
            for ig, g in enumerate(self.groups):
                esc = b.haz[b.groups[g].cohort]
                for k in (1, 2):
                    haz[ig, k] = round(sum(esc[d][1][k - 1] for d in doms), 12)
        ranks = sorted({(haz[i, k], k) for i in range(ng) for k in range(4)}, reverse=True)
        return [(haz == h) & (sev == k) for h, k in ranks]

    def set_inputs(self, active: np.ndarray) -> None:
        self.act = float(active[self.s])

    def rates(self, x: np.ndarray) -> tuple[np.ndarray, list[tuple[int | list[int], float]]] | None:
        """Per-capita rates out of the free cells, and the contact, false-positive and found rates
        (None while the team has not started or finds no one)."""
        ng, nd, _ = self.shape
        if self.act <= 0 or ng == 0:
            return None
        A = np.bincount(self.all_i, np.maximum(x[self.all_c], 0.0), ng * nd * 4).reshape(ng, nd, 4)
        tot = A.sum(axis=2, keepdims=True)
        dist = np.where(tot > 0, A / np.maximum(tot, _TINY), np.array([1.0, 0, 0, 0]))
        cdf = np.cumsum(dist, axis=2)
        le = cdf.prod(axis=1)                                   # (ng, 4): P(max <= k)
        pmax = np.diff(np.concatenate([np.zeros((ng, 1)), le], axis=1), axis=1)
        engaged = np.bincount(self.eng_i, x[self.eng_c], ng) if len(self.eng_c) else np.zeros(ng)
        N = np.maximum(self.size - engaged, 0.0)
        n_k = N[:, None] * self.cov * self.flag[None, :] * pmax
        weighted = n_k * self.mult[:, None]
        cap = self.cap
        share = np.zeros((ng, 4))
        for cells in self.priority:  # cells of equal rank share what is left of the contacts
            tot = float(weighted[cells].sum())
            take = min(tot, cap)
            share[cells] = take / tot if tot > 0 else 0.0
            cap -= take
        contacts = n_k * share
        found = contacts[:, 1:] * self.acc                     # (ng, 3) by severity 1-3
        fg = found.sum(axis=1)
        # each domain's levels among those taken on: P(level j | severity k) under independence
        a = np.zeros((ng, nd, 4))
        for je in range(nd):
            others = np.delete(cdf, je, axis=1).prod(axis=1) if nd > 1 else np.ones((ng, 4))  # (ng, 4)
            prev = np.concatenate([np.zeros((ng, 1)), others[:, :-1]], axis=1)
            for k in (1, 2, 3):
                pk = pmax[:, k]
                w = np.where(pk > 0, found[:, k - 1] / np.maximum(pk, _TINY), 0.0)
                joint = np.zeros((ng, 4))
                joint[:, :k] = dist[:, je, :k] * (others[:, k] - prev[:, k])[:, None]
                joint[:, k] = dist[:, je, k] * others[:, k]
                a[:, je, :] += w[:, None] * joint
        sel = np.where(A > 0, a / np.maximum(A, _TINY), 0.0)
        free_flat = np.zeros(ng * nd * 4)
        free_flat[self.free_i] = np.maximum(x[self.free_c], 0.0)
        free = free_flat.reshape(ng, nd, 4)
        denom = (sel * free).sum(axis=2, keepdims=True)
        per = np.where(denom > 0, sel * fg[:, None, None] / np.maximum(denom, _TINY), 0.0) / self.every
        scale = self.act / self.every
        contacts_rate = float((contacts.sum(axis=1) * self.mult).sum()) * scale
        found_rate = float((fg * self.mult).sum()) * scale
        if not (found_rate > 0 or contacts_rate > 0):
            return None
        return (per.reshape(-1)[self.free_i] * self.act,
                [(self.c_out, contacts_rate), (self.c_fp, float((contacts[:, 0] * self.mult).sum()) * scale),
                 (self.c_found, found_rate)])


class IntTeam(Kind):
    """An INT neighbourhood team."""

    name = "int"
    des_node = IntTeamNode
    sd_flows = IntTeamFlows
