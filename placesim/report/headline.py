"""The headline section: one row per option with what it costs, saves and averts."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

from ..appraisal import METRICS
from ..appraisal.appraisal import readable
from ..appraisal.valuation import DAYS_PER_MONTH
from ..formatting import fmt
from .page import esc, interval_cell, paragraph, percent, section, table

if TYPE_CHECKING:
    from ..appraisal import Appraisal

HEADLINE: dict[str, str] = {
    "int_cost_gbp": "INT cost",
    "costs_avoided_gbp": "Costs avoided",
    "net_cost_gbp": "Net cost",
    "npv_gbp": "Net present value",
    "bcr": "Benefit-cost ratio",
    "payback_month": "Payback month",
    "crises_averted": "Crises averted",
    "cost_per_crisis_averted_gbp": "Cost per crisis averted (£)",
}
"""Headline figures (keys of :data:`placesim.appraisal.METRICS`) and their column headings."""


def headline_frame(appraisal: Appraisal) -> pd.DataFrame:
    """The headline cells as text: one row per option, one column per :data:`HEADLINE` figure.

    Cells are ``mean ± half-width`` (or ``mean [lower, upper]``) as
    :func:`placesim.appraisal.appraisal.readable` writes them; a payback not reached is
    ``not within the period``, and cost per crisis averted is ``n/a`` where no crises are
    averted on average.
    """
    summary = appraisal.summary()
    text = readable(summary).T
    text.columns = list(METRICS)
    out = text[list(HEADLINE)].copy()
    for option, row in summary.iterrows():
        if math.isnan(row["payback_month"]):
            out.loc[option, "payback_month"] = "not within the period"
        if not row["crises_averted"] > 0:
            out.loc[option, "cost_per_crisis_averted_gbp"] = "n/a (no crises averted)"
    out.index.name = "option"
    return out


def _reading(option: str, row: pd.Series, months: float, level: float) -> str:
    """One plain-English sentence group about one option."""
    net = row["net_cost_gbp"]
    net_text = f"a net cost of {fmt(net, 'GBP')}" if net > 0 else f"a net saving of {fmt(-net, 'GBP')}"
    seconded = row.get("int_seconded_gbp", 0.0)
    of_which = (f" (of which {fmt(seconded, 'GBP')} is staff seconded from partners' services: an opportunity "
                f"cost to them, not new money)" if seconded > 0 else "")
    text = (f"{option}: over the {months:.0f}-month appraisal period the INT costs {fmt(row['int_cost_gbp'], 'GBP')}"
            f"{of_which} and avoids {fmt(row['costs_avoided_gbp'], 'GBP')} of partners' costs, {net_text}. ")
    lo, hi = row["npv_gbp_lower"], row["npv_gbp_upper"]
    text += f"Discounted, its net present value is {fmt(row['npv_gbp'], 'GBP')}"
    if not math.isnan(lo):
        text += f" ({percent(level)} interval {fmt(lo, 'GBP')} to {fmt(hi, 'GBP')})"
        if lo <= 0 <= hi:
            text += "; the interval includes zero, so these replications do not settle whether it pays for itself"
    text += ". "
    pay = row["payback_month"]
    text += (f"It pays back in month {pay:.0f}. " if not math.isnan(pay)
             else "It does not pay back within the period. ")
    averted = row["crises_averted"]
    text += (f"It averts {fmt(averted)} crises." if averted >= 0 else f"It adds {fmt(-averted)} crises.")
    return text


def headline_section(appraisal: Appraisal, scenario_names: dict[str, str]) -> str:
    """The headline table with one row per option and a reading of each."""
    cells = headline_frame(appraisal)
    summary = appraisal.summary()
    months = appraisal.period.days / DAYS_PER_MONTH
    rows = []
    for option, row in cells.iterrows():
        name = scenario_names.get(str(option), "")
        name = "" if name == option else name
        label = f"<strong>{esc(option)}</strong>" + (f"<span class='ci'>{esc(name)}</span>" if name else "")
        rows.append([label] + [interval_cell(str(row[k])) for k in HEADLINE])
    price = appraisal.economics.price_year
    body = table(["Option"] + list(HEADLINE.values()), rows, id="headline-table",
                 caption=f"Each option against {appraisal.baseline}, over {months:.0f} months "
                         f"(£ at {price} prices; mean and {percent(appraisal.level)} interval)",
                 numeric=[False] + [True] * len(HEADLINE))
    body += paragraph(
        "How to read it. INT cost is what the option's teams cost over the period, on top of the baseline, "
        "with the optimism-bias uplift. Costs avoided are the partners' costs (crisis services and the "
        "siloed services) the option avoids. Net cost is INT cost minus costs avoided: below zero, the option "
        "saves more than it costs. Net present value and the benefit-cost ratio discount each year at the "
        "Green Book rate: a net present value above zero (a ratio above 1) means the option pays for itself. "
        "Payback month is the first month in which the cumulative discounted net benefit reaches zero. "
        f"Every figure is a mean over paired replications with its {percent(appraisal.level)} interval (± "
        "half-width, or [lower, upper]): how precisely the replications pin the mean down, not the range "
        "one year could fall in.", "note")
    body += "<ul>" + "".join(f"<li>{esc(_reading(str(o), r, months, appraisal.level))}</li>"
                             for o, r in summary.iterrows()) + "</ul>"
    return section("headline", "Headline: what each option costs, saves and averts", body)
