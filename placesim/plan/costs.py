"""What a run's counters cost, and the places services had: assembled the same way for every engine."""

from __future__ import annotations

import math

import numpy as np

from .clock import Clock
from .services import ServicePlan


def service_costs(services: tuple[ServicePlan, ...], clock: Clock, counts: dict[str, np.ndarray]) -> np.ndarray:
    """Cost of each service in each bin, ``(bin, service)``, at the price years of the inputs.

    Assessments x their cost, cases started x the cost per case, outreach contacts x their
    cost; a siloed service's occupied place-days x its daily cost; an INT team's costs per day
    (staff as posts fill, seconded staff, premises) while it is open; and a set-up cost in the
    bin it falls (nothing if it falls in the warm-up).

    Parameters
    ----------
    services
        The plan's services (the service axis).
    clock
        The run's clock.
    counts
        ``assessments``, ``started``, ``busy_server_days`` and ``outreach_contacts``,
        each ``(bin, service)``.
    """
    cost = np.zeros((clock.n_bins, len(services)))
    for sp in services:
        s = sp.index
        cost[:, s] = counts["assessments"][:, s] * sp.assess_cost + counts["started"][:, s] * sp.case_cost
        if sp.contact_cost:
            cost[:, s] += counts["outreach_contacts"][:, s] * sp.contact_cost
        if sp.daily_cost:
            cost[:, s] += counts["busy_server_days"][:, s] * sp.daily_cost
        if sp.fixed_costs:
            cost[:, s] += _fixed(sp, clock, lambda line: True)
        if sp.setup_cost:
            b = clock.bin_of(sp.active_from if sp.setup_at is None else sp.setup_at)
            if b >= 0:
                cost[b, s] += sp.setup_cost
    return cost


def seconded_costs(services: tuple[ServicePlan, ...], clock: Clock) -> np.ndarray:
    """The part of each service's cost that is seconded staff, ``(bin, service)`` (paid by the
    seconding organisation; an opportunity cost rather than new money)."""
    out = np.zeros((clock.n_bins, len(services)))
    for sp in services:
        if any(line.payer is not None for line in sp.fixed_costs):
            out[:, sp.index] = _fixed(sp, clock, lambda line: line.payer is not None)
    return out


def place_days(services: tuple[ServicePlan, ...], clock: Clock) -> np.ndarray:
    """Places each service had open in each bin, in place-days, ``(bin, service)`` (inf: unlimited)."""
    out = np.zeros((clock.n_bins, len(services)))
    for sp in services:
        days = clock.integrate(sp.active_from, sp.active_until)
        if math.isinf(sp.capacity):
            out[:, sp.index] = np.where(days > 0, math.inf, 0.0)
        elif sp.capacity_at is None:
            out[:, sp.index] = days * sp.capacity
        else:
            out[:, sp.index] = clock.integrate(sp.active_from, sp.active_until, sp.capacity_at)
    return out


def _fixed(sp: ServicePlan, clock: Clock, which) -> np.ndarray:
    out = np.zeros(clock.n_bins)
    for line in sp.fixed_costs:
        if which(line):
            out += clock.integrate(sp.active_from, sp.active_until, line.scale) * line.daily
    return out


def derived_outputs(services: tuple[ServicePlan, ...], clock: Clock, counts: dict[str, np.ndarray]
                    ) -> dict[str, np.ndarray]:
    """The outputs every engine derives from its counters and the plan: ``cost_gbp``,
    ``seconded_cost_gbp`` and ``place_days``."""
    return {"cost_gbp": service_costs(services, clock, counts), "seconded_cost_gbp": seconded_costs(services, clock),
            "place_days": place_days(services, clock)}
