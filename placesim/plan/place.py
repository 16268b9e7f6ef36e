"""The place in a plan: domains and their crises, cohorts and their hazards, resident groups."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..scenario.model import CrisisContacts, ScenarioModel
from .attributes import SubCohort, split
from .clock import DAYS_PER_YEAR

NO_NEED = (1.0, 0.0, 0.0, 0.0)
"""Initial mix of a domain a cohort does not list: everyone at level 0."""


@dataclass(frozen=True)
class DomainPlan:
    """A need domain.

    Attributes
    ----------
    name, index
        Name and position on the domain axis.
    front_door
        Service index residents seeking help in it approach (-1: none).
    crisis_responses
        ``(service index, probability)`` of each crisis service a crisis draws on.
    stay_in_crisis
        Whether the resident stays at level 3 until every crisis service has finished.
    crisis_contacts
        One per crisis response, in order: its contacts per episode, or None for exactly one
        (no ``contacts``, or a mean of 1).
    """

    name: str
    index: int
    front_door: int
    crisis_responses: tuple[tuple[int, float], ...]
    stay_in_crisis: bool
    crisis_contacts: tuple[CrisisContacts | None, ...] = ()

    def contacts_of(self, i: int) -> CrisisContacts | None:
        """The contacts of crisis response ``i`` (None: exactly one)."""
        return self.crisis_contacts[i] if i < len(self.crisis_contacts) else None


@dataclass(frozen=True)
class CohortHazards:
    """Per-day base hazards of one cohort, indexed ``[domain]`` or ``[domain][from level - 1]``."""

    onset: tuple[float, ...]
    escalation: tuple[tuple[float, float], ...]
    recovery: tuple[tuple[float, float], ...]
    help: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class CohortPlan:
    """A cohort as the engines see it: its name, hazards per day and initial mix per domain.

    With household attributes each is a sub-cohort (a cohort's households with one
    combination of values, see :mod:`.attributes`): its hazards carry the values'
    help-seeking and escalation multipliers, and ``coverage`` and ``acceptance`` multiply
    case-finding's chances (1 without attributes)."""

    name: str
    index: int
    hazards: CohortHazards
    initial: tuple[tuple[float, ...], ...]
    coverage: float = 1.0
    acceptance: float = 1.0


@dataclass(frozen=True)
class GroupPlan:
    """The residents of one cohort in one neighbourhood (numbered in this order)."""

    neighbourhood: int
    cohort: int
    size: int
    key: str
    """``"neighbourhood/cohort"``: the key of the group's own random streams."""


def per_day(pair: tuple[float, float]) -> tuple[float, float]:
    return (pair[0] / DAYS_PER_YEAR, pair[1] / DAYS_PER_YEAR)


def compile_cohorts(m: ScenarioModel, subs: Sequence[SubCohort]) -> tuple[CohortPlan, ...]:
    """Cohorts (sub-cohorts with attributes) with per-day hazards (0 for domains they do not list)."""
    out = []
    cohorts = list(m.cohorts.values())
    for ci, sub in enumerate(subs):
        name, co = sub.name, cohorts[sub.parent]
        me, mh = sub.escalation, sub.help_seeking
        onset, esc, rcv, hlp = [], [], [], []
        for d in m.domains:
            h = co.hazards.get(d)
            if h is None:
                onset.append(0.0)
                esc.append((0.0, 0.0))
                rcv.append((0.0, 0.0))
                hlp.append((0.0, 0.0))
            else:
                onset.append(h.onset_per_year / DAYS_PER_YEAR)
                esc.append(_times(per_day(h.escalation_per_year), me))
                rcv.append(per_day(h.recovery_per_year))
                hlp.append(_times(per_day(h.help_seeking_per_year), mh))
        initial = tuple(tuple(co.initial.get(d, NO_NEED)) for d in m.domains)
        out.append(CohortPlan(name, ci, CohortHazards(tuple(onset), tuple(esc), tuple(rcv), tuple(hlp)), initial,
                              sub.coverage, sub.acceptance))
    return tuple(out)


def _times(pair: tuple[float, float], mult: float) -> tuple[float, float]:
    return pair if mult == 1.0 else (pair[0] * mult, pair[1] * mult)


def compile_groups(m: ScenarioModel, subs: Sequence[SubCohort]) -> tuple[GroupPlan, ...]:
    """One group per (neighbourhood, cohort), neighbourhood by neighbourhood; with attributes
    one per (neighbourhood, sub-cohort), each cohort's households split by the shares."""
    cohorts = list(m.cohorts.values())
    out = []
    for ni, nb in enumerate(m.neighbourhoods):
        for ci in range(len(cohorts)):
            mine = [j for j, s in enumerate(subs) if s.parent == ci]
            sizes = split(cohorts[ci].size.get(nb, 0), [subs[j].share for j in mine])
            out += [GroupPlan(ni, j, n, f"{nb}/{subs[j].name}") for j, n in zip(mine, sizes)]
    return tuple(out)


def compile_coupling(m: ScenarioModel) -> tuple[tuple[float, ...], ...]:
    """``coupling[a][b]``: multiplier of domain b's escalation while domain a is at level 2 or above."""
    index = {d: i for i, d in enumerate(m.domains)}
    rows = [[1.0] * len(index) for _ in index]
    for a, row in m.coupling.items():
        for b, mult in row.items():
            rows[index[a]][index[b]] = mult
    return tuple(tuple(r) for r in rows)


def compile_domains(m: ScenarioModel, service_index: dict[str, int]) -> tuple[DomainPlan, ...]:
    return tuple(
        DomainPlan(d, i, service_index[dom.front_door] if dom.front_door is not None else -1,
                   tuple((service_index[r.service], r.probability) for r in dom.crisis.responses),
                   dom.crisis.stay_in_crisis,
                   tuple(r.contacts if r.contacts is not None and r.contacts.repeats > 0 else None
                         for r in dom.crisis.responses))
        for i, (d, dom) in enumerate(m.domains.items()))


def escalation_by_code(hazards: Sequence[CohortHazards], coupling: Sequence[Sequence[float]],
                       domains: Sequence[int], n_domains: int) -> np.ndarray:
    """Each cohort's hazard per day of moving up a level in ``domains``, for every state code.

    A state code packs every domain's level in two bits (domain d: ``(code >> 2d) & 3``). The
    hazard is the sum over ``domains`` at level 1 or 2 of its escalation hazard from that level,
    times the coupling of every domain at level 2 or above. Support elsewhere is not counted.

    Returns
    -------
    ``(cohort, code)`` array.
    """
    codes = np.arange(4 ** n_domains)
    levels = (np.stack([(codes >> (2 * d)) & 3 for d in range(n_domains)], axis=1) if n_domains
              else np.zeros((1, 0), int))
    out = np.zeros((len(hazards), len(codes)))
    for c, h in enumerate(hazards):
        for d in domains:
            k = levels[:, d]
            base = np.where(k == 1, h.escalation[d][0], np.where(k == 2, h.escalation[d][1], 0.0))
            couple = np.ones(len(codes))
            for a in range(n_domains):
                couple *= np.where(levels[:, a] >= 2, coupling[a][d], 1.0)
            out[c] += base * couple
    return out
