"""Scenario models of the ``economics:`` section: price year, deflator, discounting, optimism bias."""

from __future__ import annotations

import math
import re

from pydantic import Field, field_validator

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

    def cashable_share(self, service: str) -> float:
        return self.cashable.get(service, self.cashable.get("default", 0.0))
