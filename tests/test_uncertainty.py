"""Decisions under uncertainty (issue 13): the uncertainty section, the PSA, EVPI and EVPPI.

Statistical checks use fixed seeds and tolerances of a few standard errors of the
estimate they check (stated beside each).
"""

from __future__ import annotations

import math
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from toy_files import UNCERTAIN_OPTIONS, line_of, toy_options_folder

import placesim as ps
from placesim.errors import PlacesimError, ScenarioError
from placesim.uncertainty.files import load_uncertainty
from placesim.uncertainty.sample import draw, iman_conover, unit_design
from placesim.uncertainty.spec import Distribution, UncertaintySection
from placesim.uncertainty.voi import SampleSizeWarning, evpi, evppi_table, unit_normal_loss


def section(**parameters: dict) -> UncertaintySection:
    return UncertaintySection.model_validate({"parameters": {
        k: {"path": f"x.{k}", "distribution": v} for k, v in parameters.items()}, "seed": 7})


# ---------------------------------------------------------------------------- distributions


@pytest.mark.parametrize("kind, fields", [
    ("lognormal", {"mean": 2.0, "sd": 0.5}), ("gamma", {"mean": 3.0, "sd": 1.2}), ("beta", {"mean": 0.3, "sd": 0.1}),
    ("normal", {"mean": -1.0, "sd": 2.0})])
def test_mean_and_sd_parametrisations_give_the_mean_and_sd_stated(kind, fields):
    f = Distribution(kind=kind, **fields).frozen()
    assert f.mean() == pytest.approx(fields["mean"], rel=1e-9)
    assert f.std() == pytest.approx(fields["sd"], rel=1e-9)


def test_truncation_keeps_every_draw_within_the_bounds_and_the_triangle_its_mode():
    d = Distribution(kind="normal", mean=0.5, sd=0.4, bounds=(0, 1))
    x = d.ppf(np.linspace(0, 1, 1001))
    assert x.min() >= 0 and x.max() <= 1 and d.median == pytest.approx(0.5)
    t = Distribution(kind="triangular", low=0.5, mode=0.65, high=1.0)
    assert t.frozen().pdf(0.65) == pytest.approx(2 / 0.5)


def test_iman_conover_gives_the_rank_correlation_and_keeps_each_marginal():
    u = unit_design(2048, 3, "sobol", 3)
    target = np.array([[1, 0.6, -0.3], [0.6, 1, 0], [-0.3, 0, 1]])
    v = iman_conover(u, target)
    rho = stats.spearmanr(v).statistic
    # the standard error of a rank correlation near these values is about 1/sqrt(n) = 0.022
    assert np.abs(rho - target).max() < 0.05
    assert np.allclose(np.sort(v, axis=0), np.sort(u, axis=0))


# ---------------------------------------------------------------------------- value of information


def test_evpi_of_a_net_benefit_linear_in_a_normal_parameter_is_the_unit_normal_loss_integral():
    mu, sd = 300.0, 1000.0  # NB = theta ~ N(mu, sd) against doing nothing (0)
    sec = section(theta={"kind": "normal", "mean": mu, "sd": sd})
    _, x = draw(sec, 8192)
    nb = np.column_stack([np.zeros(len(x)), x[:, 0]])
    exact = sd * unit_normal_loss(abs(mu) / sd)
    # EVPI = E[max(0, NB)] - max(0, E NB); its Monte Carlo error is below sd(max(0, NB)) / sqrt(n)
    # (scrambled Sobol' points do better still)
    se = np.maximum(0, x[:, 0]).std() / math.sqrt(len(x))
    assert evpi(nb) == pytest.approx(exact, abs=3 * se)
    assert exact == pytest.approx(sd * stats.norm.pdf(mu / sd) - mu * stats.norm.sf(mu / sd))


@pytest.fixture(scope="module")
def linear_model():
    """NB of two options linear in theta (normal); `idle` changes nothing."""
    sec = section(theta={"kind": "normal", "mean": 100.0, "sd": 1000.0},
                  idle={"kind": "uniform", "low": 0.0, "high": 1.0},
                  cost={"kind": "gamma", "mean": 200.0, "sd": 50.0})
    u, x = draw(sec, 1024)
    nb = np.column_stack([np.zeros(len(x)), x[:, 0] - x[:, 2] + 200.0, 0.5 * x[:, 0]])
    return sec, u, x, nb


