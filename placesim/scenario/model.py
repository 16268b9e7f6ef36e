"""Typed scenario models: every field a scenario file may hold.

The models are strict (unknown keys are errors) and frozen. Field descriptions are the
source of ``docs/scenario-reference.md`` (see :mod:`placesim.scenario.reference`), so a
field documented here is documented there.

Time convention: the simulation clock starts at the beginning of the warm-up. Every day
number written in a scenario (``start_day``, ``from_day``) counts from the end of the
warm-up, i.e. from the first reported day; ``time.start_date`` is that day's calendar date.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .base import Probability, _Model, _prob
from .distributions import Distribution
from .economics import Economics

LEVELS = (0, 1, 2, 3)
LEVEL_NAMES = ("stable", "emerging", "escalating", "crisis")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
MAX_CASES = 10_000_000
"""Largest finite capacity a service may have (use 'unlimited' beyond)."""
INT_TARGET = "int"
"""Referral target meaning "the INT team of the resident's neighbourhood, if it has started"."""


# --------------------------------------------------------------------------- time


class Time(_Model):
    """The run's length, warm-up and reporting bins."""

    horizon_days: float = Field(gt=0, description="Length of the reported period in days (after the warm-up).")
    warmup_days: float = Field(0.0, ge=0, description="Days simulated before reporting starts; nothing in them is counted.")
    report_every_days: float = Field(gt=0, description="Width of the reporting bins in days (e.g. 7 or 30); the last bin may be shorter.")
    start_date: dt.date | None = Field(None, description="Calendar date of the first reported day; bins then carry dates and opening days follow the calendar. Without it day 0 is a Monday.")

    @model_validator(mode="after")
    def _bins_fit(self) -> Time:
        if self.report_every_days > self.horizon_days:
            raise ValueError(
                f"report_every_days ({self.report_every_days:g}) is longer than horizon_days "
                f"({self.horizon_days:g}); a run needs at least one full reporting bin"
            )
        if self.horizon_days / self.report_every_days > 100_000:
            raise ValueError("more than 100,000 reporting bins; raise report_every_days")
        return self

    @property
    def n_bins(self) -> int:
        return int(math.ceil(self.horizon_days / self.report_every_days - 1e-9))


# --------------------------------------------------------------------------- place


class Neighbourhood(_Model):
    """A neighbourhood area of the place."""

    population: int | None = Field(None, ge=0, description="Resident population, for rates per 1,000 (optional).")


class CrisisResponse(_Model):
    """One crisis service a crisis in a domain may draw on."""

    service: str = Field(description="Service the resident enters in crisis (e.g. A&E, temporary accommodation); its duration and unit costs apply.")
    probability: Probability = _prob("Chance that a crisis draws on this service; responses are drawn independently.", 1.0)


class Crisis(_Model):
    """What happens when a resident reaches level 3 in a domain."""

    responses: list[CrisisResponse] = Field(default_factory=list, description="Crisis services drawn on, each with its own probability.")
    stay_in_crisis: bool = Field(False, description="If true the resident stays at level 3 until every crisis service they entered has finished with them; otherwise they return to level 2 at once.")


class Domain(_Model):
    """A need domain (money, housing, health, family ...) on the severity ladder 0-3."""

    front_door: str | None = Field(None, description="Service a resident approaches when they seek help in this domain (required if any cohort seeks help in it).")
    crisis: Crisis = Field(default_factory=Crisis, description="Crisis response of the domain.")


class Hazards(_Model):
    """Per-year transition hazards of one domain for one cohort.

    Pairs are ``[from level 1, from level 2]``.
    """

    onset_per_year: float = Field(0.0, ge=0, description="Hazard of 0 -> 1 (need emerging).")
    escalation_per_year: tuple[float, float] = Field((0.0, 0.0), description="Hazards of 1 -> 2 and 2 -> 3 (crisis).")
    recovery_per_year: tuple[float, float] = Field((0.0, 0.0), description="Hazards of natural recovery 1 -> 0 and 2 -> 1.")
    help_seeking_per_year: tuple[float, float] = Field((0.0, 0.0), description="Hazards of seeking help at the domain's front door while at level 1 and level 2.")

    @field_validator("escalation_per_year", "recovery_per_year", "help_seeking_per_year")
    @classmethod
    def _non_negative(cls, v: tuple[float, float]) -> tuple[float, float]:
        if any(x < 0 or not math.isfinite(x) for x in v):
            raise ValueError(f"hazards must be finite and >= 0, got {list(v)}")
        return v


