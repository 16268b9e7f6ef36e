"""Summary tables for the terminal (rich)."""

from __future__ import annotations

import pandas as pd
from rich.console import Group
from rich.table import Table

from .formatting import estimate_text


def summary_table(frame: pd.DataFrame, title: str) -> Table:
    """Render :meth:`Results.summary` output."""
    t = Table(title=title, title_justify="left")
    t.add_column("measure")
    t.add_column("mean ± 90% interval", justify="right")
    for measure, row in frame.iterrows():
        t.add_row(str(measure), estimate_text(row["mean"], row["lower"], row["upper"], row["unit"]))
    return t


def service_table(frame: pd.DataFrame, title: str) -> Table:
    """Render :meth:`Results.service_summary` output (means and intervals, in the units of
    ``frame.attrs['units']``)."""
    units = frame.attrs.get("units", {})
    t = Table(title=title, title_justify="left")
    t.add_column("service")
    t.add_column("organisation")
    measures = [m for m in dict.fromkeys(frame.columns.get_level_values(0)) if m != "organisation"]
    for m in measures:
        t.add_column(m, justify="right")
    for service, row in frame.iterrows():
        cells = [str(service), str(row[("organisation", "")])]
        for m in measures:
            cells.append(estimate_text(row[(m, "mean")], row[(m, "lower")], row[(m, "upper")], units.get(m, "")))
        t.add_row(*cells)
    return t


def comparison_table(frame: pd.DataFrame, title: str) -> Table:
    """Render :meth:`Comparison.summary` output: each scenario, then each paired difference."""
    t = Table(title=title, title_justify="left")
    t.add_column("measure")
    groups = [g for g in dict.fromkeys(frame.columns.get_level_values(0)) if g != "unit"]
    for g in groups:
        t.add_column(g if " - " not in g else f"{g} (paired)", justify="right")
    for measure, row in frame.iterrows():
        unit = row[("unit", "")]
        cells = [str(measure)]
        for g in groups:
            cells.append(estimate_text(row[(g, "mean")], row[(g, "lower")], row[(g, "upper")], unit))
        t.add_row(*cells)
    return t


def calibration_table(cal) -> Group:
    """Fitted parameters with their intervals, then goodness of fit on the fitted and held-out periods."""
    level = int(cal.setup.model.interval * 100)
    t = Table(title=f"{cal.setup.model.name}: fitted parameters ({level} % intervals)", title_justify="left")
    for col in ("parameter", "estimate", f"{level} % interval", "start", "bounds"):
        t.add_column(col, justify="left" if col == "parameter" else "right")
    for r in cal.parameters.itertuples():
        t.add_row(r.name, f"{r.estimate:.4g}", f"{r.lower:.4g} to {r.upper:.4g}", f"{r.start:.4g}",
                  f"{r.bound_lower:g} to {r.bound_upper:g}")
    g = Table(title="Goodness of fit (fitted: SD corrected by the DES; des: DES mean at the estimate)",
              title_justify="left")
    for col in ("model", "periods", "n", "log-likelihood", "Pearson chi2/df", "mean abs % error", "bias %",
                f"in {level} % interval"):
        g.add_column(col, justify="left" if col in ("model", "periods") else "right")
    for (model, which), r in cal.goodness.iterrows():
        if not r["n"]:
            continue
        g.add_row(model, which, f"{int(r['n'])}", f"{r['log_likelihood']:.1f}", f"{r['pearson_chi2_per_df']:.2f}",
                  f"{r['mean_abs_pct_error']:.1f}", f"{r['bias_pct']:+.1f}", f"{r['coverage']:.0%}")
    return Group(t, g)


def headline_table(cells: pd.DataFrame, headings: dict[str, str], names: dict[str, str], title: str) -> Table:
    """The options table of the terminal: one row per option (by name), one column per headline
    figure; ``cells`` holds the figures as text (the report's headline cells)."""
    table = Table(title=title, title_justify="left")
    table.add_column("option")
    for heading in headings.values():
        table.add_column(heading, justify="right")
    for option, row in cells.iterrows():
        table.add_row(names.get(str(option), str(option)), *[str(row[k]) for k in headings])
    return table
