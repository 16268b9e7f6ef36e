"""Options that are more than a scenario, in the PSA (issue 13): "pilot, then decide" (at each
draw the adaptive option is the continuation its review chose, from the continuations' own
runs; the SD review sees Poisson counts around its expected ones, so both branches are taken
across the draws) and reinvesting options (run again year by year at each draw)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from toy_files import line_of, toy_options_folder

import placesim as ps
from placesim.errors import ScenarioError
from placesim.formatting import pct
from placesim.uncertainty.files import load_uncertainty
from placesim.uncertainty.voi import SampleSizeWarning

OPTIONS = """\
placesim_options: 1
name: Toy pilot, then decide
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
  pilot_stops:
    scenario: toy_int.yaml
    overrides:
      int:
        neighbourhoods: {A: {start_day: 90, end_day: 150}}
  decide:
    name: Pilot, then decide
    adaptive: {if_fall: pilot, if_not: pilot_stops, months: 2, alpha: 0.2}
uncertainty:
  samples: 64
  options: [pilot, pilot_stops, decide]
  parameters:
    effect:
      path: int.effect.escalation_multiplier
      distribution: {kind: uniform, low: 0.05, high: 1.0}
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return toy_options_folder(tmp_path_factory.mktemp("adaptive_psa"), OPTIONS)


@pytest.fixture(scope="module")
def psa(folder):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SampleSizeWarning)
        return ps.uncertainty(folder / "options.yaml", executor="serial")


def test_the_adaptive_option_is_run_from_its_continuations(folder):
    s = load_uncertainty(folder / "options.yaml")
    assert s.options == ["pilot", "pilot_stops", "decide"]
    assert "decide" not in s.scenarios  # no run of its own
    assert s.adaptive["decide"].if_fall == "pilot" and s.adaptive["decide"].alpha == 0.2


def test_at_each_draw_it_takes_the_figures_of_the_continuation_its_review_chose(psa):
    v = psa.ds["value"]
    scaled = psa.ds["p_scale"].sel(adaptive="decide").values
    assert set(np.unique(scaled)) <= {0.0, 1.0}  # the SD: one world a draw
    for d, s in enumerate(scaled):
        want = v.sel(option="pilot" if s else "pilot_stops").isel(draw=d).values
        np.testing.assert_array_equal(v.sel(option="decide").isel(draw=d).values, want)
    for var in ("int_cost_by_org", "npv_by_org"):
        took = np.where(scaled[:, None], psa.ds[var].sel(option="pilot").values,
                        psa.ds[var].sel(option="pilot_stops").values)
        np.testing.assert_array_equal(psa.ds[var].sel(option="decide").values, took)
    # both branches are taken over the draws: the review errs both ways, or the effect decides
    assert 0 < scaled.mean() < 1


def test_a_review_that_sees_no_fall_scales_at_most_at_its_level(folder, psa):
    """At the toy's own values the pilot does not lower its area's expected crises over the
    review (its case-finding brings crises forward), so a fall the review finds is mostly a
    false alarm, which the exact test makes at most alpha (0.2) of the time: the share of
    draws scaled must be within three standard errors of at most 0.2 (64 draws: 0.2 + 3 x
    0.05), and above zero (the review's counts are drawn, not the expected ones)."""
    from placesim.uncertainty.adaptive import review_evidence

    sc = ps.load_options(folder / "options.yaml").scenarios
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = ps.compare({"baseline": sc["baseline"], "pilot_stops": sc["pilot_stops"]}, 1, 1, engine="sd").ds
    pre, post, share = review_evidence(ds, "pilot_stops", sc["pilot_stops"], 2)
    assert post[0] / share >= pre[0] / (1 - share)  # no expected fall: the premise
    scaled = psa.ds["p_scale"].sel(adaptive="decide").values
    assert 0 < scaled.mean() <= 0.2 + 3 * np.sqrt(0.2 * 0.8 / scaled.size)


def test_a_section_without_the_continuations_is_refused_naming_the_line(folder, tmp_path):
    text = OPTIONS.replace("options: [pilot, pilot_stops, decide]", "options: [pilot, decide]")
    root = toy_options_folder(tmp_path, text)
    with pytest.raises(ScenarioError) as exc:
        load_uncertainty(root / "options.yaml")
    msg = str(exc.value)
    assert "add 'pilot_stops' to the section's options" in msg
    assert f"options.yaml:{line_of(text, 'options: [pilot, decide]')}:" in msg


