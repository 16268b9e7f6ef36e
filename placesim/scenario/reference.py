"""Write the scenario-file reference (docs/scenario-reference.md) from the models.

Run ``python -m placesim.scenario.reference > docs/scenario-reference.md``; a test checks
the committed file is up to date, so every field of every model is documented.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Sequence
from typing import Any, Union

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from .distributions import Empirical, Exponential, Fixed, Gamma, Lognormal
from .economics import Deflator, DiscountStep, Economics
from .int_team import SharedRecord
from .model import (
    AddedPlaces,
    Arrivals,
    Assessment,
    Attribute,
    AttributeValue,
    CaseFinding,
    CaseFindingStep,
    Cohort,
    Completion,
    Costs,
    Crisis,
    CrisisContacts,
    CrisisResponse,
    Domain,
    Effect,
    Eligibility,
    Hazards,
    Int,
    IntCosts,
    IntNeighbourhood,
    Neighbourhood,
    Pressure,
    Queue,
    Ramp,
    Referral,
    ScenarioModel,
    ScheduleStep,
    Service,
    Time,
    WarmHandover,
    Worker,
)

SECTIONS: list[tuple[str, type[BaseModel]]] = [
    ("Scenario (top level)", ScenarioModel),
    ("time", Time),
    ("neighbourhoods.NAME", Neighbourhood),
    ("domains.NAME", Domain),
    ("domains.NAME.crisis", Crisis),
    ("domains.NAME.crisis.responses[]", CrisisResponse),
    ("domains.NAME.crisis.responses[].contacts", CrisisContacts),
    ("cohorts.NAME", Cohort),
    ("cohorts.NAME.hazards.DOMAIN", Hazards),
    ("attributes.NAME", Attribute),
    ("attributes.NAME.values.VALUE", AttributeValue),
    ("services.NAME", Service),
    ("services.NAME.assessment (also int.assessment)", Assessment),
    ("services.NAME.eligibility (also int.eligibility)", Eligibility),
    ("services.NAME.eligibility.pressure", Pressure),
    ("services.NAME.queue (also int.queue)", Queue),
    ("services.NAME.effect (also int.effect)", Effect),
    ("services.NAME.on_completion (also int.on_completion)", Completion),
    ("services.NAME.costs", Costs),
    ("services.NAME.arrivals", Arrivals),
    ("services.NAME.arrivals.schedule[]", ScheduleStep),
    ("services.NAME.referrals[]", Referral),
    ("services.NAME.added_places[]", AddedPlaces),
    ("int", Int),
    ("int.neighbourhoods.NAME", IntNeighbourhood),
    ("int.workers.NAME", Worker),
    ("int.warm_handover", WarmHandover),
    ("int.case_finding", CaseFinding),
    ("int.case_finding.schedule[]", CaseFindingStep),
    ("int.ramp", Ramp),
    ("int.shared_record", SharedRecord),
    ("int.costs", IntCosts),
    ("economics", Economics),
    ("economics.deflator", Deflator),
    ("economics.discount[]", DiscountStep),
    ("Distributions: {distribution: exponential}", Exponential),
    ("Distributions: {distribution: lognormal}", Lognormal),
    ("Distributions: {distribution: gamma}", Gamma),
    ("Distributions: {distribution: fixed}", Fixed),
    ("Distributions: {distribution: empirical}", Empirical),
]

INTRO = """# Scenario file reference

Generated from the models in `placesim/scenario/` (`model.py`, `services.py`, `int_team.py`, `economics.py`) by
`python -m placesim.scenario.reference > docs/scenario-reference.md` (a test checks it is up
to date). Every field of a scenario file is listed here. Unknown keys are errors.

Conventions: time is in days; hazards are per year; day numbers in a scenario
(`start_day`, `from_day`) count from the end of the warm-up (the first reported day);
levels are 0 stable, 1 emerging, 2 escalating, 3 crisis; costs are in GBP at the price year
given beside them. A file may start with `extends: other.yaml` and then state only what
differs: mappings (services, neighbourhoods, cohorts ... by name) merge key by key, lists
are replaced whole, and a duration whose `distribution` kind changes is replaced whole.
A distribution is written as a mapping with a `distribution` key, e.g.
`{distribution: lognormal, mean_days: 60, sd_days: 30}`.

