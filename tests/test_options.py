"""Options files, the options command and the break-even search, on the toy place."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from toy_files import line_of, toy_options_folder

import placesim as ps
from placesim.cli import main
from placesim.errors import ScenarioError

TOY = Path(__file__).parent / "scenarios"

OPTIONS = """\
placesim_options: 1
name: Toy options
base:
  scenario: toy_siloed.yaml
  overrides:
    time: {horizon_days: 540}
economics:
  price_year: 2023/24
  cashable: {ta: 1.0}
options:
  pilot:
    name: Pilot, one day a week in A
    description: one day a week in A from day 183
    scenario: toy_int.yaml
    overrides:
      int:
        neighbourhoods: {A: {start_day: 183}}
  bigger:
    scenario: toy_int.yaml
    overrides:
      int:
        days_per_week: 5
        neighbourhoods: {A: {start_day: 183}}
run: {replications: 3, seed: 4}
review: {option: pilot, months: 6}
"""


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    return toy_options_folder(tmp_path, OPTIONS)


def test_options_build_every_scenario(folder):
    of = ps.load_options(folder / "options.yaml")
    assert list(of.scenarios) == ["baseline", "pilot", "bigger"]
    for s in of.scenarios.values():
        assert s.time.horizon_days == 540 and s.model.economics.price_year == "2023/24"
    assert of.scenarios["baseline"].int_team is None
    assert of.scenarios["bigger"].int_team.days_per_week == 5
    assert of.scenarios["pilot"].int_team.neighbourhoods["A"].start_day == 183
    # an option's name is its scenario's name; without one, the scenario file's name stays
    assert of.scenarios["pilot"].name == "Pilot, one day a week in A"
    assert of.scenarios["bigger"].name == "toy INT" and of.scenarios["baseline"].name == "toy siloed"


@pytest.mark.parametrize("change, needle, message", [
    (("        days_per_week: 5", "        days_per_wek: 5"), "days_per_wek", "did you mean 'days_per_week'"),
    (("review: {option: pilot, months: 6}", "review: {option: pilt, months: 6}"), "review:", "unknown option 'pilt'"),
    (("run: {replications: 3, seed: 4}", "run: {replications: 3, sed: 4}"), "run:", "unknown field 'sed'"),
    (("  price_year: 2023/24", "  price_year: 2023/2024"), "price_year: 2023/2024", "financial year like"),
    (("    scenario: toy_int.yaml\n    overrides:\n      int:\n        days_per_week",
      "    scenario: nope.yaml\n    overrides:\n      int:\n        days_per_week"), "nope.yaml", "not found"),
])
def test_bad_options_files_name_the_file_line_and_field(folder, change, needle, message):
    text = OPTIONS.replace(*change)
    assert text != OPTIONS
    (folder / "options.yaml").write_text(text)
    with pytest.raises(ScenarioError) as exc:
        ps.load_options(folder / "options.yaml")
    msg = str(exc.value)
    assert message in msg
    assert f"options.yaml:{line_of(text, needle)}:" in msg


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory):
    folder = toy_options_folder(tmp_path_factory.mktemp("toy"), OPTIONS)
    run = ps.run_options(folder / "options.yaml", executor="serial")
    return run, run.write(folder / "out")


def test_options_run_writes_the_table_results_and_report(toy_run):
    run, paths = toy_run
    table = pd.read_csv(paths["options.csv"], index_col="option")
    assert list(table.index) == ["pilot", "bigger"]
    assert {"npv_gbp", "npv_gbp_lower", "npv_gbp_upper", "bcr", "payback_month", "crises_averted",
            "cost_per_crisis_averted_gbp"} <= set(table.columns)
    appraisal_columns = list(run.appraisal.summary().columns)
    pd.testing.assert_frame_equal(table[appraisal_columns], run.appraisal.summary(), check_names=False,
                                  check_freq=False, check_exact=False, rtol=1e-12)
    assert table.loc["pilot", "review_power"] == run.review.power
    assert table.loc["pilot", "review_false_alarm_upper"] == run.review.false_alarm_interval[1]
    assert pd.isna(table.loc["bigger", "review_power"])
    shown = repr(run.table())  # at the prompt and in a notebook: pounds whole, shares as percentages
    assert "£" in shown and " %" in shown and not re.search(r"\d[eE][+-]?\d", shown)
    orgs = pd.read_csv(paths["organisations.csv"], index_col=["option", "organisation"])
    assert orgs.loc["pilot", "int_cost_gbp"].sum() == pytest.approx(table.loc["pilot", "int_cost_gbp"], rel=1e-9)
    reopened = ps.Comparison.open(paths["results.nc"])
    assert reopened.labels == ["baseline", "pilot", "bigger"]
    again = reopened.appraise().summary()
    pd.testing.assert_frame_equal(again, run.appraisal.summary(), check_exact=False, rtol=1e-12)
    assert run.review is not None and run.review.option == "pilot" and 0 <= run.review.power <= 1
    html = paths["report.html"].read_text()
    assert "<html" in html.lower() and "pilot" in html
    assert "<strong>Pilot, one day a week in A</strong><span class='ci'>pilot</span>" in html  # name, then label
    assert run.comparison.names["pilot"] == "Pilot, one day a week in A"


def test_options_command_prints_the_table_and_writes_the_folder(folder):
    out = folder / "out"
    result = CliRunner().invoke(main, ["options", str(folder / "options.yaml"), "--out", str(out), "-r", "2",
                                       "--executor", "serial", "--no-progress"])
    assert result.exit_code == 0, result.output
    printed = result.stdout
    # the answer first: key messages, then one row per option, by name
    assert printed.index("key messages") < printed.index("net present value") < printed.index("Payback")
    assert "Pilot, one day a week in A" in printed and "chance that the review sees the pilot's effect" in printed
    assert "warning: 2 replications" in result.stderr
    assert {p.name for p in out.iterdir()} == {"options.csv", "organisations.csv", "appraisal.xlsx", "results.nc",
                                              "report.html"}
    report = CliRunner().invoke(main, ["report", str(out / "results.nc"), "-o", str(folder / "again.html")])
    assert report.exit_code == 0, report.output
    assert (folder / "again.html").read_text().count("<img") >= 3


def test_options_command_refuses_a_bad_file_with_exit_2(folder):
    (folder / "options.yaml").write_text(OPTIONS.replace("review: {option: pilot", "review: {option: nope"))
    result = CliRunner().invoke(main, ["options", str(folder / "options.yaml"), "--out", str(folder / "o")])
    assert result.exit_code == 2
    assert "options.yaml:" in result.output and "unknown option 'nope'" in result.output
    assert not (folder / "o").exists()


@pytest.mark.parametrize("engine", ["sd", "des"])
def test_break_even_finds_the_cost_at_which_npv_is_zero(engine):
    """Baseline and option are the same INT; only the option's set-up cost varies, so NPV
    is exactly linear in it and zero at the baseline's own 20,000 (common random numbers)."""
    econ = {"economics": {"price_year": "2023/24", "optimism_bias_percent": 10}}
    base = ps.load_scenario(TOY / "toy_int.yaml").with_overrides({**econ, "time": {"horizon_days": 360}})
    b = ps.break_even(base, base, "int.costs.setup_gbp", (0.0, 50_000.0), replications=2, seed=3,
                      engine=engine, executor="serial", xtol=1.0)
    assert b.value == pytest.approx(20_000.0, abs=1.0)
    ev = b.evaluations
    assert ev["npv_gbp"].iloc[0] > 0 > ev["npv_gbp"].iloc[-1]
    # NPV falls by the uplifted set-up cost: 1.1 per GBP, undiscounted in year 0.
    slope = (ev["npv_gbp"].iloc[-1] - ev["npv_gbp"].iloc[0]) / (ev["value"].iloc[-1] - ev["value"].iloc[0])
    assert slope == pytest.approx(-1.1, rel=1e-9)
    shown = b._repr_html_()  # in a notebook: pounds, whole, with their sign before the pound
    assert f"-£{-ev['npv_gbp'].iloc[-1]:,.0f}" in shown and "e+" not in shown


