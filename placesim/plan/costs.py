"""Costs of a run, assembled from its counters the same way for every engine."""

from __future__ import annotations

import numpy as np

from .clock import Clock
from .services import ServicePlan


def service_costs(services: tuple[ServicePlan, ...], clock: Clock, counts: dict[str, np.ndarray]) -> np.ndarray:
    """Cost of each service in each bin, ``(bin, service)``, at the price years of the inputs.

    Assessments x their cost, cases started x the cost per case, outreach contacts x their
    cost; then the daily cost, either per occupied place-day (a siloed service) or for
    every day from the service's opening (an INT team's staff and premises); and the
    set-up cost in the bin it opens (nothing if it opens in the warm-up).

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
        if sp.daily_cost_per == "place":
            cost[:, s] += counts["busy_server_days"][:, s] * sp.daily_cost
        else:
            cost[:, s] += clock.overlap(sp.active_from) * sp.daily_cost
        if sp.setup_cost:
            b = clock.bin_of(sp.active_from)
            if b >= 0:
                cost[b, s] += sp.setup_cost
    return cost
