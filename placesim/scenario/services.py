"""Scenario models of a siloed service (``services.NAME``): capacity, calendar, assessment,
eligibility, queue, duration, effects, costs, background demand and referrals. The INT uses
the assessment, eligibility, queue, effect and completion models too."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .base import (
    MAX_CASES,
    Cases,
    Days,
    Money,
    Multiplier,
    Name,
    Probability,
    RatePerDay,
    Staff,
    Weekday,
    _Model,
    _prob,
)
from .distributions import Distribution


class Assessment(_Model):
    """The assessment done on every entry to a service."""

    cost_gbp: Money = Field(0.0, ge=0, description="Cost of one assessment.")
    days: Days = Field(0.0, ge=0, description="Days the assessment takes before the eligibility decision.")


class Pressure(_Model):
    """A threshold raised under pressure (``eligibility.pressure``): "raise thresholds and send
    people away until their situation deteriorates"."""

    min_level: int = Field(ge=1, le=3, description="Threshold while under pressure (above eligibility.min_level).")
    raise_at: int = Field(ge=1, description="People queued for a place at or above which the threshold rises.")
    lower_at: int = Field(ge=0, description="People queued at or below which it falls back (below raise_at: the gap keeps it from flickering).")

    @model_validator(mode="after")
    def _gap(self) -> Pressure:
        if self.lower_at >= self.raise_at:
            raise ValueError(f"lower_at ({self.lower_at}) must be below raise_at ({self.raise_at})")
        return self


class Eligibility(_Model):
    """Who a service accepts."""

    min_level: int = Field(0, ge=0, le=3, description="Lowest level accepted (highest level across the service's domains); below it the resident is turned away.")
    pressure: Pressure | None = Field(None, description="A higher threshold while the queue is long (none: the threshold never moves).")

    @model_validator(mode="after")
    def _raised(self) -> Eligibility:
        if self.pressure is not None and self.pressure.min_level <= self.min_level:
            raise ValueError(f"pressure.min_level ({self.pressure.min_level}) must be above min_level "
                             f"({self.min_level})")
        return self


class Queue(_Model):
    """How people wait."""

    discipline: Literal["fifo", "severity"] = Field("fifo", description="'fifo', or 'severity' (highest level first, then first come).")
    patience: Distribution | None = Field(None, description="Time a person waits before giving up (a distribution); none means they wait for ever.")


class Effect(_Model):
    """Effect of support on the supported domains while it lasts."""

    escalation_multiplier: Multiplier = Field(1.0, ge=0, description="Multiplies escalation hazards (e.g. 0.5 halves them).")
    recovery_multiplier: Multiplier = Field(1.0, ge=0, description="Multiplies natural-recovery hazards.")
    persistence_days: Days = Field(0.0, ge=0, description="Mean days the effect lasts after support ends. Each resident's lasts an exponential time, so among residents supported together the share still protected falls at a constant rate (the drop-off, 1 / persistence_days a day). 0: it stops when support ends.")


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

    per_case_gbp: Money = Field(0.0, ge=0, description="Cost per case that starts support.")
    per_day_gbp: Money = Field(0.0, ge=0, description="Cost per day of support (per occupied place).")
    per_week_gbp: Money = Field(0.0, ge=0, description="Cost per week of support; added to per_day_gbp as per_week_gbp / 7.")
    price_year: str | None = Field(None, description="Price year of these figures (e.g. '2010/11'); recorded for uprating.")
    paid_by: dict[Name, Probability] | None = Field(None, description=(
        "Share of the service's costs each organisation pays (sum 1), e.g. {council: 0.41, dwp: 0.59} for "
        "temporary accommodation net of housing benefit subsidy. Default: the service's organisation pays all."))

    @model_validator(mode="after")
    def _paid_by(self) -> Costs:
        if self.paid_by is not None:
            if any(not 0.0 <= v <= 1.0 for v in self.paid_by.values()):
                raise ValueError(f"paid_by shares must lie between 0 and 1, got {self.paid_by}")
            total = sum(self.paid_by.values())
            if abs(total - 1.0) > 1e-6:
                raise ValueError(f"paid_by shares sum to {total:g}, expected 1")
        return self

    @property
    def daily(self) -> float:
        return self.per_day_gbp + self.per_week_gbp / 7.0


class ScheduleStep(_Model):
    """Background arrival rate from a given day on."""

    from_day: Days = Field(ge=0, description="First day (from the end of the warm-up) of this rate.")
    rate_per_day: RatePerDay = Field(ge=0, description="Poisson arrival rate per day from that day.")


class Arrivals(_Model):
    """Background demand: Poisson arrivals from outside the modelled cohorts."""

    rate_per_day: RatePerDay | None = Field(None, ge=0, description="Constant Poisson rate per day.")
    schedule: list[ScheduleStep] | None = Field(None, description="Piecewise-constant rates; the first step applies from the start of the warm-up.")
    repeat_every_days: Days | None = Field(None, gt=0, description="Repeat the schedule with this period (e.g. 7 for a weekly pattern, 365 for seasons).")
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


class AddedPlaces(_Model):
    """Places a service gains from a day on (e.g. capacity bought with savings reinvested)."""

    from_day: Days = Field(ge=0, description="Day (from the end of the warm-up) from which the places are open; they stay open to the end.")
    places: Cases = Field(ge=1, description="Concurrent cases added.")
    cost_gbp_per_place_per_year: Money = Field(0.0, ge=0, description="Cost of one added place a year (e.g. an adviser's employment cost / caseload), paid by the service's organisation from from_day on; the service's unit costs still apply to the cases in them.")
    note: str = Field("", description="Why they were added (e.g. 'reinvested savings of year 1').")


class Referral(_Model):
    """A referral edge of the service network."""

    to: Name = Field(description="Target service, or 'int' for the INT team of the resident's neighbourhood once it has started.")
    probability: Probability = _prob("Chance of this referral; a service's referrals for one moment ('when') are one draw, so their probabilities sum to at most 1.")
    domain: Name | None = Field(None, description="Only for residents with this domain at or above min_level (background arrivals never meet a condition).")
    min_level: int | None = Field(None, ge=0, le=3, description="Level the condition needs (default 1 when domain is given).")
    handoff_loss: Probability = _prob("Chance the referral is lost and the person drops out.", 0.0)
    when: Literal["completed", "turned_away"] = Field("completed", description="On completing support, or on being turned away (signposting).")
    delay_days: Days = Field(0.0, ge=0, description="Days between the referral and arrival at the next front door.")

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

    organisation: Name = Field(description="Organisation that runs and pays for it (council, nhs, police, vcs, dwp ...).")
    domains: list[Name] = Field(default_factory=list, description="Need domains it addresses (support affects these).")
    servers: Cases | Literal["unlimited"] | None = Field(None, description="Concurrent cases it can hold, or 'unlimited'. Give this or staff and caseload.")
    staff: Staff | None = Field(None, gt=0, description="Staff (FTE); capacity is staff x caseload, rounded down.")
    caseload: Cases | None = Field(None, ge=1, description="Concurrent cases per member of staff.")
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
    added_places: list[AddedPlaces] = Field(default_factory=list, description="Places added from given days (capacity built over time, e.g. reinvested savings); not for unlimited services.")

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
