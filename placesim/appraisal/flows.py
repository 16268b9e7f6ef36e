"""Cash flows of compared scenarios, uprated to one price year and attributed to
organisations: the inputs of an appraisal."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from ..errors import PlacesimError
from ..plan import compile_plan
from ..scenario.model import Economics, ScenarioModel
from ..scenario.network import INT_PREFIX
from .valuation import DAYS_PER_MONTH, DAYS_PER_YEAR, discount_factors, service_uprating


@dataclass(frozen=True)
class Flows:
    """One scenario's flows over the appraisal period, per replication.

    Arrays are ``(replication, bin)`` unless named otherwise; money is GBP at the
    appraisal's price year, undiscounted.
    """

    int_cost: np.ndarray
    """INT costs (staff, premises, set-up, assessments, outreach) with optimism bias."""
    int_seconded: np.ndarray
    """The part of ``int_cost`` that is seconded staff (an opportunity cost, not new money)."""
    crisis_cost: np.ndarray
    """Costs at the domains' crisis-response services."""
    service_cost: np.ndarray
    """Costs at the other siloed services."""
    int_by_org: np.ndarray
    """INT costs paid by each organisation, ``(replication, bin, organisation)``."""
    other_by_org: np.ndarray
    """Non-INT costs of each organisation, ``(replication, bin, organisation)``."""
    cashable_by_org: np.ndarray
    """Cashable part of ``other_by_org`` (for costs avoided), ``(replication, bin, organisation)``."""
    crises: np.ndarray
    """Crises in the whole place."""
    crises_by_domain: np.ndarray
    """Crises per domain, ``(replication, bin, domain)`` (domains in the Dataset's order)."""


@dataclass(frozen=True)
class Period:
    """The reporting bins an appraisal covers and how they are discounted."""

    bins: np.ndarray
    """Indices of the bins in the appraisal period."""
    end_month: np.ndarray
    """Months from the first reported day to the end of each bin."""
    year: np.ndarray
    """Appraisal year of each bin (of its midpoint)."""
    discount: np.ndarray
    """Discount factor of each bin."""
    days: float
    """Length of the appraisal period in days (to the end of its last bin)."""


def appraisal_period(ds: xr.Dataset, economics: Economics) -> Period:
    """Bins within the appraisal horizon (the whole run unless ``horizon_years`` is set),
    rounded down to whole reporting bins."""
    start = ds["time"].values.astype(float)
    width = ds["bin_days"].values.astype(float)
    end = start + width
    horizon = float(end[-1]) if economics.horizon_years is None else economics.horizon_years * DAYS_PER_YEAR
    if horizon > end[-1] + 1e-6:
        raise PlacesimError(f"the appraisal period ({horizon:g} days) is longer than the simulated horizon "
                            f"({end[-1]:g} days); lengthen time.horizon_days or shorten economics.horizon_years")
    bins = np.flatnonzero(end <= horizon + 1e-6)
    if bins.size == 0:
        raise PlacesimError(f"the appraisal period ({horizon:g} days) is shorter than one reporting bin")
    year = np.floor((start[bins] + width[bins] / 2) / DAYS_PER_YEAR).astype(int)
    return Period(bins, end[bins] / DAYS_PER_MONTH, year, discount_factors(year, economics), float(end[bins][-1]))


def crisis_services(model: ScenarioModel) -> set[str]:
    """Services that are some domain's crisis response."""
    return {r.service for d in model.domains.values() for r in d.crisis.responses}


def scenario_flows(ds: xr.Dataset, label: str, model: ScenarioModel, economics: Economics,
                   period: Period, crisis: set[str]) -> Flows:
    """Flows of one scenario of a comparison Dataset.

    Parameters
    ----------
    ds
        Comparison Dataset (``scenario`` dimension; services and organisations unioned).
    label
        The scenario's label in ``ds``.
    model
        Its scenario model (for price years and the INT's funding shares).
    economics
        Price year, deflator and optimism bias.
    period
        Bins to keep.
    crisis
        Crisis-response services (taken from the baseline, so every option splits its
        costs the same way).
    """
    services = [str(s) for s in ds["service"].values]
    orgs = [str(o) for o in ds["organisation"].values]
    cost = ds["cost_gbp"].sel(scenario=label).transpose("replication", "time", "service").values
    cost = cost[:, period.bins, :] * service_uprating(model, services, economics)
    axes = compile_plan(model).axes
    shares = np.zeros((len(services), len(orgs)))
    seconded_shares = np.zeros((len(services), len(orgs)))
    for i, s in enumerate(axes.services):
        for j, o in enumerate(axes.organisations):
            shares[services.index(s), orgs.index(o)] = axes.cost_shares[i, j]
            seconded_shares[services.index(s), orgs.index(o)] = axes.seconded_shares[i, j]
    seconded = np.zeros_like(cost)
    if "seconded_cost_gbp" in ds:  # results from before secondments have none
        seconded = ds["seconded_cost_gbp"].sel(scenario=label).transpose("replication", "time", "service").values
        seconded = seconded[:, period.bins, :] * service_uprating(model, services, economics)
    is_int = np.array([s.startswith(INT_PREFIX) and s not in model.services for s in services])
    is_crisis = np.array([s in crisis for s in services]) & ~is_int
    uplift = 1.0 + economics.int_uplift_percent() / 100.0
    int_cost = cost[:, :, is_int] * uplift
    int_seconded = seconded[:, :, is_int] * uplift
    # optimism bias on benefits: each service's costs (so its costs avoided) lowered by its grade
    cut = np.array([1.0 - economics.benefit_cut_percent(s) / 100.0 for s in services])
    cost = cost * np.where(is_int, 1.0, cut)
    other = cost[:, :, ~is_int]
    cashable = np.array([economics.cashable_share(s) for s in services])[~is_int]
    by_domain = ds["crises"].sel(scenario=label).sum(("neighbourhood", "cohort")).transpose(
        "replication", "time", "domain").values[:, period.bins, :]
    return Flows(
        int_cost=int_cost.sum(axis=2),
        int_seconded=int_seconded.sum(axis=2),
        crisis_cost=cost[:, :, is_crisis].sum(axis=2),
        service_cost=cost[:, :, ~is_int & ~is_crisis].sum(axis=2),
        int_by_org=(np.einsum("rts,so->rto", int_cost - int_seconded, shares[is_int])
                    + np.einsum("rts,so->rto", int_seconded, seconded_shares[is_int])),
        other_by_org=np.einsum("rts,so->rto", other, shares[~is_int]),
        cashable_by_org=np.einsum("rts,so->rto", other * cashable, shares[~is_int]),
        crises=by_domain.sum(axis=2),
        crises_by_domain=by_domain,
    )
