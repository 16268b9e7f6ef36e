"""INT teams in a plan: one per covered neighbourhood, with its staff over time and secondments.

A team's places are its workers' FTE x caseload (pro rata by days per week). New-money posts
fill during the ramp-up (``int.ramp``); seconded posts are filled when the team opens, and the
service they come from loses their places while the team runs.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Sequence

from ..scenario.distributions import Distribution
from ..scenario.model import Int, ScenarioModel
from ..scenario.network import team_name
from .attributes import SubCohort
from .clock import DAYS_PER_YEAR, Schedule, weekday_mask
from .place import NO_NEED
from .services import CaseFindingPlan, FixedCost, Handover, ServicePlan, TeamPlan, domain_mask, service_names

DAYS_PER_MONTH = DAYS_PER_YEAR / 12


def int_organisation(it: Int) -> str:
    """The label of an INT team's organisation on the service axis: its funders."""
    return "INT (" + ", ".join(it.shares) + ")"


def new_post_share(it: Int, opens: float) -> Schedule | None:
    """Share of new-money posts filled over time (days from the end of the warm-up): none before
    the team opens, then ``initial_share`` rising in equal monthly steps to all of them."""
    ramp = it.ramp
    if ramp.months_to_full <= 0:
        return None
    n = math.ceil(ramp.months_to_full - 1e-9)
    days = [0.0, opens] + [opens + i * DAYS_PER_MONTH for i in range(1, n + 1)]
    values = [0.0] + [min(1.0, ramp.initial_share + (1 - ramp.initial_share) * i / ramp.months_to_full)
                      for i in range(n + 1)]
    return Schedule(tuple(days), tuple(values)) if opens > 0 else Schedule(tuple(days[1:]), tuple(values[1:]))


def _places(it: Int, dpw: int, seconded: bool) -> float:
    return sum(w.fte * w.caseload for w in it.workers.values() if (w.seconded_from is not None) == seconded) * dpw / 5


def lead_durations(it: Int, m: ScenarioModel) -> tuple[Distribution | None, ...]:
    """Per domain of the scenario: the episode length of a case it leads (its lead discipline's
    ``duration``; None: the team's). Empty when no discipline has a duration of its own."""
    if all(w.duration is None for w in it.workers.values()):
        return ()
    out: list[Distribution | None] = []
    for d in m.domains:
        lead = it.lead_discipline(d)
        out.append(None if lead is None else it.workers[lead].duration)
    return tuple(out)


def lead_shares(m: ScenarioModel, neighbourhood: str, covered: Sequence[int]) -> dict[int, float]:
    """Share of a team's cases each covered domain leads, read from its neighbourhood's cohorts'
    initial mix of levels (domains taken as independent; cases are residents with a covered
    domain in need; the lead is the most severe, ties to the domain listed first).

    This is the SD engine's approximation: it follows stocks per domain, not the resident's
    joint levels, so it cannot tell who leads a case as the DES does."""
    doms = list(m.domains)
    out = dict.fromkeys(covered, 0.0)
    for co in m.cohorts.values():
        size = co.size.get(neighbourhood, 0)
        if not size:
            continue
        mixes = [co.initial.get(doms[d], NO_NEED) for d in covered]
        for levels in itertools.product(range(4), repeat=len(covered)):
            top = max(levels)
            if top == 0:
                continue
            p = math.prod(mix[k] for mix, k in zip(mixes, levels))
            lead = min(d for d, k in zip(covered, levels) if k == top)
            out[lead] += size * p
    return out


def episode_mean(it: Int, m: ScenarioModel, neighbourhood: str, covered: Sequence[int],
                 leads: Sequence[Distribution | None]) -> float | None:
    """Mean episode length of a team over the mix of leads (None: the team's duration throughout)."""
    if not leads:
        return None
    shares = lead_shares(m, neighbourhood, covered)
    total = sum(shares.values())
    means = {d: (leads[d] or it.duration).mean for d in covered}
    if total <= 0:
        return sum(means.values()) / len(means)
    return sum(shares[d] * means[d] for d in covered) / total


