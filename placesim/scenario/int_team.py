"""Scenario models of the ``int:`` section: the Integrated Neighbourhood Team, its teams,
workers, ramp-up, case-finding, hand-overs and costs."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from .base import WEEKDAYS, Cases, Days, Money, Months, Name, Probability, RatePerDay, Staff, Weekday, _Model, _prob
from .distributions import Distribution
from .services import Assessment, Completion, Effect, Eligibility, Queue


class Worker(_Model):
    """One discipline of the INT."""

    fte: Staff = Field(gt=0, description="Full-time equivalents in each neighbourhood team.")
    domains: list[Name] = Field(min_length=1, description="Domains this discipline covers.")
    caseload: Cases = Field(ge=1, description="Concurrent cases per FTE when the team works five days a week.")
    cost_per_fte_gbp_per_year: Money = Field(0.0, ge=0, description="Employment cost per FTE per year (pro rata by days per week).")
    organisation: Name | None = Field(None, description="Employing organisation (for the record; costs follow funding_shares, or the seconding service's organisation).")
    duration: Distribution | None = Field(None, description="Length of an episode of support that this discipline leads: a case is led by the discipline of its most severe covered domain in need (ties: the domain listed first in the scenario's domains section; a domain covered by several disciplines is led by the first of them here). Intensive key work holds a handful of cases for months, light-touch link work many for weeks. Default: the INT's duration. Places are pooled across the team (FTE x caseload summed).")
    seconded_from: Name | None = Field(None, description="Service these staff are seconded from: it loses their places while the team runs (FTE x days per week / 5 of its staff: that many x its caseload per member of staff, or that many servers), their posts need no recruiting (filled when the team opens), and their cost is the seconding organisation's (an opportunity cost, not new money). Without it the posts are new money.")


class Ramp(_Model):
    """How a team builds up after its start day."""

    delay_days: Days = Field(0.0, ge=0, description="Days from a team's start_day until it opens (recruitment and information governance).")
    months_to_full: Months = Field(0.0, ge=0, description="Months from opening until every new-money post is filled; posts fill in equal monthly steps. Seconded posts are filled on opening.")
    initial_share: Probability = _prob("Share of new-money posts filled on opening (with months_to_full > 0).", 0.25)


class IntNeighbourhood(_Model):
    """One neighbourhood team of the INT."""

    start_day: Days = Field(0.0, ge=0, description="Day the team starts (from the end of the warm-up): phased roll-out. It opens after ramp.delay_days.")
    end_day: Days | None = Field(None, gt=0, description="Day the team ends (funding ends), from the end of the warm-up; its open cases are handed back or closed (int.on_end). None: it runs to the end.")
    days_per_week: int | None = Field(None, ge=1, le=7, description="Overrides the INT's days_per_week for this team.")
    open_days: list[Weekday] | None = Field(None, description="Overrides the INT's open_days for this team.")


class WarmHandover(_Model):
    """Hand-over to specialist services for domains the INT does not cover."""

    loss: Probability = _prob("Chance a warm hand-over is lost (lower than siloed hand-off loss).", 0.0)
    min_level: int = Field(2, ge=1, le=3, description="Uncovered domains at or above this level are handed over at the end of support.")
    delay_days: Days = Field(0.0, ge=0, description="Days before arrival at the specialist service.")
    to: dict[str, Name] = Field(default_factory=dict, description="Service per uncovered domain; default the domain's front door.")


class SharedRecord(_Model):
    """The INT's shared record (``int.shared_record``): partner services read the resident's story."""

    spare_probability: Probability = _prob("Chance a partner service spares the assessment of a resident the INT referred, handed over or handed back to it: it reads the INT's record instead of asking their story again (the eligibility decision is still made, in the assessment's time). 0: every partner assesses afresh.", 0.0)
    services: list[str] | None = Field(None, description="Partner services that read the record (default: every service the INT sends residents to).")


class CaseFindingStep(_Model):
    """Case-finding's quality from a given day on (e.g. data sharing improving)."""

    from_day: Days = Field(gt=0, description="Day (from the end of the warm-up) from which these values hold.")
    coverage: Probability | None = Field(None, ge=0.0, le=1.0, description="Coverage from this day (unchanged if not given).")
    sensitivity: Probability | None = Field(None, ge=0.0, le=1.0, description="Sensitivity from this day (unchanged if not given).")
    acceptance: Probability | None = Field(None, ge=0.0, le=1.0, description="Acceptance from this day (unchanged if not given).")


