"""The ``repeat_assessments`` counter: residents telling their story again within one need episode."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import placesim as ps

TOY = Path(__file__).resolve().parent / "scenarios"


def test_repeat_assessments_are_the_assessments_after_the_first_of_each_episode():
    """Households that start in need and can never recover stay in one need episode all run:
    each one's repeat assessments are its assessments in the trace less its first."""
    never_recover = {"recovery_per_year": [0, 0]}
    sc = ps.load_scenario(TOY / "toy_siloed.yaml").with_overrides({
        "time": {"horizon_days": 360, "warmup_days": 0, "report_every_days": 30},
        "cohorts": {"hardship": {"initial": {"money": [0.0, 0.6, 0.4, 0.0], "housing": [0.0, 0.7, 0.3, 0.0]},
                                 "hazards": {"money": never_recover, "housing": never_recover}}},
        "services": {"advice": {"on_completion": {"resolve_probability": 0.0, "step_down_probability": 0.0}},
                     "housing_options": {"on_completion": {"resolve_probability": 0.0}}}})
    res = ps.simulate(sc, replications=2, seed=3, trace=True)
    trace = res.trace
    assess = trace[(trace["event"] == "assess") & (trace["resident"] >= 0)]
    per_resident = assess.groupby(["replication", "resident"]).size()
    expected = (per_resident - 1).groupby("replication").sum().to_numpy()
    got = res.ds["repeat_assessments"].sum(("time", "service")).to_numpy()
    assert expected.min() > 0
    np.testing.assert_array_equal(got, expected)
    assert (got < res.ds["assessments"].sum(("time", "service")).to_numpy()).all()


def test_repeat_assessments_are_in_the_summary_and_nan_in_the_sd_engine():
    sc = ps.load_scenario(TOY / "toy_siloed.yaml").with_overrides(
        {"time": {"horizon_days": 120, "warmup_days": 30, "report_every_days": 30}})
    row = "repeat assessments (told their story again)"
    assert ps.simulate(sc, replications=2, seed=1).summary().loc[row, "mean"] > 0
    sd = ps.simulate(sc, engine="sd")
    assert np.isnan(sd.ds["repeat_assessments"]).all() and np.isnan(sd.summary().loc[row, "mean"])
