"""Appraising options against a baseline: costs, costs avoided, NPV, payback, by organisation."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import PlacesimError
from ..formatting import estimate_text
from ..io import atomic_path
from ..results import ComparedResults
from ..scenario.model import Economics
from ..stats import mean_interval
from .flows import Flows, Period, appraisal_period, crisis_services, scenario_flows
from .plots import plot_cumulative, plot_npv, plot_organisations
from .public_value import carried_forward, domain_values

METRICS: dict[str, tuple[str, str]] = {
    "int_cost_gbp": ("GBP", "INT cost over the period (incremental on the baseline's, with optimism bias)"),
    "int_new_money_gbp": ("GBP", "The part of the INT cost that is new money (not staff seconded from services)"),
    "int_seconded_gbp": ("GBP", "The part of the INT cost that is staff seconded from services: an opportunity "
                                "cost to the seconding organisations, not new money"),
    "crisis_costs_avoided_gbp": ("GBP", "Costs avoided at crisis-response services"),
    "service_costs_avoided_gbp": ("GBP", "Costs avoided at other siloed services"),
    "costs_avoided_gbp": ("GBP", "All costs avoided (crisis and service)"),
    "net_cost_gbp": ("GBP", "INT cost minus costs avoided (undiscounted)"),
    "pv_int_cost_gbp": ("GBP", "Present value of the INT cost"),
    "pv_costs_avoided_gbp": ("GBP", "Present value of the costs avoided"),
    "npv_gbp": ("GBP", "Net present value: present value of costs avoided minus INT cost"),
    "bcr": ("ratio", "Benefit-cost ratio: present value of costs avoided per GBP of INT cost"),
    "payback_month": ("month", "First month (from the first reported day) when the cumulative discounted net "
                               "benefit reaches zero; NaN: not within the period"),
    "economic_value_gbp": ("GBP", "Economic value of the crises averted (economics.values; undiscounted)"),
    "social_value_gbp": ("GBP", "Social value of the crises averted (economics.values; undiscounted)"),
    "pv_public_value_gbp": ("GBP", "Present value of costs avoided plus economic and social value"),
    "public_value_npv_gbp": ("GBP", "Present value of public value (fiscal, economic, social) minus INT cost"),
    "public_value_bcr": ("ratio", "Public value benefit-cost ratio: present value of fiscal, economic and social "
                                  "value per GBP of INT cost"),
    "pv_carried_forward_gbp": ("GBP", "Extrapolation: present value of costs avoided carried past the period with "
                                      "lag and drop-off (economics.carry_forward; 0 without)"),
    "npv_with_carry_forward_gbp": ("GBP", "Extrapolation: NPV plus the costs avoided carried past the period"),
    "crises_averted": ("crises", "Crises in the baseline minus crises with the option"),
    "cost_per_crisis_averted_gbp": ("GBP per crisis", "Net cost (undiscounted) per crisis averted"),
}
"""Headline figures of an appraisal: name -> (unit, meaning)."""

ORGANISATION_METRICS: dict[str, tuple[str, str]] = {
    "int_cost_gbp": ("GBP", "Share of the INT cost the organisation pays (funding shares)"),
    "costs_avoided_gbp": ("GBP", "Costs avoided at the organisation's services"),
    "cashable_gbp": ("GBP", "Part of the costs avoided that is cashable"),
    "non_cashable_gbp": ("GBP", "Part of the costs avoided that is not cashable (capacity freed)"),
    "net_cost_gbp": ("GBP", "INT cost paid minus costs avoided (undiscounted)"),
    "npv_gbp": ("GBP", "Present value of costs avoided minus INT cost paid"),
}


def ratio_interval(num: np.ndarray, den: np.ndarray, level: float) -> tuple[float, float, float]:
    """Ratio of means with a delta-method t-interval (paired replications).

    NaN when the mean denominator is zero; the bounds are NaN when the denominator's own
    interval includes zero (the ratio is then unbounded).
    """
    num = np.asarray(num, float)
    den = np.asarray(den, float)
    n = num.size
    dbar = den.mean()
    if dbar == 0:
        return (np.nan, np.nan, np.nan)
    r = num.mean() / dbar
    if n < 2:
        return (r, np.nan, np.nan)
    _, dlo, dhi = mean_interval(den, level)
    if dlo <= 0 <= dhi:
        return (r, np.nan, np.nan)
    se = (num - r * den).std(ddof=1) / (np.sqrt(n) * abs(dbar))
    half = float(stats.t.ppf((1 + level) / 2, n - 1)) * se
    return (r, r - half, r + half)


def band(values: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and Student-t interval of the mean over axis 0 (replications)."""
    v = np.asarray(values, float)
    n = v.shape[0]
    mean = v.mean(axis=0)
    if n < 2:
        nan = np.full_like(mean, np.nan)
        return mean, nan, nan
    half = stats.t.ppf((1 + level) / 2, n - 1) * v.std(axis=0, ddof=1) / np.sqrt(n)
    return mean, mean - half, mean + half


