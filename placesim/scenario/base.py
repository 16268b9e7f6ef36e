"""The base of every file model (scenario, options, calibration set-up): strict (unknown
keys are errors), frozen, and with numbers that mean something.

:class:`FileModel` hardens the validation of every number of every model built on it,
whatever its field says: a number must be finite, at most
:data:`~placesim.scenario.limits.MAX_MAGNITUDE` in size unless its field gives a tighter
bound, and ``true``/``false`` are never taken as numbers (pydantic would read
``servers: true`` as 1); a true/false field takes only true or false. The Annotated types
below add the bound of each kind of number (days, rates, hazards, money, counts); a
field takes one by its type annotation, e.g. ``horizon_days: Days = Field(gt=0, ...)``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, GetCoreSchemaHandler
from pydantic_core import PydanticKnownError, core_schema

from .limits import (
    MAX_CASES,
    MAX_CONTACTS,
    MAX_DAYS,
    MAX_DISPERSION,
    MAX_GBP,
    MAX_MAGNITUDE,
    MAX_MONTHS,
    MAX_MULTIPLIER,
    MAX_PER_YEAR,
    MAX_PERCENT,
    MAX_RATE_PER_DAY,
    MAX_REPLICATIONS,
    MAX_RESIDENTS,
    MAX_SEED,
    MAX_STAFF,
    MAX_YEARS,
)

LEVELS = (0, 1, 2, 3)
LEVEL_NAMES = ("stable", "emerging", "escalating", "crisis")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
INT_TARGET = "int"
"""Referral target meaning "the INT team of the resident's neighbourhood, if it has started"."""

Probability = float
"""A chance, 0-1 (the fields' validators check the range)."""

# ---------------------------------------------------------------- bounded kinds of number

Days = Annotated[float, Field(le=MAX_DAYS)]
"""A span of days or a day number: at most a hundred years."""
Months = Annotated[float, Field(le=MAX_MONTHS)]
"""A span of months: at most a hundred years."""
Years = Annotated[float, Field(le=MAX_YEARS)]
"""A span of years: at most a hundred."""
YearNumber = Annotated[int, Field(le=int(10 * MAX_YEARS))]
"""A year of an appraisal counted from 0 (discount schedules run to year 1,000)."""
RatePerDay = Annotated[float, Field(le=MAX_RATE_PER_DAY)]
"""Events a day (arrivals) or a week (contacts): at most a million."""
PerYear = Annotated[float, Field(le=MAX_PER_YEAR)]
"""A hazard per year of one resident: at most 10,000."""
Multiplier = Annotated[float, Field(le=MAX_MULTIPLIER)]
"""A multiplier of hazards: at most 1,000."""
Money = Annotated[float, Field(le=MAX_GBP)]
"""A sum in pounds: at most a trillion."""
Percent = Annotated[float, Field(le=MAX_PERCENT)]
"""A percentage: at most 1,000."""
Cases = Annotated[int, Field(le=MAX_CASES)]
"""A number of concurrent cases (servers, caseloads, contacts): at most ten million."""
Contacts = Annotated[float, Field(le=MAX_CONTACTS)]
"""Contacts with a service per crisis episode, on average: at most 1,000."""
Dispersion = Annotated[float, Field(le=MAX_DISPERSION)]
"""The dispersion (negative-binomial size) of a count: at most a million (Poisson beyond)."""
Staff = Annotated[float, Field(le=MAX_STAFF)]
"""Staff in full-time equivalents: at most a million."""
Residents = Annotated[int, Field(le=MAX_RESIDENTS)]
"""A number of residents or households: at most a hundred million."""
Replications = Annotated[int, Field(le=MAX_REPLICATIONS)]
"""A number of replications: at most 100,000."""
Seed = Annotated[int, Field(ge=0, le=MAX_SEED)]
"""A seed: 0 to 2**63 - 1."""


def _not_blank(v: str) -> str:
    if not v.strip():
        raise ValueError("must not be empty" if not v else "must not be blank (only spaces)")
    return v


Name = Annotated[str, AfterValidator(_not_blank)]
"""A name (of a service, an organisation, a domain ...): text that is not empty or only spaces."""


def harden(schema: Any) -> Any:
    """A pydantic core schema with every number made finite, bounded and bool-free, and
    every true/false strict (see the module's docstring). Applied to each model's own
    schema; the schemas of nested models are hardened by their own classes."""
    if isinstance(schema, list):
        return [harden(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    kind = schema.get("type")
    if kind == "function-before" and schema.get("function", {}).get("function") in _NO_BOOL.values():
        return schema  # hardened already (a nested model's schema, included again)
    out = {k: (harden(v) if k not in ("cls", "metadata", "serialization") else v) for k, v in schema.items()}
    if kind == "union":
        out["choices"] = [_labelled(c) for c in out["choices"]]
    elif kind in ("int", "float"):
        if kind == "float":
            out["allow_inf_nan"] = False
        if out.get("le") is None and out.get("lt") is None:
            out["le"] = MAX_MAGNITUDE
        if out.get("ge") is None and out.get("gt") is None:
            out["ge"] = -MAX_MAGNITUDE
        return core_schema.no_info_before_validator_function(_NO_BOOL[kind], out)
    elif kind == "bool":
        out["strict"] = True
    return out


def _labelled(choice: Any) -> Any:
    """A union member keeps the label of the plain type it wraps ('int', 'float'), so that
    messages name the branch as before."""
    if isinstance(choice, tuple):
        return choice
    if isinstance(choice, dict) and choice.get("type") == "function-before":
        inner = choice.get("schema", {}).get("type")
        if inner in _NO_BOOL:
            return (choice, inner)
    return choice


def _no_bool_int(value: Any) -> Any:
    if isinstance(value, bool):
        raise PydanticKnownError("int_type")
    return value


def _no_bool_float(value: Any) -> Any:
    if isinstance(value, bool):
        raise PydanticKnownError("float_type")
    return value


_NO_BOOL = {"int": _no_bool_int, "float": _no_bool_float}


class FileModel(BaseModel):
    """Base of every model read from a file: strict keys, frozen, hardened numbers."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: type[BaseModel], handler: GetCoreSchemaHandler
                                     ) -> core_schema.CoreSchema:
        return harden(handler(source))


class _Model(FileModel):
    """The scenario models' base: a :class:`FileModel`."""


def _prob(description: str, default: float | None = None) -> Any:
    if default is None:
        return Field(ge=0.0, le=1.0, description=description)
    return Field(default, ge=0.0, le=1.0, description=description)
