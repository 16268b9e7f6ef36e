"""Services in a plan: each siloed service and INT team resolved to what the engines need.

A :class:`ServicePlan` (or a :class:`TeamPlan`, for an INT neighbourhood team) holds every
field of a service as numbers and indices: capacity, calendar, assessment, eligibility,
queue, durations, effects, costs, background demand and referral rules. Its ``kind``
names the behaviour that runs it (see :mod:`placesim.kinds`).
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

from ..scenario.distributions import Distribution
from ..scenario.model import INT_TARGET, AddedPlaces, Arrivals, Pressure, Referral, ScenarioModel
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
    steps: tuple[tuple[float, float, float, float], ...] = ()
    """Later ``(from_day, coverage, sensitivity, acceptance)``, days from the end of the warm-up."""

    def quality_on(self, day: float) -> tuple[float, float, float]:
        """Coverage, sensitivity and acceptance on ``day`` (from the end of the warm-up)."""
        i = bisect.bisect_right([s[0] for s in self.steps], day)
        if i == 0:
            return self.coverage, self.sensitivity, self.acceptance
        return self.steps[i - 1][1:]

    def change_times(self, warmup: float, end: float) -> list[float]:
        """Clock times inside the run where the screens' quality changes."""
        return [warmup + s[0] for s in self.steps if 0 < warmup + s[0] < end]

    def contacts_per_screen(self, staff_share: float = 1.0) -> float:
        """Contacts a screen can make with ``staff_share`` of the team in post (inf: no limit)."""
        if self.max_contacts is not None:
            return float(self.max_contacts)
        if self.contacts_per_week is None:
            return math.inf
        return self.contacts_per_week * self.every / 7.0 * staff_share


