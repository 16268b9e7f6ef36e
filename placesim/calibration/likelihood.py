"""Likelihoods of observed counts around the model's expected values, and goodness of fit."""

from __future__ import annotations

import numpy as np
from scipy import stats
from scipy.special import gammaln

MU_FLOOR = 1e-9
"""Expected values are floored here so that an observed count where the model expects none
costs a large but finite penalty instead of an infinite one."""


def log_likelihood(y: np.ndarray, mu: np.ndarray, family: str, size: float | None = None) -> np.ndarray:
    """Log-likelihood of each observation ``y`` given the expected value ``mu``.

    Counts that are not whole numbers (scaled figures, stocks averaged over a period) are
    allowed: the gamma function extends the factorials.
    """
    mu = np.maximum(mu, MU_FLOOR)
    if family == "poisson":
        return y * np.log(mu) - mu - gammaln(y + 1)
    k = _size(size)
    return (gammaln(y + k) - gammaln(k) - gammaln(y + 1)
            + k * np.log(k / (k + mu)) + y * np.log(mu / (k + mu)))


def predictive_interval(mu: np.ndarray, family: str, size: float | None, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Central ``level`` interval of an observation with expected value ``mu``."""
    a = (1 - level) / 2
    mu = np.maximum(mu, MU_FLOOR)
    if family == "poisson":
        dist = stats.poisson(mu)
    else:
        k = _size(size)
        dist = stats.nbinom(k, k / (k + mu))
    return dist.ppf(a), dist.ppf(1 - a)


def variance(mu: np.ndarray, family: str, size: float | None) -> np.ndarray:
    return mu if family == "poisson" else mu + mu ** 2 / _size(size)


def _size(size: float | None) -> float:
    if size is None:
        raise ValueError("the negative binomial needs a size")
    return float(size)


def goodness_of_fit(y: np.ndarray, mu: np.ndarray, lower: np.ndarray, upper: np.ndarray, family: str,
                    size: float | None, n_params: int) -> dict[str, float]:
    """Fit statistics of observations against expected values.

    Returns
    -------
    dict
        ``n``; ``log_likelihood``; ``pearson_chi2_per_df`` (about 1 when the spread is as the
        likelihood assumes); ``mean_abs_pct_error``; ``bias_pct`` (sum of model minus observed,
        over observed); ``coverage`` (share of observations inside their predictive interval).
    """
    n = len(y)
    if n == 0:
        return {"n": 0}
    mu_ = np.maximum(mu, MU_FLOOR)
    resid = (y - mu_) / np.sqrt(variance(mu_, family, size))
    pos = y > 0
    return {
        "n": int(n),
        "log_likelihood": float(log_likelihood(y, mu, family, size).sum()),
        "pearson_chi2_per_df": float((resid ** 2).sum() / max(n - n_params, 1)),
        "mean_abs_pct_error": float(np.mean(np.abs(mu_[pos] - y[pos]) / y[pos]) * 100) if pos.any() else float("nan"),
        "bias_pct": float((mu_.sum() - y.sum()) / y.sum() * 100) if y.sum() > 0 else float("nan"),
        "coverage": float(np.mean((y >= lower) & (y <= upper))),
    }