def test_evppi_finds_the_parameter_that_decides_and_none_for_one_without_effect(linear_model):
    sec, u, x, nb = linear_model
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SampleSizeWarning)
        table = evppi_table(nb, u, sec.names, {"theta_and_idle": ["theta", "idle"], "all_three": sec.names},
                            scale=2.0).set_index("parameter")
    total = table.loc["all", "evppi_gbp"]
    assert total == pytest.approx(evpi(nb))
    # theta decides almost everything: E[NB | theta] misses only the cost's small spread
    assert table.loc["theta", "evppi_gbp"] == pytest.approx(total, rel=0.05)
    assert table.loc["idle", "evppi_gbp"] < 0.01 * total
    assert (table["evppi_gbp"] <= total + 1e-9).all()
    # monotone: a group is worth at least each of its members
    assert table.loc["theta_and_idle", "evppi_gbp"] >= table.loc["theta", "evppi_gbp"] - 1e-9
    assert table.loc["all_three", "evppi_gbp"] >= table.loc["theta_and_idle", "evppi_gbp"] - 1e-9
    assert (table["evppi_population_gbp"] == 2.0 * table["evppi_gbp"]).all()


def test_the_gaussian_process_does_not_interpolate_noise():
    """A net benefit that is pure noise against four inputs, 256 draws (the Brent section's
    size): the metamodel's fitted values must explain little of it. With length scales down
    to 0.01 the optimiser interpolated it in one of these six seeds (R^2 0.95) and overfitted
    another (0.39); on Brent that gave a group of parameters without effect all of EVPI."""
    from placesim.uncertainty.voi import fit_conditional

    for seed in range(6):
        rng = np.random.default_rng(seed)
        x, y = rng.random((256, 4)), rng.normal(5e4, 1e3, 256)
        _, r2 = fit_conditional(y, x)
        assert r2 < 0.25, (seed, r2)


def test_evppi_refuses_too_few_draws_for_its_metamodel_and_warns_when_few(linear_model):
    sec, u, x, nb = linear_model
    with pytest.raises(PlacesimError, match="needs at least 50 draws"):
        evppi_table(nb[:40], u[:40], sec.names)
    with pytest.warns(SampleSizeWarning, match="give a stable figure"):
        evppi_table(nb[:100], u[:100], sec.names[:1] + ["idle"], parameters=False,
                    groups={"one": ["theta"]})


def test_population_scale_is_places_times_discounted_years():
    sec = UncertaintySection.model_validate({"parameters": {"a": {"path": "x", "distribution": {
        "kind": "uniform", "low": 0, "high": 1}}}, "population": {"places": 3, "years": 2, "discount_percent": 10}})
    assert sec.population.scale == pytest.approx(3 * (1 + 1 / 1.1))


# ---------------------------------------------------------------------------- files

OPTIONS = UNCERTAIN_OPTIONS


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    return toy_options_folder(tmp_path, OPTIONS)


def test_a_section_resolves_its_paths_in_the_scenarios_that_have_them(folder):
    s = load_uncertainty(folder / "options.yaml")
    assert s.options == ["pilot", "bigger"] and s.baseline == "baseline"
    assert set(s.targets["effect"]) == {"pilot", "bigger"}  # the siloed baseline has no INT
    (path, base), = s.targets["setup_cost"]["pilot"]
    assert path == ("int", "costs", "setup_gbp") and base == 20000