class Cohort(_Model):
    """A segment of residents (or households) with its own size, starting mix and hazards."""

    size: dict[str, int] = Field(description="Number of residents per neighbourhood.")
    initial: dict[str, list[float]] = Field(default_factory=dict, description="Per domain, the shares starting at levels 0, 1, 2, 3 (four numbers summing to 1). Domains not listed start at 0.")
    hazards: dict[str, Hazards] = Field(default_factory=dict, description="Per domain, the transition hazards. Domains not listed do not change.")

    @field_validator("size")
    @classmethod
    def _sizes(cls, v: dict[str, int]) -> dict[str, int]:
        bad = {k: n for k, n in v.items() if n < 0}
        if bad:
            raise ValueError(f"sizes must be >= 0, got {bad}")
        return v

    @field_validator("initial")
    @classmethod
    def _mix(cls, v: dict[str, list[float]]) -> dict[str, list[float]]:
        for domain, shares in v.items():
            if len(shares) != 4:
                raise ValueError(f"initial mix of {domain!r} needs 4 shares (levels 0-3), got {len(shares)}")
            if any(s < 0 for s in shares):
                raise ValueError(f"initial mix of {domain!r} has a negative share: {shares}")
            if abs(sum(shares) - 1.0) > 1e-6:
                raise ValueError(f"initial mix of {domain!r} sums to {sum(shares):g}, expected 1")
        return v


# --------------------------------------------------------------------------- services


class Assessment(_Model):
    """The assessment done on every entry to a service."""

    cost_gbp: float = Field(0.0, ge=0, description="Cost of one assessment.")
    days: float = Field(0.0, ge=0, description="Days the assessment takes before the eligibility decision.")


class Eligibility(_Model):
    """Who a service accepts."""

    min_level: int = Field(0, ge=0, le=3, description="Lowest level accepted (highest level across the service's domains); below it the resident is turned away.")


class Queue(_Model):
    """How people wait."""

    discipline: Literal["fifo", "severity"] = Field("fifo", description="'fifo', or 'severity' (highest level first, then first come).")
    patience: Distribution | None = Field(None, description="Time a person waits before giving up (a distribution); none means they wait for ever.")


class Effect(_Model):
    """Effect of support on the supported domains while it lasts."""

    escalation_multiplier: float = Field(1.0, ge=0, description="Multiplies escalation hazards (e.g. 0.5 halves them).")
    recovery_multiplier: float = Field(1.0, ge=0, description="Multiplies natural-recovery hazards.")


class Completion(_Model):
    """Effect at the end of support, per supported domain at level 1 or above."""

    resolve_probability: Probability = _prob("Chance the domain returns to 0.", 0.0)
    step_down_probability: Probability = _prob("Chance the domain steps down one level (if not resolved).", 0.0)

    @model_validator(mode="after")
    def _sum(self) -> Completion:
        if self.resolve_probability + self.step_down_probability > 1 + 1e-9:
            raise ValueError(
                f"resolve_probability + step_down_probability = "
                f"{self.resolve_probability + self.step_down_probability:g}, must be at most 1"
            )
        return self


class Costs(_Model):
    """Unit costs of a service, attributed to its organisation."""

    per_case_gbp: float = Field(0.0, ge=0, description="Cost per case that starts support.")
    per_day_gbp: float = Field(0.0, ge=0, description="Cost per day of support (per occupied place).")
    per_week_gbp: float = Field(0.0, ge=0, description="Cost per week of support; added to per_day_gbp as per_week_gbp / 7.")
    price_year: str | None = Field(None, description="Price year of these figures (e.g. '2010/11'); recorded for uprating.")

    @property
    def daily(self) -> float:
        return self.per_day_gbp + self.per_week_gbp / 7.0


class ScheduleStep(_Model):
    """Background arrival rate from a given day on."""

    from_day: float = Field(ge=0, description="First day (from the end of the warm-up) of this rate.")
    rate_per_day: float = Field(ge=0, description="Poisson arrival rate per day from that day.")