class CaseFinding(_Model):
    """Proactive case-finding from shared data."""

    screen_every_days: Days = Field(gt=0, description="Days between screens of the shared data (screening rate).")
    coverage: Probability = _prob("Share of residents whose records are in the shared data at each screen.", 1.0)
    sensitivity: Probability = _prob("Chance a resident at level >= 1 in a covered domain is flagged.")
    specificity: Probability = _prob("Chance a resident at level 0 in every covered domain is not flagged.")
    acceptance: Probability = _prob("Chance a flagged resident in need accepts the offer of support.")
    contact_cost_gbp: Money = Field(0.0, ge=0, description="Cost of one outreach contact (true or false positive).")
    max_contacts_per_screen: Cases | None = Field(None, ge=1, description="Outreach contacts a team can make per screen, whatever its staff; flags beyond it are contacted in the order of rank_by. Overrides contacts_per_fte_per_week.")
    contacts_per_fte_per_week: RatePerDay | None = Field(None, ge=0, description="Outreach contacts one full-time worker makes per week, so that a team's contacts per screen scale with its staff, days per week and ramp-up (FTE x days per week / 5 x staff in post x screen_every_days / 7, rounded down). Neither this nor max_contacts_per_screen: no limit.")
    rank_by: Literal["escalation", "severity"] = Field("escalation", description="Order in which flags are contacted when there are more than the team can contact: 'escalation' (highest escalation hazard first: the resident's hazards of moving up a level in the covered domains, with coupling, at their current levels) or 'severity' (highest level first). Ties in household order.")
    cohorts: list[Name] | None = Field(None, description="Cohorts screened (default all).")
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

    premises_gbp_per_year: Money = Field(0.0, ge=0, description="Premises cost per team per year.")
    setup_gbp: Money = Field(0.0, ge=0, description="One-off set-up cost per team, on its start day.")
    price_year: str | None = Field(None, description="Price year of these figures.")


class Int(_Model):
    """The Integrated Neighbourhood Team: one team per covered neighbourhood."""

    name: Name = Field("INT", description="Display name.")
    organisation: Name = Field("council", description="Host organisation; pays everything unless funding_shares say otherwise.")
    neighbourhoods: dict[str, IntNeighbourhood] = Field(min_length=1, description="Covered neighbourhoods and their teams' start days.")
    days_per_week: int = Field(5, ge=1, le=7, description="Days a week the teams operate (capacity and staff cost pro rata).")
    open_days: list[Weekday] | None = Field(None, description="Which days they operate (default the first days_per_week weekdays from Monday).")
    workers: dict[str, Worker] = Field(min_length=1, description="Disciplines in each team.")
    assessment: Assessment = Field(default_factory=Assessment, description="The single assessment covering all domains.")
    eligibility: Eligibility = Field(default_factory=Eligibility, description="Threshold (highest level across covered domains); default none.")
    queue: Queue = Field(default_factory=Queue, description="Queue discipline and patience.")
    duration: Distribution = Field(description="Duration of key-worker support (for a case led by a discipline without a duration of its own).")
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
    shared_record: SharedRecord = Field(default_factory=SharedRecord, description="Whether partner services read the INT's record of a resident it sends them, sparing a repeat assessment (default: they do not).")
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

    def lead_discipline(self, domain: str) -> str | None:
        """The discipline that leads a case whose most severe covered domain is ``domain``:
        the first worker listing it (None: not covered)."""
        for name, w in self.workers.items():
            if domain in w.domains:
                return name
        return None

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
