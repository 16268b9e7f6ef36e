"""Fitting: a fast search on the SD engine, refined against the DES, with Laplace intervals.

The method (see docs/calibration.md):

1. **SD fit.** Maximise log-likelihood + log-prior of the fitting periods over the
   parameters, each searched on an unbounded scale ``z`` (the logit of its place between
   its bounds, on a log scale for positive bounds), with Nelder-Mead (the SD run is smooth
   but adaptive steps make finite-difference gradients unreliable).
2. **DES check and refinement.** Run the DES at the estimate with a fixed seed; the ratio
   DES mean / SD value of each observation is the SD's bias there (queues, small numbers).
   Refit the SD with its values multiplied by those ratios, and repeat (same seed: common
   random numbers, so successive rounds differ only by the parameters).
3. **Intervals.** A Laplace (Wald) approximation on the ``z`` scale: the inverse of the
   finite-difference Hessian of the negative log-posterior at the optimum gives the
   covariance; intervals are mapped back through the bounds (so they are asymmetric and
   stay inside them). The same covariance gives intervals on fitted values (delta method).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import minimize
from scipy.stats import norm

from ..errors import PlacesimError
from ..run import run_one
from ..scenario.scenario import Scenario
from .likelihood import log_likelihood
from .observed import Extractor, Observed
from .parameters import Parameter, apply

SIZE_BOUNDS = (0.5, 1e4)
"""Bounds of a fitted negative-binomial size (log scale)."""
HESSIAN_STEP = 0.05
"""Step (on the z scale) of the finite-difference Hessian: large against the SD's solver
noise (relative tolerance 1e-4), small against the curvature of the likelihood."""


@dataclass
class Model:
    """The fit's view of a scenario: parameters in, expected values of the observations out."""

    base: dict[str, Any]
    source: str | None
    params: list[Parameter]
    extractor: Extractor
    counter: list[int] = field(default_factory=lambda: [0])

    def scenario(self, x: np.ndarray) -> Scenario:
        return Scenario.from_dict(apply(self.base, self.params, x), source=self.source)

    def sd(self, x: np.ndarray) -> np.ndarray:
        """SD values of every observation at parameter values ``x``."""
        self.counter[0] += 1
        out, _ = run_one(self.scenario(x), seed=0, engine="sd")
        return self.extractor({k: v[None] for k, v in out.items()})[0]


@dataclass
class Objective:
    """Negative log-posterior on the z scale (parameters, then log NB size when fitted)."""

    model: Model
    obs: Observed
    rows: np.ndarray
    family: str
    size: float | None
    correction: np.ndarray
    cache: dict[tuple[float, ...], np.ndarray] = field(default_factory=dict)

    @property
    def fit_size(self) -> bool:
        return self.family == "negative_binomial" and self.size is None

    def split(self, z: np.ndarray) -> tuple[np.ndarray, float | None]:
        k = len(self.model.params)
        x = np.array([p.from_z(zi) for p, zi in zip(self.model.params, z[:k])])
        if self.fit_size:
            lo, hi = np.log(SIZE_BOUNDS)
            return x, float(np.exp(lo + (hi - lo) / (1 + np.exp(-z[k]))))
        return x, self.size

    def mu(self, x: np.ndarray) -> np.ndarray:
        key = tuple(np.round(x, 12))
        if key not in self.cache:
            self.cache[key] = self.model.sd(x) * self.correction
        return self.cache[key]

    def __call__(self, z: np.ndarray) -> float:
        x, size = self.split(z)
        mu = self.mu(x)
        ll = log_likelihood(self.obs.value[self.rows], mu[self.rows], self.family, size).sum()
        lp = sum(p.log_prior(xi) for p, xi in zip(self.model.params, x))
        return float(-(ll + lp))