class Arrivals(_Model):
    """Background demand: Poisson arrivals from outside the modelled cohorts."""

    rate_per_day: float | None = Field(None, ge=0, description="Constant Poisson rate per day.")
    schedule: list[ScheduleStep] | None = Field(None, description="Piecewise-constant rates; the first step applies from the start of the warm-up.")
    repeat_every_days: float | None = Field(None, gt=0, description="Repeat the schedule with this period (e.g. 7 for a weekly pattern, 365 for seasons).")
    level: int = Field(2, ge=0, le=3, description="Level of need of background arrivals (for eligibility and severity queues).")

    @model_validator(mode="after")
    def _one_form(self) -> Arrivals:
        if (self.rate_per_day is None) == (self.schedule is None):
            raise ValueError("give either rate_per_day or schedule")
        if self.schedule is not None:
            if not self.schedule:
                raise ValueError("schedule is empty")
            days = [s.from_day for s in self.schedule]
            if days[0] != 0:
                raise ValueError(f"schedule must start at from_day 0, starts at {days[0]:g}")
            if any(b <= a for a, b in zip(days, days[1:])):
                raise ValueError(f"schedule from_day values must increase, got {days}")
            if self.repeat_every_days is not None and self.repeat_every_days <= days[-1]:
                raise ValueError(
                    f"repeat_every_days ({self.repeat_every_days:g}) must be longer than the last from_day ({days[-1]:g})"
                )
        elif self.repeat_every_days is not None:
            raise ValueError("repeat_every_days only applies to a schedule")
        return self


class Referral(_Model):
    """A referral edge of the service network."""

    to: str = Field(description="Target service, or 'int' for the INT team of the resident's neighbourhood once it has started.")
    probability: Probability = _prob("Chance of this referral; a service's referrals for one moment ('when') are one draw, so their probabilities sum to at most 1.")
    domain: str | None = Field(None, description="Only for residents with this domain at or above min_level (background arrivals never meet a condition).")
    min_level: int | None = Field(None, ge=0, le=3, description="Level the condition needs (default 1 when domain is given).")
    handoff_loss: Probability = _prob("Chance the referral is lost and the person drops out.", 0.0)
    when: Literal["completed", "turned_away"] = Field("completed", description="On completing support, or on being turned away (signposting).")
    delay_days: float = Field(0.0, ge=0, description="Days between the referral and arrival at the next front door.")

    @model_validator(mode="after")
    def _level_needs_domain(self) -> Referral:
        if self.min_level is not None and self.domain is None:
            raise ValueError("min_level needs a domain to test")
        return self

    @property
    def threshold(self) -> int:
        return 1 if self.min_level is None else self.min_level


class Service(_Model):
    """A siloed service: a node of the service network."""

    organisation: str = Field(description="Organisation that runs and pays for it (council, nhs, police, vcs, dwp ...).")
    domains: list[str] = Field(default_factory=list, description="Need domains it addresses (support affects these).")
    servers: int | Literal["unlimited"] | None = Field(None, description="Concurrent cases it can hold, or 'unlimited'. Give this or staff and caseload.")
    staff: float | None = Field(None, gt=0, description="Staff (FTE); capacity is staff x caseload, rounded down.")
    caseload: int | None = Field(None, ge=1, description="Concurrent cases per member of staff.")
    open_days: list[Weekday] | None = Field(None, description="Days on which it assesses and starts cases; none means every day.")
    assessment: Assessment = Field(default_factory=Assessment, description="Assessment on every entry.")
    eligibility: Eligibility = Field(default_factory=Eligibility, description="Eligibility threshold.")
    queue: Queue = Field(default_factory=Queue, description="Queue discipline and patience.")
    duration: Distribution = Field(description="Duration of support (a distribution).")
    effect: Effect = Field(default_factory=Effect, description="Effect on the service's domains while supported.")
    on_completion: Completion = Field(default_factory=Completion, description="Effect at the end of support.")
    costs: Costs = Field(default_factory=Costs, description="Unit costs.")
    arrivals: Arrivals | None = Field(None, description="Background Poisson arrivals from outside the modelled cohorts.")
    referrals: list[Referral] = Field(default_factory=list, description="Onward referrals.")

    @field_validator("servers")
    @classmethod
    def _servers(cls, v: int | str | None) -> int | str | None:
        if isinstance(v, int) and v < 1:
            raise ValueError(f"servers must be at least 1 (or 'unlimited'), got {v}")
        return v

    @field_validator("open_days")
    @classmethod
    def _open_days(cls, v: list[str] | None) -> list[str] | None:
        if v is not None:
            if not v:
                raise ValueError("open_days is empty: a service must open on at least one day")
            if len(set(v)) != len(v):
                raise ValueError(f"open_days repeats a day: {v}")
        return v

    @model_validator(mode="after")
    def _capacity_given(self) -> Service:
        staffed = self.staff is not None or self.caseload is not None
        if self.servers is not None and staffed:
            raise ValueError("servers given together with staff or caseload; give servers, or staff and caseload, not both")
        if self.servers is None:
            if self.staff is None or self.caseload is None:
                raise ValueError("capacity missing: give servers (a number or 'unlimited'), or staff and caseload")
            cases = self.staff * self.caseload
            if not math.isfinite(cases) or cases > MAX_CASES:
                raise ValueError(f"staff x caseload = {cases:g} is too large; give at most {MAX_CASES:,} cases "
                                 f"or servers: unlimited")
            if int(cases + 1e-9) < 1:
                raise ValueError(f"staff x caseload = {cases:g} is less than one case")
        return self

    @property
    def capacity(self) -> float:
        """Concurrent cases (``math.inf`` for unlimited)."""
        if self.servers == "unlimited":
            return math.inf
        if self.servers is not None:
            return float(self.servers)
        return float(int(self.staff * self.caseload + 1e-9))  # type: ignore[operator]


