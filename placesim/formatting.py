"""Numbers as people read them: the one place that writes figures as text, for the terminal
tables, notebooks, appraisals and the report.

The conventions (docs/decisions.md, 'How figures are written'):

* thousands separators, never scientific notation;
* money in whole pounds, the sign before the currency: ``£1,234``, ``-£1,234``; no pennies;
* counts (crises, people, assessments ...) as whole numbers from 10 up;
* other numbers with decimals that shrink as they grow (0.73, 12.5, 1,234);
* a figure that rounds to zero is ``0``, never ``-0.00``;
* an interval with the decimals of its largest number, ``80 ± 19`` or ``29 [12, 41]``;
* a payback month that is never reached is ``not within the period``.
"""

from __future__ import annotations

import math
from typing import Any

MISSING = "-"
"""A figure that does not exist (NaN)."""

COUNT_UNITS = frozenset({"crises", "people", "presentations", "assessments", "referrals", "episodes", "contacts",
                         "residents", "replications", "households"})
"""Units counted in whole events: written as whole numbers from 10 up."""

SHARE_UNITS = frozenset({"share", "share of replications", "share of residents"})
"""Units that are shares of one: written as percentages."""

NOT_REACHED = "not within the period"
"""A payback month that the cumulative net benefit never reaches."""

MONTH_SLACK = 0.05
"""Months (about a day and a half) past a month's end that still count in that month:
reporting bins of whole days end a little past a month of 30.44 days."""


def is_missing(x: Any) -> bool:
    """True for None and NaN."""
    if x is None:
        return True
    try:
        return math.isnan(float(x))
    except (TypeError, ValueError):
        return False


def is_money(unit: str) -> bool:
    """``GBP``, ``GBP per crisis`` ...: pounds."""
    return unit == "GBP" or unit.startswith("GBP ")


def decimals(x: float, unit: str = "") -> int:
    """Decimals a figure of this size and unit is written with."""
    ax = abs(x)
    if is_money(unit):
        return 0
    if unit in SHARE_UNITS:
        return 0 if ax >= 0.1 or ax == 0 else 1  # of the percentage
    if unit in COUNT_UNITS:
        return 0 if ax >= 10 else 1 if ax >= 1 else 2
    return 0 if ax >= 100 else 1 if ax >= 10 else 2


def _digits(x: float, places: int) -> str:
    """``x`` to ``places`` decimals with thousands separators, and no sign on a zero."""
    text = f"{x:,.{places}f}"
    if text.startswith("-") and float(text[1:].replace(",", "")) == 0:
        text = text[1:]
    return text


def fmt(x: Any, unit: str = "", places: int | None = None) -> str:
    """One figure as text in the conventions above.

    Parameters
    ----------
    x
        The figure (NaN or None: ``-``).
    unit
        Its unit: ``GBP`` (or ``GBP per ...``) for pounds, a share unit for a percentage,
        a count unit for whole numbers; anything else is a plain number.
    places
        Decimals to use instead of those its size gives (an interval's, for instance).
    """
    if is_missing(x):
        return MISSING
    x = float(x)
    if math.isinf(x):
        return "unbounded" if x > 0 else "-unbounded"
    p = decimals(x, unit) if places is None else places
    text = _digits(100 * x if unit in SHARE_UNITS else x, p)
    if is_money(unit):
        return f"-£{text[1:]}" if text.startswith("-") else f"£{text}"
    if unit in SHARE_UNITS:
        return f"{text} %"
    return text


def money(x: Any) -> str:
    """Pounds, whole: ``£1,234`` or ``-£1,234``."""
    return fmt(x, "GBP")


def count(x: Any) -> str:
    """A number of things, as a whole number: ``1,234``."""
    return MISSING if is_missing(x) else _digits(float(x), 0)


def pct(x: Any) -> str:
    """A share of one as a percentage: ``0.42`` -> ``42 %``."""
    return fmt(x, "share")


def month_text(mean: Any, lower: Any = math.nan, upper: Any = math.nan) -> str:
    """A payback month with its earliest and latest: ``month 14 (earliest 12, latest 17)``.

    Months count from the first reported day, the first month being month 1: a payback at
    the end of 13.4 months falls in month 14. Up to :data:`MONTH_SLACK` past a month's end
    still counts in that month (a period of 1,096 days is 36.008 months: month 36, not 37).
    NaN means the period ends first.
    """
    def month(x: Any) -> str:
        return f"{max(1, math.ceil(float(x) - MONTH_SLACK)):d}"

    if is_missing(mean):
        text = NOT_REACHED
        if not is_missing(lower):
            text += f" (earliest: month {month(lower)})"
        return text
    text = f"month {month(mean)}"
    if not is_missing(lower) and not is_missing(upper):
        if month(lower) != month(upper):
            text += f" (earliest {month(lower)}, latest {month(upper)})"
    elif not is_missing(lower):
        text += f" (earliest {month(lower)}, latest: {NOT_REACHED})"
    return text


