"""The PSA in the options report and its key messages (issue 13, item 6): the chance each
option pays back, the acceptability curve, the cost-effectiveness plane, the tornado and the
EVPPI bars, each with its reading, added by ``placesim options --psa`` or
``OptionsRun.uncertainty``; a PSA of other options is refused."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from toy_files import UNCERTAIN_OPTIONS, toy_options_folder

import placesim as ps
from placesim.cli import main
from placesim.errors import PlacesimError
from placesim.formatting import pct
from placesim.options import run_options
from placesim.report.addition import check_additions
from placesim.uncertainty.voi import SampleSizeWarning


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return toy_options_folder(tmp_path_factory.mktemp("options_psa"), UNCERTAIN_OPTIONS)


@pytest.fixture(scope="module")
def psa(folder):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SampleSizeWarning)
        u = ps.uncertainty(folder / "options.yaml", samples=64, executor="serial")
        u.sensitivity(("tornado",), executor="serial")
        u.write(folder / "psa")
    return u


@pytest.fixture(scope="module")
def report(folder, psa):
    run = run_options(folder / "options.yaml", replications=2, executor="serial", break_evens=False)
    run.uncertainty = psa
    paths = run.write(folder / "out")
    return run, paths["report.html"].read_text()


def test_the_options_report_has_the_psa_section_with_each_figure_and_reading(report):
    _, html = report
    assert "id='uncertainty'" in html and "Decisions under uncertainty" in html
    for figure in ("pays-back", "ce-plane", "ceac", "tornado", "evppi"):
        assert f"id='{figure}'" in html or f'id="{figure}"' in html, figure
    for reading in ("pays back in", "is the most likely best choice", "moves the NPV most"):
        assert reading in html, reading
    # the options are named as the rest of the report names them (two share their scenario's name)
    section = html[html.index("<section id='uncertainty'>"):html.index("<section id='assumptions'>")]
    assert "toy INT (pilot) pays back in" in section and "toy INT (bigger) pays back in" in section
    # the section comes before the assumptions, and the contents list it
    assert html.index("<section id='uncertainty'>") < html.index("<section id='assumptions'>")
    assert html.count("href='#uncertainty'") + html.count('href="#uncertainty"') == 1


def test_the_key_message_gives_the_chance_the_likeliest_option_pays_back(report, psa):
    run, html = report
    d = pd.DataFrame(psa.decision())
    best = d.loc[psa.options, "p_npv_positive"].max()
    messages = {m.id: m for m in ps.report.messages.key_messages(run.appraisal, run.comparison.names,
                                                                    additions=run.additions)}
    m = messages["uncertainty"]
    assert m.figure == pct(best)
    assert ("any option" in m.caption) == (best == 0)  # no option pays back: no option is singled out
    assert len(m.points) == len(psa.options)
    assert f"{len(psa.ds['draw']):,} draws" in m.caption
    assert "system-dynamics twin" in m.text  # an SD PSA says its NPVs may differ from the DES figures
    assert "id='message-uncertainty'" in html
    # after the payback and crises messages, before the review's
    ids = re.findall(r"id='message-([a-z-]+)'", html)
    assert ids.index("uncertainty") == 2 and ids.index("review") > 2


def test_the_command_adds_a_finished_psa_and_prints_its_key_message(folder, psa):
    out = folder / "cli_out"
    result = CliRunner().invoke(main, ["options", str(folder / "options.yaml"), "--out", str(out), "--replications",
                                       "2", "--executor", "serial", "--no-break-even", "--no-progress",
                                       "--psa", str(folder / "psa")])
    assert result.exit_code == 0, result.output
    assert "draws of the assumptions" in result.stdout
    assert "id='uncertainty'" in (out / "report.html").read_text()


def test_the_command_refuses_a_psa_that_is_not_there(folder, tmp_path):
    result = CliRunner().invoke(main, ["options", str(folder / "options.yaml"), "--out", str(tmp_path / "o"),
                                       "--replications", "2", "--executor", "serial", "--no-break-even",
                                       "--no-progress", "--psa", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "expected a number of draws" in result.output


def test_a_psa_of_other_options_is_refused(psa):
    with pytest.raises(PlacesimError, match="compares with 'baseline', the report with 'siloed'"):
        check_additions([psa], "siloed", psa.options)
    with pytest.raises(PlacesimError, match="option\\(s\\) 'bigger' that the report does not"):
        check_additions([psa], "baseline", ["pilot"])


def test_a_psa_read_back_from_its_folder_keeps_its_tornado(folder, psa):
    back = ps.Uncertainty.open(folder / "psa")
    assert back.sensitivity_table is not None and (back.sensitivity_table["method"] == "tornado").any()
    pd.testing.assert_frame_equal(pd.DataFrame(back.decision()), pd.DataFrame(psa.decision()))
    with pytest.raises(PlacesimError, match="not a PSA"):
        ps.Uncertainty.open(folder / "options.yaml")


def test_the_review_cost_is_set_beside_the_value_of_its_evidence(tmp_path):
    from placesim.uncertainty.report import evsi_reading

    text = UNCERTAIN_OPTIONS.replace("review: {option: pilot, months: 2}",
                                     "review: {option: pilot, months: 2, cost_gbp: 5000}")
    assert text != UNCERTAIN_OPTIONS
    root = toy_options_folder(tmp_path, text)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SampleSizeWarning)
        u = ps.uncertainty(root / "options.yaml", samples=64, executor="serial")
        table = u.evppi()
    row = table.set_index("parameter").loc["six_month_review"]
    assert row["cost_gbp"] == 5000
    reading = evsi_reading(table)
    assert "It costs £5,000 (review.cost_gbp)" in reading
    worth = row["evppi_population_gbp"] >= 5000
    assert ("so it is worth running" in reading) == worth
    assert ("more than its evidence is worth" in reading) == (not worth)
    # without a cost, the reading says EVSI is the most the evaluation is worth
    assert "No cost is given" in evsi_reading(table.assign(cost_gbp=float("nan")))
