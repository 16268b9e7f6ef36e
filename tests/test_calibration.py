"""Calibration: the set-up file, the observed data, the fit and its outputs."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from scipy import stats

import placesim as ps
from placesim.calibration import load_setup
from placesim.calibration.calibrate import prepare, split_periods
from placesim.calibration.likelihood import log_likelihood
from placesim.calibration.observed import Extractor, read_observed
from placesim.calibration.parameters import apply, overrides_for, parse_path, resolve_parameters
from placesim.cli import main

ROOT = Path(__file__).resolve().parents[1]
TOY = ROOT / "tests" / "scenarios" / "toy_siloed.yaml"
HARLESDEN = ROOT / "calibration" / "harlesden"
BRENT = ROOT / "calibration" / "brent"

SETUP = """\
placesim_calibration: 1
name: toy
scenario: {scenario}
observed: observed.csv
parameters:
  money_onset:
    path: cohorts.hardship.hazards.money.onset_per_year
    bounds: [0.05, 1.0]
  housing_escalation:
    path: cohorts.hardship.hazards.housing.escalation_per_year
    mode: multiplier
    bounds: [0.5, 2.0]
periods:
  fit: {{from: 2025-05-01, to: 2026-03-26}}
likelihood: {{family: poisson}}
des: {{replications: {reps}, seed: 3, rounds: {rounds}}}
"""
TRUTH = {"money_onset": 0.45, "housing_escalation": 1.4}
MEASURES = [("crises:money", "A"), ("crises:housing", ""), ("arrivals:advice", ""), ("arrivals:housing_options", "")]


def _toy_setup(folder: Path, reps: int = 0, rounds: int = 0) -> Path:
    """A toy set-up whose observed data are the SD engine's own values at TRUTH (no noise)."""
    setup = folder / "setup.yaml"
    setup.write_text(SETUP.format(scenario=TOY, reps=reps, rounds=rounds))
    (folder / "observed.csv").write_text("period_start,measure,neighbourhood,value\n2025-05-01,crises,,1\n")
    st = load_setup(setup)
    sc = ps.load_scenario(TOY)
    params = resolve_parameters(st, sc)
    true = ps.Scenario.from_dict(apply(sc.to_dict(), params, np.array([TRUTH[p.name] for p in params])))
    ds = ps.simulate(true, 1, engine="sd").ds.isel(replication=0)
    rows = ["period_start,measure,neighbourhood,value"]
    for t, date, width in zip(ds["time"].values, ds["date"].values, ds["bin_days"].values):
        if width < 30:  # the run's last, partial bin is no whole period
            continue
        day = str(np.datetime_as_string(date, unit="D"))
        for m, hood in MEASURES:
            kind, _, target = m.partition(":")
            if kind == "crises":
                v = ds["crises"].sel(time=t, domain=target)
                v = (v.sel(neighbourhood=hood) if hood else v).sum().item()
            else:
                v = ds[kind].sel(time=t, service=target).item()
            rows.append(f"{day},{m},{hood},{v:.6f}")
    (folder / "observed.csv").write_text("\n".join(rows) + "\n")
    return setup


# ----------------------------------------------------------------------------- likelihoods
def test_likelihoods_match_scipy():
    y = np.array([0, 1, 3, 10, 57])
    mu = np.array([0.5, 2.0, 3.0, 12.5, 50.0])
    assert np.allclose(log_likelihood(y, mu, "poisson"), stats.poisson.logpmf(y, mu))
    k = 7.5
    assert np.allclose(log_likelihood(y, mu, "negative_binomial", k), stats.nbinom.logpmf(y, k, k / (k + mu)))


def test_parameter_paths_and_overrides():
    assert parse_path("cohorts.c.hazards.d.escalation_per_year[1]") == (
        "cohorts", "c", "hazards", "d", "escalation_per_year", 1)
    with pytest.raises(ValueError):
        parse_path("a..b[x]")