@pytest.mark.parametrize("change, needle, message", [
    (("kind: triangular", "kind: triangle"), "kind: triangle", "did you mean 'triangular'"),
    (("{kind: lognormal, mean: 1.0, sd: 0.2}", "{kind: lognormal, mean: 1.0}"), "kind: lognormal", "missing sd"),
    (("{kind: lognormal, mean: 1.0, sd: 0.2}", "{kind: lognormal, mean: 1.0, sd: 0.2, low: 0}"), "kind: lognormal",
     "not low"),
    (("low: 0.2, mode: 0.3", "low: 0.4, mode: 0.3"), "kind: triangular", "mode 0.3 must lie within"),
    (("path: int.effect.escalation_multiplier", "path: int.efect.escalation_multiplier"), "int.efect",
     "not a field of any scenario"),
    (("between: [effect, setup_cost]", "between: [efect, setup_cost]"), "between:", "did you mean 'effect'"),
    (("costs: [setup_cost, idle]", "costs: [setup_cost, idel]"), "costs: [", "unknown parameter 'idel'"),
    (("  samples: 96", "  sampels: 96"), "sampels", "did you mean 'samples'"),
    (("rank: 0.3", "rank: 1.5"), "rank:", "less than 1"),
    (("  samples: 96", "  samples: true"), "samples: true", "got true"),
    (("{kind: lognormal, mean: 1.0, sd: 0.2}", "{kind: lognormal, mean: 1.0, sd: .nan}"), "kind: lognormal",
     "finite"),
    (("    idle:\n", "    idle:\n      bounds: [0, 1]\n"), "bounds: [0, 1]",
     "unknown field 'bounds'"),
])
def test_bad_uncertainty_sections_name_the_file_line_and_field(folder, change, needle, message):
    text = OPTIONS.replace(*change)
    assert text != OPTIONS
    (folder / "options.yaml").write_text(text)
    with pytest.raises(ScenarioError) as exc:
        load_uncertainty(folder / "options.yaml")
    msg = str(exc.value)
    assert message in msg
    assert f"options.yaml:{line_of(text, needle)}:" in msg


def test_a_standalone_file_runs_one_scenario_against_its_baseline(folder):
    text = textwrap.dedent(OPTIONS.split("uncertainty:\n")[1])
    (folder / "psa.yaml").write_text("placesim_uncertainty: 1\nname: toy\nscenario: toy_int.yaml\n"
                                     "baseline: toy_siloed.yaml\n" + text)
    s = load_uncertainty(folder / "psa.yaml")
    assert s.baseline == "baseline" and s.options == ["toy INT"]


# ---------------------------------------------------------------------------- the PSA end to end


@pytest.fixture(scope="module")
def toy_psa(tmp_path_factory):
    folder = toy_options_folder(tmp_path_factory.mktemp("psa"), OPTIONS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SampleSizeWarning)
        u = ps.uncertainty(folder / "options.yaml", executor="serial")
        u.sensitivity(("tornado",), executor="serial")
        return u, u.write(folder / "out")


def test_the_psa_runs_every_option_at_every_draw_with_the_appraisals_figures(toy_psa):
    u, paths = toy_psa
    assert dict(u.ds["value"].sizes) == {"draw": 96, "option": 2, "measure": 9}
    npv = u.measure("npv_gbp")
    pv = u.measure("pv_costs_avoided_gbp") - u.measure("pv_int_cost_gbp")
    assert np.allclose(npv, pv)
    assert npv["pilot"].std() > 0  # the draws move the answer
    d = u.decision()
    assert list(d.index) == ["baseline", "pilot", "bigger"]
    assert d["p_best"].sum() == pytest.approx(1.0)
    assert 0 <= d.loc["pilot", "p_npv_positive"] <= 1
    # who pays and who saves adds up to the option's totals at every draw
    assert np.allclose(u.ds["npv_by_org"].sum("organisation").values, u.ds["value"].sel(measure="npv_gbp").values)
    assert {"psa.nc", "decision.csv", "evppi.csv", "sensitivity.csv", "report.html"} <= set(paths)
    html = paths["report.html"].read_text()
    for needle in ("The chance each option pays back", "Cost-effectiveness plane", "Acceptability curve",
                   "What drives the answer", "What is worth finding out", "pays back in"):
        assert needle in html


def test_the_tornado_of_the_toy_runs_the_options_at_each_end_of_each_range(toy_psa):
    u, _ = toy_psa
    t = u.sensitivity_table.set_index(["option", "measure", "parameter", "index"])
    # the INT's effect moves crises averted; the premises multiplier (a 2e-6 range) next to nothing
    assert abs(t.loc[("pilot", "crises_averted", "effect", "swing"), "value"]) > 1
    assert abs(t.loc[("pilot", "npv_gbp", "idle", "swing"), "value"]) < 1


