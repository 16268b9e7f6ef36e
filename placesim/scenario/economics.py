"""Scenario models of the ``economics:`` section: price year, deflator, discounting, optimism bias."""

from __future__ import annotations

import math
import re

from pydantic import Field, field_validator, model_validator

from .base import Money, Percent, Probability, YearNumber, Years, _Model

GREEN_BOOK_DISCOUNT = ((0, 3.5), (31, 3.0), (76, 2.5), (126, 2.0), (201, 1.5), (301, 1.0))
"""HM Treasury Green Book declining long-term discount schedule: (first year, % a year).
Source: scenarios/reference/figures.csv rows GB01 (3.5 % standard rate) and GB02."""

_FINANCIAL_YEAR = re.compile(r"^(\d{4})/(\d{2})$")
_CALENDAR_YEAR = re.compile(r"^\d{4}$")


def _check_year_label(label: str) -> str:
    fy = _FINANCIAL_YEAR.match(label)
    if fy:
        if (int(fy.group(1)) + 1) % 100 != int(fy.group(2)):
            raise ValueError(f"financial year {label!r} should end in the next year, e.g. "
                             f"'{fy.group(1)}/{(int(fy.group(1)) + 1) % 100:02d}'")
        return label
    if _CALENDAR_YEAR.match(label):
        return label
    raise ValueError(f"price year {label!r} should be a financial year like '2023/24' or a calendar year like '2023'")


class DiscountStep(_Model):
    """One step of a discount schedule: the rate from a given year of the appraisal on."""

    from_year: YearNumber = Field(ge=0, description="First appraisal year of this rate (year 0 is the first year, undiscounted).")
    percent: float = Field(ge=0, lt=100, description="Discount rate, % a year (real).")


class Deflator(_Model):
    """A price index to uprate unit costs from their price years to the appraisal's."""

    series: str = Field(min_length=1, description="Name of the index series (e.g. 'UK GDP deflator at market prices').")
    source: str = Field(min_length=1, description="Where the figures come from (title and address).")
    index: dict[str, Money] = Field(min_length=1, description="Index value by year: calendar years ('2023') or financial years ('2023/24'). A financial year missing from the table is 0.75 x its first calendar year + 0.25 x its second.")

    @field_validator("index", mode="before")
    @classmethod
    def _keys(cls, v: object) -> object:
        if isinstance(v, dict):
            return {str(k): val for k, val in v.items()}
        return v

    @field_validator("index")
    @classmethod
    def _values(cls, v: dict[str, float]) -> dict[str, float]:
        for k, val in v.items():
            _check_year_label(k)
            if not (val > 0 and math.isfinite(val)):
                raise ValueError(f"index value for {k} must be a positive number, got {val:g}")
        return v

    def value(self, label: str) -> float | None:
        """Index value for a price year, or None if the table cannot give it."""
        if label in self.index:
            return self.index[label]
        fy = _FINANCIAL_YEAR.match(label)
        if fy:
            first, second = fy.group(1), str(int(fy.group(1)) + 1)
            if first in self.index and second in self.index:
                return 0.75 * self.index[first] + 0.25 * self.index[second]
        return None


class OutcomeValue(_Model):
    """Economic and social value of one crisis in a domain (GMCA / New Economy CBA: beyond the
    fiscal cost the services bear, which the run counts itself)."""

    economic_gbp: Money = Field(0.0, ge=0, description="Economic value per crisis averted (e.g. lost output), GBP at price_year.")
    social_gbp: Money = Field(0.0, ge=0, description="Social value per crisis averted (e.g. quality of life), GBP at price_year.")
    price_year: str | None = Field(None, description="Price year of these values (uprated with economics.deflator).")

    @field_validator("price_year", mode="before")
    @classmethod
    def _year_text(cls, v: object) -> object:
        return str(v) if isinstance(v, int) else v

    @field_validator("price_year")
    @classmethod
    def _year(cls, v: str | None) -> str | None:
        return None if v is None else _check_year_label(v)


class OptimismBias(_Model):
    """Optimism bias by confidence grade (GMCA CBA): each cost line has a grade, each grade a
    correction. INT costs are raised by their grade's percent; costs avoided and economic and
    social values are lowered by theirs."""

    grades: dict[str, Percent] = Field(min_length=1, description="Correction per confidence grade, % (e.g. {1: 0, 2: 5, 3: 10, 4: 15, 5: 25, 6: 40}).")
    lines: dict[str, str] = Field(min_length=1, description="Grade of each cost line: 'int' (the INT's costs), a service's name (its costs avoided), 'values' (economic and social values), 'default' (every line not named).")

    @field_validator("grades", mode="before")
    @classmethod
    def _grade_keys(cls, v: object) -> object:
        return {str(k): val for k, val in v.items()} if isinstance(v, dict) else v

    @field_validator("lines", mode="before")
    @classmethod
    def _line_values(cls, v: object) -> object:
        return {k: str(g) for k, g in v.items()} if isinstance(v, dict) else v

    @field_validator("grades")
    @classmethod
    def _percent(cls, v: dict[str, float]) -> dict[str, float]:
        for k, p in v.items():
            if not 0.0 <= p < 100.0:
                raise ValueError(f"optimism bias for grade {k!r} must be at least 0 and below 100 %, got {p:g}")
        return v

    @model_validator(mode="after")
    def _known_grades(self) -> OptimismBias:
        unknown = sorted({g for g in self.lines.values() if g not in self.grades})
        if unknown:
            raise ValueError(f"lines use grade(s) {', '.join(map(repr, unknown))} not in grades "
                             f"({', '.join(map(repr, self.grades))})")
        return self

    def percent(self, line: str) -> float:
        """The correction of a cost line, % (0 for a line with no grade and no default)."""
        grade = self.lines.get(line, self.lines.get("default"))
        return 0.0 if grade is None else self.grades[grade]


