"""`placesim new FILE`: a complete, commented starter scenario that validates and runs."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import placesim as ps
from placesim.cli import main
from placesim.scenario.sources import leaf_paths
from placesim.scenario.yamlio import dotted
from placesim.starter import starter_text, write_starter


@pytest.fixture()
def written(tmp_path: Path) -> Path:
    path = tmp_path / "place.yaml"
    result = CliRunner().invoke(main, ["new", str(path), "--name", "Camden: a test"])
    assert result.exit_code == 0, result.output
    assert f"placesim validate {path}" in result.stdout
    return path


def test_the_starter_loads_and_runs_a_short_system_dynamics_simulation(written):
    scenario = ps.load_scenario(written)
    assert scenario.name == "Camden: a test"  # a name YAML would misread is quoted
    assert scenario.int_team is not None and scenario.model.economics is not None
    assert scenario.warnings() == []
    short = scenario.with_overrides({"time": {"horizon_days": 240, "warmup_days": 60}})
    with warnings.catch_warnings():
        warnings.simplefilter("error", ps.PlacesimWarning)
        results = ps.simulate(short, 1, engine="sd", warmup_check=False)
    summary = results.summary()
    assert summary.loc["crises", "mean"] > 0 and summary.loc["cost: total", "mean"] > 0
    assert "crises in North (INT area)" in summary.index  # the team opens on day 180, inside the 240
    comparison = ps.compare({"without": short.with_overrides({"int": None}), "with": short}, 1, engine="sd")
    assert comparison.appraise().summary().loc["with", "int_cost_gbp"] > 0  # the economics value it


def test_every_figure_of_the_starter_says_where_it_comes_from(written):
    scenario = ps.load_scenario(written)
    data = yaml.safe_load(written.read_text())
    bare = []
    for leaf in leaf_paths(data):
        value = data
        for key in leaf:
            value = value[key]
        if isinstance(value, (int, float)) and not isinstance(value, bool) and not scenario.sources.get(dotted(leaf)):
            bare.append(dotted(leaf))
    assert bare == []
    text = written.read_text()
    assert text.count("# assumption") > 40 and text.count("# example") >= 8
    for section in ("time:", "neighbourhoods:", "domains:", "coupling:", "cohorts:", "services:", "int:",
                    "economics:"):
        assert f"\n{section}" in text, section


def test_new_refuses_to_overwrite_unless_forced(written):
    before = written.read_text()
    written.write_text("mine")
    result = CliRunner().invoke(main, ["new", str(written)])
    assert result.exit_code == 2 and "exists; choose another name, or --force" in result.stderr
    assert written.read_text() == "mine"
    assert CliRunner().invoke(main, ["new", str(written), "--force", "--name", "Camden: a test"]).exit_code == 0
    assert written.read_text() == before
    with pytest.raises(ps.PlacesimError, match="is a folder"):
        write_starter(written.parent)
    with pytest.raises(ps.PlacesimError, match="one line"):
        starter_text("two\nlines")