def test_evppi_of_the_toy_psa_obeys_its_guards(toy_psa):
    u, _ = toy_psa
    # a value per crisis averted at which the two options tie in about half the draws (at the
    # pilot's own break-even the bigger team is best in every draw, and EVPI is zero)
    npv, averted = u.measure("npv_gbp"), u.measure("crises_averted")
    value = float(np.median((npv["pilot"] - npv["bigger"]) / (averted["bigger"] - averted["pilot"])))
    assert 0.2 < (u.net_benefit(value)[:, 1] > u.net_benefit(value)[:, 2]).mean() < 0.8
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SampleSizeWarning)
        t = u.evppi(value).set_index("parameter")
    assert t.loc["all", "evppi_gbp"] > 0
    assert (t["evppi_gbp"] <= t.loc["all", "evppi_gbp"] + 1e-9).all()
    # the review's evidence: crises in A before and after the pilot starts, at every draw
    ev = u.ds["review_evidence"]
    assert ev.attrs["option"] == "pilot" and np.isfinite(ev.values).all() and (ev.values > 0).all()
    assert t.loc["six_month_review", "kind"] == "evsi"
    assert 0 <= t.loc["six_month_review", "evppi_gbp"] <= t.loc["all", "evppi_gbp"]
    assert t.loc["costs", "evppi_gbp"] >= max(t.loc["setup_cost", "evppi_gbp"], t.loc["idle", "evppi_gbp"]) - 1e-9


def test_a_psa_read_back_from_its_file_gives_the_same_tables(toy_psa):
    u, paths = toy_psa
    again = ps.Uncertainty.open(paths["psa.nc"])
    assert np.allclose(again.decision().to_numpy(dtype=float), u.decision().to_numpy(dtype=float), equal_nan=True)


# ---------------------------------------------------------------------------- what drives the answer


def _linear_run(x: np.ndarray) -> np.ndarray:
    """Figures (row x option x measure) linear in the first parameter; `idle` (the second) does nothing."""
    from placesim.uncertainty.result import MEASURES
    out = np.zeros((len(x), 1, len(MEASURES)))
    k = list(MEASURES)
    out[:, 0, k.index("npv_gbp")] = 1000 * x[:, 0] - 0.2 * x[:, 2]
    out[:, 0, k.index("crises_averted")] = 5 * x[:, 0] + x[:, 2] / 100
    return out


def test_sobol_indices_of_a_parameter_without_effect_are_near_zero():
    from placesim.uncertainty.result import MEASURES
    from placesim.uncertainty.sensitivity import sobol
    sec = section(theta={"kind": "normal", "mean": 1.0, "sd": 1.0}, idle={"kind": "uniform", "low": 0, "high": 1},
                  cost={"kind": "gamma", "mean": 200.0, "sd": 50.0})
    t = sobol(sec, _linear_run, ["option"], list(MEASURES), base=1024).set_index(["measure", "parameter", "index"])
    npv = t.loc["npv_gbp"]
    # Var(NPV) = 1000^2 * 1 + 0.2^2 * 50^2 = 1e6 + 100: theta's share is 0.9999
    assert npv.loc[("theta", "S1"), "value"] == pytest.approx(1.0, abs=0.05)
    for index in ("S1", "ST"):
        assert abs(npv.loc[("idle", index), "value"]) < 0.01
        # its bootstrap interval holds zero
        assert npv.loc[("idle", index), "lower"] <= 1e-3


def test_tornado_swings_by_the_range_and_morris_screens_out_a_parameter_without_effect():
    from placesim.uncertainty.result import MEASURES
    from placesim.uncertainty.sensitivity import morris, tornado
    sec = section(theta={"kind": "triangular", "low": 0.5, "mode": 0.6, "high": 1.0},
                  idle={"kind": "uniform", "low": 0, "high": 1}, cost={"kind": "uniform", "low": 100, "high": 300})
    t = tornado(sec, _linear_run, ["option"], list(MEASURES)).set_index(["measure", "parameter", "index"])
    assert t.loc[("npv_gbp", "theta", "swing"), "value"] == pytest.approx(1000 * 0.5)
    assert t.loc[("npv_gbp", "idle", "swing"), "value"] == 0
    assert t.loc[("npv_gbp", "cost", "swing"), "value"] == pytest.approx(-0.2 * 200)
    m = morris(sec, _linear_run, ["option"], list(MEASURES), trajectories=20).set_index(
        ["measure", "parameter", "index"])
    assert m.loc[("npv_gbp", "idle", "mu_star"), "value"] == 0
    assert m.loc[("npv_gbp", "theta", "mu_star"), "value"] > m.loc[("npv_gbp", "cost", "mu_star"), "value"]