class CarryForward(_Model):
    """Benefits carried past the appraisal period (an extrapolation, reported beside the
    headline figures, never in them): the last year's benefits continue after a lag,
    falling by the drop-off each year."""

    years: Years = Field(gt=0, description="Years after the period over which benefits are carried.")
    lag_years: Years = Field(0.0, ge=0, description="Years after the period before the carried benefits start (whole years).")
    drop_off_percent: float = Field(ge=0, le=100, description="Share of the benefit lost each year after the period, % (100: none carried).")


class Economics(_Model):
    """How costs are valued for an appraisal: price year, deflator, discounting, optimism bias."""

    price_year: str = Field(description="Price year all costs are expressed in (e.g. '2023/24').")
    deflator: Deflator | None = Field(None, description="Price index for uprating; needed when any cost's price_year differs from price_year.")
    discount: list[DiscountStep] = Field(
        default_factory=lambda: [DiscountStep(from_year=y, percent=p) for y, p in GREEN_BOOK_DISCOUNT],
        description="Discount schedule (default: the Green Book's, 3.5 % for years 0-30 declining to 1 % from year 301; GB01, GB02).")
    optimism_bias_percent: Percent = Field(0.0, ge=0, description="Uplift on INT costs for optimism bias, %. The Green Book gives no generic value for service costs (GB03): state it as an assumption with a range.")
    horizon_years: Years | None = Field(None, gt=0, description="Appraisal period in years from the first reported day (default: the whole reported horizon); must not exceed it.")
    cashable: dict[str, Probability] = Field(default_factory=dict, description="Share of the costs avoided at each service that is cashable (money the organisation can actually release); key 'default' for services not named. Unnamed services are non-cashable (0) unless 'default' says otherwise.")
    values: dict[str, OutcomeValue] = Field(default_factory=dict, description="Economic and social value of a crisis per domain (GMCA-style public value, beside the fiscal figures); domains not named have none.")
    optimism_bias: OptimismBias | None = Field(None, description="Optimism bias by confidence grade per cost line (replaces optimism_bias_percent; give one or the other).")
    carry_forward: CarryForward | None = Field(None, description="Benefits carried past the period with lag and drop-off: an extrapolation reported beside the headline figures (default: none).")

    @field_validator("price_year")
    @classmethod
    def _price_year(cls, v: str) -> str:
        return _check_year_label(str(v))

    @field_validator("price_year", mode="before")
    @classmethod
    def _price_year_text(cls, v: object) -> object:
        return str(v) if isinstance(v, int) else v

    @field_validator("discount")
    @classmethod
    def _schedule(cls, v: list[DiscountStep]) -> list[DiscountStep]:
        if not v:
            raise ValueError("discount schedule is empty")
        years = [s.from_year for s in v]
        if years[0] != 0:
            raise ValueError(f"discount schedule must start at from_year 0, starts at {years[0]}")
        if any(b <= a for a, b in zip(years, years[1:])):
            raise ValueError(f"discount from_year values must increase, got {years}")
        return v

    @field_validator("cashable")
    @classmethod
    def _cashable(cls, v: dict[str, float]) -> dict[str, float]:
        for k, share in v.items():
            if not 0.0 <= share <= 1.0:
                raise ValueError(f"cashable share for {k!r} must be between 0 and 1, got {share:g}")
        return v

    @model_validator(mode="after")
    def _one_optimism_bias(self) -> Economics:
        if self.optimism_bias is not None and self.optimism_bias_percent:
            raise ValueError("give optimism_bias (by grade) or optimism_bias_percent, not both")
        return self

    def int_uplift_percent(self) -> float:
        """Optimism bias on the INT's costs, %."""
        return self.optimism_bias_percent if self.optimism_bias is None else self.optimism_bias.percent("int")

    def benefit_cut_percent(self, line: str) -> float:
        """Optimism bias lowering a benefit line (a service's costs avoided, or 'values'), %."""
        return 0.0 if self.optimism_bias is None else self.optimism_bias.percent(line)

    def cashable_share(self, service: str) -> float:
        return self.cashable.get(service, self.cashable.get("default", 0.0))
