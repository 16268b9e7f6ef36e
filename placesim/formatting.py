"""Numbers as people read them: the text forms shared by tables, appraisals and reports."""

from __future__ import annotations

import math


def fmt(x: float, unit: str = "") -> str:
    """A number as a person reads it: thousands separators, decimals only where they matter."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if math.isinf(x):
        return "inf"
    ax = abs(x)
    if unit == "GBP":
        sign = "-" if x < 0 else ""
        return f"{sign}£{ax:,.0f}" if ax >= 1 else f"{sign}£{ax:,.2f}"
    if ax >= 1000:
        return f"{x:,.0f}"
    if ax >= 100:
        return f"{x:,.1f}"
    return f"{x:,.2f}"


def estimate_text(mean: float, lo: float, hi: float, unit: str) -> str:
    """``mean ± half-width`` for a symmetric interval, else ``mean [lower, upper]``."""
    if isinstance(lo, float) and math.isnan(lo):
        return fmt(mean, unit)
    half = (hi - lo) / 2
    if math.isclose(mean - lo, hi - mean, rel_tol=1e-6, abs_tol=1e-9):
        return f"{fmt(mean, unit)} ± {fmt(half, unit).lstrip('-')}"
    return f"{fmt(mean, unit)} [{fmt(lo, unit)}, {fmt(hi, unit)}]"
