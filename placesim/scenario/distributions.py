"""Duration distributions that know their mean and draw in blocks.

Each distribution is a small pydantic model selected by its ``distribution`` field, so a
scenario file writes ``{distribution: lognormal, mean_days: 60, sd_days: 30}``. Every
distribution has a :attr:`mean` (days), a :meth:`block_sampler` returning a function that
draws ``n`` values at once from a numpy ``Generator`` (the engine refills a buffer from it,
so the per-event cost of a draw is a list index, not a numpy call), and a
:meth:`quantile` that turns one uniform into one value (inverse CDF), used where a draw
must come from a resident's own stream.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable
from itertools import accumulate
from statistics import NormalDist
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, model_validator
from scipy.special import gammaincinv

from .base import Days, FileModel

_NORMAL = NormalDist()
_U_MIN = 1e-12

BlockSampler = Callable[[int], np.ndarray]


class _Distribution(FileModel):

    @property
    def mean(self) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    def block_sampler(self, rng: np.random.Generator) -> BlockSampler:  # pragma: no cover
        raise NotImplementedError

    def quantile_function(self) -> Callable[[float], float]:  # pragma: no cover
        """A fast scalar inverse CDF ``u -> value`` for ``0 <= u < 1``."""
        raise NotImplementedError


class Exponential(_Distribution):
    """Exponential durations with the given mean (the memoryless case of queueing theory)."""

    distribution: Literal["exponential"] = Field(description="The kind: exponential.")
    mean_days: Days = Field(gt=0, description="Mean in days.")

    @property
    def mean(self) -> float:
        return self.mean_days

    def block_sampler(self, rng: np.random.Generator) -> BlockSampler:
        scale = self.mean_days
        return lambda n: rng.exponential(scale, n)

    def quantile_function(self) -> Callable[[float], float]:
        scale = self.mean_days
        return lambda u: -scale * math.log1p(-u)


class Lognormal(_Distribution):
    """Lognormal durations given by their mean and standard deviation in days."""

    distribution: Literal["lognormal"] = Field(description="The kind: lognormal.")
    mean_days: Days = Field(gt=0, description="Mean in days.")
    sd_days: Days = Field(gt=0, description="Standard deviation in days.")

    @property
    def mean(self) -> float:
        return self.mean_days

    def _mu_sigma(self) -> tuple[float, float]:
        """Parameters of the underlying normal, from the mean and standard deviation."""
        sigma2 = math.log1p((self.sd_days / self.mean_days) ** 2)
        return math.log(self.mean_days) - sigma2 / 2.0, math.sqrt(sigma2)

    def block_sampler(self, rng: np.random.Generator) -> BlockSampler:
        mu, sigma = self._mu_sigma()
        return lambda n: rng.lognormal(mu, sigma, n)

    def quantile_function(self) -> Callable[[float], float]:
        mu, sigma = self._mu_sigma()
        inv = _NORMAL.inv_cdf
        return lambda u: math.exp(mu + sigma * inv(min(max(u, _U_MIN), 1.0 - _U_MIN)))


class Gamma(_Distribution):
    """Gamma durations given by their mean and standard deviation in days."""

    distribution: Literal["gamma"] = Field(description="The kind: gamma.")
    mean_days: Days = Field(gt=0, description="Mean in days.")
    sd_days: Days = Field(gt=0, description="Standard deviation in days.")

    @property
    def mean(self) -> float:
        return self.mean_days

    def _shape_scale(self) -> tuple[float, float]:
        return (self.mean_days / self.sd_days) ** 2, self.sd_days**2 / self.mean_days

    def block_sampler(self, rng: np.random.Generator) -> BlockSampler:
        shape, scale = self._shape_scale()
        return lambda n: rng.gamma(shape, scale, n)

    def quantile_function(self) -> Callable[[float], float]:
        shape, scale = self._shape_scale()
        return lambda u: float(gammaincinv(shape, u)) * scale


class Fixed(_Distribution):
    """Every duration is exactly ``days``."""

    distribution: Literal["fixed"] = Field(description="The kind: fixed.")
    days: Days = Field(ge=0, description="The duration in days.")

    @property
    def mean(self) -> float:
        return self.days

    def block_sampler(self, rng: np.random.Generator) -> BlockSampler:
        days = float(self.days)
        return lambda n: np.full(n, days)

    def quantile_function(self) -> Callable[[float], float]:
        days = float(self.days)
        return lambda u: days


class Empirical(_Distribution):
    """Durations resampled from observed values (optionally weighted)."""

    distribution: Literal["empirical"] = Field(description="The kind: empirical.")
    values_days: list[Annotated[Days, Field(ge=0)]] = Field(min_length=1, description="Observed durations in days, resampled.")
    weights: list[Annotated[float, Field(ge=0)]] | None = Field(None, description="Relative weight of each value (default equal).")

    @model_validator(mode="after")
    def _weights_match(self) -> Empirical:
        if self.weights is not None:
            if len(self.weights) != len(self.values_days):
                raise ValueError(
                    f"weights has {len(self.weights)} entries but values_days has "
                    f"{len(self.values_days)}; give one weight per value"
                )
            if sum(self.weights) <= 0:
                raise ValueError("weights must not all be zero")
        return self

    def _probabilities(self) -> np.ndarray:
        if self.weights is None:
            return np.full(len(self.values_days), 1.0 / len(self.values_days))
        w = np.asarray(self.weights, dtype=float)
        return w / w.sum()

    @property
    def mean(self) -> float:
        return float(np.dot(self._probabilities(), self.values_days))

    def block_sampler(self, rng: np.random.Generator) -> BlockSampler:
        values = np.asarray(self.values_days, dtype=float)
        p = self._probabilities()
        return lambda n: rng.choice(values, size=n, p=p)

    def quantile_function(self) -> Callable[[float], float]:
        values = [float(v) for v in self.values_days]
        cum = list(accumulate(self._probabilities().tolist()))
        last = len(values) - 1
        return lambda u: values[min(bisect_right(cum, u), last)]


Distribution = Annotated[
    Exponential | Lognormal | Gamma | Fixed | Empirical,
    Field(discriminator="distribution"),
]
"""A duration distribution, chosen by its ``distribution`` field."""

DISTRIBUTION_NAMES = ("exponential", "lognormal", "gamma", "fixed", "empirical")
