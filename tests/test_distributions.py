"""Distributions know their mean, and both ways of drawing (blocks, inverse CDF) agree with it."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pydantic import TypeAdapter

from placesim.scenario.distributions import Distribution

Z = 4.0
CASES = [
    {"distribution": "exponential", "mean_days": 3.0},
    {"distribution": "lognormal", "mean_days": 60.0, "sd_days": 30.0},
    {"distribution": "gamma", "mean_days": 56.0, "sd_days": 20.0},
    {"distribution": "gamma", "mean_days": 2.0, "sd_days": 4.0},
    {"distribution": "fixed", "days": 14.0},
    {"distribution": "empirical", "values_days": [1.0, 2.0, 10.0], "weights": [1.0, 1.0, 2.0]},
    {"distribution": "empirical", "values_days": [5.0, 7.0]},
]


@pytest.mark.parametrize("spec", CASES, ids=lambda c: c["distribution"])
def test_draws_match_the_mean(spec):
    d = TypeAdapter(Distribution).validate_python(spec)
    rng = np.random.default_rng(123)
    n = 40_000
    blocks = d.block_sampler(rng)(n)
    q = d.quantile_function()
    inverse = np.array([q(u) for u in rng.random(n)])
    for sample in (blocks, inverse):
        assert np.all(sample >= 0)
        se = sample.std(ddof=1) / math.sqrt(n)
        assert abs(sample.mean() - d.mean) <= Z * se + 1e-12, (sample.mean(), d.mean)
    if "sd_days" in spec:
        for sample in (blocks, inverse):
            assert sample.std() == pytest.approx(spec["sd_days"], rel=0.05)


def test_quantile_is_monotone_and_handles_the_edges():
    for spec in CASES:
        q = TypeAdapter(Distribution).validate_python(spec).quantile_function()
        values = [q(u) for u in (0.0, 0.1, 0.5, 0.9, 0.999999)]
        assert values == sorted(values)
        assert all(math.isfinite(v) for v in values)
