"""The base of every scenario model: strict (unknown keys are errors) and frozen."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

LEVELS = (0, 1, 2, 3)
LEVEL_NAMES = ("stable", "emerging", "escalating", "crisis")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
MAX_CASES = 10_000_000
"""Largest finite capacity a service may have (use 'unlimited' beyond)."""
INT_TARGET = "int"
"""Referral target meaning "the INT team of the resident's neighbourhood, if it has started"."""

Probability = float
"""A chance, 0-1 (the fields' validators check the range)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _prob(description: str, default: float | None = None) -> Any:
    if default is None:
        return Field(ge=0.0, le=1.0, description=description)
    return Field(default, ge=0.0, le=1.0, description=description)