# ----------------------------------------------------------------------------- the fit
def test_noise_free_data_are_fitted_exactly(tmp_path):
    """Data made by the SD engine itself at known values: the SD fit lands on them."""
    cal = ps.calibrate(_toy_setup(tmp_path))
    est = cal.estimates
    for name, truth in TRUTH.items():
        assert est[name] == pytest.approx(truth, rel=0.01), name
    row = cal.parameters.set_index("name")
    assert (row["lower"] < row["estimate"]).all() and (row["estimate"] < row["upper"]).all()
    assert cal.goodness.loc[("fitted", "fit"), "bias_pct"] == pytest.approx(0, abs=0.1)
    assert set(cal.fitted["set"]) == {"fit", "holdout"}
    assert cal.covariance_ok


@pytest.mark.slow
def test_harlesden_fit_recovers_the_known_values():
    """The synthetic Harlesden data (one DES replication at truth.yaml's values) are fitted by
    the shipped set-up, with the DES refinement; every known value lies inside its interval."""
    truth = yaml.safe_load((HARLESDEN / "truth.yaml").read_text())["values"]
    cal = ps.calibrate(HARLESDEN / "setup.yaml")
    p = cal.parameters.set_index("name")
    for name, value in truth.items():
        assert p.loc[name, "lower"] <= value <= p.loc[name, "upper"], (name, value, p.loc[name].to_dict())
    # the intervals are informative: narrower than a third of the bounds on the search scale
    for name in truth:
        lo, hi = p.loc[name, ["bound_lower", "bound_upper"]]
        width = np.log(p.loc[name, "upper"] / p.loc[name, "lower"]) / np.log(hi / lo)
        assert width < 1 / 3, name
    assert list(cal.rounds["round"]) == [0, 1]
    g = cal.goodness
    assert g.loc[("des", "holdout"), "n"] == 48
    # held-out months: the corrected SD's predictive intervals cover most observations
    assert g.loc[("fitted", "holdout"), "coverage"] >= 0.75


@pytest.mark.slow
def test_brent_setup_reaches_the_published_figures():
    """The borough set-up (SD fit only here; the docs give the run with the DES check)."""
    st = load_setup(BRENT / "setup.yaml")
    st.model = st.model.model_copy(update={"des": st.model.des.model_copy(update={"replications": 0})})
    cal = ps.calibrate(st)
    fit = cal.fitted[cal.fitted["set"] == "fit"]
    assert np.allclose(fit["fitted"], fit["observed"], rtol=0.01)
    est = cal.estimates
    assert 2.0 < est["background_homelessness"] < 30.0 and 0.02 < est["ta_share"] < 0.6


@pytest.mark.parametrize("folder", [HARLESDEN, BRENT], ids=["harlesden", "brent"])
def test_shipped_setups_are_ready_to_fit(folder):
    """The fast tier's check of the shipped set-ups, whose fits are slow: the set-up, its
    scenario and its observed data load and agree, rows fall in the fitting and the held-out
    periods, and every parameter starts (and, for the synthetic data, truly is) inside its bounds."""
    st = load_setup(folder / "setup.yaml")
    _, fit_scenario, obs, params = prepare(st)
    fit, hold = split_periods(st, obs, fit_scenario)
    assert fit.any() and hold.any() and not (fit & hold).any()
    for p in params:
        assert p.lower < p.start < p.upper, p.name
    truth = folder / "truth.yaml"
    if truth.exists():
        values = yaml.safe_load(truth.read_text())["values"]
        assert set(values) == {p.name for p in params}
        for p in params:
            assert p.lower < values[p.name] < p.upper, p.name


# ----------------------------------------------------------------------------- outputs
@pytest.fixture(scope="module")
def toy_cal(tmp_path_factory):
    folder = tmp_path_factory.mktemp("toycal")
    return ps.calibrate(_toy_setup(folder, reps=2, rounds=1))


