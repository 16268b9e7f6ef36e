"""Test helpers: the toy scenarios' economics, a folder with them and an options file, line numbers."""

from __future__ import annotations

from pathlib import Path

from placesim.scenario.model import Economics

SCENARIOS = Path(__file__).resolve().parent / "scenarios"


def toy_options_folder(folder: Path, options_text: str) -> Path:
    """``folder`` with the toy siloed and INT scenarios and an ``options.yaml`` of ``options_text``."""
    for name in ("toy_siloed.yaml", "toy_int.yaml"):
        (folder / name).write_bytes((SCENARIOS / name).read_bytes())
    (folder / "options.yaml").write_text(options_text)
    return folder


def line_of(text: str, needle: str) -> int:
    """Number of the first line of ``text`` that contains ``needle``."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


ECONOMICS = {
    "price_year": "2023/24",
    "deflator": {"series": "test index", "source": "invented for tests",
                 "index": {"2010": 80.0, "2011": 84.0, "2023": 110.0, "2024": 118.0}},
    "cashable": {"ta": 1.0, "default": 0.25},
}
"""The economics the appraisal tests value the toy scenarios with (an invented deflator)."""


def econ(**changes) -> Economics:
    """:data:`ECONOMICS` with ``changes``, validated."""
    return Economics.model_validate({**ECONOMICS, **changes})


UNCERTAIN_OPTIONS = """\
placesim_options: 1
name: Toy options
base:
  scenario: toy_siloed.yaml
  overrides:
    time: {horizon_days: 360}
economics:
  price_year: 2023/24
  cashable: {ta: 1.0}
options:
  pilot:
    scenario: toy_int.yaml
    overrides:
      int:
        neighbourhoods: {A: {start_day: 90}}
  bigger:
    scenario: toy_int.yaml
    overrides:
      int:
        days_per_week: 5
        neighbourhoods: {A: {start_day: 90}}
review: {option: pilot, months: 2}
uncertainty:
  samples: 96
  parameters:
    effect:
      path: int.effect.escalation_multiplier
      distribution: {kind: triangular, low: 0.2, mode: 0.3, high: 0.9}
      source: assumption, range 0.2-0.9
    setup_cost:
      path: int.costs.setup_gbp
      mode: multiplier
      distribution: {kind: lognormal, mean: 1.0, sd: 0.2}
    idle:
      path: int.costs.premises_gbp_per_year
      mode: multiplier
      distribution: {kind: uniform, low: 0.999999, high: 1.000001}
  correlations:
    - {between: [effect, setup_cost], rank: 0.3}
  groups:
    costs: [setup_cost, idle]
"""
"""The toy options with an ``uncertainty:`` section (three parameters, one without effect, a group)."""
