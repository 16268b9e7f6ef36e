"""Back-tests: the Brent, validation and traced runs at a fixed seed, against pinned results.

These fail on any change that moves a number, however small, including a change that only
reorders random draws. When such a change is intended, re-pin (``python -m
tests.backtests.pin``; see tests/backtests/cases.py) and say why in the commit.
"""

from __future__ import annotations

import pytest
import xarray as xr
from backtests.cases import CASES
from backtests.run import differences, pin_path, run_case

PARAMS = [pytest.param(name, marks=[pytest.mark.slow] if case.slow else [], id=name)
          for name, case in CASES.items()]


@pytest.mark.parametrize("name", PARAMS)
def test_results_match_the_pinned_ones(name):
    path = pin_path(name)
    assert path.exists(), f"no pinned results for {name}: run python -m tests.backtests.pin {name}"
    with xr.open_dataset(path) as pinned:
        pinned = pinned.load()
    got = run_case(CASES[name])
    problems = differences(name, got, pinned)
    assert not problems, f"{name} moved from its pinned results:\n  " + "\n  ".join(problems)
