"""The report page: every section in order, and writing it atomically."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..appraisal.valuation import DAYS_PER_MONTH
from ..errors import PlacesimError
from ..io import write_bytes_atomic
from .addition import ReportAddition, check_additions
from .headline import headline_section
from .messages import key_messages, key_messages_section
from .money import organisations_section, payback_section
from .outcomes import crises_section, journeys_section
from .page import page, percent, section
from .pilot import NO_REVIEW, break_even_section, decision_section, reinvestment_section, review_section
from .provenance import assumptions_section, comparison_assumptions, method_section

if TYPE_CHECKING:
    from ..appraisal import Appraisal
    from ..compare import Comparison
    from ..review import ReviewPower

SECTIONS: dict[str, str] = {
    "key-messages": "Key messages",
    "headline": "Headline",
    "crises": "Crises over time",
    "payback": "Cumulative net benefit and payback",
    "organisations": "Savings by organisation",
    "journeys": "Residents' journeys",
    "review": "Six-month review power",
    "assumptions": "Assumptions and sources",
    "method": "How these figures were made",
}
"""Id and contents entry of every section, in page order (``break-even`` follows ``review``
when break-even values are given)."""


def _subtitle(comparison: Comparison, appraisal: Appraisal, names: Mapping[str, str]) -> str:
    months = appraisal.period.days / DAYS_PER_MONTH
    start = str(comparison.ds.attrs.get("start_date", ""))
    when = ""
    if start:
        day = pd.Timestamp(start)
        when = f" from {day.day} {day:%B %Y}"
    base = appraisal.baseline
    return (f"{len(appraisal.options)} option{'s' if len(appraisal.options) != 1 else ''} against the baseline, "
            f"{names.get(base, base)}, over {months:.0f} months{when}; "
            f"{comparison.ds.attrs.get('replications', '')} replications; £ at {appraisal.economics.price_year} "
            f"prices; {percent(appraisal.level)} intervals.")


def build_report(comparison: Comparison, appraisal: Appraisal, review: ReviewPower | None = None, *,
                 assumptions: Mapping[str, pd.DataFrame] | pd.DataFrame | None = None, title: str | None = None,
                 review_note: str = "", break_evens: Sequence[Any] = (), decisions: Sequence[Any] = (),
                 reinvestments: Sequence[Any] = (), additions: Sequence[ReportAddition] = ()) -> str:
    """One self-contained HTML page for a budget planner.

    Parameters
    ----------
    comparison
        The options and the baseline, run with common random numbers.
    appraisal
        Its appraisal (:func:`placesim.appraisal.appraise`).
    review
        The pilot's review power (:func:`placesim.review.review_power`), or None.
    assumptions
        Assumptions tables by scenario label (a single table is the baseline's); default
        the tables stored in the comparison's results.
    title
        Page title (default: names the options and the baseline).
    review_note
        Why the review power is not available, shown when ``review`` is None.
    break_evens
        Break-even results to show (each shown as its text, and its ``plot()`` if it has one).
    decisions
        Adaptive options' decisions (:class:`placesim.adaptive.Decision`) to show.
    reinvestments
        Options' reinvestment of savings (:class:`placesim.reinvest.Reinvestment`) to show.
    additions
        Analyses of the same options that add key messages and sections
        (:class:`~placesim.report.addition.ReportAddition`: a probabilistic sensitivity
        analysis, :class:`placesim.Uncertainty`), shown before the assumptions.

    Returns
    -------
    str
        The HTML document: inline CSS, figures as inline PNG, no scripts, nothing fetched.
    """
    if appraisal.comparison is not comparison and list(appraisal.comparison.labels) != list(comparison.labels):
        raise PlacesimError(f"the appraisal is of another comparison (its scenarios are "
                            f"{', '.join(appraisal.comparison.labels)}; the comparison's are "
                            f"{', '.join(comparison.labels)})")
    if not appraisal.options:
        raise PlacesimError("the appraisal has no options to report (a comparison of the baseline alone)")
    names = comparison.names
    check_additions(additions, appraisal.baseline, appraisal.options)
    note = ""
    if assumptions is None:
        tables, note = comparison_assumptions(comparison)
    elif isinstance(assumptions, pd.DataFrame):
        tables = {appraisal.baseline: assumptions}
    else:
        tables = dict(assumptions)
    level = appraisal.level
    messages = key_messages(appraisal, names, review, review_note or (NO_REVIEW if review is None else ""),
                            break_evens, comparison, additions)
    parts = [
        key_messages_section(messages, names[appraisal.baseline]),
        headline_section(appraisal, names),
        crises_section(comparison, level, names),
        payback_section(appraisal, names),
        organisations_section(appraisal, names),
        journeys_section(comparison, level, names),
        review_section(review, review_note, names),
    ]
    contents = list(SECTIONS.items())
    if decisions:
        parts.append(decision_section(decisions, names))
        contents.insert(list(SECTIONS).index("review") + 1, ("decision", "The six-month decision"))
    if break_evens:
        parts.append(break_even_section(break_evens, names))
        contents.insert(list(SECTIONS).index("review") + 1 + bool(decisions), ("break-even", "Break-even values"))
    if reinvestments:
        parts.append(reinvestment_section(reinvestments, names))
        contents.insert(list(SECTIONS).index("review") + 1 + bool(decisions) + bool(break_evens),
                        ("shift-upstream", "Shift upstream: savings reinvested"))
    for addition in additions:
        for id_, heading, body in addition.report_sections():
            parts.append(section(id_, heading, body))
            contents.insert(len(contents) - 2, (id_, heading))
    parts += [assumptions_section(tables, appraisal.baseline, note), method_section(comparison, appraisal)]
    title = title or (f"Integrated Neighbourhood Team options: {', '.join(names[o] for o in appraisal.options)} "
                      f"against {names[appraisal.baseline]}")
    return page(title, _subtitle(comparison, appraisal, names), contents, parts)


def write_report(path: str | Path, comparison: Comparison, appraisal: Appraisal,
                 review: ReviewPower | None = None, **kw: Any) -> Path:
    """Build the report (:func:`build_report`, same keywords) and write it to ``path``.

    The page is built in memory first and written atomically: if building or writing
    fails, ``path`` is left as it was and no partial file remains.
    """
    text = build_report(comparison, appraisal, review, **kw)
    return write_bytes_atomic(text.encode("utf-8"), path)