Every number must be finite and, where its row gives no tighter bound, at most 10^15 in
size; `true` and `false` are never read as numbers, and a true/false field takes only
`true` or `false`. Names (the keys of services, domains, cohorts ..., and the fields that
name a service, a domain or an organisation) must not be empty. A file may be at most
5 MB (`PLACESIM_MAX_FILE_MB`), nest at most 50 levels and hold at most 100,000 values
(counting what aliases repeat); YAML tags (`!!str`, `!foo`) are refused. See
docs/decisions.md, "Hostile input (issue 11)".
"""


def _type_name(t: Any) -> str:
    while typing.get_origin(t) is typing.Annotated:
        t = typing.get_args(t)[0]
    origin = typing.get_origin(t)
    if origin is Union or origin is types.UnionType:
        args = typing.get_args(t)
        if all(isinstance(a, type) and issubclass(a, BaseModel) and "distribution" in a.model_fields
               for a in args if a is not type(None)) and any(a is not type(None) for a in args):
            names = "distribution"
        else:
            names = " or ".join(_type_name(a) for a in args if a is not type(None))
        return names + (" or null" if type(None) in args else "")
    if origin is typing.Literal:
        return " / ".join(repr(a) for a in typing.get_args(t))
    if origin is dict:
        k, v = typing.get_args(t)
        return f"mapping of name to {_type_name(v)}"
    if origin in (list, tuple):
        items = [a for a in typing.get_args(t) if a is not Ellipsis]
        inner = _type_name(items[0]) if items else "value"
        if origin is tuple:
            return f"[{', '.join(_type_name(a) for a in items)}]"
        return f"list of {inner}"
    if isinstance(t, type) and issubclass(t, BaseModel):
        return "distribution" if "distribution" in t.model_fields else "mapping"
    return {int: "whole number", float: "number", str: "text", bool: "true/false"}.get(t, getattr(t, "__name__", str(t)))


def _bounds(field: Any) -> str:
    """Bounds from the field's constraints (and those of its Annotated type, e.g. ``Days``,
    also when the field may be null), e.g. ', >= 0', ', 0 to 1' or ', > 0 and <= 36525'."""
    lo = hi = None
    lo_op = hi_op = ""
    for m in _annotated_metadata(field.annotation) + list(field.metadata):
        if getattr(m, "ge", None) is not None:
            lo, lo_op = m.ge, ">="
        if getattr(m, "gt", None) is not None:
            lo, lo_op = m.gt, ">"
        if getattr(m, "le", None) is not None:
            hi, hi_op = m.le, "<="
        if getattr(m, "lt", None) is not None:
            hi, hi_op = m.lt, "<"
        if getattr(m, "min_length", None) is not None:
            return f", at least {m.min_length}"
    if lo is not None and hi is not None and lo_op == ">=" and hi_op == "<=":
        return f", {_number(lo)} to {_number(hi)}"
    if lo is not None and hi is not None:
        return f", {lo_op} {_number(lo)} and {hi_op} {_number(hi)}"
    if lo is not None:
        return f", {lo_op} {_number(lo)}"
    if hi is not None:
        return f", {hi_op} {_number(hi)}"
    return ""


def _number(x: float) -> str:
    """A bound as people read it: ``36,525``, ``1,000,000``, ``0.5`` (never ``1e+06``)."""
    return f"{int(x):,}" if float(x).is_integer() else f"{x:g}"


def _annotated_metadata(t: Any) -> list[Any]:
    """Constraints of an Annotated type inside ``X | None`` (pydantic keeps them on the type)."""
    origin = typing.get_origin(t)
    if origin is Union or origin is types.UnionType:
        members = [a for a in typing.get_args(t) if a is not type(None)]
        if len(members) == 1 and typing.get_origin(members[0]) is typing.Annotated:
            return [m for a in typing.get_args(members[0])[1:] for m in getattr(a, "metadata", [a])]
    return []


def _default(field: Any) -> str:
    if field.is_required():
        return "**required**"
    if field.default_factory is not None:
        value = field.default_factory()
        return "`{}`" if value == {} else "`[]`" if value == [] else "defaults"
    if field.default is PydanticUndefined or field.default is None:
        return "none"
    if field.default == "":
        return '`""`'
    return f"`{field.default}`"


def render() -> str:
    """The reference page as Markdown."""
    return INTRO + "\n" + render_sections(SECTIONS, "##")


def render_sections(sections: Sequence[tuple[str, type[BaseModel]]], heading: str = "###") -> str:
    """A heading and a field table for each (title, model), as Markdown."""
    out: list[str] = []
    for title, model in sections:
        out.append(f"{heading} `{title}`\n")
        out += field_table(model)
    return "\n".join(out)


def field_table(model: type[BaseModel]) -> list[str]:
    """A model's first docstring line and a Markdown table of its fields (lines)."""
    doc = (model.__doc__ or "").strip().splitlines()[0]
    out = [doc + "\n", "| field | type | default | meaning |", "|---|---|---|---|"]
    for name, field in model.model_fields.items():
        key = field.alias or name
        meaning = (field.description or "").replace("|", "\\|")
        kind = _type_name(field.annotation) + _bounds(field)
        out.append(f"| `{key}` | {kind} | {_default(field)} | {meaning} |")
    out.append("")
    return out


if __name__ == "__main__":  # pragma: no cover
    print(render(), end="")