def compile_teams(m: ScenarioModel, warmup: float, subs: Sequence[SubCohort]) -> tuple[TeamPlan, ...]:
    """One INT team per covered neighbourhood (none without an INT); a screen reads the
    sub-cohorts of its cohorts."""
    it = m.int_team
    if it is None:
        return ()
    service_index = {s: i for i, s in enumerate(service_names(m))}
    domain_index = {d: i for i, d in enumerate(m.domains)}
    cohort_index = {c: i for i, c in enumerate(m.cohorts)}
    covered = tuple(domain_index[d] for d in it.covered_domains)
    wh = it.warm_handover
    handovers = tuple(Handover(domain_index[d], service_index[target], wh.loss, wh.min_level, wh.delay_days)
                      for d, dom in m.domains.items() if d not in it.covered_domains
                      for target in [wh.to.get(d, dom.front_door)] if target is not None)
    cf = it.case_finding
    finding = None
    if cf is not None:
        screened = cf.cohorts if cf.cohorts is not None else list(m.cohorts)
        steps, (cov, sens, acc) = [], (cf.coverage, cf.sensitivity, cf.acceptance)
        for step in cf.schedule:  # each value carries on until a later step changes it
            cov = cov if step.coverage is None else step.coverage
            sens = sens if step.sensitivity is None else step.sensitivity
            acc = acc if step.acceptance is None else step.acceptance
            steps.append((step.from_day, cov, sens, acc))
        parents = {cohort_index[c] for c in screened}
        finding = CaseFindingPlan(cf.screen_every_days, cf.coverage, cf.sensitivity, cf.specificity,
                                  cf.acceptance, cf.max_contacts_per_screen,
                                  tuple(j for j, sub in enumerate(subs) if sub.parent in parents), cf.target_levels,
                                  cf.rank_by, None, tuple(steps))
    sr = it.shared_record
    partners = set(m.services if sr.services is None else sr.services)
    shared_spare = tuple(sr.spare_probability if s in partners else 0.0 for s in service_names(m)) \
        if sr.spare_probability > 0 else ()
    leads = lead_durations(it, m)
    out = []
    first = len(m.services)
    for j, (nb, team) in enumerate(it.neighbourhoods.items()):
        dpw = it.team_days_per_week(nb)
        opens = team.start_day + it.ramp.delay_days
        new_share = new_post_share(it, opens)
        places_new, places_seconded = _places(it, dpw, False), _places(it, dpw, True)
        capacity = float(it.team_capacity(nb))
        staff_share = None
        if new_share is not None:
            total = places_new + places_seconded
            staff_share = Schedule(new_share.days, tuple((places_seconded + places_new * v) / total
                                                         for v in new_share.values))
        team_finding = finding
        if finding is not None and cf is not None and cf.contacts_per_fte_per_week is not None:
            fte = sum(w.fte for w in it.workers.values()) * dpw / 5.0
            team_finding = dataclasses.replace(finding, contacts_per_week=cf.contacts_per_fte_per_week * fte)
        out.append(TeamPlan(
            name=team_name(nb), index=first + j, kind="int", organisation=int_organisation(it), domains=covered,
            domain_mask=domain_mask(covered), capacity=capacity,
            capacity_at=None if staff_share is None else Schedule(
                staff_share.days, tuple(float(int(capacity * v + 1e-9)) for v in staff_share.values)),
            open_days=weekday_mask(it.team_open_days(nb)), active_from=warmup + opens,
            active_until=math.inf if team.end_day is None else warmup + team.end_day,
            assess_days=it.assessment.days, assess_cost=it.assessment.cost_gbp,
            min_level=it.eligibility.min_level, severity_queue=it.queue.discipline == "severity",
            patience=it.queue.patience, duration=it.duration,
            escalation_multiplier=it.effect.escalation_multiplier, recovery_multiplier=it.effect.recovery_multiplier,
            persistence=it.effect.persistence_days,
            resolve=it.on_completion.resolve_probability, step_down=it.on_completion.step_down_probability,
            contact_cost=cf.contact_cost_gbp if cf is not None else 0.0,
            fixed_costs=_fixed_costs(it, dpw, new_share, m), setup_cost=it.costs.setup_gbp,
            setup_at=warmup + team.start_day,
            home=list(m.neighbourhoods).index(nb), huddle=it.huddle,
            help_share=1.0 if it.front_door else it.self_referral,
            handovers=handovers, case_finding=team_finding, staff_share=staff_share, on_end=it.on_end,
            handback_loss=wh.loss, shared_spare=shared_spare,
            lead_durations=leads, episode_mean=episode_mean(it, m, nb, sorted(covered), leads),
        ))
    return tuple(out)


def _fixed_costs(it: Int, dpw: int, new_share: Schedule | None, m: ScenarioModel) -> tuple[FixedCost, ...]:
    """A team's staff (new money, as posts fill; seconded, paid by the seconding organisation) and premises."""
    lines = []
    new = sum(w.fte * w.cost_per_fte_gbp_per_year for w in it.workers.values() if w.seconded_from is None)
    if new:
        lines.append(FixedCost(new * dpw / 5.0 / DAYS_PER_YEAR, new_share, None, "staff"))
    for w in it.workers.values():
        if w.seconded_from is not None and w.cost_per_fte_gbp_per_year:
            payer = m.services[w.seconded_from].organisation
            lines.append(FixedCost(w.fte * w.cost_per_fte_gbp_per_year * dpw / 5.0 / DAYS_PER_YEAR, None, payer,
                                   "seconded staff"))
    if it.costs.premises_gbp_per_year:
        lines.append(FixedCost(it.costs.premises_gbp_per_year / DAYS_PER_YEAR, None, None, "premises"))
    return tuple(lines)


def seconded_places(service: str, m: ScenarioModel, dpw: int) -> float:
    """Places a service loses while one team runs, for the staff it seconds to it."""
    it = m.int_team
    svc = m.services[service]
    if it is None:
        return 0.0
    fte = sum(w.fte for w in it.workers.values() if w.seconded_from == service) * dpw / 5.0
    if svc.staff is not None and svc.caseload is not None:
        return fte * svc.caseload
    return fte  # a service given as servers: one place per FTE


def apply_secondments(services: tuple[ServicePlan, ...], teams: tuple[TeamPlan, ...], m: ScenarioModel,
                      warmup: float) -> tuple[ServicePlan, ...]:
    """Services that second staff lose their places while each team is open."""
    it = m.int_team
    if it is None or not any(w.seconded_from for w in it.workers.values()):
        return services
    out = list(services)
    for sp in services:
        losses = [(team.active_from - warmup, team.active_until - warmup,
                   seconded_places(sp.name, m, it.team_days_per_week(nb)))
                  for team, nb in zip(teams, it.neighbourhoods)]
        losses = [x for x in losses if x[2] > 0]
        if not losses:
            continue
        # from the start of the warm-up (day -inf here) at full strength (with any places added)
        cuts = sorted({-math.inf} | {a for a, _, _ in losses} | {b for _, b, _ in losses if math.isfinite(b)}
                      | set(sp.capacity_at.days if sp.capacity_at is not None else ()))
        values = tuple(max(sp.capacity_on(day) - sum(lost for a, b, lost in losses if a <= day < b), 0.0)
                       for day in cuts)
        out[sp.index] = dataclasses.replace(sp, capacity_at=Schedule(tuple(cuts), values))
    return tuple(out)
