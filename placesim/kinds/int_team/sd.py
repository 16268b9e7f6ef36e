"""The INT team in the SD engine: its phases and routing, case-finding as a flow, and the jump
when the team ends."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ...engines.sd import ServiceFlows
from ...engines.sd.rhs import SegmentInputs
from ...plan import CaseFindingPlan, Rule, TeamPlan
from .sd_kernel import case_finding

if TYPE_CHECKING:  # pragma: no cover
    from ...engines.sd.builder import Builder
    from ...engines.sd.core import Group


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

    def spare_at(self, t: int) -> float:
        return self.plan.spare_at(t)

    def extra_flows(self, b: Builder, n_stocks: int) -> list[Any]:
        cf = self.plan.case_finding
        return [] if cf is None else [CaseFindingFlow(b, self.index, cf, n_stocks)]

    def end_jump(self, b: Builder, y: np.ndarray) -> np.ndarray:
        """The team ends: everyone at it leaves at once. Each domain in need is handed back to
        its front door (less the warm hand-over's loss) or, with ``on_end: close``, every domain
        goes back to the resident's free stocks; count-only cases end. (The DES refers a
        resident once per covered domain in need, as here; a front door that also takes other
        domains does not take them from the free stocks here.)"""
        y = y.copy()
        s, plan = self.index, self.plan
        ns = len(b.c.keys)
        hand_back = plan.on_end == "hand_back"
        for key, i in b.c.index.items():
            amount = y[i]
            if amount == 0.0:
                continue
            if key[0] in ("C", "B") and key[2 if key[0] == "C" else 1] == s:
                y[i] = 0.0  # count-only and background cases end
                continue
            if key[0] != "R" or key[3] is None or key[3][0] != s:
                continue
            _, g, d, _, k = key
            y[i] = 0.0
            door = b.doms[d].front_door
            w = b.weight(g)
            if hand_back and k >= 1 and door >= 0 and d in b.nodes[door].domains and b.nodes[door].serves(b.groups[g]):
                kept = amount * (1.0 - plan.handback_loss)
                y[b.R(g, d, None, k)] += amount - kept
                counted = [(b.counter("referrals", s), amount * w),
                           (b.counter("handoffs_lost", s), (amount - kept) * w)]
                for ph, q in b.entry_split(door):
                    y[b.R(g, d, (door, ph), k)] += kept * q
                    counted += [(b.counter("arrivals", door), kept * q * w),
                                (b.counter("referrals_received", door), kept * q * w)]
                    if ph == "A2":
                        counted.append((b.counter("assessments", door), kept * q * w))
                for j, x in b.resident_counters(g, s, counted):
                    y[ns + j] += x
            else:
                y[b.R(g, d, None, k)] += amount
                if d == self.domains[0]:  # each resident once, in the domain its visits are counted in
                    y[ns + b.counter("exits", s)] += amount * w
        return y


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
        self.plan = cf
        self._quality(cf.coverage, cf.sensitivity, cf.acceptance)
        assert isinstance(node.plan, TeamPlan)
        self.team = node.plan
        self.cap = cf.contacts_per_screen(1.0)
        self.priority = self._priority(b, cf)
        self.rank = np.zeros((len(self.groups), 4), dtype=np.int64)
        for r, cells in enumerate(self.priority):
            self.rank[cells] = r
        self.n_rank = len(self.priority)
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
                    for k in range(b.doms[e].levels):  # a hold's second stage (cell 4) is level 3
                        all_i.append((ig * nd + je) * 4 + min(k, 3))
                        all_c.append(idx[("R", g, e, st, k)])
                for k in range(b.doms[e].levels):
                    free_i.append((ig * nd + je) * 4 + min(k, 3))
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
        self.c_resident = [ns + ci[("resident_assessments", g)] for g in self.groups]
        # household attributes: each group's coverage and acceptance multipliers, and its reach counters
        cohorts = b.plan.cohorts
        self.cov_mult = np.asarray([cohorts[b.groups[g].cohort].coverage for g in self.groups], dtype=float)
        self.acc_mult = np.asarray([cohorts[b.groups[g].cohort].acceptance for g in self.groups], dtype=float)
        self.c_reach = ([(ns + ci[("int_contacts", g)], ns + ci[("int_found", g)]) for g in self.groups]
                        if b.reach else [])
        self.act = 0.0
        self._per_group()

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

    def _quality(self, coverage: float, sensitivity: float, acceptance: float) -> None:
        lo, hi = self.plan.target_levels
        self.cov = coverage
        # chance of being flagged by severity 0-3: false positives at 0, the band with the sensitivity
        self.flag = np.array([1.0 - self.plan.specificity] + [sensitivity if lo <= k <= hi else 0.0 for k in (1, 2, 3)])
        self.acc = acceptance

    def _per_group(self) -> None:
        """Coverage and acceptance per group: the team's, times the household's multipliers
        where reach is recorded."""
        ng = len(self.groups)
        if self.c_reach:
            self.cov_g = np.minimum(self.cov * self.cov_mult, 1.0)
            self.acc_g = np.minimum(self.acc * self.acc_mult, 1.0)
        else:
            self.cov_g, self.acc_g = np.full(ng, float(self.cov)), np.full(ng, float(self.acc))

    def set_inputs(self, inputs: SegmentInputs) -> None:
        self._quality(*self.plan.quality_on(inputs.day))
        self._per_group()
        self.act = float(inputs.active[self.s])
        share = self.team.staff_share
        self.cap = self.plan.contacts_per_screen(1.0 if share is None else share.at(inputs.day))

    def idle(self) -> bool:
        """Nothing flows while the team is not working (before it starts, after it ends)."""
        return self.act <= 0 or not self.groups

    def rates(self, x: np.ndarray) -> tuple[np.ndarray, list[tuple[int | list[int], float]]] | None:
        """Per-capita rates out of the free cells, and the contact, false-positive and found rates
        (None while the team has not started or finds no one). The arithmetic is compiled
        (:func:`.sd_kernel.case_finding`)."""
        ng, nd, _ = self.shape
        if self.act <= 0 or ng == 0:
            return None
        per, contacts, fg = case_finding(x, self.all_i, self.all_c, self.free_i, self.free_c, self.eng_i, self.eng_c,
                                         ng, nd, self.size, self.mult, self.cov_g, self.flag, self.rank, self.n_rank,
                                         float(self.cap), self.acc_g, float(self.every), self.act)
        scale = self.act / self.every
        per_group = contacts.sum(axis=1)
        contacts_rate = float((per_group * self.mult).sum()) * scale
        found_rate = float((fg * self.mult).sum()) * scale
        if not (found_rate > 0 or contacts_rate > 0):
            return None
        counted: list[tuple[int | list[int], float]] = [
            (self.c_out, contacts_rate), (self.c_fp, float((contacts[:, 0] * self.mult).sum()) * scale),
            (self.c_found, found_rate)]
        counted += [(c, float(fg[ig]) * scale) for ig, c in enumerate(self.c_resident)]
        for ig, (c_contacts, c_found) in enumerate(self.c_reach):
            counted += [(c_contacts, float(per_group[ig]) * scale), (c_found, float(fg[ig]) * scale)]
        return per, counted
