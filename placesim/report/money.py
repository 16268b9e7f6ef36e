"""Money sections: cumulative net benefit and payback, and who pays and who saves."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

import pandas as pd

from ..appraisal.plots import plot_cumulative, plot_npv, plot_organisations
from ..formatting import estimate_text, month_text
from .headline import option_label
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


class Named:
    """An appraisal as its figures show it: options and baseline by name, not label.

    Gives the figure functions of :mod:`placesim.appraisal.plots` what they read
    (``cumulative``, ``summary``, ``by_organisation``, ``options``, ``baseline``, ``level``,
    ``economics``) with every label replaced by its name.
    """

    def __init__(self, appraisal: Appraisal, names: Mapping[str, str]):
        self._a = appraisal
        self._names = {k: names.get(k, k) for k in [appraisal.baseline, *appraisal.options]}
        self.economics = appraisal.economics
        self.level = appraisal.level
        self.baseline = self._names[appraisal.baseline]
        self.options = [self._names[o] for o in appraisal.options]

    def cumulative(self) -> pd.DataFrame:
        frame = self._a.cumulative()
        frame["option"] = frame["option"].map(self._names)
        return frame

    def summary(self) -> pd.DataFrame:
        return self._a.summary().rename(index=self._names)

    def by_organisation(self) -> pd.DataFrame:
        return self._a.by_organisation().rename(index=self._names, level="option")


def payback_section(appraisal: Appraisal, names: Mapping[str, str]) -> str:
    """Cumulative discounted net benefit per option with bands, payback and NPV."""
    level = appraisal.level
    summary = appraisal.summary()
    cum = appraisal.cumulative()
    named = cast(Any, Named(appraisal, names))
    rows = []
    for option, row in summary.iterrows():
        end = cum[cum["option"] == option].iloc[-1]
        rows.append([option_label(str(option), dict(names)),
                     esc(month_text(row["payback_month"], row["payback_month_lower"], row["payback_month_upper"])),
                     interval_cell(estimate_text(end["mean"], end["lower"], end["upper"], "GBP"))])
    body = paragraph(
        "Each curve adds up, month by month, the costs the option avoids minus what its INT costs, discounted "
        f"at the Green Book rate. It starts below zero while the team is set up and working before savings "
        f"arrive; payback is where it crosses zero. The band is the {percent(level)} interval: the earliest "
        "plausible payback is where the top of the band crosses zero, the latest where the bottom does.")
    base = names.get(appraisal.baseline, appraisal.baseline)
    body += figure(plot_cumulative(named), id="fig-payback",
                   alt=f"Line chart: cumulative discounted net benefit of each option against {base} "
                       f"by month, with {percent(level)} bands and a zero line marking payback",
                   caption="Cumulative net benefit (£ thousand, discounted); payback where a curve crosses zero.")
    body += table(["Option", "Payback", "Cumulative net benefit at the end of the period"], rows, id="payback-table",
                  caption=f"Payback and discounted net benefit at the end of the appraisal period "
                          f"({appraisal.economics.price_year} prices)", numeric=[False, False, True])
    body += figure(plot_npv(named), id="fig-npv",
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


def organisations_section(appraisal: Appraisal, names: Mapping[str, str]) -> str:
    """For every option: who pays for the INT and whose budgets gain, cashable and not."""
    price = appraisal.economics.price_year
    named = cast(Any, Named(appraisal, names))
    base = names.get(appraisal.baseline, appraisal.baseline)
    body = paragraph(
        "Who pays and who saves. INT cost paid is each partner's share of the team's cost (its funding share). "
        "Costs avoided fall where the crises and the repeat assessments would have landed. Cashable savings "
        "are money a partner can actually release from its budget; the rest is capacity freed (staff time, "
        "beds, places) that is only money if the partner stops paying for it. Net cost below zero: the "
        "partner gains more than it pays.")
    for i, option in enumerate(appraisal.options):
        name = names.get(option, option)
        header = ["Organisation"] + list(ORGANISATION_COLUMNS.values())
        body += f"<h3 id='organisations-{slug(option)}-{i}'>{esc(name)}</h3>"
        body += table(header, organisation_rows(appraisal, option), id=f"organisations-table-{i}",
                      caption=f"{name} against {base} by organisation (£ at {price} prices, "
                              f"undiscounted except net present value; mean and {percent(appraisal.level)} interval)",
                      numeric=[False] + [True] * len(ORGANISATION_COLUMNS))
        body += figure(plot_organisations(named, name), id=f"fig-organisations-{i}",
                       alt=f"Bar chart for {name}: INT cost paid (below zero) and costs avoided, cashable and "
                           "not cashable (above zero), by organisation, with the net and its interval as a dot",
                       caption=f"Who pays, who saves: {name} (£ thousand).")
    return section("organisations", "Savings by organisation", body)
