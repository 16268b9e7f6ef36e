"""Household attributes (issue 9 item 11): each cohort split into sub-cohorts, one per
combination of attribute values, and the engines' arrays folded back.

A scenario with an ``attributes`` section is compiled with one *sub-cohort* per cohort and
combination of values with a share above 0 (the shares of different attributes are taken as
independent within a cohort, so a combination's share is the product). A sub-cohort is a
cohort to the engines: its hazards carry its values' help-seeking and escalation
multipliers, and it carries their case-finding coverage and acceptance multipliers. Its
households in each neighbourhood are the cohort's times its share, rounded by largest
remainder (so the shares are met to within one household, the same in every replication
and in both engines).

After a run, :func:`fold` sums every array along the cohort axis back to the scenario's
cohorts (the results keep the user's cohort axis) and makes the ``*_by_attribute``
variables, whose ``attribute_value`` axis holds each attribute's values (``"attribute=value"``).
Without attributes there are no sub-cohorts, nothing to fold and no new variables.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from ..scenario.model import ScenarioModel
from .counters import COUNTERS

BY_ATTRIBUTE = {
    "residents_by_attribute": "residents",
    "crises_by_attribute": "crises",
    "help_seeking_by_attribute": "help_seeking",
    "need_days_by_attribute": "need_days",
    "assessments_by_attribute": "resident_assessments",
    "handoffs_by_attribute": "resident_handoffs",
    "int_contacts_by_attribute": "int_contacts",
    "int_found_by_attribute": "int_found",
    "int_started_by_attribute": "int_started",
    "int_reached_by_attribute": "int_reached",
}
"""Each variable along the attribute-value axis and the counter it is made from."""


@dataclass(frozen=True)
class SubCohort:
    """A cohort's households with one combination of attribute values.

    Attributes
    ----------
    name
        ``cohort`` without attributes, else ``"cohort|attribute=value|..."`` (its random
        streams are keyed by it).
    parent
        Index of its cohort.
    values
        Its value of each attribute, as indices on the attribute-value axis.
    share
        Its share of the cohort's households.
    help_seeking, escalation, coverage, acceptance
        The product of its values' multipliers.
    """

    name: str
    parent: int
    values: tuple[int, ...]
    share: float
    help_seeking: float = 1.0
    escalation: float = 1.0
    coverage: float = 1.0
    acceptance: float = 1.0


@dataclass(frozen=True)
class AttributePlan:
    """The attributes of a plan.

    Attributes
    ----------
    cohorts
        The scenario's cohorts (the results' cohort axis).
    parent
        Per sub-cohort (the engines' cohort axis), the index of its cohort.
    values
        Labels of the attribute-value axis, ``"attribute=value"``.
    attribute, value
        The attribute and the value of each label.
    member
        Per sub-cohort, the indices on the attribute-value axis of its values.
    """

    cohorts: tuple[str, ...]
    parent: tuple[int, ...]
    values: tuple[str, ...]
    attribute: tuple[str, ...]
    value: tuple[str, ...]
    member: tuple[tuple[int, ...], ...]


def expand(m: ScenarioModel) -> tuple[SubCohort, ...]:
    """The sub-cohorts of a scenario, cohort by cohort (one per cohort without attributes)."""
    if not m.attributes:
        return tuple(SubCohort(name, ci, (), 1.0) for ci, name in enumerate(m.cohorts))
    offset, o = {}, 0
    for a, attr in m.attributes.items():
        offset[a] = o
        o += len(attr.values)
    out = []
    for ci, (cname, co) in enumerate(m.cohorts.items()):
        choices = [[(a, v, co.attributes.get(a, {}).get(v, 0.0)) for v in attr.values]
                   for a, attr in m.attributes.items()]
        for combo in itertools.product(*choices):
            share = math.prod(s for _, _, s in combo)
            if share <= 0.0:
                continue
            mults = [m.attributes[a].values[v] for a, v, _ in combo]
            out.append(SubCohort(
                "|".join([cname] + [f"{a}={v}" for a, v, _ in combo]), ci,
                tuple(offset[a] + list(m.attributes[a].values).index(v) for a, v, _ in combo), share,
                math.prod(x.help_seeking for x in mults), math.prod(x.escalation for x in mults),
                math.prod(x.coverage for x in mults), math.prod(x.acceptance for x in mults)))
    return tuple(out)


def compile_attributes(m: ScenarioModel, subs: tuple[SubCohort, ...]) -> AttributePlan | None:
    """The attribute plan (None without attributes)."""
    if not m.attributes:
        return None
    pairs = [(a, v) for a, attr in m.attributes.items() for v in attr.values]
    return AttributePlan(tuple(m.cohorts), tuple(s.parent for s in subs), tuple(f"{a}={v}" for a, v in pairs),
                         tuple(a for a, _ in pairs), tuple(v for _, v in pairs), tuple(s.values for s in subs))


def split(n: int, shares: list[float]) -> list[int]:
    """``n`` households split by ``shares`` (summing to 1), rounded by largest remainder (ties
    to the first)."""
    exact = [n * s for s in shares]
    out = [int(math.floor(x + 1e-9)) for x in exact]
    rest = n - sum(out)
    order = sorted(range(len(shares)), key=lambda j: (-(exact[j] - out[j]), j))
    for j in order[:max(rest, 0)]:
        out[j] += 1
    return out


def fold(plan: AttributePlan | None, arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """One replication's arrays (no replication axis) with the engines' sub-cohorts summed back
    into the scenario's cohorts and the ``*_by_attribute`` variables added; unchanged without
    attributes."""
    if plan is None:
        return arrays
    n_sub, n_co, n_val = len(plan.parent), len(plan.cohorts), len(plan.values)
    to_cohort = np.zeros((n_sub, n_co))
    to_cohort[np.arange(n_sub), plan.parent] = 1.0
    to_value = np.zeros((n_sub, n_val))
    for j, vals in enumerate(plan.member):
        to_value[j, list(vals)] = 1.0
    out = dict(arrays)
    for name, source in BY_ATTRIBUTE.items():
        if source not in arrays:
            continue
        a = arrays[source]  # (time, neighbourhood, sub-cohort, ...)
        if source == "residents":
            a = a[:, :, :, 0, :].sum(axis=-1)  # every resident once: all levels of the first domain
        elif a.ndim == 4:
            a = a.sum(axis=-1)  # over domains
        out[name] = np.einsum("tnc,cv->tnv", a, to_value)
    for name, a in arrays.items():
        var = COUNTERS.get(name)
        if var is not None and "cohort" in var.dims:
            axis = var.dims.index("cohort") - 1
            out[name] = np.moveaxis(np.tensordot(np.moveaxis(a, axis, -1), to_cohort, axes=1), -1, axis)
    return out
