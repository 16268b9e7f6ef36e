"""The ``uncertainty:`` section: uncertain parameters as data.

An options file (or a standalone uncertainty file, :mod:`.files`) may carry::

    uncertainty:
      samples: 1000
      parameters:
        int_effect:
          path: int.effect.escalation_multiplier       # the calibration set-up's form
          distribution: {kind: triangular, low: 0.5, mode: 0.65, high: 1.0}
          source: EV01-EV03, EV10 (assumption, range 0.5-1.0)
        case_finding:
          path: [int.case_finding.sensitivity]
          mode: multiplier
          distribution: {kind: beta, mean: 0.6, sd: 0.1, bounds: [0.2, 0.95]}
      correlations:
        - {between: [int_effect, case_finding], rank: 0.3}
      groups:
        int: [int_effect, case_finding]
      population: {places: 1, years: 1}

Every field is documented in ``docs/uncertainty.md``. This module holds the models and
the distributions' inverse CDFs; it sits below the options file, which types its section
with :class:`UncertaintySection`.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import Field, field_validator, model_validator
from scipy import stats

from ..calibration.setup import ParameterPath
from ..scenario.base import FileModel, Name, Replications, Seed

KINDS = {
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "normal": ("mean", "sd"),
    "lognormal": ("mean", "sd"),
    "beta": ("mean", "sd"),
    "gamma": ("mean", "sd"),
}
"""Each kind of distribution and the fields it takes (besides ``bounds``)."""

MAX_SAMPLES = 1_000_000


class _Model(FileModel):
    """The section's models: :class:`FileModel` (hardened numbers)."""