@dataclass(frozen=True)
class FixedCost:
    """A cost per day while a service is open (an INT team's staff or premises).

    Attributes
    ----------
    daily
        Cost per day at full strength.
    scale
        Share of it incurred over time (days from the end of the warm-up), e.g. the new posts
        filled during a ramp-up; None: all of it.
    payer
        The organisation that pays it if not the service's own funders: a seconding service's.
    label
        What it is: 'staff', 'seconded staff' or 'premises'.
    """

    daily: float
    scale: Schedule | None = None
    payer: str | None = None
    label: str = "staff"


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
    capacity, capacity_at
        Concurrent cases (``math.inf``: unlimited) at full strength, and over time (days from
        the end of the warm-up; None: always ``capacity``), e.g. while posts fill or staff are
        seconded away.
    open_days, active_from, active_until
        Open weekdays from Monday; clock times it opens and closes for good.
    assess_days, assess_cost
        Days and cost of the assessment on every entry.
    min_level
        Eligibility threshold (highest level across the case's domains).
    pressure
        The threshold raised under pressure: (raised threshold, people queued at which it
        rises, people queued at which it falls back), or None.
    severity_queue
        Queue by severity (highest level first) rather than first come, first served.
    patience, duration
        Distributions of the time before giving up waiting (None: for ever) and of support.
    escalation_multiplier, recovery_multiplier
        Effect on the supported domains' hazards while supported.
    persistence
        Mean days the effect lasts after support ends (exponential; 0: it stops then).
    resolve, step_down
        Chances a supported domain resolves or steps down at the end of support.
    case_cost, contact_cost
        Cost per case started and per outreach contact.
    daily_cost
        Cost per occupied place per day (a siloed service).
    fixed_costs
        Costs per day while it is open (an INT team's staff and premises).
    setup_cost, setup_at
        Cost once, and the clock time it falls (default: on opening).
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
    capacity_at: Schedule | None = None
    open_days: tuple[bool, ...]
    active_from: float = 0.0
    active_until: float = math.inf
    assess_days: float
    assess_cost: float
    min_level: int
    pressure: tuple[int, int, int] | None = None
    severity_queue: bool
    patience: Distribution | None
    duration: Distribution
    escalation_multiplier: float
    recovery_multiplier: float
    persistence: float = 0.0
    resolve: float
    step_down: float
    case_cost: float = 0.0
    contact_cost: float = 0.0
    daily_cost: float = 0.0
    fixed_costs: tuple[FixedCost, ...] = ()
    setup_cost: float = 0.0
    setup_at: float | None = None
    background: Background | None = None
    rules_done: tuple[Rule, ...] = ()
    rules_away: tuple[Rule, ...] = ()

    @property
    def neighbourhood(self) -> int:
        """Neighbourhood a team serves (-1: a borough-wide service)."""
        return -1

    def change_times(self, warmup: float, end: float) -> list[float]:
        """Clock times in (0, end) where something about it changes: it opens or closes, its
        places change, its background arrival rate changes."""
        out = [t for t in (self.active_from, self.active_until) if 0 < t < end]
        if self.capacity_at is not None:
            out += self.capacity_at.changes(warmup, end)
        if self.background is not None and not self.background.rate.is_constant:
            out += self.background.rate.changes(warmup, end)
        return out

    @property
    def mean_support_days(self) -> float:
        """Mean days of support (the SD engine's completion rate is its inverse)."""
        return self.duration.mean

    def capacity_on(self, day: float) -> float:
        """Concurrent cases on ``day`` (from the end of the warm-up) while it is open."""
        return self.capacity if self.capacity_at is None else self.capacity_at.at(day)


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
    staff_share
        Share of its places in post over time (days from the end of the warm-up): the ramp-up.
    on_end
        Its open cases when it ends: ``'hand_back'`` (to each covered domain's front door) or
        ``'close'``.
    handback_loss
        Chance a handed-back case is lost.
    shared_spare
        Per service index: the chance its assessment of a resident the team sends it is spared
        by the team's shared record (empty: none).
    lead_durations
        Per domain index: the length of an episode whose most severe covered domain in need is
        that domain (its lead discipline's ``duration``; None: the team's ``duration``). Empty:
        the team's ``duration`` for every case.
    episode_mean
        Mean days of an episode over the mix of leads (what the SD engine uses; None: the
        mean of ``duration``).
    """

    home: int
    huddle: bool
    help_share: float
    handovers: tuple[Handover, ...] = ()
    case_finding: CaseFindingPlan | None = None
    staff_share: Schedule | None = None
    on_end: str = "hand_back"
    handback_loss: float = 0.0
    shared_spare: tuple[float, ...] = ()
    lead_durations: tuple[Distribution | None, ...] = ()
    episode_mean: float | None = None

    @property
    def mean_support_days(self) -> float:
        return self.duration.mean if self.episode_mean is None else self.episode_mean

    def spare_at(self, s: int) -> float:
        """Chance service ``s`` spares the assessment of a resident this team sends it."""
        return self.shared_spare[s] if self.shared_spare else 0.0

    @property
    def neighbourhood(self) -> int:
        return self.home

    def change_times(self, warmup: float, end: float) -> list[float]:
        """As a service's, and where its case-finding's quality changes."""
        out = super().change_times(warmup, end)
        if self.case_finding is not None:
            out += self.case_finding.change_times(warmup, end)
        return out


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


def _pressure(p: Pressure | None) -> tuple[int, int, int] | None:
    return None if p is None else (p.min_level, p.raise_at, p.lower_at)


def _rule(r: Referral, service_index: dict[str, int], domain_index: dict[str, int]) -> Rule:
    return Rule(NEIGHBOURHOOD_TEAM if r.to == INT_TARGET else service_index[r.to], r.probability,
                domain_index[r.domain] if r.domain else -1, r.threshold, r.handoff_loss, r.delay_days)


def domain_mask(domains: tuple[int, ...]) -> int:
    """The domains as a bit mask (domain d: bit d)."""
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
            domain_mask=domain_mask(domains), capacity=svc.capacity, open_days=weekday_mask(svc.open_days),
            assess_days=svc.assessment.days, assess_cost=svc.assessment.cost_gbp,
            min_level=svc.eligibility.min_level, pressure=_pressure(svc.eligibility.pressure),
            severity_queue=svc.queue.discipline == "severity",
            patience=svc.queue.patience, duration=svc.duration,
            escalation_multiplier=svc.effect.escalation_multiplier, recovery_multiplier=svc.effect.recovery_multiplier,
            persistence=svc.effect.persistence_days,
            resolve=svc.on_completion.resolve_probability, step_down=svc.on_completion.step_down_probability,
            case_cost=svc.costs.per_case_gbp, daily_cost=svc.costs.daily, background=_background(svc.arrivals),
            rules_done=tuple(_rule(r, service_index, domain_index) for r in svc.referrals if r.when == "completed"),
            rules_away=tuple(_rule(r, service_index, domain_index) for r in svc.referrals if r.when == "turned_away"),
            capacity_at=_added_capacity(svc.capacity, svc.added_places),
            fixed_costs=tuple(_added_cost(a) for a in svc.added_places if a.cost_gbp_per_place_per_year),
        ))
    return tuple(out)


def _added_capacity(capacity: float, added: list[AddedPlaces]) -> Schedule | None:
    """A service's places over time with the places added from their days (None: none added)."""
    if not added:
        return None
    days = sorted({a.from_day for a in added})
    values = [capacity] + [capacity + sum(a.places for a in added if a.from_day <= d) for d in days]
    return Schedule((-math.inf, *days), tuple(float(v) for v in values))


def _added_cost(a: AddedPlaces) -> FixedCost:
    """The cost per day of places added from a day on."""
    return FixedCost(a.places * a.cost_gbp_per_place_per_year / DAYS_PER_YEAR,
                     Schedule((-math.inf, a.from_day), (0.0, 1.0)), None, "added places")


__all__ = ["Background", "CaseFindingPlan", "FixedCost", "Handover", "NEIGHBOURHOOD_TEAM", "Rule", "ServicePlan",
           "TeamPlan", "compile_services", "service_names"]
