"""Input that runs but is probably not what was meant gets a warning, not an error: too few
replications, an INT team that opens after the horizon, a cohort of no one. In Python they
are PlacesimWarning; the command line prints them on stderr and carries on."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

import placesim as ps
from placesim.cautions import MIN_REPLICATIONS, replication_warning
from placesim.cli import main

TOY = Path(__file__).parent / "scenarios"
SHORT = {"horizon_days": 120, "warmup_days": 30, "report_every_days": 30}

LATE = """\
placesim: 1
extends: {toy}
name: toy INT, late
time: {{horizon_days: 120, warmup_days: 30, report_every_days: 30}}
int:
  neighbourhoods:
    A: {{start_day: 150}}
"""


def placesim_warnings(record: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in record if issubclass(w.category, ps.PlacesimWarning)]


@pytest.fixture()
def late(tmp_path: Path) -> Path:
    path = tmp_path / "late.yaml"
    path.write_text(LATE.format(toy=TOY / "toy_int.yaml"))
    return path


def test_fewer_than_five_replications_warn_and_five_do_not(toy_scenario):
    sc = toy_scenario("siloed", **SHORT)
    with pytest.warns(ps.PlacesimWarning, match=r"^2 replications: with fewer than 5") as record:
        ps.simulate(sc, 2, seed=1, warmup_check=False)
    assert record[0].filename == __file__  # pointed at the caller's line, not inside placesim
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        ps.simulate(sc, MIN_REPLICATIONS, seed=1, warmup_check=False)
        ps.simulate(sc, 1, engine="sd", warmup_check=False)  # one exact run: nothing to warn of
    assert placesim_warnings(record) == []
    assert replication_warning(4) and not replication_warning(5) and not replication_warning(1, "sd")


def test_a_team_opening_after_the_horizon_warns_with_its_file_and_line(late):
    scenario = ps.load_scenario(late)
    [problem] = scenario.warnings()
    assert (problem.file, problem.line, problem.path) == (str(late), 7, "int.neighbourhoods.A.start_day")
    assert "opens on day 150" in problem.message and "horizon of 120 days" in problem.message
    with pytest.warns(ps.PlacesimWarning, match="never works in the reported period"):
        ps.simulate(scenario, 1, engine="sd", warmup_check=False)
    # the ramp's delay counts: a team that starts in time but opens too late
    delayed = scenario.with_overrides({"int": {"neighbourhoods": {"A": {"start_day": 100}}, "ramp": {"delay_days": 30}}})
    assert "opens on day 130 (start_day 100 + ramp.delay_days 30)" in delayed.warnings()[0].message
    assert scenario.with_overrides({"int": {"neighbourhoods": {"A": {"start_day": 60}}}}).warnings() == []


def test_a_cohort_of_no_one_warns(toy_scenario):
    sc = toy_scenario("int", **SHORT).with_overrides({"cohorts": {"hardship": {"size": {"A": 0, "B": 0}}}})
    [problem] = sc.warnings()
    assert problem.path == "cohorts.hardship.size" and "no residents in any neighbourhood" in problem.message
    one = toy_scenario("int", **SHORT).with_overrides({"cohorts": {"hardship": {"size": {"A": 0, "B": 1}}}})
    assert one.warnings() == []


def test_the_command_line_prints_warnings_on_stderr_once_and_carries_on(late):
    result = CliRunner().invoke(main, ["validate", str(late)])
    assert result.exit_code == 0, result.output
    assert f"warning: {late}:7: int.neighbourhoods.A.start_day: the A team opens on day 150" in result.stderr
    assert "ok " in result.stdout
    siloed = late.parent / "siloed.yaml"
    siloed.write_text(f"placesim: 1\nextends: {TOY / 'toy_siloed.yaml'}\n"
                      "time: {horizon_days: 120, warmup_days: 30, report_every_days: 30}\n")
    result = CliRunner().invoke(main, ["compare", str(siloed), str(late), "-r", "2", "--seed", "1",
                                       "--executor", "serial", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert result.stderr.count("warning: 2 replications: with fewer than 5") == 1  # two scenarios, said once
    assert result.stderr.count("never works in the reported period") == 1
    assert "Comparison" in result.stdout