def z_start(obj: Objective) -> np.ndarray:
    z = [p.to_z(p.start) for p in obj.model.params]
    if obj.fit_size:
        z.append(0.0)  # the geometric middle of SIZE_BOUNDS (about 70)
    return np.array(z)


def search(obj: Objective, z0: np.ndarray, max_evaluations: int, step: float = 0.5) -> tuple[np.ndarray, float, int]:
    """Nelder-Mead on the z scale from a simplex of side ``step`` (0.5 from the start values,
    smaller when refining an optimum); returns the optimum, its objective and the evaluations."""
    n = len(z0)
    simplex = np.vstack([z0] + [z0 + step * np.eye(n)[i] for i in range(n)])
    res = minimize(obj, z0, method="Nelder-Mead",
                   options={"initial_simplex": simplex, "xatol": 2e-3, "fatol": 1e-3,
                            "maxfev": max_evaluations, "adaptive": n > 2})
    if not np.isfinite(res.fun):
        raise PlacesimError("the fit failed: the likelihood is not finite at any point tried "
                            "(an observed count where the model expects none?)")
    return np.asarray(res.x), float(res.fun), int(res.nfev)


def hessian(f: Callable[[np.ndarray], float], z: np.ndarray, h: float = HESSIAN_STEP) -> np.ndarray:
    """Central finite-difference Hessian of ``f`` at ``z``."""
    n = len(z)
    H = np.zeros((n, n))
    f0 = f(z)
    e = np.eye(n) * h
    fp = [f(z + e[i]) for i in range(n)]
    fm = [f(z - e[i]) for i in range(n)]
    for i in range(n):
        H[i, i] = (fp[i] - 2 * f0 + fm[i]) / h ** 2
        for j in range(i + 1, n):
            H[i, j] = H[j, i] = (f(z + e[i] + e[j]) - f(z + e[i] - e[j]) - f(z - e[i] + e[j])
                                 + f(z - e[i] - e[j])) / (4 * h ** 2)
    return H


def covariance(H: np.ndarray) -> tuple[np.ndarray, bool]:
    """Inverse Hessian; ``False`` when the Hessian is not positive definite (a parameter the
    data do not pin down), in which case the intervals of those directions are infinite."""
    w, v = np.linalg.eigh((H + H.T) / 2)
    ok = bool(np.all(w > 1e-9 * max(1.0, float(np.abs(w).max()))))
    w = np.where(w > 1e-12, w, 1e-12)
    return (v / w) @ v.T, ok


def wald_interval(p: Parameter, z: float, var: float, level: float) -> tuple[float, float]:
    q = norm.ppf(0.5 + level / 2)
    sd = math.sqrt(max(var, 0.0))
    return p.from_z(z - q * sd), p.from_z(z + q * sd)


def mean_interval(obj: Objective, z: np.ndarray, cov: np.ndarray, level: float,
                  h: float = HESSIAN_STEP) -> tuple[np.ndarray, np.ndarray]:
    """Delta-method interval on every expected value (the parameters' uncertainty only)."""
    k = len(obj.model.params)
    x0, _ = obj.split(z)
    mu0 = obj.mu(x0)
    J = np.zeros((len(mu0), k))
    for i in range(k):
        zp, zm = z.copy(), z.copy()
        zp[i] += h
        zm[i] -= h
        J[:, i] = (obj.mu(obj.split(zp)[0]) - obj.mu(obj.split(zm)[0])) / (2 * h)
    var = np.einsum("ni,ij,nj->n", J, cov[:k, :k], J)
    sd = np.sqrt(np.maximum(var, 0.0))
    q = norm.ppf(0.5 + level / 2)
    return np.maximum(mu0 - q * sd, 0.0), mu0 + q * sd


class Clock:
    """Wall time of each stage (reported in the diagnostics)."""

    def __init__(self) -> None:
        self.t0 = time.perf_counter()
        self.stages: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.stages[name] = self.stages.get(name, 0.0) + now - self.t0
        self.t0 = now
