"""Review power: the before-after test's power and false alarm against exact values, its
windows and errors, and an end-to-end run on a small real scenario.

Synthetic checks draw Poisson counts of known rates with numpy (no simulation) and compare
the shares of worlds in which the test finds a reduction with the test's exact rejection
probability, within 3 standard errors of a binomial proportion; seeds are fixed.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from scipy import stats

import placesim as ps
from placesim.formatting import fmt
from placesim.review import ReviewPower, review_power, review_power_from_dataset

ROOT = Path(__file__).resolve().parents[1]
HOODS, COHORTS, DOMAINS = ["A", "B"], ["c1", "c2"], ["money", "housing"]
RATE = 1 / 3 / 4  # crises a day in each (cohort, domain) cell of a neighbourhood: 60 in six 30-day bins of A


def synthetic(reps: int = 2000, *, effect: float = 0.7, drift: float = 1.0, start: float = 180.0,
              every: float = 30.0, horizon: float = 720.0, seed: int = 1) -> xr.Dataset:
    """A comparison-like Dataset of Poisson crises: 'base' has no pilot (its rate in every
    neighbourhood is multiplied by ``drift`` from ``start``); 'pilot' has that drift and
    its rate in A is multiplied by ``effect`` from ``start``."""
    rng = np.random.default_rng(seed)
    starts = np.arange(0.0, horizon, every)
    widths = np.minimum(starts + every, horizon) - starts
    after = (starts >= start)[:, None, None, None]
    in_a = (np.array(HOODS) == "A")[None, :, None, None]
    base = RATE * widths[:, None, None, None] * np.where(after, drift, 1.0) * np.ones((1, 2, 2, 2))
    pilot = base * np.where(after & in_a, effect, 1.0)
    mean = np.stack([base, pilot])[:, None]
    crises = rng.poisson(mean, size=(2, reps) + base.shape).astype(float)
    return xr.Dataset(
        {"crises": (("scenario", "replication", "time", "neighbourhood", "cohort", "domain"), crises)},
        coords={"scenario": ["base", "pilot"], "replication": np.arange(reps), "time": starts,
                "bin_days": ("time", widths), "neighbourhood": HOODS, "cohort": COHORTS, "domain": DOMAINS},
        attrs={"baseline": "base", "report_every_days": every, "engine": "des"})


def exact_rejection(mu_pre: float, mu_post: float, share: float, alpha: float) -> float:
    """P(the test rejects) for independent Poisson pre and post counts, by summing the
    probability of every (pre, post) pair for which the lower-tail binomial p-value <= alpha."""
    a = np.arange(int(stats.poisson.ppf(1 - 1e-13, mu_pre)) + 1)
    b = np.arange(int(stats.poisson.ppf(1 - 1e-13, mu_post)) + 1)
    pre, post = np.meshgrid(a, b, indexing="ij")
    p_value = np.where(pre + post > 0, stats.binom.cdf(post, pre + post, share), 1.0)
    prob = stats.poisson.pmf(a, mu_pre)[:, None] * stats.poisson.pmf(b, mu_post)[None, :]
    return float(prob[p_value <= alpha].sum())


def within_3_se(share: float, p: float, n: int) -> bool:
    return abs(share - p) <= 3 * math.sqrt(p * (1 - p) / n)


# ----------------------------------------------------------------------------- the test's power
MU = RATE * 4 * 180  # crises in A in a six-month window without change


def test_power_matches_the_exact_power_of_the_test():
    r = review_power_from_dataset(synthetic(effect=0.7), "pilot", start_days={"A": 180.0})
    assert (r.pre_window, r.post_window) == ((0.0, 180.0), (180.0, 360.0))
    exact = exact_rejection(MU, 0.7 * MU, 0.5, 0.05)
    assert 0.4 < exact < 0.8  # where the standard error is largest
    assert within_3_se(r.power, exact, r.replications), (r.power, exact)
    assert r.power_interval[0] <= r.power <= r.power_interval[1]
    assert r.true_reduction == pytest.approx(0.3 * MU, abs=3 * math.sqrt(1.7 * MU / 2000))
    assert r.option_pre == pytest.approx(MU, abs=3 * math.sqrt(MU / 2000))


def test_false_alarm_is_at_most_alpha_without_change_or_drift():
    r = review_power_from_dataset(synthetic(effect=1.0, seed=2), "pilot", start_days={"A": 180.0})
    se = math.sqrt(0.05 * 0.95 / r.replications)
    assert r.false_alarm <= 0.05 + 3 * se
    size = exact_rejection(MU, MU, 0.5, 0.05)  # discrete: below alpha
    assert size <= 0.05 and within_3_se(r.false_alarm, size, r.replications)
    assert within_3_se(r.power, size, r.replications)  # no effect: the pilot's worlds are no different


def test_false_alarm_reveals_drift_in_the_counterfactual():
    r = review_power_from_dataset(synthetic(effect=0.7, drift=0.85, seed=3), "pilot", start_days={"A": 180.0})
    exact = exact_rejection(MU, 0.85 * MU, 0.5, 0.05)
    assert exact > 0.15 and within_3_se(r.false_alarm, exact, r.replications)
    assert "drift" in str(r)


def test_p_values_are_those_of_binomtest():
    r = review_power_from_dataset(synthetic(reps=20), "pilot", start_days={"A": 180.0})
    per = r.per_replication
    for row in per.itertuples():
        expected = stats.binomtest(int(row.post), int(row.pre + row.post), 0.5, alternative="less").pvalue
        assert row.p_value == pytest.approx(expected)
    assert r.power == per.loc[per["scenario"] == "pilot", "reduction_found"].mean()


# ----------------------------------------------------------------------------- windows and errors
@pytest.mark.parametrize(("start", "every", "pre", "post"), [
    (180.0, 30.0, (0.0, 180.0), (180.0, 360.0)),
    (183.0, 30.0, (0.0, 180.0), (210.0, 390.0)),     # the bin the start falls in is in neither window
    (182.0, 7.0, (0.0, 182.0), (182.0, 364.0)),      # 26 weeks
    (300.0, 30.0, (120.0, 300.0), (300.0, 480.0)),
])
def test_windows_are_whole_bins_either_side_of_the_start(start, every, pre, post):
    r = review_power_from_dataset(synthetic(reps=5, start=start, every=every), "pilot", start_days={"A": start})
    assert (r.pre_window, r.post_window) == (pre, post)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"start_days": {"A": 100.0}}, r"before reporting starts \(day 0\).*Start the team later \(start_day >= 180\)"),
    ({"start_days": {"A": 600.0}}, r"past the end of the reported period \(day 720\).*Lengthen the horizon"),
    ({"start_days": {"A": 541.0}}, r"Lengthen the horizon \(time.horizon_days >= 750\)"),
    ({"start_days": {"A": 800.0}}, r"after the reported period ends"),
    ({"start_days": {"A": 180.0}, "months": 12}, r"Start the team later \(start_day >= 360\)"),
    ({"start_days": {"A": 180.0}, "design": "diff_in_diff"}, r"design 'diff_in_diff' is not supported"),
    ({"start_days": {"A": 180.0}, "neighbourhoods": ["B"]}, r"B has no INT team in 'pilot'"),
    ({"start_days": {"A": 180.0, "B": 360.0}, "neighbourhoods": ["A", "B"]}, r"start on different days"),
    ({"start_days": {"C": 180.0}}, r"neighbourhood C is not in the results"),
    ({"start_days": {"A": 180.0}, "baseline": "pilot"}, r"both 'pilot'"),
    ({"start_days": {"A": 180.0}, "baseline": "nope"}, r"baseline 'nope' is not one of base, pilot"),
    ({"start_days": {"A": 180.0}, "alpha": 1.5}, r"alpha must be between 0 and 1"),
])
def test_bad_requests_are_explained(kwargs, message):
    with pytest.raises(ps.PlacesimError, match=message):
        review_power_from_dataset(synthetic(reps=3), "pilot", **kwargs)


def test_default_pilot_is_the_earliest_team_and_a_baseline_int_there_warns():
    ds = synthetic(reps=3)
    r = review_power_from_dataset(ds, "pilot", start_days={"B": 360.0, "A": 180.0})
    assert r.neighbourhoods == ("A",) and r.start_day == 180.0
    with pytest.warns(UserWarning, match="also has an INT team in A"):
        review_power_from_dataset(ds, "pilot", start_days={"A": 180.0}, baseline_start_days={"A": 0.0})


def test_sd_results_are_refused():
    ds = synthetic(reps=1)
    ds.attrs["engine"] = "sd"
    with pytest.raises(ps.PlacesimError, match="engine='des'"):
        review_power_from_dataset(ds, "pilot", start_days={"A": 180.0})


# ----------------------------------------------------------------------------- end to end
def small_pilot() -> dict[str, ps.Scenario]:
    """Harlesden's money and housing cohorts shrunk to 2,000 households, and a pilot INT
    from day 183 (reports: days 0-390, so six months exist on both sides)."""
    base = ps.load_scenario(ROOT / "calibration" / "harlesden" / "scenario.yaml").with_overrides({
        "time": {"horizon_days": 390, "warmup_days": 120},
        "cohorts": {"financial_hardship": {"size": {"Harlesden": 1500}},
                    "homelessness_risk": {"size": {"Harlesden": 500}}},
    })
    pilot = base.with_overrides({"int": {
        "neighbourhoods": {"Harlesden": {"start_day": 183}},
        "workers": {"debt_adviser": {"fte": 8, "domains": ["money"], "caseload": 25},
                    "housing_officer": {"fte": 8, "domains": ["housing"], "caseload": 25}},
        "duration": {"distribution": "exponential", "mean_days": 90},
        "effect": {"escalation_multiplier": 0.1, "recovery_multiplier": 3.0},
        "on_completion": {"resolve_probability": 0.5, "step_down_probability": 0.3},
        "case_finding": {"screen_every_days": 28, "sensitivity": 0.8, "specificity": 0.95, "acceptance": 0.7},
    }})
    return {"siloed": base, "pilot": pilot}


def test_end_to_end_on_a_small_scenario(tmp_path):
    c = ps.compare(small_pilot(), replications=12, seed=5)
    r = review_power(c, "pilot", months=6)
    assert isinstance(r, ReviewPower)
    assert (r.neighbourhoods, r.start_day, r.replications) == (("Harlesden",), 183.0, 12)
    assert (r.pre_window, r.post_window) == ((0.0, 180.0), (210.0, 390.0))
    # the counts are the Dataset's crises in Harlesden over the windows' bins
    crises = c.ds["crises"].sel(neighbourhood="Harlesden").sum(("cohort", "domain"))
    post = crises.sel(time=slice(210, 360)).sum("time")
    per = r.per_replication.set_index(["scenario", "replication"])
    assert np.array_equal(per.loc["pilot", "post"].to_numpy(), post.sel(scenario="pilot").values)
    assert np.array_equal(per.loc["siloed", "pre"].to_numpy(),
                          crises.sel(scenario="siloed", time=slice(0, 150)).sum("time").values)
    averted = (post.sel(scenario="siloed") - post.sel(scenario="pilot")).values
    assert r.true_reduction == pytest.approx(averted.mean())
    # common random numbers: before the team starts the two scenarios are the same worlds
    assert np.array_equal(per.loc["pilot", "pre"].to_numpy(), per.loc["siloed", "pre"].to_numpy())
    assert r.true_reduction_interval[0] > 0 and r.power > r.false_alarm
    # outputs
    frame = r.to_frame()
    assert frame.shape[0] == 1 and frame.loc[0, "power"] == r.power
    assert "crises averted in post window" in frame.columns
    assert "<table>" in r._repr_html_()
    text = str(r)
    assert text.startswith("With 12 replications, a before-after evaluation at six months (crises in Harlesden on "
                           "days 210-390 against days 0-180) finds a reduction in ")
    assert f"where the pilot averts {fmt(r.true_reduction, 'crises')} crises (90 % interval " in text
    import matplotlib.pyplot as plt

    fig = r.plot()
    assert len(fig.axes) == 2
    plt.close(fig)
    # the same from a saved comparison
    again = review_power(ps.Comparison.open(c.to_netcdf(tmp_path / "c.nc")), "pilot")
    assert (again.power, again.false_alarm, again.true_reduction) == (r.power, r.false_alarm, r.true_reduction)
    with pytest.raises(ps.PlacesimError, match="'siloed' has no INT"):
        review_power(c, "siloed", baseline="pilot")
