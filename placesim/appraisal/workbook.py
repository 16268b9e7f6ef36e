"""The options table as a workbook in the layout of the GMCA / New Economy CBA model:
a summary of returns on investment, costs and benefits by year, benefits by agency, the
full options table with intervals, and the assumptions behind them."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from ..io import atomic_path
from .public_value import optimism_text, public_value_text

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

    from .appraisal import Appraisal

SUMMARY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("Option", "option"),
    ("Present value of costs (GBP)", "pv_int_cost_gbp"),
    ("Present value of fiscal benefits (GBP)", "pv_costs_avoided_gbp"),
    ("Present value of public value (GBP)", "pv_public_value_gbp"),
    ("Fiscal NPV (GBP)", "npv_gbp"),
    ("Public value NPV (GBP)", "public_value_npv_gbp"),
    ("Financial return on investment (fiscal BCR)", "bcr"),
    ("Public value return on investment (BCR)", "public_value_bcr"),
    ("Payback (months)", "payback_month"),
    ("Crises averted", "crises_averted"),
    ("Extrapolation: NPV with benefits carried forward (GBP)", "npv_with_carry_forward_gbp"),
)
"""The summary sheet's columns: heading -> options-table column (means)."""

SHEETS = ("Summary", "Costs and benefits by year", "Benefits by agency", "Options table", "Assumptions")


def _cell(value: object) -> object:
    """A value a spreadsheet can hold (NaN and numpy scalars made plain)."""
    if isinstance(value, (float, np.floating)):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def _write(ws: Worksheet, headings: list[str], rows: list[list[object]]) -> None:
    ws.append(headings)
    for c in ws[1]:
        c.font = Font(bold=True)
    for row in rows:
        ws.append([_cell(v) for v in row])
    for j, h in enumerate(headings, start=1):
        ws.column_dimensions[get_column_letter(j)].width = max(12, min(48, len(h) + 2))
    ws.freeze_panes = "B2"


def write_workbook(appraisal: Appraisal, path: str | Path) -> Path:
    """Write an appraisal as an .xlsx workbook (atomically) and return its path.

    Sheets: ``Summary`` (one row per option: present values, NPVs, returns on investment,
    payback, crises averted, the carry-forward extrapolation), ``Costs and benefits by year``
    (mean undiscounted flows per appraisal year and option), ``Benefits by agency`` (who pays
    and who saves), ``Options table`` (every figure with its interval) and ``Assumptions``.
    Empty cells are figures that do not exist (e.g. no payback within the period).
    """
    summary = appraisal.summary()
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = SHEETS[0]
    _write(ws, [h for h, _ in SUMMARY_COLUMNS],
           [[option] + [row[k] for _, k in SUMMARY_COLUMNS[1:]] for option, row in summary.iterrows()])

    ws = wb.create_sheet(SHEETS[1])
    rows: list[list[object]] = []
    economic_value, social_value = appraisal.values
    for option in appraisal.options:
        flows = appraisal.cash_flows(option)
        f = appraisal.flows[option]
        flows["economic_value_gbp"] = (f.averted_by_domain @ economic_value).mean(axis=0)
        flows["social_value_gbp"] = (f.averted_by_domain @ social_value).mean(axis=0)
        by_year = flows.groupby("year").agg(
            discount_factor=("discount_factor", "first"), int_cost_gbp=("int_cost_gbp", "sum"),
            costs_avoided_gbp=("costs_avoided_gbp", "sum"), economic_value_gbp=("economic_value_gbp", "sum"),
            social_value_gbp=("social_value_gbp", "sum"), crises_averted=("crises_averted", "sum"))
        for year, r in by_year.iterrows():
            rows.append([option, int(year), r["discount_factor"], r["int_cost_gbp"], r["costs_avoided_gbp"],
                         r["economic_value_gbp"], r["social_value_gbp"], r["crises_averted"],
                         (r["costs_avoided_gbp"] - r["int_cost_gbp"]) * r["discount_factor"]])
    _write(ws, ["Option", "Year", "Discount factor", "Costs (GBP)", "Fiscal benefits (GBP)",
                "Economic benefits (GBP)", "Social benefits (GBP)", "Crises averted",
                "Discounted fiscal net benefit (GBP)"], rows)

    ws = wb.create_sheet(SHEETS[2])
    org = appraisal.by_organisation()
    _write(ws, ["Option", "Agency", "Costs paid (GBP)", "Fiscal benefits (GBP)", "Cashable (GBP)",
                "Non-cashable (GBP)", "NPV (GBP)"],
           [[o, a, r["int_cost_gbp"], r["costs_avoided_gbp"], r["cashable_gbp"], r["non_cashable_gbp"], r["npv_gbp"]]
            for (o, a), r in org.iterrows()])

    ws = wb.create_sheet(SHEETS[3])
    table = summary.reset_index()
    _write(ws, [str(c) for c in table.columns], table.values.tolist())

    ws = wb.create_sheet(SHEETS[4])
    econ = appraisal.economics
    _write(ws, ["Item", "Value"], [
        ["Baseline", appraisal.baseline],
        ["Price year", econ.price_year],
        ["Discounting", "; ".join(f"{s.percent:g} % from year {s.from_year}" for s in econ.discount)],
        ["Optimism bias", optimism_text(econ)],
        ["Economic and social value", public_value_text(econ)],
        ["Appraisal period (days)", appraisal.period.days],
        ["Intervals", f"{appraisal.level:.0%} Student-t intervals over replications (Options table)"],
    ])
    with atomic_path(path) as tmp:
        Path(tmp).write_bytes(_reproducible(wb))
    return Path(path)


FIXED_TIME = "2000-01-01T00:00:00Z"
"""The workbook's created and modified times: fixed, so that the same appraisal writes the same
bytes (a resumed run's files equal an uninterrupted run's)."""


def _reproducible(wb: Workbook) -> bytes:
    """The workbook's bytes with its timestamps fixed (document properties and zip entries)."""
    raw = io.BytesIO()
    wb.save(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)", rb"\g<1>" + FIXED_TIME.encode()
                              + rb"\g<3>", data)
            dst.writestr(zipfile.ZipInfo(item.filename, date_time=(1980, 1, 1, 0, 0, 0)), data,
                         compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()