class Distribution(_Model):
    """A parameter's distribution: ``kind`` and its own fields; optionally truncated to ``bounds``.

    lognormal, beta and gamma take the mean and standard deviation of the value itself
    (not of its logarithm): lognormal ``sigma^2 = ln(1 + sd^2/mean^2)``, ``mu = ln(mean) -
    sigma^2/2``; beta on [0, 1] with ``a + b = mean(1 - mean)/sd^2 - 1``; gamma with shape
    ``(mean/sd)^2`` and scale ``sd^2/mean``.
    """

    kind: Literal["uniform", "triangular", "normal", "lognormal", "beta", "gamma"] = Field(
        description="uniform (low, high), triangular (low, mode, high), normal, lognormal, beta or gamma (mean, sd).")
    low: float | None = Field(None, description="Lowest value (uniform, triangular).")
    mode: float | None = Field(None, description="Most likely value (triangular).")
    high: float | None = Field(None, description="Highest value (uniform, triangular).")
    mean: float | None = Field(None, description="Mean of the value (normal, lognormal, beta, gamma).")
    sd: float | None = Field(None, gt=0, description="Standard deviation of the value (normal, ...).")
    bounds: tuple[float, float] | None = Field(None, description=(
        "Truncate the distribution to [lower, upper] (e.g. a normal kept within a field's allowed range)."))

    @model_validator(mode="after")
    def _fields(self) -> Distribution:
        need = KINDS[self.kind]
        given = {k for k in ("low", "mode", "high", "mean", "sd") if getattr(self, k) is not None}
        missing = [k for k in need if k not in given]
        extra = sorted(given - set(need))
        if missing:
            raise ValueError(f"a {self.kind} distribution needs {', '.join(need)}; missing {', '.join(missing)}")
        if extra:
            raise ValueError(f"a {self.kind} distribution takes {', '.join(need)}, not {', '.join(extra)}")
        if self.kind in ("uniform", "triangular"):
            lo, hi = float(self.low), float(self.high)  # type: ignore[arg-type]
            if not lo < hi:
                raise ValueError(f"low must be below high, got low {lo}, high {hi}")
            if self.kind == "triangular" and not lo <= float(self.mode) <= hi:  # type: ignore[arg-type]
                raise ValueError(f"mode {self.mode} must lie within [low, high] = [{lo}, {hi}]")
        m, s = self.mean, self.sd
        if self.kind in ("lognormal", "gamma") and m is not None and m <= 0:
            raise ValueError(f"a {self.kind} distribution needs a mean above 0, got {m}")
        if self.kind == "beta" and m is not None and s is not None:
            if not 0 < m < 1:
                raise ValueError(f"a beta distribution's mean must lie between 0 and 1, got {m}")
            if s * s >= m * (1 - m):
                raise ValueError(f"a beta distribution with mean {m} needs sd below sqrt(mean(1 - mean)) = "
                                 f"{math.sqrt(m * (1 - m)):.4g}, got {s}")
        if self.bounds is not None:
            lo, hi = self.bounds
            if not lo < hi:
                raise ValueError(f"bounds must be [lower, upper] with lower < upper, got [{lo}, {hi}]")
            f = self.frozen()
            if not f.cdf(hi) - f.cdf(lo) > 1e-9:
                raise ValueError(f"bounds [{lo}, {hi}] hold almost none of the {self.kind} distribution")
        return self

    def frozen(self) -> stats.rv_continuous:
        """The untruncated distribution as a frozen scipy distribution."""
        k = self.kind
        if k == "uniform":
            return stats.uniform(self.low, float(self.high) - float(self.low))  # type: ignore[arg-type]
        if k == "triangular":
            lo, md, hi = float(self.low), float(self.mode), float(self.high)  # type: ignore[arg-type]
            return stats.triang((md - lo) / (hi - lo), loc=lo, scale=hi - lo)
        m, s = float(self.mean), float(self.sd)  # type: ignore[arg-type]
        if k == "normal":
            return stats.norm(m, s)
        if k == "lognormal":
            s2 = math.log1p((s / m) ** 2)
            return stats.lognorm(math.sqrt(s2), scale=math.exp(math.log(m) - s2 / 2))
        if k == "gamma":
            return stats.gamma((m / s) ** 2, scale=s * s / m)
        common = m * (1 - m) / (s * s) - 1
        return stats.beta(m * common, (1 - m) * common)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Values at uniform quantiles ``u`` (the inverse CDF, within the bounds if truncated)."""
        f = self.frozen()
        u = np.clip(np.asarray(u, dtype=float), 1e-12, 1 - 1e-12)
        if self.bounds is not None:
            a, b = f.cdf(self.bounds[0]), f.cdf(self.bounds[1])
            u = a + u * (b - a)
        out = np.asarray(f.ppf(u), dtype=float)
        if self.bounds is not None:
            out = np.clip(out, *self.bounds)
        return out

    def range(self, coverage: float = 0.9) -> tuple[float, float]:
        """The central range holding ``coverage`` of the distribution (the tornado's ends)."""
        lo, hi = self.ppf(np.array([(1 - coverage) / 2, (1 + coverage) / 2]))
        return float(lo), float(hi)

    @property
    def median(self) -> float:
        return float(self.ppf(np.array([0.5]))[0])


class UncertainParameter(ParameterPath):
    """One uncertain parameter: where it goes (as in a calibration set-up) and its distribution."""

    distribution: Distribution = Field(description="Its distribution (kind and fields).")
    source: str = Field("", description=(
        "Where the distribution comes from: a scenarios/reference/figures.csv row id, or 'assumption' with the range."))


class Correlation(_Model):
    """A rank (Spearman) correlation between two parameters' draws."""

    between: tuple[Name, Name] = Field(description="The two parameters, by name.")
    rank: float = Field(gt=-1, lt=1, description="Their rank correlation, between -1 and 1.")


class Population(_Model):
    """Who the value of information is for: the decisions the information would inform."""

    places: float = Field(1.0, gt=0, le=1e6, description=(
        "How many places face this decision (the NPV is one place's; default 1)."))
    years: int = Field(1, ge=1, le=100, description=(
        "How many years of such decisions the information informs (a fresh decision each year; default 1)."))
    discount_percent: float = Field(3.5, ge=0, le=100, description=(
        "Discount rate of the later years' decisions (default 3.5 %, the Green Book's)."))
    description: str = Field("", description="Who they are, in words (shown beside the scaled figures).")

    @property
    def scale(self) -> float:
        """Decisions informed, discounted: ``places x sum_t (1 + r)^-t`` over the years."""
        r = self.discount_percent / 100
        return self.places * sum((1 + r) ** -t for t in range(self.years))


class UncertaintySection(_Model):
    """An ``uncertainty:`` section: what is uncertain and how the PSA samples it."""

    samples: int = Field(1000, ge=8, le=MAX_SAMPLES, description="Draws of the parameters (N).")
    sampler: Literal["sobol", "lhs"] = Field("sobol", description=(
        "Quasi-random design: sobol (scrambled Sobol' points; best with N a power of 2) or lhs (Latin hypercube)."))
    seed: Seed = Field(1, description="Seed of the sample (and of the DES runs).")
    engine: Literal["sd", "des"] = Field("sd", description=(
        "sd: the system-dynamics twin, one deterministic run per draw (fast); des: the discrete-event engine."))
    replications: Replications = Field(1, ge=1, description=(
        "DES replications per draw (common random numbers across the options); the Monte Carlo error is reported."))
    options: list[Name] | None = Field(None, description="Options to include (default: every one a PSA can run).")
    parameters: dict[Name, UncertainParameter] = Field(min_length=1, description="The uncertain parameters, by name.")
    correlations: list[Correlation] = Field(default_factory=list, description="Rank correlations between parameters.")
    groups: dict[Name, list[Name]] = Field(default_factory=dict, description=(
        "Named groups of parameters whose value of information is computed together (EVPPI)."))
    population: Population = Field(default_factory=Population, description=(
        "The decisions the information informs (scales EVPI and EVPPI)."))
    value_per_crisis_gbp: tuple[float, float] = Field((0.0, 50_000.0), description=(
        "Range of the value put on a crisis averted in the acceptability curve [lowest, highest], GBP."))
    level: float = Field(0.9, gt=0, lt=1, description="Coverage of the intervals.")

    @field_validator("value_per_crisis_gbp")
    @classmethod
    def _range(cls, v: tuple[float, float]) -> tuple[float, float]:
        if not 0 <= v[0] < v[1]:
            raise ValueError(f"expected [lowest, highest] with 0 <= lowest < highest, got {list(v)}")
        return v

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Parameter values (draw x parameter) at uniform quantiles ``u`` (same shape)."""
        return np.column_stack([p.distribution.ppf(u[:, j]) for j, p in enumerate(self.parameters.values())])

    @property
    def names(self) -> list[str]:
        return list(self.parameters)
