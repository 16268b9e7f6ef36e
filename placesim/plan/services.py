"""Services in a plan: each siloed service and INT team resolved to what the engines need.

A :class:`ServicePlan` (or a :class:`TeamPlan`, for an INT neighbourhood team) holds every
field of a service as numbers and indices: capacity, calendar, assessment, eligibility,
queue, durations, effects, costs, background demand and referral rules. Its ``kind``
names the behaviour that runs it (see :mod:`placesim.kinds`).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Literal

from ..scenario.distributions import Distribution
from ..scenario.model import INT_TARGET, Arrivals, Int, Referral, ScenarioModel
from ..scenario.network import team_name
from .clock import DAYS_PER_YEAR, Schedule, weekday_mask

NEIGHBOURHOOD_TEAM = -1
"""Referral target meaning "the INT team of the resident's neighbourhood, once it has started"."""


@dataclass(frozen=True)
class Rule:
    """A referral rule: where people go from a service, and on what condition.

    Attributes
    ----------
    target
        Service index, or :data:`NEIGHBOURHOOD_TEAM`.
    probability
        Chance of the referral (the rules of one moment are one draw).
    domain, min_level
        Only for residents with this domain (-1: any) at or above ``min_level``.
    loss
        Chance the referral is lost (the person drops out).
    delay
        Days until arrival at the target.
    """

    target: int
    probability: float
    domain: int
    min_level: int
    loss: float
    delay: float


@dataclass(frozen=True)
class Handover:
    """An INT team's warm hand-over of an uncovered domain to a specialist service."""

    domain: int
    target: int
    loss: float
    min_level: int
    delay: float


@dataclass(frozen=True)
class Background:
    """Poisson arrivals from outside the modelled cohorts, at a fixed level of need."""

    rate: Schedule
    level: int


@dataclass(frozen=True)
class CaseFindingPlan:
    """An INT team's screens of shared data for residents in need.

    Attributes
    ----------
    every
        Days between screens.
    coverage, sensitivity, specificity, acceptance
        Chances a resident's record is screened, one in need is flagged, one not in need
        is not flagged, and a flagged resident in need accepts.
    max_contacts
        Contacts per screen whatever the staff (None: see ``contacts_per_week``).
    cohorts
        Indices of the cohorts screened.
    target_levels
        ``(lowest, highest)`` level (highest across covered domains) a screen looks for.
    rank_by
        Order of contacts when flags exceed them: ``'escalation'`` or ``'severity'``.
    contacts_per_week
        Contacts the team makes per week with all its staff in post (None: no limit unless
        ``max_contacts``); a screen's share is this x days between screens / 7 x staff in post.
    """

    every: float
    coverage: float
    sensitivity: float
    specificity: float
    acceptance: float
    max_contacts: int | None
    cohorts: tuple[int, ...]
    target_levels: tuple[int, int] = (1, 2)
    rank_by: str = "escalation"
    contacts_per_week: float | None = None

    def contacts_per_screen(self, staff_share: float = 1.0) -> float:
        """Contacts a screen can make with ``staff_share`` of the team in post (inf: no limit)."""
        if self.max_contacts is not None:
            return float(self.max_contacts)
        if self.contacts_per_week is None:
            return math.inf
        return self.contacts_per_week * self.every / 7.0 * staff_share


