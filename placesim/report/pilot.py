"""The pilot's six-month review power, and break-even values if any were computed."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..reinvest import HEADERS
from .page import esc, figure, paragraph, section, slug, table, unavailable

if TYPE_CHECKING:
    from ..review import ReviewPower

NO_REVIEW = "the review power was not computed for these results"
"""Reason shown when no review and no note are given."""


def _pct(x: float) -> str:
    return "n/a" if math.isnan(x) else f"{100 * x:.0f} %"


def _months(months: float) -> str:
    words = ("One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten", "Eleven", "Twelve")
    return words[int(months) - 1] if float(months).is_integer() and 1 <= months <= 12 else f"{months:g}"


def review_section(review: ReviewPower | None, note: str = "", names: Mapping[str, str] | None = None) -> str:
    """Power of the pilot's before-after review: the number, a plain-English reading and a
    figure; or 'not available: <reason>'."""
    title = "The pilot's review: would the evaluation see it?"
    if review is not None:
        title = f"{_months(review.months)}-month review: would the evaluation see it?"
    intro = paragraph(
        "The pilot was planned as a six-month piece of work feeding the budget conversations. The review "
        "compares crises in the pilot area in the months before the team started with the months after. "
        "Each replication is one possible world: power is the share of worlds with the pilot in which the "
        "review finds a significant fall; false alarm is the share of worlds without it in which it does.")
    if review is None:
        return section("review", title, intro + unavailable(note or NO_REVIEW))
    names = names or {}
    option = names.get(review.option, review.option)
    baseline = names.get(review.baseline, review.baseline)
    lo, hi = review.power_interval
    months = f"{review.months:g}"
    body = intro + (f"<p id='review-power'><span class='headline-number'>{esc(_pct(review.power))}</span> "
                    f"power for a {esc(months)}-month review of {esc(option)} "
                    f"(90 % interval {esc(_pct(lo))} to {esc(_pct(hi))})</p>")
    body += paragraph(str(review))
    rows = [(k.replace(f": {review.option}", f": {option}").replace(f": {review.baseline}", f": {baseline}"), v)
            for k, v in review.rows()]
    body += table(["Review", "Result"], [[f"<strong>{esc(k)}</strong>", esc(v)] for k, v in rows], id="review-table",
                  caption=f"{option} against {baseline}")
    body += figure(review.plot(), id="fig-review",
                   alt="Left: histogram of the change in crises after minus before the start in each world, with and "
                       "without the pilot; right: bars of power and false-alarm rate with 90 % intervals, "
                       "the test level and 80 % power marked",
                   caption="How often the review would find a fall, with and without the pilot.")
    return section("review", title, body)


def decision_section(decisions: Sequence[Any], names: Mapping[str, str] | None = None) -> str:
    """Each adaptive option's decision at its pilot's review: how often it scaled up, and whether
    the pilot it stopped (or scaled) really worked."""
    body = paragraph(
        "A decision would need to be made on continuing the scheme quickly: here the pilot's own review "
        "decides, in each simulated world, whether the scheme goes on as planned or stops, and the option's "
        "figures above are those of that rule, including the times the review gets it wrong.")
    names = names or {}
    for i, d in enumerate(decisions):
        name = names.get(d.option, d.option)
        rows = [(k, names.get(v, v)) for k, v in d.rows()]
        body += f"<h3 id='decision-{slug(d.option)}'>{esc(name)}</h3>" + paragraph(d.reading(names))
        body += table(["Decision", "Result"], [[f"<strong>{esc(k)}</strong>", esc(v)] for k, v in rows],
                      id=f"decision-table-{i}", caption=f"{name}: the decision at the review")
    return section("decision", "The six-month decision", body)


def reinvestment_section(reinvestments: Sequence[Any], names: Mapping[str, str] | None = None) -> str:
    """Each reinvesting option's shift upstream, year by year, and whether it pays for itself."""
    body = paragraph(
        "Part of each year's cashable savings buys places at a service from the next year (\"capacity "
        "building within the local VCS\"); the option is run again with them, year by year. Its figures "
        "above include the places and what they cost; here they are set against the same option without "
        "reinvestment.")
    names = names or {}
    for i, rv in enumerate(reinvestments):
        name = names.get(rv.option, rv.option)
        body += f"<h3 id='shift-{slug(rv.option)}'>{esc(name)}</h3>" + paragraph(rv.reading(names))
        body += table(list(HEADERS), [[esc(c) for c in row] for row in rv.rows()],
                      id=f"shift-table-{i}", caption=f"{name}: savings and places by year (means)")
    return section("shift-upstream", "Shift upstream: savings reinvested", body)


def break_even_section(break_evens: Sequence[Any], names: Mapping[str, str] | None = None) -> str:
    """Each break-even value as its own plain-English text (and figure, if it draws one)."""
    names = names or {}
    body = paragraph("How far an assumption can move before an option stops paying for itself.")
    for i, b in enumerate(break_evens):
        option = str(getattr(b, "label", "") or getattr(b, "option", "") or f"break-even {i + 1}")
        label = names.get(option, option)
        text = str(b)
        if text.startswith(f"{option}: "):
            text = f"{label}: " + text.removeprefix(f"{option}: ")
        body += f"<h3 id='break-even-{slug(label)}-{i}'>{esc(label)}</h3>" + paragraph(text)
        if callable(getattr(b, "plot", None)):
            body += figure(b.plot(), id=f"fig-break-even-{i}", alt=f"Break-even search for {label}",
                           caption=f"Break-even: {label}.")
    return section("break-even", "Break-even values", body)
