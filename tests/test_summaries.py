"""Summaries beside the whole place: the crises of the neighbourhoods where an INT works, in
results and comparisons; options called by their names; results that display readably."""

from __future__ import annotations

import re

import numpy as np
import pytest

import placesim as ps
from placesim.results import area_label, int_neighbourhoods

SHORT = {"horizon_days": 120, "warmup_days": 30, "report_every_days": 30}


@pytest.fixture(scope="module")
def comparison(toy_scenario) -> ps.Comparison:
    siloed, pilot = toy_scenario("siloed", **SHORT), toy_scenario("int", **SHORT)
    return ps.compare({"siloed": siloed, "pilot": pilot}, replications=5, seed=2)


def per_replication_crises(results: ps.Results, neighbourhood: str) -> np.ndarray:
    return results.ds["crises"].sel(neighbourhood=neighbourhood).sum(("time", "cohort", "domain")).values


def test_summary_has_a_row_for_each_neighbourhood_where_the_int_works(comparison):
    pilot = comparison.results["pilot"]
    assert int_neighbourhoods(pilot.ds) == ["A"] and int_neighbourhoods(comparison.results["siloed"].ds) == []
    summary = pilot.summary()
    assert area_label("A") in summary.index and area_label("B") not in summary.index
    assert list(summary.index).index(area_label("A")) < list(summary.index).index("help-seeking presentations")
    assert summary.loc[area_label("A"), "mean"] == pytest.approx(per_replication_crises(pilot, "A").mean())
    assert summary.loc[area_label("A"), "mean"] < summary.loc["crises", "mean"]
    assert summary.loc[area_label("A"), "unit"] == "crises"
    chosen = pilot.summary(areas=["B"])
    assert area_label("B") in chosen.index and area_label("A") not in chosen.index
    with pytest.raises(ps.PlacesimError, match="no neighbourhood 'C'.*A, B"):
        pilot.summary(areas=["C"])


def test_a_comparison_gives_the_int_area_in_every_scenario_with_its_paired_difference(comparison):
    assert comparison.int_areas == ["A"]
    row = comparison.summary().loc[area_label("A")]
    base = per_replication_crises(comparison.results["siloed"], "A")
    pilot = per_replication_crises(comparison.results["pilot"], "A")
    assert row[("siloed", "mean")] == pytest.approx(base.mean())  # the baseline has no INT but gets the row
    assert row[("pilot - siloed", "mean")] == pytest.approx((pilot - base).mean())
    diff = comparison.differences().loc[("pilot", area_label("A"))]
    assert diff["lower"] < diff["mean"] < diff["upper"]


def test_comparisons_display_readable_figures(comparison):
    shown = repr(comparison.summary()) + comparison._repr_html_() + comparison.results["pilot"]._repr_html_()
    shown += repr(comparison.results["pilot"].service_summary())
    assert not re.search(r"\d[eE][+-]?\d", shown)
    assert re.search(r"£\d{1,3}(,\d{3})+", shown)
    assert not re.search(r"£[\d,]+\.\d", shown)  # no pennies
    assert comparison.summary()[("siloed", "mean")].dtype == float


def test_options_are_called_by_their_names_and_shared_names_keep_their_labels(comparison, toy_scenario):
    assert comparison.names == {"siloed": "toy siloed", "pilot": "toy INT"}
    one = comparison.results["pilot"]
    twice = ps.Comparison({"base": comparison.results["siloed"], "a": one, "b": one})
    assert twice.names == {"base": "toy siloed", "a": "toy INT (a)", "b": "toy INT (b)"}