# ---------------------------------------------------------------------------- DES draws, the command


def test_a_des_psa_reports_the_monte_carlo_error_of_each_draw(folder):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SampleSizeWarning)
        u = ps.uncertainty(folder / "options.yaml", samples=8, engine="des", replications=3, executor="serial")
    se = u.ds["mc_se"].sel(measure="npv_gbp").values
    assert np.isfinite(se).all() and (se > 0).all()
    d = u.decision()
    assert np.isfinite(d.loc["pilot", "npv_mc_se_gbp"])
    assert u.ds.attrs["engine"] == "des" and u.ds.attrs["replications"] == 3


def test_the_command_writes_the_folder_and_prints_the_chance_of_paying_back(folder):
    from click.testing import CliRunner

    from placesim.cli import main
    out = folder / "out"
    result = CliRunner().invoke(main, ["uncertainty", str(folder / "options.yaml"), "--out", str(out), "--samples",
                                       "16", "--executor", "serial", "--no-progress", "--no-tornado"])
    assert result.exit_code == 0, result.output
    assert "pays back in" in result.stdout and "EVPI" in result.stdout
    assert {p.name for p in out.iterdir()} == {"psa.nc", "decision.csv", "evppi.csv", "report.html"}
    evppi = (out / "evppi.csv").read_text()
    assert "needs at least 50 draws" in evppi  # 16 draws: the metamodels are refused, with the reason


