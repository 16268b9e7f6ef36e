"""Residents' outcomes: crises over time and journeys to first support."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import xarray as xr

from ..formatting import estimate_text
from ..plan.clock import DAYS_PER_YEAR
from ..plots import JOURNEY_MEASURES, band, crises_figure, differences_figure, journey_ratios, journeys_figure
from .headline import option_label
from .page import figure, interval_cell, paragraph, percent, section, table

if TYPE_CHECKING:
    from ..compare import Comparison


def named(comparison: Comparison, names: Mapping[str, str]) -> xr.Dataset:
    """The comparison's Dataset with each scenario called by its name (what the figures show)."""
    ds = comparison.ds.sel(scenario=comparison.labels)
    ds = ds.assign_coords(scenario=[names.get(k, k) for k in comparison.labels])
    ds.attrs["baseline"] = names.get(comparison.baseline, comparison.baseline)
    return ds


def crises_section(comparison: Comparison, level: float, names: Mapping[str, str] | None = None) -> str:
    """Crises per month in each option and their paired difference from the baseline, with bands."""
    names = names or comparison.names
    ds = named(comparison, names)
    base = names.get(comparison.baseline, comparison.baseline)
    n = int(ds.sizes["replication"])
    body = paragraph(
        "A crisis is a resident's need reaching crisis level in one domain (money, housing, family, health): "
        "a homelessness application, an A&E attendance or ambulance, a police call-out, a destitution claim, "
        "a children's social care referral. The first figure shows crises per month across the whole place in "
        f"each option; the shaded band is the {percent(level)} interval of the mean over {n} replications.")
    body += figure(crises_figure(ds, None, level=level), id="fig-crises",
                   alt=f"Line chart: crises per month in the whole place for {', '.join(ds['scenario'].values)}, "
                       f"each with a shaded {percent(level)} interval band",
                   caption="Crises per month, mean of the replications with its interval band.")
    if len(comparison.labels) > 1:
        body += paragraph(
            f"The second figure subtracts {base} from each option replication by replication (common random "
            "numbers: both see the same residents and the same luck), so its bands are much narrower. Below "
            "zero, the option has fewer crises that month; a band clear of zero is a difference the "
            "replications resolve.")
        body += figure(differences_figure(ds, "crises", base, level=level), id="fig-crises-difference",
                       alt=f"Line chart: crises per month in each option minus {base}, with {percent(level)} "
                           "interval bands and a dashed zero line",
                       caption=f"Difference in crises per month from {base} (below zero: crises averted).")
    return section("crises", "Crises over time", body)


def journey_table(comparison: Comparison, level: float, names: Mapping[str, str] | None = None) -> list[list[str]]:
    """Rows (scenario, times told my story, hand-offs, days to first support, episodes), all
    neighbourhoods together, each cell ``mean ± half-width``."""
    names = names or comparison.names
    ds = comparison.ds.sel(scenario=comparison.labels)
    ratios = journey_ratios(ds).sel(neighbourhood="all")
    episodes = ds["journeys"].sum(("time", "neighbourhood"), skipna=False)
    rows = []
    for label in comparison.labels:
        row = [option_label(label, dict(names))]
        for key in JOURNEY_MEASURES:
            b = band(ratios[key].sel(scenario=label), level=level)
            row.append(interval_cell(estimate_text(float(b["mean"]), float(b["lower"]), float(b["upper"]), "")))
        b = band(episodes.sel(scenario=label), level=level)
        row.append(interval_cell(estimate_text(float(b["mean"]), float(b["lower"]), float(b["upper"]), "")))
        rows.append(row)
    return rows


def whole_run_table(comparison: Comparison, level: float,
                    names: Mapping[str, str] | None = None) -> list[list[str]] | None:
    """Rows (scenario, assessments and hand-offs per resident-year in need, assessments in all,
    assessments fewer than the baseline, assessments spared by the INT's shared record) over the
    whole reported period; None for results without these counters (written before them)."""
    ds = comparison.ds.sel(scenario=comparison.labels)
    if "need_days" not in ds or not ds.sizes.get("neighbourhood", 0):
        return None
    years = ds["need_days"].sum(("time", "neighbourhood", "cohort")) / DAYS_PER_YEAR
    per_year = {name: ds[name].sum(("time", "neighbourhood", "cohort")) / years.where(years > 0)
                for name in ("resident_assessments", "resident_handoffs")}
    total = ds["assessments"].sum(("time", "service"))
    fewer = total.sel(scenario=comparison.baseline) - total      # paired: common random numbers
    spared = ds["assessments_spared"].sum(("time", "service"))
    names = names or comparison.names
    rows = []
    for label in comparison.labels:
        row = [option_label(label, dict(names))]
        for da in (per_year["resident_assessments"], per_year["resident_handoffs"], total, fewer, spared):
            b = band(da.sel(scenario=label), level=level)
            row.append(interval_cell(estimate_text(float(b["mean"]), float(b["lower"]), float(b["upper"]), "")))
        rows.append(row)
    return rows


def journeys_section(comparison: Comparison, level: float, names: Mapping[str, str] | None = None) -> str:
    """'How many times did I tell my story?': journey measures per option, table and figure."""
    header = ["Scenario"] + [title for _, title, _ in JOURNEY_MEASURES.values()] + ["Episodes reaching support"]
    body = paragraph(
        "Residents asked not to have to repeat their story through repeat referrals. For every need episode "
        "that reached its first support during the reported period: times told my story is the assessments "
        "up to and including first support; hand-offs are the referrals before it; days is the time from "
        "first need to first support. Lower is better on all three.")
    names = names or comparison.names
    base = names.get(comparison.baseline, comparison.baseline)
    body += table(header, journey_table(comparison, level, names), id="journeys-table",
                  caption=f"Journeys to first support, all neighbourhoods (mean per episode and {percent(level)} "
                          "interval over replications)", numeric=[False] + [True] * (len(header) - 1))
    body += figure(journeys_figure(named(comparison, names), level=level), id="fig-journeys",
                   alt="Bar charts by neighbourhood and scenario: times told my story, hand-offs before support and "
                       f"days from first need to support, with {percent(level)} interval error bars",
                   caption="Journey measures by neighbourhood ('all': the whole place), one bar per scenario.")
    body += paragraph(
        "An episode counts only if it began during the run, so long journeys are under-represented; compare "
        "the options with each other, not with figures measured elsewhere.", "note")
    rows = whole_run_table(comparison, level, names)
    if rows is not None:
        body += paragraph(
            "Over the whole reported period, every assessment and hand-off counts, not only those up to first "
            "support: per resident-year in need (a resident at level 1 or above in at least one domain), all "
            f"assessments at every service, and how many fewer there are than in {base} "
            "(negative: more; the INT's own assessments count). A resident the INT knows (one it supports, "
            "or hands on) whose story a partner service reads from the INT's shared record instead of asking "
            "again is an assessment spared (int.shared_record).")
        header = ["Scenario", "Assessments per resident-year in need", "Hand-offs per resident-year in need",
                  "Assessments", f"Fewer assessments than {base}",
                  "Assessments spared by the shared record"]
        body += table(header, rows, id="whole-run-table",
                      caption=f"Assessments and hand-offs over the whole run, all neighbourhoods (mean and "
                              f"{percent(level)} interval over replications)", numeric=[False] + [True] * 5)
    return section("journeys", "Residents' journeys: times told my story", body)