def payback_month(cumulative: np.ndarray, spent: np.ndarray, end_month: np.ndarray) -> float:
    """First bin end (months) at which a cumulative net benefit curve reaches zero once INT
    money has been spent; NaN if it never does within the period."""
    ok = (spent > 0) & (cumulative >= 0)
    idx = np.flatnonzero(ok)
    return float(end_month[idx[0]]) if idx.size else float("nan")


@dataclass(frozen=True)
class OptionFlows:
    """Paired differences (option against baseline) per replication and bin."""

    int_cost: np.ndarray
    int_seconded: np.ndarray
    crisis_avoided: np.ndarray
    service_avoided: np.ndarray
    crises_averted: np.ndarray
    averted_by_domain: np.ndarray
    int_by_org: np.ndarray
    avoided_by_org: np.ndarray
    cashable_by_org: np.ndarray

    @classmethod
    def between(cls, base: Flows, option: Flows) -> OptionFlows:
        return cls(
            int_cost=option.int_cost - base.int_cost,
            int_seconded=option.int_seconded - base.int_seconded,
            crisis_avoided=base.crisis_cost - option.crisis_cost,
            service_avoided=base.service_cost - option.service_cost,
            crises_averted=base.crises - option.crises,
            averted_by_domain=base.crises_by_domain - option.crises_by_domain,
            int_by_org=option.int_by_org - base.int_by_org,
            avoided_by_org=base.other_by_org - option.other_by_org,
            cashable_by_org=base.cashable_by_org - option.cashable_by_org,
        )

    @property
    def avoided(self) -> np.ndarray:
        return self.crisis_avoided + self.service_avoided

    def net_benefit(self, discount: np.ndarray) -> np.ndarray:
        """Discounted net benefit per replication and bin."""
        return (self.avoided - self.int_cost) * discount