def test_break_even_reports_no_crossing_and_bad_paths():
    econ = {"economics": {"price_year": "2023/24"}, "time": {"horizon_days": 360}}
    base = ps.load_scenario(TOY / "toy_int.yaml").with_overrides(econ)
    b = ps.break_even(base, base, "int.costs.setup_gbp", (30_000.0, 50_000.0), replications=2, seed=3,
                      engine="sd", executor="serial")
    assert b.value is None and "negative across the whole range" in b.note
    with pytest.raises(ps.PlacesimError, match="no field"):
        ps.break_even(base, base, "int.costs.nope", (0, 1), engine="sd")


def test_guide_field_tables_are_up_to_date():
    from placesim.options_reference import render
    guide = (Path(__file__).resolve().parents[1] / "docs/budget-planners-guide.md").read_text()
    between = guide.split("<!-- options-fields:start -->\n")[1].split("<!-- options-fields:end -->")[0]
    assert between == render(), ("docs/budget-planners-guide.md's field tables are out of date: paste "
                                 "`python -m placesim.options_reference` between the options-fields markers")


@pytest.mark.parametrize("root, rising", [(3, True), (3, False), (1, True), (5, False)])
def test_integer_break_even_is_the_integer_next_to_the_sign_change_where_npv_is_positive(root, rising):
    from placesim.break_even import integer_root
    calls = []

    def npv(k):  # crosses zero between root - 0.5 and root + 0.5
        calls.append(k)
        return (k - root + 0.5) if rising else (root + 0.5 - k)

    found = integer_root(npv, 0, 6)
    assert npv(found) >= 0 and (npv(found - 1) < 0 if rising else npv(found + 1) < 0)
    assert found == root
    assert len(set(calls)) <= 6  # bisection, not a scan


def test_break_even_plot_marks_the_value():
    import matplotlib
    matplotlib.use("Agg")
    econ = {"economics": {"price_year": "2023/24"}, "time": {"horizon_days": 360}}
    base = ps.load_scenario(TOY / "toy_int.yaml").with_overrides(econ)
    b = ps.break_even(base, base, "int.costs.setup_gbp", (0.0, 50_000.0), engine="sd", executor="serial", xtol=1.0)
    fig = b.plot()
    ax = fig.axes[0]
    assert ax.get_xlabel() == "int.costs.setup_gbp"
    assert any(abs(line.get_xdata()[0] - b.value) < 1e-9 for line in ax.get_lines()[1:] if len(line.get_xdata()) == 2)