@dataclass(frozen=True, kw_only=True)
class ServicePlan:
    """One node of the service network, resolved.

    Attributes
    ----------
    name, index, kind
        Name, position on the service axis, and the behaviour that runs it.
    organisation
        Who runs it (the label on the results' service axis).
    domains, domain_mask
        Domain indices it addresses, and the same as a bit mask.
    capacity
        Concurrent cases (``math.inf``: unlimited).
    open_days, active_from
        Open weekdays from Monday; clock time it first opens.
    assess_days, assess_cost
        Days and cost of the assessment on every entry.
    min_level
        Eligibility threshold (highest level across the case's domains).
    severity_queue
        Queue by severity (highest level first) rather than first come, first served.
    patience, duration
        Distributions of the time before giving up waiting (None: for ever) and of support.
    escalation_multiplier, recovery_multiplier
        Effect on the supported domains' hazards while supported.
    resolve, step_down
        Chances a supported domain resolves or steps down at the end of support.
    case_cost, contact_cost, setup_cost
        Cost per case started, per outreach contact, and once on opening.
    daily_cost, daily_cost_per
        Cost per day, and what it is per: ``'place'`` (each occupied place: a siloed
        service) or ``'day'`` (every day from opening: an INT team's staff and premises).
    background
        Poisson arrivals from outside the cohorts (None: none).
    rules_done, rules_away
        Referral rules on completing support and on being turned away.
    """

    name: str
    index: int
    kind: str
    organisation: str
    domains: tuple[int, ...]
    domain_mask: int
    capacity: float
    open_days: tuple[bool, ...]
    active_from: float = 0.0
    assess_days: float
    assess_cost: float
    min_level: int
    severity_queue: bool
    patience: Distribution | None
    duration: Distribution
    escalation_multiplier: float
    recovery_multiplier: float
    resolve: float
    step_down: float
    case_cost: float = 0.0
    contact_cost: float = 0.0
    daily_cost: float = 0.0
    daily_cost_per: Literal["place", "day"] = "place"
    setup_cost: float = 0.0
    background: Background | None = None
    rules_done: tuple[Rule, ...] = ()
    rules_away: tuple[Rule, ...] = ()

    @property
    def neighbourhood(self) -> int:
        """Neighbourhood a team serves (-1: a borough-wide service)."""
        return -1


@dataclass(frozen=True, kw_only=True)
class TeamPlan(ServicePlan):
    """An INT neighbourhood team: a service for one neighbourhood's residents.

    Attributes
    ----------
    home
        Index of the neighbourhood it serves.
    huddle
        All covered domains in need supported in one episode (else one at a time).
    help_share
        Share of its neighbourhood's residents seeking help in a covered domain who come to it
        rather than to the domain's front door (1: it is their front door).
    handovers
        Warm hand-overs of uncovered domains at the end of support.
    case_finding
        Screens of shared data (None: none).
    """

    home: int
    huddle: bool
    help_share: float
    handovers: tuple[Handover, ...] = ()
    case_finding: CaseFindingPlan | None = None

    @property
    def neighbourhood(self) -> int:
        return self.home


def _background(arrivals: Arrivals | None) -> Background | None:
    if arrivals is None:
        return None
    if arrivals.rate_per_day is not None:
        rate = Schedule.constant(arrivals.rate_per_day)
    else:
        steps = arrivals.schedule or []
        rate = Schedule(tuple(s.from_day for s in steps), tuple(s.rate_per_day for s in steps),
                        arrivals.repeat_every_days)
    return Background(rate, arrivals.level)


def _rule(r: Referral, service_index: dict[str, int], domain_index: dict[str, int]) -> Rule:
    return Rule(NEIGHBOURHOOD_TEAM if r.to == INT_TARGET else service_index[r.to], r.probability,
                domain_index[r.domain] if r.domain else -1, r.threshold, r.handoff_loss, r.delay_days)


def _mask(domains: tuple[int, ...]) -> int:
    mask = 0
    for d in domains:
        mask |= 1 << d
    return mask


def service_names(m: ScenarioModel) -> list[str]:
    """Names on the service axis: the siloed services, then one INT team per covered neighbourhood."""
    names = list(m.services)
    if m.int_team is not None:
        names += [team_name(nb) for nb in m.int_team.neighbourhoods]
    return names


