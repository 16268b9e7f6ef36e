"""Valuing cash flows: uprating to one price year and Green Book discounting."""

from __future__ import annotations

import numpy as np

from ..errors import PlacesimError
from ..plan.clock import DAYS_PER_YEAR
from ..scenario.model import Economics, ScenarioModel
from ..scenario.network import INT_PREFIX

DAYS_PER_MONTH = DAYS_PER_YEAR / 12


def discount_factors(years: np.ndarray, economics: Economics) -> np.ndarray:
    """Discount factor of each appraisal year under the economics' schedule.

    Year 0 is undiscounted; year ``t`` is discounted by the product over years
    ``1..t`` of ``1 / (1 + r_k)``, where ``r_k`` is the rate of the step year ``k`` falls
    in (Green Book: 3.5 % for years 0-30, so ``1 / 1.035**t`` up to year 30, then 3 % a
    year on from the year-30 factor, and so on).

    Parameters
    ----------
    years
        Whole appraisal years (0, 1, 2, ...).
    economics
        Holds the schedule.
    """
    years = np.asarray(years, dtype=int)
    if years.size and years.min() < 0:
        raise ValueError("appraisal years must be >= 0")
    top = int(years.max()) if years.size else 0
    starts = [s.from_year for s in economics.discount]
    rates = [s.percent / 100.0 for s in economics.discount]
    factor = np.ones(top + 1)
    for k in range(1, top + 1):
        step = int(np.searchsorted(starts, k, side="right")) - 1
        factor[k] = factor[k - 1] / (1.0 + rates[step])
    return factor[years]


def uprating_factor(price_year: str | None, economics: Economics) -> float:
    """Multiplier taking a cost at ``price_year`` to the economics' price year (1 when the
    price year is not stated or is already the appraisal's)."""
    if price_year is None or price_year == economics.price_year:
        return 1.0
    d = economics.deflator
    if d is None:
        raise PlacesimError(f"costs at price year {price_year!r} need economics.deflator to uprate them "
                            f"to {economics.price_year!r}")
    here, there = d.value(price_year), d.value(economics.price_year)
    if here is None or there is None:
        missing = price_year if here is None else economics.price_year
        raise PlacesimError(f"economics.deflator.index has no value for the price year {missing!r}")
    return there / here


def service_uprating(model: ScenarioModel, services: list[str], economics: Economics) -> np.ndarray:
    """Uprating factor of each service's costs (INT teams, named ``int:<area>``, take the
    INT's price year)."""
    out = np.ones(len(services))
    for i, s in enumerate(services):
        if s in model.services:
            out[i] = uprating_factor(model.services[s].costs.price_year, economics)
        elif s.startswith(INT_PREFIX) and model.int_team is not None:
            out[i] = uprating_factor(model.int_team.costs.price_year, economics)
    return out
