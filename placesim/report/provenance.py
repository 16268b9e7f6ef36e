"""Where the figures come from: the assumptions table and 'how these figures were made'."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import pandas as pd

from ..appraisal.public_value import optimism_text, public_value_text
from ..appraisal.valuation import DAYS_PER_MONTH, DAYS_PER_YEAR
from ..scenario.assumptions import COLUMNS, assumptions_from_dataset, assumptions_table
from .page import code, esc, paragraph, percent, section, slug, table

if TYPE_CHECKING:
    from ..appraisal import Appraisal
    from ..compare import Comparison

STATUS_TEXT: dict[str, str] = {
    "reference": "cites a published reference figure",
    "derived": "a reference figure combined with an assumption",
    "assumption": "an assumption, to be checked or calibrated",
    "not stated": "no source stated",
}
"""Meaning of each status of :func:`placesim.scenario.assumptions.assumptions_table`."""


def comparison_assumptions(comparison: Comparison) -> tuple[dict[str, pd.DataFrame], str]:
    """Each scenario's assumptions table, as stored in the results, and a note.

    Results written before tables were stored have none; their table is rebuilt from the
    stored scenario text, which keeps the values but not the sources (the note says so).
    """
    tables: dict[str, pd.DataFrame] = {}
    rebuilt = []
    for label in comparison.labels:
        stored = assumptions_from_dataset(comparison.ds, scenario=label)
        if stored.empty:
            stored = assumptions_table(comparison.results[label].scenario())
            rebuilt.append(label)
        tables[label] = stored
    note = ""
    if rebuilt:
        note = (f"The results of {', '.join(rebuilt)} were written without their sources; values are read from "
                "the stored scenario text and every source shows as not stated.")
    return tables, note


def differing(option: pd.DataFrame, baseline: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``option`` whose parameter is not in ``baseline`` or has another value there."""
    base = dict(zip(baseline["parameter"], baseline["value"]))
    keep = [base.get(p) != v for p, v in zip(option["parameter"], option["value"])]
    return option[keep]


def _rows(frame: pd.DataFrame) -> list[list[str]]:
    rows = []
    for _, r in frame.iterrows():
        status = str(r["status"])
        source = esc(r["source"]) if str(r["source"]).strip() else "<em>no source stated</em>"
        if str(r["references"]).strip():
            source += f"<span class='ci'>{esc(r['references'])}</span>"
        rows.append([code(r["parameter"]), f"<span class='code'>{esc(r['value'])}</span>",
                     f"<span class='status-{slug(status)}'>{esc(status)}</span>", source])
    return rows


def _counts(frame: pd.DataFrame) -> str:
    counts = frame["status"].value_counts()
    parts = [f"{int(counts.get(s, 0))} {s} ({STATUS_TEXT[s]})" for s in STATUS_TEXT if counts.get(s, 0)]
    return f"{len(frame)} parameters: " + "; ".join(parts) + "."


def assumptions_section(tables: Mapping[str, pd.DataFrame], baseline: str, note: str = "") -> str:
    """Every parameter of the baseline with its value and source, then each option's changes."""
    header = ["Parameter", "Value", "Status", "Source (comment in the scenario file) and reference figures"]
    body = paragraph(
        "Every number the simulation was given, with the source written beside it in the scenario file. "
        "'assumption' marks a figure nobody has published, to be checked with partners or calibrated against "
        "Brent's own data; reference ids (UC.., BR.., HO..) are rows of the project's reference figures table.")
    if note:
        body += paragraph(note, "note")
    base = tables.get(baseline)
    if base is None:
        body += paragraph(f"No assumptions table for the baseline {baseline}.", "note")
        base = pd.DataFrame(columns=COLUMNS)
    else:
        body += f"<h3 id='assumptions-baseline'>{esc(baseline)} (baseline)</h3>" + paragraph(_counts(base))
        body += table(header, _rows(base), id="assumptions-table", css="compact",
                      caption=f"Parameters of the baseline, {baseline}")
    for i, (label, frame) in enumerate((k, v) for k, v in tables.items() if k != baseline):
        changed = differing(frame, base)
        body += f"<h3 id='assumptions-{slug(label)}-{i}'>{esc(label)}: parameters that differ from {esc(baseline)}</h3>"
        if changed.empty:
            body += paragraph("None: every parameter is the baseline's.")
        else:
            body += paragraph(_counts(changed)) + table(header, _rows(changed), id=f"assumptions-table-{i}",
                                                        css="compact", caption=f"Parameters of {label} that differ")
    return section("assumptions", "Assumptions and their sources", body)


def _discount_text(appraisal: Appraisal) -> str:
    steps = appraisal.economics.discount
    parts = []
    for k, s in enumerate(steps):
        end = f"{steps[k + 1].from_year - 1}" if k + 1 < len(steps) else "on"
        span = f"years {s.from_year}-{end}" if end != "on" else f"year {s.from_year} on"
        parts.append(f"{s.percent:g} % a year in {span}")
    last = int(appraisal.period.year.max()) if appraisal.period.year.size else 0
    return "; ".join(parts) + f" (year 0 undiscounted; this appraisal runs to year {last})"


def method_section(comparison: Comparison, appraisal: Appraisal) -> str:
    """'How these figures were made': prices, discounting, optimism bias, runs and versions."""
    econ = appraisal.economics
    attrs = comparison.ds.attrs
    d = econ.deflator
    deflator = (f"{d.series}; source: {d.source}" if d is not None
                else "none (every cost is already at the price year)")
    cashable = ", ".join(f"{k}: {percent(v)}" for k, v in econ.cashable.items()) or "none (all savings non-cashable)"
    engine = str(attrs.get("engine", ""))
    engine_text = {"des": "des (discrete-event simulation, SimPy: residents one at a time)",
                   "sd": "sd (system dynamics: one expected path, no intervals)"}.get(engine, engine)
    reps = attrs.get("replications", "")
    start = str(attrs.get("start_date", ""))
    items = [
        ("Price year", f"{econ.price_year}: every cost is uprated from its own price year to this one"),
        ("Deflator", deflator),
        ("Discounting", _discount_text(appraisal)),
        ("Optimism bias", optimism_text(econ)),
        ("Cashable shares of costs avoided", cashable),
        ("Economic and social value", public_value_text(econ)),
        ("Appraisal period", f"{appraisal.period.days:g} days ({appraisal.period.days / DAYS_PER_MONTH:.0f} months, "
                             f"{appraisal.period.days / DAYS_PER_YEAR:.2g} years) from the first reported day"
                             + (f", {start}" if start else "")),
        ("Warm-up", f"{float(attrs.get('warmup_days', 0)):g} days of the siloed system before reporting, not counted"),
        ("Replications", f"{reps}, with common random numbers: replication r of every option sees the same "
                         "residents and chance events, so differences are paired"),
        ("Intervals", f"{percent(appraisal.level)} Student-t intervals of the mean over replications"),
        ("Seed", str(attrs.get("seed", ""))),
        ("Engine", engine_text),
        ("placesim version", str(attrs.get("placesim_version", ""))),
        ("Baseline", f"{appraisal.baseline}; options: {', '.join(appraisal.options)}"),
    ]
    dl = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in items)
    body = (f"<div class='box'><dl>{dl}</dl></div>"
            + paragraph("Until the model is calibrated against Brent's own data its absolute numbers are "
                        "illustrations: compare the options with each other.", "note"))
    return section("method", "How these figures were made", body)