def test_a_des_psa_decides_world_by_world(folder):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        u = ps.uncertainty(folder / "options.yaml", samples=8, engine="des", replications=3, executor="serial")
    p = u.ds["p_scale"].sel(adaptive="decide").values
    assert ((p * 3) == np.round(p * 3)).all()  # a share of three worlds
    assert np.isfinite(u.ds["mc_se"].sel(option="decide", measure="npv_gbp").values).all()


def test_the_report_says_how_often_the_review_scaled_up(psa, tmp_path):
    paths = psa.write(tmp_path / "out")
    html = paths["report.html"].read_text()
    share = float(psa.ds["p_scale"].sel(adaptive="decide").mean())
    assert f"Pilot, then decide: its review saw crises fall, and went on as toy INT (pilot), in {pct(share)}" in html


REINVEST = """\
placesim_options: 1
name: Toy shift upstream
base:
  scenario: toy_siloed.yaml
economics:
  price_year: 2023/24
  cashable: {ta: 1.0, default: 1.0}
options:
  team:
    scenario: toy_int.yaml
    overrides:
      int:
        days_per_week: 5
        neighbourhoods: {A: {start_day: 30}}
  team_reinvesting:
    scenario: toy_int.yaml
    overrides:
      int:
        days_per_week: 5
        neighbourhoods: {A: {start_day: 30}}
    reinvest: {share: 0.5, into: advice, cost_gbp_per_place_per_year: 2000}
uncertainty:
  samples: 8
  parameters:
    effect:
      path: int.effect.escalation_multiplier
      distribution: {kind: uniform, low: 0.1, high: 0.9}
"""


def test_a_reinvesting_option_is_run_again_each_year_at_each_draw(tmp_path):
    root = toy_options_folder(tmp_path, REINVEST)
    s = load_uncertainty(root / "options.yaml")
    assert s.options == ["team", "team_reinvesting"] and not s.skipped
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        u = ps.uncertainty(root / "options.yaml", executor="serial")
    v = u.ds["value"]
    moved = v.sel(option="team_reinvesting", measure="npv_gbp") - v.sel(option="team", measure="npv_gbp")
    assert (moved != 0).all()  # the places bought change the NPV at every draw
    # draw 3 is the reinvesting run at its values: the same figures as reinvest() by hand
    of = ps.load_options(root / "options.yaml")
    effect = float(u.ds["parameter_value"].sel(parameter="effect").isel(draw=3))
    scenarios = {k: sc.with_overrides({"int": {"effect": {"escalation_multiplier": effect}}}) if k != "baseline"
                 else sc for k, sc in of.scenarios.items()}
    from placesim.reinvest import reinvest
    from placesim.uncertainty.psa import draw_seed
    seed = draw_seed(u.ds.attrs["seed"], 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = ps.compare(scenarios, 1, seed, engine="sd")
        results, made = reinvest(c, "team_reinvesting", scenarios["team_reinvesting"], into="advice", share=0.5,
                                    cost_gbp_per_place_per_year=2000, replications=1, seed=seed)
        c.results["team_reinvesting"] = results
        a = ps.appraise(ps.Comparison(dict(c.results), "baseline"))
    assert made.years["reinvested_gbp"].sum() > 0
    assert float(v.sel(option="team_reinvesting", measure="npv_gbp").isel(draw=3)) == pytest.approx(
        float(a.summary().loc["team_reinvesting", "npv_gbp"]), rel=1e-9)


def test_options_left_out_are_named_as_the_report_names_them(tmp_path):
    from placesim.uncertainty.report import parts

    text = OPTIONS.replace("options: [pilot, pilot_stops, decide]", "options: [pilot, pilot_stops]")
    root = toy_options_folder(tmp_path, text)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        u = ps.uncertainty(root / "options.yaml", samples=8, executor="serial")
    intro = parts(u, u.evppi())[0][2]
    assert "Not in this analysis: Pilot, then decide, not in the section&#x27;s options list." in intro