def test_outputs_are_written_and_self_contained(toy_cal, tmp_path):
    out = tmp_path / "out"
    paths = toy_cal.write(out)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["calibrated.yaml", "parameters.csv", "fitted.csv", "diagnostics.png", "diagnostics.html"])
    params = pd.read_csv(paths["parameters.csv"])
    assert list(params.columns[:4]) == ["name", "estimate", "lower", "upper"]
    page = paths["diagnostics.html"].read_text()
    assert "data:image/png;base64," in page and "http" not in page.replace("http-equiv", "")
    assert paths["diagnostics.png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # calibrated.yaml is a scenario: it extends the original and carries the estimates
    sc = ps.load_scenario(paths["calibrated.yaml"])
    est = toy_cal.estimates
    hz = sc.cohorts["hardship"].hazards
    assert hz["money"].onset_per_year == pytest.approx(est["money_onset"])
    assert hz["housing"].escalation_per_year[0] == pytest.approx(0.4 * est["housing_escalation"])
    assert "extends:" in paths["calibrated.yaml"].read_text()
    assert toy_cal.rounds["des_neg_log_likelihood"].notna().all()


def test_calibrate_command(tmp_path):
    setup = _toy_setup(tmp_path, reps=2, rounds=0)
    res = CliRunner().invoke(main, ["calibrate", str(setup), "--out", str(tmp_path / "out"), "--executor", "serial",
                                    "--no-progress"])
    assert res.exit_code == 0, res.output
    assert "money_onset" in res.output and "Goodness of fit" in res.output
    assert (tmp_path / "out" / "calibrated.yaml").exists()


def test_calibrate_command_bad_setup_is_clear(tmp_path):
    bad = tmp_path / "setup.yaml"
    bad.write_text("placesim_calibration: 1\nname: x\nscenario: s.yaml\nobserved: o.csv\nparamters: {}\n")
    res = CliRunner().invoke(main, ["calibrate", str(bad), "--out", str(tmp_path / "out")])
    assert res.exit_code == 2
    assert "Traceback" not in res.output
    assert re.search(r"setup\.yaml:5: paramters: .*did you mean 'parameters'", res.output.replace("\n", " "))
    assert not (tmp_path / "out").exists()


# ----------------------------------------------------------------------------- bad input
def _write_setup(tmp_path: Path, body: str, csv: str | None = None) -> Path:
    p = tmp_path / "setup.yaml"
    p.write_text(textwrap.dedent(body))
    (tmp_path / "observed.csv").write_text(csv if csv is not None else
                                           "period_start,measure,neighbourhood,value\n2025-05-01,crises,,10\n")
    return p


BASE = f"""\
placesim_calibration: 1
name: t
scenario: {TOY}
observed: observed.csv
parameters:
  p:
    path: cohorts.hardship.hazards.money.onset_per_year
    bounds: [0.05, 1.0]
"""

BAD_SETUPS = [
    ("wrong version", BASE.replace("placesim_calibration: 1", "placesim_calibration: 2"), 1, "placesim_calibration"),
    ("bounds reversed", BASE.replace("[0.05, 1.0]", "[1.0, 0.05]"), 8, "lower < upper"),
    ("start outside bounds", BASE + "    start: 2.0\n", 9, "strictly inside the bounds"),
    ("log scale with zero", BASE.replace("[0.05, 1.0]", "[0.0, 1.0]") + "    scale: log\n", 9, "above 0"),
    ("unknown parameter key", BASE + "    bonds: [1, 2]\n", 9, "did you mean 'bounds'"),
    ("no parameters", BASE.split("parameters:")[0] + "parameters: {}\n", 5, "parameters"),
    ("bad likelihood", BASE + "likelihood: {family: normal}\n", 9, "poisson"),
    ("bad interval", BASE + "interval: 90\n", 9, "interval"),
    ("bad nb size", BASE + "likelihood: {family: negative_binomial, size: -3}\n", 9, "size"),
    ("negative replications", BASE + "des: {replications: -1}\n", 9, "replications"),
]


@pytest.mark.parametrize("case,body,line,message", BAD_SETUPS, ids=[c[0] for c in BAD_SETUPS])
def test_bad_setup_files(tmp_path, case, body, line, message):
    p = _write_setup(tmp_path, body)
    with pytest.raises(ps.ScenarioError) as exc:
        ps.calibrate(p)
    text = str(exc.value)
    assert f"setup.yaml:{line}" in text, text
    assert message in text, text


BAD_PATHS = [
    ("not a field", "cohorts.hardship.hazards.money.onset_per_yer", "is not a field of the scenario"),
    ("not a number", "services.advice.organisation", "must be a number"),
    ("list of different values", "cohorts.hardship.hazards.money.escalation_per_year", "fit one element"),
    ("unreadable", "cohorts..x[y]", "cannot read the field path"),
]


@pytest.mark.parametrize("case,path,message", BAD_PATHS, ids=[c[0] for c in BAD_PATHS])
def test_bad_parameter_paths(tmp_path, case, path, message):
    p = _write_setup(tmp_path, BASE.replace("cohorts.hardship.hazards.money.onset_per_year", path))
    with pytest.raises(ps.ScenarioError) as exc:
        ps.calibrate(p)
    assert "setup.yaml:7: parameters.p.path:" in str(exc.value)
    assert message in str(exc.value)


def test_bad_overrides_point_at_the_setup_file(tmp_path):
    p = _write_setup(tmp_path, BASE + "overrides:\n  services:\n    advice: {staf: 3}\n")
    with pytest.raises(ps.ScenarioError, match=r"setup.yaml:11: overrides.services.advice.staf: unknown field "
                                               r"'staf'; did you mean 'staff'"):
        ps.calibrate(p)


def test_missing_scenario_and_data_files(tmp_path):
    p = _write_setup(tmp_path, BASE.replace(str(TOY), "nowhere.yaml"))
    with pytest.raises(ps.ScenarioError, match=r"setup.yaml:3: scenario: scenario file .*nowhere.yaml does not exist"):
        ps.calibrate(p)
    p = _write_setup(tmp_path, BASE.replace("observed.csv", "missing.csv"))
    with pytest.raises(ps.ScenarioError, match="missing.csv: observed data file not found"):
        ps.calibrate(p)


HEADER = "period_start,measure,neighbourhood,value\n"
BAD_ROWS = [
    ("unknown measure", "2025-05-01,crisis:money,,3", "unknown measure 'crisis'.*did you mean 'crises'"),
    ("unknown service", "2025-05-01,arrivals:advise,,3", "did you mean 'advice'"),
    ("service missing", "2025-05-01,arrivals,,3", "arrivals needs a service"),
    ("unknown domain", "2025-05-01,crises:hosing,,3", "unknown domain 'hosing'.*did you mean 'housing'"),
    ("unknown neighbourhood", "2025-05-01,crises,C,3", "unknown neighbourhood 'C'"),
    ("neighbourhood on a service", "2025-05-01,arrivals:advice,A,3", "per service, not per neighbourhood"),
    ("bad date", "2025-13-01,crises,,3", "expected a date"),
    ("off the grid", "2025-05-02,crises,,3", "not on the 30-day period grid"),
    ("after the run", "2027-04-21,crises,,3", "outside the run"),
    ("negative value", "2025-05-01,crises,,-3", "non-negative number"),
    ("not a number", "2025-05-01,crises,,many", "non-negative number"),
    ("too few values", "2025-05-01,crises,3", "expected 4 values"),
    ("duplicate", "2025-05-01,crises,,3\n2025-05-01,crises,,4", "duplicate of line 2"),
]


@pytest.mark.parametrize("case,rows,message", BAD_ROWS, ids=[c[0] for c in BAD_ROWS])
def test_bad_observed_rows(tmp_path, case, rows, message):
    p = _write_setup(tmp_path, BASE, HEADER + rows + "\n")
    with pytest.raises(ps.ScenarioError) as exc:
        ps.calibrate(p)
    text = str(exc.value)
    line = 3 if case == "duplicate" else 2
    assert f"observed.csv:{line}" in text, text
    assert re.search(message, text), text


def test_bad_observed_header_and_dates_without_start_date(tmp_path):
    p = _write_setup(tmp_path, BASE, "period,measure,value\n2025-05-01,crises,3\n")
    with pytest.raises(ps.ScenarioError, match=r"observed.csv:1: missing column\(s\) period_start; unknown "
                                               r"column\(s\) 'period'"):
        ps.calibrate(p)
    sc = ps.load_scenario(TOY).with_overrides({"time": {"start_date": None}})
    (tmp_path / "o.csv").write_text(HEADER + "2025-05-01,crises,,3\n30,crises,,4\n")
    with pytest.raises(ps.ScenarioError, match="observed.csv|o.csv:2: period_start: a date needs"):
        read_observed(tmp_path / "o.csv", sc.model, 30)
    (tmp_path / "o.csv").write_text(HEADER + "0,crises,,3\n30,crises:money,A,4\n")
    obs = read_observed(tmp_path / "o.csv", sc.model, 30)
    assert list(obs.period) == [0, 1]


def test_extractor_sums_what_the_row_names(tmp_path):
    sc = ps.load_scenario(TOY)
    (tmp_path / "o.csv").write_text(HEADER + "2025-05-31,crises:money,A,1\n2025-05-01,crises,,1\n"
                                    "2025-05-01,in_system:advice,,1\n")
    obs = read_observed(tmp_path / "o.csv", sc.model, 30)
    r = ps.simulate(sc.with_overrides({"time": {"horizon_days": 90}}), 2, seed=4)
    vals = Extractor(obs, sc.model)({k: r.ds[k].values for k in ("crises", "in_system")})
    ds = r.ds
    assert np.allclose(vals[:, 0], ds["crises"].isel(time=1).sel(neighbourhood="A", domain="money").sum(["cohort"]))
    assert np.allclose(vals[:, 1], ds["crises"].isel(time=0).sum(["neighbourhood", "cohort", "domain"]))
    assert np.allclose(vals[:, 2], ds["in_system"].isel(time=0).sel(service="advice"))


def test_overrides_replace_lists_whole():
    sc = ps.load_scenario(TOY)
    st_text = BASE.replace("cohorts.hardship.hazards.money.onset_per_year",
                           "cohorts.hardship.hazards.money.escalation_per_year[1]")
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        p = _write_setup(Path(d), st_text)
        params = resolve_parameters(load_setup(p), sc)
    over = overrides_for(sc.to_dict(), params, np.array([0.9]))
    assert over == {"cohorts": {"hardship": {"hazards": {"money": {"escalation_per_year": [0.5, 0.9]}}}}}


def test_a_tight_prior_holds_its_parameter(tmp_path):
    """A prior with a tiny sd pins the parameter at its mean; the other is still fitted."""
    setup = _toy_setup(tmp_path)
    text = setup.read_text().replace("    bounds: [0.05, 1.0]\n",
                                     "    bounds: [0.05, 1.0]\n    prior: {distribution: lognormal, mean: -1.2, sd: 0.001}\n")
    setup.write_text(text)
    cal = ps.calibrate(setup)
    est = cal.estimates
    assert est["money_onset"] == pytest.approx(np.exp(-1.2), rel=0.005)
    assert abs(est["money_onset"] - TRUTH["money_onset"]) > 0.1  # the prior, not the data, decided it


def test_priors_are_log_densities():
    from placesim.calibration.parameters import Parameter
    from placesim.calibration.setup import ParameterSpec

    spec = ParameterSpec(path="a", bounds=(0.1, 5), prior={"distribution": "lognormal", "mean": 0.2, "sd": 0.3})
    p = Parameter("a", spec, (("a",),), (1.0,))
    assert p.log_prior(1.7) == pytest.approx(stats.lognorm.logpdf(1.7, 0.3, scale=np.exp(0.2)))
    spec = ParameterSpec(path="a", bounds=(0.1, 5), prior={"distribution": "normal", "mean": 2, "sd": 0.5})
    p = Parameter("a", spec, (("a",),), (1.0,))
    assert p.log_prior(1.7) == pytest.approx(stats.norm.logpdf(1.7, 2, 0.5))
    for x in (0.1001, 0.7, 4.999):  # the search scale maps back onto the bounds
        assert p.from_z(p.to_z(x)) == pytest.approx(x)