class Appraisal:
    """Options appraised against a baseline, in the form of the HM Treasury / GMCA
    cost-benefit model: costs, costs avoided, NPV, benefit-cost ratio, payback, by
    organisation, each with an interval across replications (common random numbers make
    the differences paired).

    Build one with :func:`appraise`.
    """

    def __init__(self, comparison: ComparedResults, economics: Economics, baseline: str, options: list[str],
                 level: float, period: Period, flows: dict[str, OptionFlows],
                 values: tuple[np.ndarray, np.ndarray] | None = None):
        self.comparison = comparison
        self.economics = economics
        self.baseline = baseline
        self.options = options
        self.level = level
        self.period = period
        self.flows = flows
        domains = next(iter(flows.values())).averted_by_domain.shape[2] if flows else 0
        self.values = values if values is not None else (np.zeros(domains), np.zeros(domains))
        """Economic and social value of one crisis per domain (GBP at the price year)."""
        self.organisations = [str(o) for o in comparison.ds["organisation"].values]

    # ------------------------------------------------------------------ per replication

    def per_replication(self, option: str) -> pd.DataFrame:
        """Additive headline figures of one option, one row per replication."""
        f = self._flows(option)
        d = self.period.discount
        out = pd.DataFrame({
            "int_cost_gbp": f.int_cost.sum(axis=1),
            "int_new_money_gbp": (f.int_cost - f.int_seconded).sum(axis=1),
            "int_seconded_gbp": f.int_seconded.sum(axis=1),
            "crisis_costs_avoided_gbp": f.crisis_avoided.sum(axis=1),
            "service_costs_avoided_gbp": f.service_avoided.sum(axis=1),
            "costs_avoided_gbp": f.avoided.sum(axis=1),
            "pv_int_cost_gbp": (f.int_cost * d).sum(axis=1),
            "pv_costs_avoided_gbp": (f.avoided * d).sum(axis=1),
            "crises_averted": f.crises_averted.sum(axis=1),
        })
        economic, social = (f.averted_by_domain @ v for v in self.values)
        out["economic_value_gbp"] = economic.sum(axis=1)
        out["social_value_gbp"] = social.sum(axis=1)
        out["pv_public_value_gbp"] = out["pv_costs_avoided_gbp"] + ((economic + social) * d).sum(axis=1)
        out["net_cost_gbp"] = out["int_cost_gbp"] - out["costs_avoided_gbp"]
        out["npv_gbp"] = out["pv_costs_avoided_gbp"] - out["pv_int_cost_gbp"]
        out["public_value_npv_gbp"] = out["pv_public_value_gbp"] - out["pv_int_cost_gbp"]
        out["pv_carried_forward_gbp"] = carried_forward(f.avoided, self.period, self.economics)
        out["npv_with_carry_forward_gbp"] = out["npv_gbp"] + out["pv_carried_forward_gbp"]
        out.index.name = "replication"
        return out

    # ------------------------------------------------------------------ tables

    def summary(self) -> pd.DataFrame:
        """One row per option: every headline figure with ``_lower`` and ``_upper`` columns
        (the options table, ``options.csv``). Units are in ``.attrs['units']``."""
        rows = []
        for option in self.options:
            per = self.per_replication(option)
            row: dict[str, Any] = {"option": option}
            for name in METRICS:
                if name == "bcr":
                    m, lo, hi = ratio_interval(per["pv_costs_avoided_gbp"].values, per["pv_int_cost_gbp"].values,
                                               self.level)
                elif name == "public_value_bcr":
                    m, lo, hi = ratio_interval(per["pv_public_value_gbp"].values, per["pv_int_cost_gbp"].values,
                                               self.level)
                elif name == "cost_per_crisis_averted_gbp":
                    m, lo, hi = ratio_interval(per["net_cost_gbp"].values, per["crises_averted"].values, self.level)
                elif name == "payback_month":
                    m, lo, hi = self._payback(option)
                else:
                    m, lo, hi = mean_interval(per[name].values, self.level)
                row[name], row[f"{name}_lower"], row[f"{name}_upper"] = m, lo, hi
            rows.append(row)
        frame = pd.DataFrame(rows).set_index("option")
        frame.attrs["units"] = {k: u for k, (u, _) in METRICS.items()}
        frame.attrs["level"] = self.level
        return frame

    def by_organisation(self) -> pd.DataFrame:
        """Who pays and who saves: one row per (option, organisation), each figure with
        ``_lower`` and ``_upper``. Organisation rows add up to the option's totals."""
        d = self.period.discount[None, :, None]
        rows = []
        for option in self.options:
            f = self._flows(option)
            per = {
                "int_cost_gbp": f.int_by_org.sum(axis=1),
                "costs_avoided_gbp": f.avoided_by_org.sum(axis=1),
                "cashable_gbp": f.cashable_by_org.sum(axis=1),
                "non_cashable_gbp": (f.avoided_by_org - f.cashable_by_org).sum(axis=1),
                "net_cost_gbp": (f.int_by_org - f.avoided_by_org).sum(axis=1),
                "npv_gbp": ((f.avoided_by_org - f.int_by_org) * d).sum(axis=1),
            }
            for j, org in enumerate(self.organisations):
                row: dict[str, Any] = {"option": option, "organisation": org}
                for name, values in per.items():
                    row[name], row[f"{name}_lower"], row[f"{name}_upper"] = mean_interval(values[:, j], self.level)
                rows.append(row)
        frame = pd.DataFrame(rows).set_index(["option", "organisation"])
        frame.attrs["units"] = {k: u for k, (u, _) in ORGANISATION_METRICS.items()}
        return frame

    def cumulative(self) -> pd.DataFrame:
        """Cumulative discounted net benefit (costs avoided minus INT cost) of each option at
        the end of each bin: mean and interval (the payback curve)."""
        frames = []
        for option in self.options:
            cum = np.cumsum(self._flows(option).net_benefit(self.period.discount), axis=1)
            mean, lo, hi = band(cum, self.level)
            frames.append(pd.DataFrame({"option": option, "month": self.period.end_month,
                                        "mean": mean, "lower": lo, "upper": hi}))
        return pd.concat(frames, ignore_index=True)

    def cash_flows(self, option: str) -> pd.DataFrame:
        """Mean flows of one option per bin: INT cost, costs avoided, net cost, discount
        factor and discounted net benefit (GBP at the price year)."""
        f = self._flows(option)
        p = self.period
        frame = pd.DataFrame({
            "month": p.end_month, "year": p.year, "discount_factor": p.discount,
            "int_cost_gbp": f.int_cost.mean(axis=0),
            "costs_avoided_gbp": f.avoided.mean(axis=0),
            "crises_averted": f.crises_averted.mean(axis=0),
        })
        frame["net_cost_gbp"] = frame["int_cost_gbp"] - frame["costs_avoided_gbp"]
        frame["discounted_net_benefit_gbp"] = -frame["net_cost_gbp"] * frame["discount_factor"]
        return frame

    def to_workbook(self, path: str | Path) -> Path:
        """Write the appraisal as an .xlsx workbook in the layout of the GMCA CBA model
        (:func:`placesim.appraisal.workbook.write_workbook`)."""
        from .workbook import write_workbook

        return write_workbook(self, path)

    def to_csv(self, path: str | Path) -> Path:
        """Write :meth:`summary` to CSV atomically."""
        with atomic_path(path) as tmp:
            self.summary().to_csv(tmp)
        return Path(path)

    # ------------------------------------------------------------------ plots

    def plot_cumulative(self, ax: Any = None):
        """Cumulative discounted net benefit of each option over time with interval bands."""
        return plot_cumulative(self, ax=ax)

    def plot_organisations(self, option: str | None = None, ax: Any = None):
        """INT cost paid and costs avoided (cashable and not) by organisation."""
        return plot_organisations(self, option=option, ax=ax)

    def plot_npv(self, ax: Any = None):
        """NPV of each option with its interval."""
        return plot_npv(self, ax=ax)

    # ------------------------------------------------------------------ display

    def __repr__(self) -> str:
        return (f"Appraisal({', '.join(self.options)} against {self.baseline!r}; price year "
                f"{self.economics.price_year}; {self.period.days / 365.25:.3g} years; "
                f"{self.flows[self.options[0]].int_cost.shape[0] if self.options else 0} replications)")

    def _repr_html_(self) -> str:
        return f"<p><b>{html.escape(repr(self))}</b></p>" + readable(self.summary()).to_html()

    # ------------------------------------------------------------------ internals

    def _flows(self, option: str) -> OptionFlows:
        if option not in self.flows:
            raise PlacesimError(f"{option!r} is not an appraised option; options: {', '.join(self.options)}")
        return self.flows[option]

    def _payback(self, option: str) -> tuple[float, float, float]:
        f = self._flows(option)
        cum = np.cumsum(f.net_benefit(self.period.discount), axis=1)
        spent = np.cumsum(f.int_cost.mean(axis=0))
        mean, lo, hi = band(cum, self.level)
        m = self.period.end_month
        # The earliest plausible payback is where the upper band reaches zero, the latest
        # where the lower band does.
        return payback_month(mean, spent, m), payback_month(hi, spent, m), payback_month(lo, spent, m)