# --------------------------------------------------------------------------- INT


class Worker(_Model):
    """One discipline of the INT."""

    fte: float = Field(gt=0, description="Full-time equivalents in each neighbourhood team.")
    domains: list[str] = Field(min_length=1, description="Domains this discipline covers.")
    caseload: int = Field(ge=1, description="Concurrent cases per FTE when the team works five days a week.")
    cost_per_fte_gbp_per_year: float = Field(0.0, ge=0, description="Employment cost per FTE per year (pro rata by days per week).")
    organisation: str | None = Field(None, description="Employing organisation (for the record; costs follow funding_shares, or the seconding service's organisation).")
    seconded_from: str | None = Field(None, description="Service these staff are seconded from: it loses their places while the team runs (FTE x days per week / 5 of its staff: that many x its caseload per member of staff, or that many servers), their posts need no recruiting (filled when the team opens), and their cost is the seconding organisation's (an opportunity cost, not new money). Without it the posts are new money.")


class Ramp(_Model):
    """How a team builds up after its start day."""

    delay_days: float = Field(0.0, ge=0, description="Days from a team's start_day until it opens (recruitment and information governance).")
    months_to_full: float = Field(0.0, ge=0, description="Months from opening until every new-money post is filled; posts fill in equal monthly steps. Seconded posts are filled on opening.")
    initial_share: Probability = _prob("Share of new-money posts filled on opening (with months_to_full > 0).", 0.25)


class IntNeighbourhood(_Model):
    """One neighbourhood team of the INT."""

    start_day: float = Field(0.0, ge=0, description="Day the team starts (from the end of the warm-up): phased roll-out. It opens after ramp.delay_days.")
    end_day: float | None = Field(None, gt=0, description="Day the team ends (funding ends), from the end of the warm-up; its open cases are handed back or closed (int.on_end). None: it runs to the end.")
    days_per_week: int | None = Field(None, ge=1, le=7, description="Overrides the INT's days_per_week for this team.")
    open_days: list[Weekday] | None = Field(None, description="Overrides the INT's open_days for this team.")


class WarmHandover(_Model):
    """Hand-over to specialist services for domains the INT does not cover."""

    loss: Probability = _prob("Chance a warm hand-over is lost (lower than siloed hand-off loss).", 0.0)
    min_level: int = Field(2, ge=1, le=3, description="Uncovered domains at or above this level are handed over at the end of support.")
    delay_days: float = Field(0.0, ge=0, description="Days before arrival at the specialist service.")
    to: dict[str, str] = Field(default_factory=dict, description="Service per uncovered domain; default the domain's front door.")


class CaseFindingStep(_Model):
    """Case-finding's quality from a given day on (e.g. data sharing improving)."""

    from_day: float = Field(gt=0, description="Day (from the end of the warm-up) from which these values hold.")
    coverage: Probability | None = Field(None, ge=0.0, le=1.0, description="Coverage from this day (unchanged if not given).")
    sensitivity: Probability | None = Field(None, ge=0.0, le=1.0, description="Sensitivity from this day (unchanged if not given).")
    acceptance: Probability | None = Field(None, ge=0.0, le=1.0, description="Acceptance from this day (unchanged if not given).")


