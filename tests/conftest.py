"""Fixtures shared by the test modules, and the two tiers of the suite.

The suite has two tiers (the ``slow`` marker is declared in pyproject.toml):

* ``pytest -m "not slow"``: the fast tier, unit and functional tests of every feature
  (about a minute and a half on two idle cores with ``-n 2``);
* ``pytest``: everything, adding the statistical checks (queueing theory, the SD engine
  against the DES mean, acceptance tests over many replications), the notebooks, the long
  calibration fits and the Hypothesis properties at their full numbers of examples. CI
  runs this.

A statistical check that is slow keeps a short-run variant in the fast tier that asserts
the same kind of property, with its tolerance derived from the standard error the same
way and a fixed seed.

Fixtures here are session-scoped (one per xdist worker) and hold scenarios and results
that several modules read; no test may change them. The tests' helper modules
(``invariants.py``, ``strategies.py``, ``queueing.py``) are imported by name: this folder
is on ``sys.path`` (pytest's default ``prepend`` import mode, no ``__init__.py`` here).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest

import placesim as ps

ROOT = Path(__file__).resolve().parents[1]
TOYS = {"siloed": ROOT / "tests/scenarios/toy_siloed.yaml", "int": ROOT / "tests/scenarios/toy_int.yaml"}
SHORT = {"horizon_days": 120, "warmup_days": 30, "report_every_days": 30}
"""The short run of the toy place that the results, SD and plotting tests share: four 30-day bins."""


@pytest.fixture(scope="session")
def root() -> Path:
    """The repository's root folder."""
    return ROOT


# ----------------------------------------------------------------------------- the Brent scenarios
@pytest.fixture(scope="session")
def brent_siloed() -> ps.Scenario:
    """scenarios/brent/siloed.yaml: the borough as it is."""
    return ps.load_scenario(ROOT / "scenarios/brent/siloed.yaml")


@pytest.fixture(scope="session")
def brent_pilot() -> ps.Scenario:
    """scenarios/brent/int_pilot.yaml: an INT one day a week in Harlesden."""
    return ps.load_scenario(ROOT / "scenarios/brent/int_pilot.yaml")


@pytest.fixture(scope="session")
def brent_full() -> ps.Scenario:
    """scenarios/brent/int_full.yaml: the INT five days a week."""
    return ps.load_scenario(ROOT / "scenarios/brent/int_full.yaml")


# ----------------------------------------------------------------------------- the toy place
@cache
def _toy(kind: str, time: tuple[tuple[str, float], ...]) -> ps.Scenario:
    scenario = ps.load_scenario(TOYS[kind])
    return scenario.with_overrides({"time": dict(time)}) if time else scenario


@pytest.fixture(scope="session")
def toy_scenario() -> Callable[..., ps.Scenario]:
    """A factory of the toy place (tests/scenarios): ``toy_scenario("int", horizon_days=240)``.

    ``kind`` is ``"siloed"`` or ``"int"``; keyword arguments override ``time``. The same
    arguments give the same (cached) scenario object.
    """
    def make(kind: str = "siloed", **time: float) -> ps.Scenario:
        return _toy(kind, tuple(time.items()))

    return make


@pytest.fixture(scope="session")
def toy_short(toy_scenario) -> tuple[ps.Scenario, ps.Scenario]:
    """The toy place, siloed and with the INT, on the short run ``SHORT``."""
    return toy_scenario("siloed", **SHORT), toy_scenario("int", **SHORT)


@pytest.fixture(scope="session")
def toy_short_des(toy_short) -> ps.Results:
    """Two DES replications (seed 4) of the toy INT on the short run. Read it only."""
    return ps.simulate(toy_short[1], 2, seed=4)