def readable(summary: pd.DataFrame) -> pd.DataFrame:
    """Summary with figures as rows, options as columns and one 'mean [lower, upper]' text
    cell each."""
    units = summary.attrs.get("units", {})
    out = {option: [estimate_text(row[k], row[k + "_lower"], row[k + "_upper"], units.get(k, "")) for k in METRICS]
           for option, row in summary.iterrows()}
    return pd.DataFrame(out, index=pd.Index([f"{k} ({u})" for k, (u, _) in METRICS.items()], name="figure"))


def appraise(comparison: ComparedResults, *, baseline: str | None = None, options: Sequence[str] | None = None,
             economics: Economics | Mapping[str, Any] | None = None, level: float = 0.9) -> Appraisal:
    """Appraise each option of a comparison against its baseline.

    Parameters
    ----------
    comparison
        Scenarios run with common random numbers (:func:`placesim.compare`).
    baseline
        Label of the baseline (default: the comparison's).
    options
        Labels to appraise (default: every other scenario).
    economics
        Price year, deflator, discounting, optimism bias, horizon and cashable shares
        (default: the baseline scenario's ``economics:`` section).
    level
        Coverage of the intervals (default 0.9).

    Returns
    -------
    Appraisal
    """
    base = baseline or comparison.baseline
    if base not in comparison.results:
        raise PlacesimError(f"baseline {base!r} is not one of {', '.join(comparison.labels)}")
    labels = [x for x in (options or comparison.labels) if x != base]
    unknown = [x for x in labels if x not in comparison.results]
    if unknown:
        raise PlacesimError(f"unknown option(s) {', '.join(unknown)}; scenarios: {', '.join(comparison.labels)}")
    models = {x: comparison.results[x].scenario().model for x in [base, *labels]}
    base_model = models[base]
    if economics is None:
        econ = base_model.economics
        if econ is None:
            raise PlacesimError(f"no economics for the appraisal: add an economics: section to the baseline "
                                f"scenario {base!r} or pass economics=")
    elif isinstance(economics, Economics):
        econ = economics
    else:
        econ = Economics.model_validate(dict(economics))
    ds = comparison.ds
    period = appraisal_period(ds, econ)
    crisis = crisis_services(base_model)
    base_flows = scenario_flows(ds, base, base_model, econ, period, crisis)
    flows = {x: OptionFlows.between(base_flows, scenario_flows(ds, x, models[x], econ, period, crisis)) for x in labels}
    values = domain_values(econ, [str(d) for d in ds["domain"].values])
    return Appraisal(comparison, econ, base, labels, level, period, flows, values)