class CaseFinding(_Model):
    """Proactive case-finding from shared data."""

    screen_every_days: float = Field(gt=0, description="Days between screens of the shared data (screening rate).")
    coverage: Probability = _prob("Share of residents whose records are in the shared data at each screen.", 1.0)
    sensitivity: Probability = _prob("Chance a resident at level >= 1 in a covered domain is flagged.")
    specificity: Probability = _prob("Chance a resident at level 0 in every covered domain is not flagged.")
    acceptance: Probability = _prob("Chance a flagged resident in need accepts the offer of support.")
    contact_cost_gbp: float = Field(0.0, ge=0, description="Cost of one outreach contact (true or false positive).")
    max_contacts_per_screen: int | None = Field(None, ge=1, description="Outreach contacts a team can make per screen, whatever its staff; flags beyond it are contacted in the order of rank_by. Overrides contacts_per_fte_per_week.")
    contacts_per_fte_per_week: float | None = Field(None, ge=0, description="Outreach contacts one full-time worker makes per week, so that a team's contacts per screen scale with its staff, days per week and ramp-up (FTE x days per week / 5 x staff in post x screen_every_days / 7, rounded down). Neither this nor max_contacts_per_screen: no limit.")
    rank_by: Literal["escalation", "severity"] = Field("escalation", description="Order in which flags are contacted when there are more than the team can contact: 'escalation' (highest escalation hazard first: the resident's hazards of moving up a level in the covered domains, with coupling, at their current levels) or 'severity' (highest level first). Ties in household order.")
    cohorts: list[str] | None = Field(None, description="Cohorts screened (default all).")
    schedule: list[CaseFindingStep] = Field(default_factory=list, description="Changes of coverage, sensitivity and acceptance over time, each from its from_day (e.g. records added to the shared data as information-governance agreements are signed); the values above hold until the first.")
    target_levels: tuple[int, int] = Field((1, 2), description="Lowest and highest level of need (the highest across covered domains) a screen looks for. Residents in the band are flagged with the sensitivity; those at level 0 with 1 - specificity (false positives); those above the band are never flagged. The default [1, 2] looks for the 'wobbling' and leaves those already in crisis (e.g. held in temporary accommodation) to the crisis services; [1, 3] also flags them.")

    @field_validator("schedule")
    @classmethod
    def _increasing(cls, v: list[CaseFindingStep]) -> list[CaseFindingStep]:
        days = [s.from_day for s in v]
        if any(b <= a for a, b in zip(days, days[1:])):
            raise ValueError(f"schedule from_day values must increase, got {days}")
        return v

    @field_validator("target_levels")
    @classmethod
    def _band(cls, v: tuple[int, int]) -> tuple[int, int]:
        lo, hi = v
        if not 1 <= lo <= hi <= 3:
            raise ValueError(f"target_levels must be [lowest, highest] with 1 <= lowest <= highest <= 3, got {list(v)}")
        return v


class IntCosts(_Model):
    """Fixed costs of each neighbourhood team."""

    premises_gbp_per_year: float = Field(0.0, ge=0, description="Premises cost per team per year.")
    setup_gbp: float = Field(0.0, ge=0, description="One-off set-up cost per team, on its start day.")
    price_year: str | None = Field(None, description="Price year of these figures.")


