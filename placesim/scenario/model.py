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

import numpy as np
from pydantic import Field, field_validator, model_validator

from .base import (
    INT_TARGET,
    LEVEL_NAMES,
    LEVELS,
    MAX_CASES,
    WEEKDAYS,
    Contacts,
    Days,
    Dispersion,
    Multiplier,
    Name,
    PerYear,
    Probability,
    Residents,
    Weekday,
    _Model,
    _prob,
)
from .distributions import BlockSampler
from .economics import Deflator, DiscountStep, Economics
from .int_team import CaseFinding, CaseFindingStep, Int, IntCosts, IntNeighbourhood, Ramp, WarmHandover, Worker
from .services import (
    AddedPlaces,
    Arrivals,
    Assessment,
    Completion,
    Costs,
    Effect,
    Eligibility,
    Pressure,
    Queue,
    Referral,
    ScheduleStep,
    Service,
)

__all__ = [
    "INT_TARGET", "LEVELS", "LEVEL_NAMES", "MAX_CASES", "WEEKDAYS", "AddedPlaces", "Arrivals", "Assessment", "Attribute",
    "AttributeValue", "CaseFinding", "CaseFindingStep", "Cohort", "Completion", "Costs", "Crisis", "CrisisContacts",
    "CrisisResponse", "Deflator", "DiscountStep", "Domain",
    "Economics", "Effect", "Eligibility", "Hazards", "Int", "IntCosts", "IntNeighbourhood", "Neighbourhood", "Pressure", "Queue",
    "Ramp", "Referral", "ScenarioModel", "ScheduleStep", "Service", "Time", "WarmHandover", "Weekday", "Worker",
]

# --------------------------------------------------------------------------- time


class Time(_Model):
    """The run's length, warm-up and reporting bins."""

    horizon_days: Days = Field(gt=0, description="Length of the reported period in days (after the warm-up).")
    warmup_days: Days = Field(0.0, ge=0, description="Days simulated before reporting starts; nothing in them is counted.")
    report_every_days: Days = Field(gt=0, description="Width of the reporting bins in days (e.g. 7 or 30); the last bin may be shorter.")
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

    population: Residents | None = Field(None, ge=0, description="Resident population, for rates per 1,000 (optional).")


class CrisisContacts(_Model):
    """The contacts a crisis episode makes with one crisis service: the first, then repeats.

    The count is ``1 + R``, with ``R`` negative binomial of mean ``m - 1`` and size ``k``
    (Poisson without ``dispersion``): mean ``m``, variance ``(m - 1) + (m - 1)**2 / k``
    (``m - 1`` if Poisson). Repeat contacts fall at independent uniform times over
    ``over_days`` after the first (see docs/conceptual-model.md, "Crisis episodes").
    """

    mean: Contacts = Field(ge=1, description="Mean contacts per crisis episode with the service, the first included: 1 + mean repeats (1: one contact, as without contacts).")
    dispersion: Dispersion | None = Field(None, gt=0, description="Negative-binomial size k of the repeats: the count's variance is (mean - 1) + (mean - 1)^2 / k, so a small k makes a few frequent attenders; omitted: Poisson repeats, variance mean - 1.")
    over_days: Days = Field(gt=0, description="Days after the first contact over which the repeat contacts fall, each at an independent uniform time.")

    @property
    def repeats(self) -> float:
        """Mean repeat contacts per episode (``mean - 1``)."""
        return self.mean - 1.0

    @property
    def variance(self) -> float:
        """Variance of the contacts per episode."""
        mu = self.repeats
        return mu if self.dispersion is None else mu + mu * mu / self.dispersion

    def repeats_sampler(self, rng: np.random.Generator) -> BlockSampler:
        """Draws of ``n`` repeat counts at once (negative binomial, or Poisson)."""
        mu, k = self.repeats, self.dispersion
        if k is None:
            return lambda n: rng.poisson(mu, n)
        p = k / (k + mu)
        return lambda n: rng.negative_binomial(k, p, n)


class CrisisResponse(_Model):
    """One crisis service a crisis in a domain may draw on."""

    service: Name = Field(description="Service the resident enters in crisis (e.g. A&E, temporary accommodation); its duration and unit costs apply.")
    probability: Probability = _prob("Chance that a crisis draws on this service; responses are drawn independently.", 1.0)
    contacts: CrisisContacts | None = Field(None, description="Contacts per crisis episode with the service (repeat A&E attendances, call-outs), as a count distribution; omitted: one contact. Only the first contact holds a resident in crisis (stay_in_crisis).")


class Crisis(_Model):
    """What happens when a resident reaches level 3 in a domain."""

    responses: list[CrisisResponse] = Field(default_factory=list, description="Crisis services drawn on, each with its own probability.")
    stay_in_crisis: bool = Field(False, description="If true the resident stays at level 3 until every crisis service they entered has finished with them; otherwise they return to level 2 at once.")


