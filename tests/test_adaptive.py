"""The six-month decision, simulated: an adaptive option built from two continuations of a pilot."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import placesim as ps
from placesim.errors import ScenarioError

TOY = Path(__file__).parent / "scenarios"

# A lenient review (alpha 0.3) so that both continuations are taken in some worlds: these
# tests are of the world-by-world choice, not of the review's power (at 0.05 the toy pilot's
# review finds the fall in about 1 world in 8; at 0.3 in 4 of these 8).
OPTIONS = """\
placesim_options: 1
name: Toy decision
base:
  scenario: toy_siloed.yaml
  overrides:
    time: {horizon_days: 720}
economics:
  price_year: 2023/24
options:
  pilot_stops:
    description: the pilot in A from day 180, stopped at its six-month review
    scenario: toy_int.yaml
    overrides:
      int:
        days_per_week: 5
        neighbourhoods: {A: {start_day: 180, end_day: 360}}
  pilot_scales:
    description: the pilot in A from day 180, and a team in B from day 390
    scenario: toy_int.yaml
    overrides:
      int:
        days_per_week: 5
        neighbourhoods: {A: {start_day: 180}, B: {start_day: 390}}
  decide:
    description: the pilot, then scale up if its review sees crises fall, else stop
    adaptive: {if_fall: pilot_scales, if_not: pilot_stops, months: 6, alpha: 0.3}
run: {replications: 8, seed: 3}
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("decision")
    for name in ("toy_siloed.yaml", "toy_int.yaml"):
        shutil.copy(TOY / name, folder / name)
    (folder / "options.yaml").write_text(OPTIONS)
    return ps.run_options(folder / "options.yaml", executor="serial", break_evens=False), folder


def test_each_world_takes_the_continuation_its_review_chose(run):
    r, _ = run
    (d,) = r.decisions
    assert d.option == "decide" and d.decided_on_day == 360
    assert 0 < d.p_scale < 1  # the toy review finds the fall in some worlds and not others
    crises = {k: r.comparison.results[k].ds["crises"].sum(("neighbourhood", "cohort", "domain", "time")).to_numpy()
              for k in ("decide", "pilot_scales", "pilot_stops")}
    np.testing.assert_array_equal(crises["decide"], np.where(d.scaled, crises["pilot_scales"], crises["pilot_stops"]))
    per = {k: r.appraisal.per_replication(k)["npv_gbp"].to_numpy() for k in ("decide", "pilot_scales", "pilot_stops")}
    np.testing.assert_allclose(per["decide"], np.where(d.scaled, per["pilot_scales"], per["pilot_stops"]), rtol=1e-12)


def test_the_decision_is_in_the_table_and_the_report(run):
    r, folder = run
    table = r.table()
    assert table.loc["decide", "p_scale"] == pytest.approx(r.decisions[0].p_scale)
    assert np.isnan(table.loc["pilot_stops", "p_scale"])
    paths = r.write(folder / "out")
    page = paths["report.html"].read_text()
    assert "id='decision-decide'" in page and "The six-month decision" in page


def test_continuations_that_differ_before_the_review_are_refused(tmp_path):
    for name in ("toy_siloed.yaml", "toy_int.yaml"):
        shutil.copy(TOY / name, tmp_path / name)
    text = OPTIONS.replace("B: {start_day: 390}", "B: {start_day: 200}").replace("replications: 8", "replications: 2")
    (tmp_path / "options.yaml").write_text(text)
    with pytest.raises(ps.PlacesimError, match="differ before the review ends"):
        ps.run_options(tmp_path / "options.yaml", executor="serial", break_evens=False)


@pytest.mark.parametrize("change, message", [
    (("adaptive: {if_fall: pilot_scales,", "adaptive: {if_fall: nowhere,"), r"options\.decide\.adaptive\.if_fall.*unknown option 'nowhere'"),
    (("    adaptive:", "    scenario: toy_int.yaml\n    adaptive:"), r"options\.decide.*give no scenario or overrides"),
    (("adaptive: {if_fall: pilot_scales,", "adaptive: {if_fall: decide,"), r"options\.decide\.adaptive\.if_fall.*unknown option 'decide'"),
])
def test_bad_adaptive_options_are_refused_with_the_line(tmp_path, change, message):
    for name in ("toy_siloed.yaml", "toy_int.yaml"):
        shutil.copy(TOY / name, tmp_path / name)
    (tmp_path / "options.yaml").write_text(OPTIONS.replace(*change))
    with pytest.raises(ScenarioError, match=message) as exc:
        ps.load_options(tmp_path / "options.yaml")
    assert "options.yaml:" in str(exc.value)