def test_the_command_refuses_a_bad_section_naming_itsline_of(folder):
    from click.testing import CliRunner

    from placesim.cli import main
    text = OPTIONS.replace("kind: triangular", "kind: triangle")
    (folder / "options.yaml").write_text(text)
    for args in (["uncertainty", str(folder / "options.yaml"), "--out", str(folder / "out")],
                 ["validate", str(folder / "options.yaml")]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2
        assert f"options.yaml:{line_of(text, 'kind: triangle')}:" in result.output
        assert "did you mean 'triangular'" in result.output


def test_init_writes_a_starter_section_from_the_assumption_ranges_citing_eachline_of():
    import yaml
    from click.testing import CliRunner

    from placesim.cli import main
    pilot = Path(__file__).resolve().parents[1] / "scenarios/brent/int_pilot.yaml"
    result = CliRunner().invoke(main, ["uncertainty", "init", str(pilot)])
    assert result.exit_code == 0, result.output
    section_ = yaml.safe_load(result.stdout)["uncertainty"]
    sec = UncertaintySection.model_validate(section_)
    effect = next(p for p in sec.parameters.values() if p.path == "int.effect.escalation_multiplier")
    d = effect.distribution
    assert (d.kind, d.low, d.mode, d.high) == ("triangular", 0.5, 0.65, 1.0)
    line = line_of(pilot.read_text(), "escalation_multiplier: 0.65")
    assert effect.source.startswith(f"int_pilot.yaml line {line}:")


# ---------------------------------------------------------------------------- EVSI of the review


def test_evsi_of_a_review_is_evpi_when_its_evidence_reveals_the_parameter_and_zero_when_unrelated():
    from placesim.uncertainty.voi import evsi_review
    sec = section(theta={"kind": "normal", "mean": 100.0, "sd": 1000.0}, other={"kind": "uniform", "low": 0, "high": 1})
    _, x = draw(sec, 1024)
    nb = np.column_stack([np.zeros(len(x)), x[:, 0]])
    total = evpi(nb)
    before = np.full(len(x), 1e6)
    # a review whose crises fall more the larger the effect, counted without noise: it reveals theta
    revealing = evsi_review(nb, before, before * np.exp(-x[:, 0] / 5000), expected=False)
    assert revealing == pytest.approx(total, rel=0.05)
    unrelated = evsi_review(nb, before, before * np.exp(-x[:, 1]), expected=False)
    assert unrelated < 0.02 * total
    # noisy evidence (Poisson counts of a few crises) is worth less than perfect information
    noisy = evsi_review(nb, np.full(len(x), 20.0), 20 * np.exp(-x[:, 0] / 2000), expected=True)
    assert unrelated <= noisy <= revealing + 1e-9 and noisy <= total


def test_a_standalone_files_problems_are_called_the_uncertainty_sections_not_the_scenarios(folder):
    f = folder / "psa.yaml"
    f.write_text("placesim_uncertainty: 1\nname: ''\nscenario: toy_int.yaml\nbaseline: toy_siloed.yaml\n"
                 "samples: true\nparameters:\n  a: {path: int.huddle, distribution: {kind: uniform, low: 0, high: 1}}\n")
    with pytest.raises(ScenarioError) as info:
        load_uncertainty(f)
    text = str(info.value)
    assert text.startswith(f"{len(info.value.problems)} problems in the uncertainty section:")
    assert "samples: expected a whole number, got true" in text and "name: must not be empty" in text
    f.write_text("placesim_uncertainty: 1\nname: x\nscenario: toy_int.yaml\nbaseline: toy_siloed.yaml\n"
                 "parameters:\n  a: {path: int.name, distribution: {kind: uniform, low: 0, high: 1}}\n")
    with pytest.raises(ScenarioError, match="a parameter must be a number or a list of numbers"):
        load_uncertainty(f)


def test_init_from_a_calibrations_parameters_matches_its_estimates_and_intervals(tmp_path):
    import yaml
    from click.testing import CliRunner

    from placesim.cli import main
    csv = tmp_path / "parameters.csv"
    csv.write_text("name,estimate,lower,upper,start,bound_lower,bound_upper,mode,paths\n"
                   "onset,0.45,0.40,0.50,0.3,0.05,1.0,value,cohorts.c.hazards.money.onset_per_year\n"
                   "shift,0.1,-0.2,0.4,0.0,-1.0,1.0,value,a.b;a.c\n")
    result = CliRunner().invoke(main, ["uncertainty", "init", str(csv)])
    assert result.exit_code == 0, result.output
    sec = UncertaintySection.model_validate(yaml.safe_load(result.stdout)["uncertainty"])
    onset, shift = sec.parameters["onset"].distribution, sec.parameters["shift"].distribution
    assert onset.kind == "lognormal" and onset.median == pytest.approx(0.45, rel=1e-6)
    assert np.allclose(onset.range(0.9), (0.40, 0.50), rtol=0.01)
    assert shift.kind == "normal" and np.allclose(shift.range(0.9), (-0.2, 0.4), atol=1e-6)
    assert sec.parameters["shift"].paths == ["a.b", "a.c"] and shift.bounds == (-1.0, 1.0)


def test_a_notebook_shows_the_chance_each_option_pays_back(toy_psa):
    u, _ = toy_psa
    html = u._repr_html_()
    assert "pays back in" in html and "<table" in html and "EVPI" in html
    assert repr(u).startswith("<Uncertainty 'Toy options': 96 draws x 2 options, 3 parameters, sd engine")


def test_morris_and_sobol_run_the_options_and_warn_that_small_designs_are_rough(toy_psa):
    u, _ = toy_psa
    kept = u.sensitivity_table
    try:
        with pytest.warns(SampleSizeWarning) as caught:
            t = u.sensitivity(["morris", "sobol"], trajectories=2, sobol_base=8, executor="serial")
    finally:
        u.sensitivity_table = kept
    messages = " ".join(str(w.message) for w in caught)
    assert "2 trajectories" in messages and "base sample of 8" in messages
    assert set(t["method"]) == {"morris", "sobol"}
    assert set(t["option"]) == {"pilot", "bigger"} and set(t["parameter"]) == {"effect", "setup_cost", "idle"}
    assert t["note"].str.contains("unstable").all() and t["note"].str.contains("independently").all()