class Domain(_Model):
    """A need domain (money, housing, health, family ...) on the severity ladder 0-3."""

    front_door: Name | None = Field(None, description="Service a resident approaches when they seek help in this domain (required if any cohort seeks help in it).")
    crisis: Crisis = Field(default_factory=Crisis, description="Crisis response of the domain.")


class Hazards(_Model):
    """Per-year transition hazards of one domain for one cohort.

    Pairs are ``[from level 1, from level 2]``.
    """

    onset_per_year: PerYear = Field(0.0, ge=0, description="Hazard of 0 -> 1 (need emerging).")
    escalation_per_year: tuple[PerYear, PerYear] = Field((0.0, 0.0), description="Hazards of 1 -> 2 and 2 -> 3 (crisis).")
    recovery_per_year: tuple[PerYear, PerYear] = Field((0.0, 0.0), description="Hazards of natural recovery 1 -> 0 and 2 -> 1.")
    help_seeking_per_year: tuple[PerYear, PerYear] = Field((0.0, 0.0), description="Hazards of seeking help at the domain's front door while at level 1 and level 2.")

    @field_validator("escalation_per_year", "recovery_per_year", "help_seeking_per_year")
    @classmethod
    def _non_negative(cls, v: tuple[float, float]) -> tuple[float, float]:
        if any(x < 0 or not math.isfinite(x) for x in v):
            raise ValueError(f"hazards must be finite and >= 0, got {list(v)}")
        return v


class AttributeValue(_Model):
    """One value of a household attribute: how it changes the mechanisms a place worries about.

    Each multiplier acts on every domain for the households with this value; the multipliers
    of several attributes multiply. A chance multiplied above 1 is taken as 1.
    """

    help_seeking: Multiplier = Field(1.0, ge=0, description="Multiplies the help-seeking hazards (both levels, every domain).")
    escalation: Multiplier = Field(1.0, ge=0, description="Multiplies the escalation hazards (1 -> 2 and 2 -> 3, every domain).")
    coverage: Multiplier = Field(1.0, ge=0, description="Multiplies case-finding's coverage: the chance the household's record is in the shared data a screen reads (e.g. below 1 for digital exclusion).")
    acceptance: Multiplier = Field(1.0, ge=0, description="Multiplies the chance a household in need accepts the INT's outreach offer.")


class Attribute(_Model):
    """A household attribute (e.g. disability, a protected characteristic): its values, each
    with its multipliers. Every cohort gives the share of its households with each value."""

    description: str = Field("", description="Free text: what the attribute is and where its shares come from.")
    values: dict[str, AttributeValue] = Field(min_length=1, description="Each value of the attribute and its multipliers ({} for none: the value is then only a breakdown of the outputs).")


class Cohort(_Model):
    """A segment of residents (or households) with its own size, starting mix and hazards."""

    size: dict[str, Residents] = Field(description="Number of residents per neighbourhood.")
    initial: dict[str, list[float]] = Field(default_factory=dict, description="Per domain, the shares starting at levels 0, 1, 2, 3 (four numbers summing to 1). Domains not listed start at 0.")
    hazards: dict[str, Hazards] = Field(default_factory=dict, description="Per domain, the transition hazards. Domains not listed do not change.")
    attributes: dict[str, dict[str, Probability]] = Field(default_factory=dict, description="Per attribute of the scenario's attributes section, the share of the cohort's households with each value (shares sum to 1; a value not listed has none). Required for every attribute.")

    @field_validator("attributes")
    @classmethod
    def _attribute_shares(cls, v: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        for attribute, shares in v.items():
            bad = {k: x for k, x in shares.items() if not 0.0 <= x <= 1.0}
            if bad:
                raise ValueError(f"shares of {attribute!r} must be between 0 and 1, got {bad}")
            if abs(sum(shares.values()) - 1.0) > 1e-6:
                raise ValueError(f"shares of {attribute!r} sum to {sum(shares.values()):g}, expected 1")
        return v

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


# --------------------------------------------------------------------------- scenario


class ScenarioModel(_Model):
    """The whole scenario as written in a file (after ``extends`` is resolved)."""

    placesim: Literal[1] = Field(description="File format version; always 1.")
    name: str = Field(min_length=1, description="Scenario name, shown in tables.")
    description: str = Field("", description="Free text.")
    time: Time = Field(description="Horizon, warm-up, reporting interval, start date.")
    neighbourhoods: dict[str, Neighbourhood] = Field(default_factory=dict, description="Neighbourhood areas.")
    domains: dict[str, Domain] = Field(default_factory=dict, description="Need domains.")
    coupling: dict[str, dict[str, Multiplier]] = Field(default_factory=dict, description="coupling[a][b] multiplies domain b's escalation hazards while domain a is at level 2 or above.")
    cohorts: dict[str, Cohort] = Field(default_factory=dict, description="Resident segments.")
    attributes: dict[str, Attribute] = Field(default_factory=dict, description="Household attributes (e.g. disability) with their values; each cohort gives its shares (cohorts.<c>.attributes). Support, crises, outreach and assessments then break down by value.")
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
