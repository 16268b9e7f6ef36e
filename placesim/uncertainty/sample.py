"""Quasi-random draws of the uncertain parameters, with rank correlations.

The design is a scrambled Sobol' sequence or a Latin hypercube on the unit cube
(:mod:`scipy.stats.qmc`); rank correlations are imposed by Iman and Conover's method
(1982), which re-orders each column of the design so that its ranks follow correlated
normal scores: the marginals (and so each parameter's distribution) are untouched.
Each column is then sent through its parameter's inverse CDF.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.stats import norm, qmc, rankdata

from .spec import UncertaintySection


def unit_design(n: int, d: int, sampler: str = "sobol", seed: int = 1) -> np.ndarray:
    """``n`` points in the unit cube ``[0, 1)^d``: scrambled Sobol' or a Latin hypercube."""
    if sampler == "sobol":
        engine = qmc.Sobol(d, scramble=True, seed=seed)
        with warnings.catch_warnings():  # N need not be a power of 2 (balance is only a little worse)
            warnings.simplefilter("ignore", UserWarning)
            return engine.random(n)
    if sampler == "lhs":
        return qmc.LatinHypercube(d, seed=seed).random(n)
    raise ValueError(f"sampler must be sobol or lhs, got {sampler!r}")


def iman_conover(u: np.ndarray, rank_corr: np.ndarray) -> np.ndarray:
    """Re-order each column of ``u`` so its rank correlations approach ``rank_corr``.

    Parameters
    ----------
    u
        A design, draw x parameter.
    rank_corr
        The target Spearman correlation matrix (positive definite).
    """
    n, d = u.shape
    if d < 2 or np.allclose(rank_corr, np.eye(d)):
        return u
    pearson = 2 * np.sin(np.pi * rank_corr / 6)  # Spearman -> Pearson for normal scores
    scores = norm.ppf((np.argsort(np.argsort(u, axis=0), axis=0) + 1) / (n + 1))
    e = np.corrcoef(scores, rowvar=False)
    t = scores @ np.linalg.inv(np.linalg.cholesky(e)).T @ np.linalg.cholesky(pearson).T
    out = np.empty_like(u)
    for j in range(d):
        ranks = rankdata(t[:, j], method="ordinal").astype(int) - 1
        out[:, j] = np.sort(u[:, j])[ranks]
    return out


def draw(section: UncertaintySection, n: int | None = None, seed: int | None = None,
         rank_corr: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The draws of a section: the unit design (with correlations) and the parameter values.

    Returns
    -------
    u, x
        Arrays draw x parameter: the quantile of each value and the value.
    """
    n = n or section.samples
    u = unit_design(n, len(section.parameters), section.sampler, section.seed if seed is None else seed)
    if rank_corr is not None:
        u = iman_conover(u, rank_corr)
    return u, section.ppf(u)