def estimate_text(mean: Any, lo: Any, hi: Any, unit: str = "") -> str:
    """A mean and its interval: ``mean ± half-width`` if symmetric, else ``mean [lower, upper]``.

    All three have the decimals of the largest; an interval narrower than the last digit
    shown (or none, NaN) is the mean alone; a missing bound is ``-``. Unit ``month`` is a payback month
    (:func:`month_text`).
    """
    if unit == "month":
        return month_text(mean, lo, hi)
    if is_missing(mean):
        return MISSING
    if is_missing(lo) and is_missing(hi):
        return fmt(mean, unit)
    finite = [abs(float(v)) for v in (mean, lo, hi) if not is_missing(v) and math.isfinite(float(v))]
    places = decimals(max(finite), unit)
    if is_missing(lo) or is_missing(hi):
        return f"{fmt(mean, unit, places)} [{fmt(lo, unit, places)}, {fmt(hi, unit, places)}]"
    m, low, high = float(mean), float(lo), float(hi)
    half = (high - low) / 2
    if fmt(low, unit, places) == fmt(high, unit, places) or _is_zero(fmt(abs(half), unit, places)):
        return fmt(mean, unit, places)  # narrower than the last digit shown
    if math.isclose(m - low, high - m, rel_tol=1e-6, abs_tol=1e-9):
        return f"{fmt(mean, unit, places)} ± {fmt(abs(half), unit, places)}"
    return f"{fmt(mean, unit, places)} [{fmt(low, unit, places)}, {fmt(high, unit, places)}]"


def _is_zero(text: str) -> bool:
    """Whether a written figure is zero (``0``, ``£0``, ``0.00``, ``0 %``)."""
    digits = text.replace("£", "").replace("%", "").replace(",", "").replace("-", "").strip()
    try:
        return float(digits) == 0
    except ValueError:
        return False


def range_text(lo: Any, hi: Any, unit: str = "") -> str:
    """An interval in words: ``-17 to 78``, ``-£60,231 to £73,049``."""
    finite = [abs(float(v)) for v in (lo, hi) if not is_missing(v) and math.isfinite(float(v))]
    places = decimals(max(finite), unit) if finite else None
    return f"{fmt(lo, unit, places)} to {fmt(hi, unit, places)}"


def level_text(level: float) -> str:
    """``0.9`` -> ``90 %``."""
    return f"{100 * level:.3g} %"


def settled(lo: Any, hi: Any) -> bool:
    """Whether an interval excludes zero (or there is none: a single exact run)."""
    if is_missing(lo) or is_missing(hi):
        return True
    return float(lo) > 0 or float(hi) < 0


def averted_words(averted: Any, lo: Any, hi: Any, replications: int, level: float = 0.9,
                  thing: str = "crises") -> str:
    """Crises averted in words, claimed only when the interval excludes zero.

    ``averts 412 crises (90 % interval 388 to 436)``, ``adds 12 crises (90 % interval 3 to
    21)``, or ``has no effect on crises detectable with 10 replications (90 % interval: from
    17 more to 78 fewer)``. Averted is baseline minus option (above zero: fewer).
    """
    if is_missing(averted):
        return f"has no {thing} figure"
    a = float(averted)
    unit = "crises" if thing == "crises" else ""
    interval = not (is_missing(lo) or is_missing(hi))
    if not settled(lo, hi) or fmt(a, unit) == "0":
        more, fewer = max(-float(lo), 0.0), max(float(hi), 0.0)
        return (f"has no effect on {thing} detectable with {replications} replications ({level_text(level)} "
                f"interval: from {fmt(more, unit)} more to {fmt(fewer, unit)} fewer)")
    verb = "averts" if a > 0 else "adds"
    text = f"{verb} {fmt(abs(a), unit)} {thing}"
    if interval:
        low, high = (float(lo), float(hi)) if a > 0 else (-float(hi), -float(lo))
        text += f" ({level_text(level)} interval {range_text(low, high, unit)})"
    return text


def significant(x: Any, digits: int = 4) -> str:
    """A value to ``digits`` significant figures, never in scientific notation: ``20,000``,
    ``0.3149``, ``1.5``."""
    if is_missing(x):
        return MISSING
    v = float(x)
    if v == 0:
        return "0"
    if not math.isfinite(v):
        return fmt(v)
    places = max(0, digits - 1 - math.floor(math.log10(abs(v))))
    text = _digits(round(v, places), places)
    return text.rstrip("0").rstrip(".") if "." in text else text