class Int(_Model):
    """The Integrated Neighbourhood Team: one team per covered neighbourhood."""

    name: str = Field("INT", description="Display name.")
    organisation: str = Field("council", description="Host organisation; pays everything unless funding_shares say otherwise.")
    neighbourhoods: dict[str, IntNeighbourhood] = Field(min_length=1, description="Covered neighbourhoods and their teams' start days.")
    days_per_week: int = Field(5, ge=1, le=7, description="Days a week the teams operate (capacity and staff cost pro rata).")
    open_days: list[Weekday] | None = Field(None, description="Which days they operate (default the first days_per_week weekdays from Monday).")
    workers: dict[str, Worker] = Field(min_length=1, description="Disciplines in each team.")
    assessment: Assessment = Field(default_factory=Assessment, description="The single assessment covering all domains.")
    eligibility: Eligibility = Field(default_factory=Eligibility, description="Threshold (highest level across covered domains); default none.")
    queue: Queue = Field(default_factory=Queue, description="Queue discipline and patience.")
    duration: Distribution = Field(description="Duration of key-worker support.")
    effect: Effect = Field(default_factory=Effect, description="Effect on supported covered domains while supported.")
    on_completion: Completion = Field(default_factory=Completion, description="Effect at the end of support per supported domain.")
    huddle: bool = Field(True, description="Multi-disciplinary huddle: all covered domains in need are supported in one episode. If false, one domain at a time with an internal re-referral and re-assessment.")
    front_door: bool = Field(True, description="Residents of a started team's neighbourhood seeking help in a covered domain come to the INT.")
    self_referral: Probability = _prob("Where the INT is not the front door (front_door: false): the share of its neighbourhood's residents seeking help in a covered domain who come to the INT themselves rather than to the domain's front door (word of mouth, a drop-in).", 0.0)
    warm_handover: WarmHandover = Field(default_factory=WarmHandover, description="Hand-over for uncovered domains.")
    case_finding: CaseFinding | None = Field(None, description="Proactive case-finding (none means no case-finding).")
    costs: IntCosts = Field(default_factory=IntCosts, description="Premises and set-up costs per team.")
    ramp: Ramp = Field(default_factory=Ramp, description="Build-up after each team's start day (default: opens on it, fully staffed).")
    on_end: Literal["hand_back", "close"] = Field("hand_back", description="When a team ends: its open cases are handed back to the front door of each covered domain in need (with the warm hand-over's loss), or closed.")
    funding_shares: dict[str, Probability] | None = Field(None, description="Share of INT costs paid by each organisation (sum 1).")

    @model_validator(mode="after")
    def _shares(self) -> Int:
        if self.funding_shares is not None:
            total = sum(self.funding_shares.values())
            if abs(total - 1.0) > 1e-6:
                raise ValueError(f"funding_shares sum to {total:g}, expected 1")
            if any(v < 0 for v in self.funding_shares.values()):
                raise ValueError("funding_shares must be >= 0")
        return self

    @property
    def shares(self) -> dict[str, float]:
        return dict(self.funding_shares) if self.funding_shares else {self.organisation: 1.0}

    @property
    def covered_domains(self) -> list[str]:
        seen: list[str] = []
        for w in self.workers.values():
            for d in w.domains:
                if d not in seen:
                    seen.append(d)
        return seen

    def team_days_per_week(self, neighbourhood: str) -> int:
        own = self.neighbourhoods[neighbourhood].days_per_week
        return self.days_per_week if own is None else own

    def team_open_days(self, neighbourhood: str) -> list[str]:
        own = self.neighbourhoods[neighbourhood]
        if own.open_days is not None:
            return list(own.open_days)
        if own.days_per_week is None and self.open_days is not None:
            return list(self.open_days)
        return list(WEEKDAYS[: self.team_days_per_week(neighbourhood)])

    def team_capacity(self, neighbourhood: str) -> int:
        """Concurrent cases of one team: sum of FTE x caseload, pro rata by days per week."""
        dpw = self.team_days_per_week(neighbourhood)
        return int(sum(w.fte * w.caseload for w in self.workers.values()) * dpw / 5.0 + 1e-9)

    def team_cost_per_year(self, neighbourhood: str) -> float:
        """Staff (pro rata by days per week) plus premises, per year."""
        dpw = self.team_days_per_week(neighbourhood)
        staff = sum(w.fte * w.cost_per_fte_gbp_per_year for w in self.workers.values())
        return staff * dpw / 5.0 + self.costs.premises_gbp_per_year


# --------------------------------------------------------------------------- scenario


class ScenarioModel(_Model):
    """The whole scenario as written in a file (after ``extends`` is resolved)."""

    placesim: Literal[1] = Field(description="File format version; always 1.")
    name: str = Field(min_length=1, description="Scenario name, shown in tables.")
    description: str = Field("", description="Free text.")
    time: Time = Field(description="Horizon, warm-up, reporting interval, start date.")
    neighbourhoods: dict[str, Neighbourhood] = Field(default_factory=dict, description="Neighbourhood areas.")
    domains: dict[str, Domain] = Field(default_factory=dict, description="Need domains.")
    coupling: dict[str, dict[str, float]] = Field(default_factory=dict, description="coupling[a][b] multiplies domain b's escalation hazards while domain a is at level 2 or above.")
    cohorts: dict[str, Cohort] = Field(default_factory=dict, description="Resident segments.")
    services: dict[str, Service] = Field(min_length=1, description="Siloed services (the service network).")
    int_team: Int | None = Field(None, alias="int", description="The Integrated Neighbourhood Team, if any.")
    economics: Economics | None = Field(None, description="Valuation for appraisals (price year, deflator, discounting, optimism bias); see docs/budget-planners-guide.md.")

    @field_validator("coupling")
    @classmethod
    def _coupling(cls, v: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        for a, row in v.items():
            for b, m in row.items():
                if m < 0 or not math.isfinite(m):
                    raise ValueError(f"coupling of {a!r} on {b!r} must be a finite number >= 0, got {m:g}")
        return v
