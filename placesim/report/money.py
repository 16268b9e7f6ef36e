"""Money sections: cumulative net benefit and payback, and who pays and who saves."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..formatting import estimate_text
from .page import esc, figure, interval_cell, paragraph, percent, section, slug, table

if TYPE_CHECKING:
    from ..appraisal import Appraisal

ORGANISATION_COLUMNS: dict[str, str] = {
    "int_cost_gbp": "INT cost paid",
    "costs_avoided_gbp": "Costs avoided",
    "cashable_gbp": "of which cashable",
    "non_cashable_gbp": "of which not cashable",
    "net_cost_gbp": "Net cost",
    "npv_gbp": "Net present value",
}
"""Columns of the savings-by-organisation table (the figures of
:data:`placesim.appraisal.ORGANISATION_METRICS`) and their headings."""


def _payback_text(mean: float, lo: float, hi: float) -> str:
    if math.isnan(mean):
        return "not within the period"
    text = f"month {mean:.0f}"
    if not (math.isnan(lo) or math.isnan(hi)):
        text += f" (earliest {lo:.0f}, latest {hi:.0f})"
    elif math.isnan(hi):
        text += " (latest: not within the period)"
    return text


def payback_section(appraisal: Appraisal) -> str:
    """Cumulative discounted net benefit per option with bands, payback and NPV."""
    level = appraisal.level
    summary = appraisal.summary()
    cum = appraisal.cumulative()
    rows = []
    for option, row in summary.iterrows():
        end = cum[cum["option"] == option].iloc[-1]
        rows.append([f"<strong>{esc(option)}</strong>",
                     esc(_payback_text(row["payback_month"], row["payback_month_lower"], row["payback_month_upper"])),
                     interval_cell(estimate_text(end["mean"], end["lower"], end["upper"], "GBP"))])
    body = paragraph(
        "Each curve adds up, month by month, the costs the option avoids minus what its INT costs, discounted "
        f"at the Green Book rate. It starts below zero while the team is set up and working before savings "
        f"arrive; payback is where it crosses zero. The band is the {percent(level)} interval: the earliest "
        "plausible payback is where the top of the band crosses zero, the latest where the bottom does.")
    body += figure(appraisal.plot_cumulative(), id="fig-payback",
                   alt=f"Line chart: cumulative discounted net benefit of each option against {appraisal.baseline} "
                       f"by month, with {percent(level)} bands and a zero line marking payback",
                   caption="Cumulative net benefit (£ thousand, discounted); payback where a curve crosses zero.")
    body += table(["Option", "Payback", "Cumulative net benefit at the end of the period"], rows, id="payback-table",
                  caption=f"Payback and discounted net benefit at the end of the appraisal period "
                          f"({appraisal.economics.price_year} prices)", numeric=[False, False, True])
    body += figure(appraisal.plot_npv(), id="fig-npv",
                   alt=f"Dot chart: net present value of each option with {percent(level)} interval whiskers "
                       "and a zero line",
                   caption="Net present value of each option; an interval clear of zero settles the sign.")
    return section("payback", "Cumulative net benefit and payback", body)


def organisation_rows(appraisal: Appraisal, option: str) -> list[list[str]]:
    """Table rows of one option's figures by organisation (cells ``mean ± half-width``)."""
    frame = appraisal.by_organisation().loc[option]
    return [[f"<strong>{esc(org)}</strong>"]
            + [interval_cell(estimate_text(r[k], r[f"{k}_lower"], r[f"{k}_upper"], "GBP"))
                                                 for k in ORGANISATION_COLUMNS]
            for org, r in frame.iterrows()]


def organisations_section(appraisal: Appraisal) -> str:
    """For every option: who pays for the INT and whose budgets gain, cashable and not."""
    price = appraisal.economics.price_year
    body = paragraph(
        "Who pays and who saves. INT cost paid is each partner's share of the team's cost (its funding share). "
        "Costs avoided fall where the crises and the repeat assessments would have landed. Cashable savings "
        "are money a partner can actually release from its budget; the rest is capacity freed (staff time, "
        "beds, places) that is only money if the partner stops paying for it. Net cost below zero: the "
        "partner gains more than it pays.")
    for i, option in enumerate(appraisal.options):
        header = ["Organisation"] + list(ORGANISATION_COLUMNS.values())
        body += f"<h3 id='organisations-{slug(option)}-{i}'>{esc(option)}</h3>"
        body += table(header, organisation_rows(appraisal, option), id=f"organisations-table-{i}",
                      caption=f"{option} against {appraisal.baseline} by organisation (£ at {price} prices, "
                              f"undiscounted except net present value; mean and {percent(appraisal.level)} interval)",
                      numeric=[False] + [True] * len(ORGANISATION_COLUMNS))
        body += figure(appraisal.plot_organisations(option), id=f"fig-organisations-{i}",
                       alt=f"Bar chart for {option}: INT cost paid (below zero) and costs avoided, cashable and "
                           "not cashable (above zero), by organisation, with the net and its interval as a dot",
                       caption=f"Who pays, who saves: {option} (£ thousand).")
    return section("organisations", "Savings by organisation", body)
