"""The scenario text kept in a results Dataset: written by PyYAML's C emitter, the same text."""

from __future__ import annotations

from pathlib import Path

import pytest

import placesim as ps
from placesim.results import scenario_yaml

ROOT = Path(__file__).resolve().parent.parent
FILES = ["scenarios/brent/siloed.yaml", "scenarios/brent/int_full.yaml", "scenarios/brent/int_pilot.yaml",
         "scenarios/validation/mmc.yaml", "scenarios/validation/jackson.yaml"]


@pytest.mark.parametrize("path", FILES)
def test_scenario_yaml_is_to_yaml(path):
    sc = ps.load_scenario(ROOT / path)
    text = scenario_yaml(sc)
    assert text == sc.to_yaml()
    assert ps.Scenario.from_yaml(text) == sc


def test_scenario_yaml_keeps_unicode():
    sc = ps.load_scenario(ROOT / FILES[0])
    renamed = sc.with_overrides({"name": "Brent – café «siloed»"})
    text = scenario_yaml(renamed)
    assert "café «siloed»" in text and text == renamed.to_yaml()