def compile_services(m: ScenarioModel) -> tuple[ServicePlan, ...]:
    """The siloed services in file order."""
    service_index = {s: i for i, s in enumerate(service_names(m))}
    domain_index = {d: i for i, d in enumerate(m.domains)}
    out = []
    for i, (name, svc) in enumerate(m.services.items()):
        domains = tuple(domain_index[d] for d in svc.domains)
        out.append(ServicePlan(
            name=name, index=i, kind="service", organisation=svc.organisation, domains=domains,
            domain_mask=_mask(domains), capacity=svc.capacity, open_days=weekday_mask(svc.open_days),
            assess_days=svc.assessment.days, assess_cost=svc.assessment.cost_gbp,
            min_level=svc.eligibility.min_level, severity_queue=svc.queue.discipline == "severity",
            patience=svc.queue.patience, duration=svc.duration,
            escalation_multiplier=svc.effect.escalation_multiplier, recovery_multiplier=svc.effect.recovery_multiplier,
            resolve=svc.on_completion.resolve_probability, step_down=svc.on_completion.step_down_probability,
            case_cost=svc.costs.per_case_gbp, daily_cost=svc.costs.daily, background=_background(svc.arrivals),
            rules_done=tuple(_rule(r, service_index, domain_index) for r in svc.referrals if r.when == "completed"),
            rules_away=tuple(_rule(r, service_index, domain_index) for r in svc.referrals if r.when == "turned_away"),
        ))
    return tuple(out)


def int_organisation(it: Int) -> str:
    """The label of an INT team's organisation on the service axis: its funders."""
    return "INT (" + ", ".join(it.shares) + ")"


def compile_teams(m: ScenarioModel, warmup: float) -> tuple[TeamPlan, ...]:
    """One INT team per covered neighbourhood (none without an INT)."""
    it = m.int_team
    if it is None:
        return ()
    service_index = {s: i for i, s in enumerate(service_names(m))}
    domain_index = {d: i for i, d in enumerate(m.domains)}
    cohort_index = {c: i for i, c in enumerate(m.cohorts)}
    covered = tuple(domain_index[d] for d in it.covered_domains)
    handovers = []
    for d, dom in m.domains.items():
        if d in it.covered_domains:
            continue
        target = it.warm_handover.to.get(d, dom.front_door)
        if target is not None:
            wh = it.warm_handover
            handovers.append(Handover(domain_index[d], service_index[target], wh.loss, wh.min_level, wh.delay_days))
    cf = it.case_finding
    finding = None
    if cf is not None:
        screened = cf.cohorts if cf.cohorts is not None else list(m.cohorts)
        finding = CaseFindingPlan(cf.screen_every_days, cf.coverage, cf.sensitivity, cf.specificity,
                                  cf.acceptance, cf.max_contacts_per_screen,
                                  tuple(sorted(cohort_index[c] for c in set(screened))), cf.target_levels,
                                  cf.rank_by, None)
    out = []
    first = len(m.services)
    for j, (nb, team) in enumerate(it.neighbourhoods.items()):
        team_finding = finding
        if cf is not None and finding is not None and cf.contacts_per_fte_per_week is not None:
            fte = sum(w.fte for w in it.workers.values()) * it.team_days_per_week(nb) / 5.0
            team_finding = dataclasses.replace(finding, contacts_per_week=cf.contacts_per_fte_per_week * fte)
        out.append(TeamPlan(
            name=team_name(nb), index=first + j, kind="int", organisation=int_organisation(it), domains=covered,
            domain_mask=_mask(covered), capacity=float(it.team_capacity(nb)),
            open_days=weekday_mask(it.team_open_days(nb)), active_from=warmup + team.start_day,
            assess_days=it.assessment.days, assess_cost=it.assessment.cost_gbp,
            min_level=it.eligibility.min_level, severity_queue=it.queue.discipline == "severity",
            patience=it.queue.patience, duration=it.duration,
            escalation_multiplier=it.effect.escalation_multiplier, recovery_multiplier=it.effect.recovery_multiplier,
            resolve=it.on_completion.resolve_probability, step_down=it.on_completion.step_down_probability,
            contact_cost=cf.contact_cost_gbp if cf is not None else 0.0,
            daily_cost=it.team_cost_per_year(nb) / DAYS_PER_YEAR, daily_cost_per="day", setup_cost=it.costs.setup_gbp,
            home=list(m.neighbourhoods).index(nb), huddle=it.huddle,
            help_share=1.0 if it.front_door else it.self_referral,
            handovers=tuple(handovers), case_finding=team_finding,
        ))
    return tuple(out)


__all__ = ["Background", "CaseFindingPlan", "Handover", "NEIGHBOURHOOD_TEAM", "Rule", "ServicePlan", "TeamPlan",
           "compile_services", "compile_teams", "int_organisation", "service_names"]
