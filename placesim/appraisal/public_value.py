"""Public value beyond the fiscal (GMCA / New Economy CBA): economic and social values of the
crises averted, and benefits carried past the appraisal period with lag and drop-off."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import PlacesimError
from ..scenario.model import Economics
from .flows import Period
from .valuation import discount_factors, uprating_factor


def domain_values(economics: Economics, domains: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Economic and social value of one crisis in each domain, GBP at the economics' price
    year, lowered by the optimism bias of the 'values' line.

    Raises
    ------
    PlacesimError
        If ``economics.values`` names a domain the scenario does not have.
    """
    unknown = [d for d in economics.values if d not in domains]
    if unknown:
        raise PlacesimError(f"economics.values names {', '.join(map(repr, unknown))}, which is not a domain; "
                            f"domains: {', '.join(domains)}")
    cut = 1.0 - economics.benefit_cut_percent("values") / 100.0
    economic, social = np.zeros(len(domains)), np.zeros(len(domains))
    for i, d in enumerate(domains):
        v = economics.values.get(d)
        if v is not None:
            f = uprating_factor(v.price_year, economics) * cut
            economic[i], social[i] = v.economic_gbp * f, v.social_gbp * f
    return economic, social


def carried_forward(benefit: np.ndarray, period: Period, economics: Economics) -> np.ndarray:
    """Present value of benefits carried past the period, per replication (0 without
    ``economics.carry_forward``).

    The benefit of the whole bins in the period's last twelve months (or of the whole period
    if shorter), scaled to a year, continues for ``years`` years after ``lag_years``, multiplied by
    ``(1 - drop_off)`` each year after the period, and is discounted at its appraisal year.

    Parameters
    ----------
    benefit
        Undiscounted benefit per replication and bin (GBP).
    period
        The appraisal period (bins, months, years).
    economics
        Holds ``carry_forward`` and the discount schedule.
    """
    cf = economics.carry_forward
    if cf is None:
        return np.zeros(benefit.shape[0])
    months = period.end_month
    starts = np.concatenate([[0.0], months[:-1]])
    last = starts >= months[-1] - 12.0 - 1e-9
    covered = float(months[-1] - starts[last][0])
    yearly = benefit[:, last].sum(axis=1) * 12.0 / covered
    first_year = int(np.ceil(period.days / 365.25 - 1e-9))  # the first whole appraisal year after the period
    lag = int(round(cf.lag_years))
    keep = 1.0 - cf.drop_off_percent / 100.0
    n = int(np.ceil(cf.years - 1e-9))
    years = first_year + lag + np.arange(n)
    weights = keep ** (lag + 1 + np.arange(n)) * discount_factors(years, economics)
    weights[-1] *= cf.years - (n - 1)  # a part year at the end
    return yearly * weights.sum()


def optimism_text(econ: Economics) -> str:
    """How optimism bias is applied, in words."""
    ob = econ.optimism_bias
    if ob is None:
        return f"{econ.optimism_bias_percent:g} % added to INT costs"
    grades = ", ".join(f"grade {g}: {p:g} %" for g, p in ob.grades.items())
    lines = ", ".join(f"{k}: grade {g}" for k, g in ob.lines.items())
    return (f"by confidence grade ({grades}); {lines}. INT costs are raised by their grade's percent, costs "
            "avoided and economic and social values lowered by theirs")


def public_value_text(econ: Economics) -> str:
    """Economic and social values and the carry-forward, in words."""
    parts = [f"{d}: economic GBP {v.economic_gbp:,.0f}, social GBP {v.social_gbp:,.0f} per crisis"
             + (f" ({v.price_year} prices)" if v.price_year else "") for d, v in econ.values.items()]
    text = "; ".join(parts) if parts else "none (fiscal figures only)"
    cf = econ.carry_forward
    if cf is not None:
        text += (f". Extrapolation beside the headline: the last year's costs avoided carried {cf.years:g} years "
                 f"past the period after a lag of {cf.lag_years:g}, falling {cf.drop_off_percent:g} % a year")
    return text
