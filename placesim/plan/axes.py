"""The labels of a run's output axes."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .services import ServicePlan


@dataclass(frozen=True)
class Axes:
    """Labels of the output axes of a plan.

    Attributes
    ----------
    services, service_organisations, service_kinds, service_capacity
        The service axis (siloed services, then INT teams) and its coordinates.
    organisations
        Organisations that pay: those running siloed services, then the INT's funders.
    neighbourhoods, cohorts, domains
        The place's axes.
    cost_shares
        ``(service, organisation)``: the share of each service's costs each organisation pays.
    seconded_shares
        ``(service, organisation)``: the share of each service's seconded-staff costs each
        organisation pays (the seconding services' organisations).
    """

    services: list[str]
    service_organisations: list[str]
    service_kinds: list[str]
    service_capacity: list[float]
    organisations: list[str]
    neighbourhoods: list[str]
    cohorts: list[str]
    domains: list[str]
    cost_shares: np.ndarray = field(repr=False)
    seconded_shares: np.ndarray = field(repr=False)


def compile_axes(services: tuple[ServicePlan, ...], payers: dict[str, dict[str, float]],
                 neighbourhoods: list[str], cohorts: list[str], domains: list[str]) -> Axes:
    """Axes of a plan; ``payers`` gives each service's funding shares by organisation."""
    organisations: list[str] = []
    for sp in services:
        for o in payers[sp.name]:
            if o not in organisations:
                organisations.append(o)
    shares = np.zeros((len(services), len(organisations)))
    seconded = np.zeros((len(services), len(organisations)))
    for sp in services:
        for o, w in payers[sp.name].items():
            shares[sp.index, organisations.index(o)] = w
        lines = [line for line in sp.fixed_costs if line.payer is not None]
        total = sum(line.daily for line in lines)
        for line in lines:
            seconded[sp.index, organisations.index(str(line.payer))] += line.daily / total
    return Axes([sp.name for sp in services], [sp.organisation for sp in services], [sp.kind for sp in services],
                [sp.capacity for sp in services], organisations, neighbourhoods, cohorts, domains, shares, seconded)
