"""Intervals across replications."""

from __future__ import annotations

from typing import Literal

import numpy as np
from scipy import stats

Interval = Literal["confidence", "spread"]


def mean_interval(values: np.ndarray, level: float = 0.9, kind: Interval = "confidence"
                  ) -> tuple[float, float, float]:
    """Mean and interval of per-replication values.

    Parameters
    ----------
    values
        One value per replication (NaNs are dropped).
    level
        Coverage of the interval (default 0.9).
    kind
        ``'confidence'``: Student-t confidence interval of the mean (how precisely the
        replications pin the mean down). ``'spread'``: the central ``level`` share of the
        replications themselves (how much one run can vary).

    Returns
    -------
    mean, lower, upper
        ``lower`` and ``upper`` are NaN with fewer than two values.
    """
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    n = v.size
    if n == 0:
        return (np.nan, np.nan, np.nan)
    mean = float(v.mean())
    if n < 2:
        return (mean, np.nan, np.nan)
    if kind == "spread":
        lo, hi = np.quantile(v, [(1 - level) / 2, (1 + level) / 2])
        return (mean, float(lo), float(hi))
    if kind != "confidence":
        raise ValueError(f"interval must be 'confidence' or 'spread', got {kind!r}")
    se = float(v.std(ddof=1)) / np.sqrt(n)
    half = float(stats.t.ppf((1 + level) / 2, n - 1)) * se
    return (mean, mean - half, mean + half)


def ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Elementwise ratio with NaN where the denominator is zero."""
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out
