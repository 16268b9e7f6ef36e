"""The headline section: one row per option with what it costs, saves and averts."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from ..appraisal import METRICS
from ..appraisal.appraisal import readable
from ..appraisal.valuation import DAYS_PER_MONTH
from ..formatting import averted_words, fmt, is_missing, level_text, money, month_text, range_text, settled
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
    "cost_per_crisis_averted_gbp": "Cost per crisis averted",
}
"""Headline figures (keys of :data:`placesim.appraisal.METRICS`) and their column headings."""


def headline_frame(appraisal: Appraisal, figures: Sequence[str] = tuple(HEADLINE)) -> pd.DataFrame:
    """The headline cells as text: one row per option, one column per figure (default the
    :data:`HEADLINE` figures; any key of :data:`placesim.appraisal.METRICS`).

    Cells are ``mean ± half-width`` (or ``mean [lower, upper]``) as
    :func:`placesim.appraisal.appraisal.readable` writes them; payback is
    :func:`placesim.formatting.month_text` (``not within the period`` if not reached); crises
    averted whose interval includes zero are ``none detectable [lower, upper]``, and cost per
    crisis averted is ``n/a`` there and where no crises are averted on average.
    """
    summary = appraisal.summary()
    text = readable(summary).T
    text.columns = list(METRICS)
    out = text[list(figures)].copy()
    for option, row in summary.iterrows():
        if "payback_month" in out:
            out.loc[option, "payback_month"] = month_text(row["payback_month"], row["payback_month_lower"],
                                                          row["payback_month_upper"])
        lo, hi = row["crises_averted_lower"], row["crises_averted_upper"]
        if not settled(lo, hi):
            if "crises_averted" in out:
                out.loc[option, "crises_averted"] = f"none detectable [{fmt(lo, 'crises')}, {fmt(hi, 'crises')}]"
            if "cost_per_crisis_averted_gbp" in out:
                out.loc[option, "cost_per_crisis_averted_gbp"] = "n/a (no crises averted detectably)"
        elif not row["crises_averted"] > 0 and "cost_per_crisis_averted_gbp" in out:
            out.loc[option, "cost_per_crisis_averted_gbp"] = "n/a (no crises averted)"
    out.index.name = "option"
    return out


def _reading(name: str, row: pd.Series, months: float, level: float, replications: int) -> str:
    """One plain-English sentence group about one option."""
    net = row["net_cost_gbp"]
    net_text = f"a net cost of {money(net)}" if net > 0 else f"a net saving of {money(-net)}"
    seconded = row.get("int_seconded_gbp", 0.0)
    of_which = (f" (of which {money(seconded)} is staff seconded from partners' services: an opportunity "
                f"cost to them, not new money)" if seconded > 0 else "")
    text = (f"{name}: over the {months:.0f}-month appraisal period the INT costs {money(row['int_cost_gbp'])}"
            f"{of_which} and avoids {money(row['costs_avoided_gbp'])} of partners' costs, {net_text}. ")
    lo, hi = row["npv_gbp_lower"], row["npv_gbp_upper"]
    text += f"Discounted, its net present value is {money(row['npv_gbp'])}"
    if not is_missing(lo):
        text += f" ({level_text(level)} interval {range_text(lo, hi, 'GBP')})"
        if not settled(lo, hi):
            text += "; the interval includes zero, so these replications do not settle whether it pays for itself"
    text += ". "
    pay = row["payback_month"]
    text += (f"It pays back in {month_text(pay)}. " if not math.isnan(pay)
             else "It does not pay back within the period. ")
    text += "It " + averted_words(row["crises_averted"], row["crises_averted_lower"], row["crises_averted_upper"],
                                  replications, level) + "."
    return text


def option_label(option: str, names: dict[str, str]) -> str:
    """An option's cell: its name in bold, its label (the id in options.csv) small below."""
    name = names.get(option, option)
    return f"<strong>{esc(name)}</strong>" + (f"<span class='ci'>{esc(option)}</span>" if name != option else "")


def headline_section(appraisal: Appraisal, names: dict[str, str]) -> str:
    """The headline table with one row per option and a reading of each."""
    cells = headline_frame(appraisal)
    summary = appraisal.summary()
    months = appraisal.period.days / DAYS_PER_MONTH
    flows = next(iter(appraisal.flows.values()), None)
    replications = int(flows.int_cost.shape[0]) if flows is not None else 0
    rows = [[option_label(str(option), names)] + [interval_cell(str(row[k])) for k in HEADLINE]
            for option, row in cells.iterrows()]
    price = appraisal.economics.price_year
    base = names.get(appraisal.baseline, appraisal.baseline)
    body = table(["Option"] + list(HEADLINE.values()), rows, id="headline-table",
                 caption=f"Each option against {base}, over {months:.0f} months "
                         f"(£ at {price} prices; mean and {percent(appraisal.level)} interval)",
                 numeric=[False] + [True] * len(HEADLINE), css="headline")
    body += paragraph(
        "How to read it. INT cost is what the option's teams cost over the period, on top of the baseline, "
        "with the optimism-bias uplift. Costs avoided are the partners' costs (crisis services and the "
        "siloed services) the option avoids. Net cost is INT cost minus costs avoided: below zero, the option "
        "saves more than it costs. Net present value and the benefit-cost ratio discount each year at the "
        "Green Book rate: a net present value above zero (a ratio above 1) means the option pays for itself. "
        "Payback month is the month in which the cumulative discounted net benefit first reaches zero (month 1 "
        "is the first month reported). "
        f"Every figure is a mean over paired replications with its {percent(appraisal.level)} interval (± "
        "half-width, or [lower, upper]): how precisely the replications pin the mean down, not the range "
        "one year could fall in. Crises averted is claimed only where its interval excludes zero.", "note")
    body += "<ul>" + "".join(
        f"<li>{esc(_reading(names.get(str(o), str(o)), r, months, appraisal.level, replications))}</li>"
        for o, r in summary.iterrows()) + "</ul>"
    return section("headline", "Headline: what each option costs, saves and averts", body)
