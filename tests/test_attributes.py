"""Household attributes (issue 9 item 11): who is reached.

A cohort's households are split by their attribute values into sub-cohorts the engines run
as cohorts; the results keep the scenario's cohorts and add breakdowns by value."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import placesim as ps
from placesim.plan import compile_plan
from placesim.plan.attributes import split

HERE = Path(__file__).parent / "scenarios"
BY_VALUE = ("crises_by_attribute", "help_seeking_by_attribute", "need_days_by_attribute", "assessments_by_attribute",
            "int_contacts_by_attribute", "int_found_by_attribute", "int_started_by_attribute")
NO_CAPACITY_LIMIT = {
    "int": {"days_per_week": 5, "workers": {"money_adviser": {"fte": 20}, "housing_officer": {"fte": 20}},
            "case_finding": {"max_contacts_per_screen": 100000}},
    "services": {"housing_options": {"servers": 200}},
}
"""The toy with capacity that does not bind: an INT with room for everyone it finds, no cap on
contacts, and housing options with room to spare (at 40 servers it is full)."""


def toy(**over) -> ps.Scenario:
    s = ps.load_scenario(HERE / "toy_attributes.yaml")
    return s.with_overrides(over) if over else s


def totals(ds, name):
    return ds[name].sum(("time", "neighbourhood"))


def test_no_attributes_no_new_variables_nor_axis():
    s = ps.load_scenario(HERE / "toy_int.yaml")
    plan = compile_plan(s)
    assert plan.attributes is None and plan.n_cohorts == 1
    ds = ps.simulate(s.with_overrides({"time": {"horizon_days": 60, "warmup_days": 0}}), replications=1, seed=1).ds
    assert "attribute_value" not in ds.dims
    assert not [v for v in ds.data_vars if "attribute" in str(v) or str(v).startswith("int_")]
    with pytest.raises(ps.PlacesimError, match="no household attributes"):
        ps.Results(ds).reach_summary()


def test_plan_splits_cohorts_by_largest_remainder():
    plan = compile_plan(toy())
    assert [(g.key, g.size) for g in plan.groups] == [
        ("A/hardship|disability=disabled", 1200), ("A/hardship|disability=not disabled", 3800),
        ("B/hardship|disability=disabled", 1200), ("B/hardship|disability=not disabled", 3800)]
    assert split(10, [1 / 3, 1 / 3, 1 / 3]) == [4, 3, 3]
    assert split(7, [0.5, 0.5]) == [4, 3]
    assert sum(split(999, [0.24, 0.76])) == 999
    disabled = plan.cohorts[0]
    base = compile_plan(ps.load_scenario(HERE / "toy_int.yaml")).cohorts[0]
    assert disabled.hazards.help[0][1] == pytest.approx(0.7 * base.hazards.help[0][1])
    assert disabled.hazards.escalation[1][0] == pytest.approx(1.3 * base.hazards.escalation[1][0])
    assert disabled.hazards.recovery == base.hazards.recovery
    assert (disabled.coverage, disabled.acceptance) == (0.6, 0.8)
    assert plan.cohorts[1].coverage == 1.0


def test_two_attributes_combine_independently():
    s = toy(attributes={"tenure": {"values": {"renting": {"coverage": 0.5}, "owning": {}}}},
            cohorts={"hardship": {"attributes": {"tenure": {"renting": 0.5, "owning": 0.5}}}})
    plan = compile_plan(s)
    assert len(plan.cohorts) == 4
    assert [g.size for g in plan.groups[:4]] == [600, 600, 1900, 1900]
    assert plan.cohorts[0].coverage == pytest.approx(0.3)  # disabled and renting: 0.6 x 0.5
    assert plan.attributes is not None
    assert plan.attributes.values == ("disability=disabled", "disability=not disabled", "tenure=renting",
                                      "tenure=owning")


def test_des_realises_the_shares_and_keeps_the_cohort_axis():
    """The shares are met to within one household in each neighbourhood (deterministic split,
    the same in every replication); the cohort axis is the scenario's."""
    s = toy(time={"horizon_days": 60, "warmup_days": 0})
    ds = ps.simulate(s, replications=2, seed=5).ds
    assert list(ds["cohort"].values) == ["hardship"]
    res = ds["residents_by_attribute"].isel(time=0)  # (replication, neighbourhood, attribute_value)
    for nb in ("A", "B"):
        n = res.sel(neighbourhood=nb).values
        assert np.all(np.abs(n - np.array([0.24, 0.76]) * 5000) <= 1)
    # every resident of the cohort is in exactly one value of the attribute
    assert np.allclose(res.sum("attribute_value"), ds["residents"].isel(time=0, domain=0).sum("level").values)
    # the breakdowns add up to the cohort's totals
    for by, whole in (("crises_by_attribute", "crises"), ("assessments_by_attribute", "resident_assessments"),
                      ("need_days_by_attribute", "need_days")):
        a = ds[by].sum("attribute_value").values
        b = ds[whole].sum([d for d in ds[whole].dims if d in ("cohort", "domain")]).values
        assert np.allclose(a, b)


def test_sd_attribute_without_multipliers_changes_nothing():
    """Splitting a cohort into values with no multipliers is the same place: the SD's figures
    agree with the scenario without attributes to within the solver's tolerance."""
    plain = ps.load_scenario(HERE / "toy_int.yaml")
    split_ = plain.with_overrides({"attributes": {"disability": {"values": {"yes": {}, "no": {}}}},
                                   "cohorts": {"hardship": {"attributes": {"disability": {"yes": 0.3, "no": 0.7}}}}})
    a = ps.simulate(plain, engine="sd").ds
    b = ps.simulate(split_, engine="sd").ds
    for v in ("crises", "help_seeking", "need_days", "resident_assessments", "assessments", "started"):
        x, y = float(a[v].sum()), float(b[v].sum())
        assert y == pytest.approx(x, rel=2e-3), v
    # and the breakdown is in proportion to the shares
    res = totals(b, "crises_by_attribute").isel(replication=0).values
    assert res[0] / res.sum() == pytest.approx(0.3, rel=2e-3)


HALVED = {
    "coverage": {"int": {"case_finding": {"coverage": 0.4}}},
    "acceptance": {"int": {"case_finding": {"acceptance": 0.3}}},
    "help_seeking": {"cohorts": {"hardship": {"hazards": {"money": {"help_seeking_per_year": [0.1, 0.3]},
                                                         "housing": {"help_seeking_per_year": [0.05, 0.4]}}}}},
}
"""The toy's cohort with the mechanism itself halved (coverage 0.8, acceptance 0.6 and the
help-seeking hazards halved)."""


@pytest.mark.parametrize("field, measure", [("coverage", "int_found_by_attribute"),
                                            ("acceptance", "int_found_by_attribute"),
                                            ("help_seeking", "help_seeking_by_attribute")])
def test_sd_multiplier_moves_reach_by_the_expected_amount(field, measure):
    """Households with a multiplier of 0.5 behave as the whole cohort does with the mechanism
    itself halved (where capacity does not bind), and are reached less than the others.

    (Not half as often over a run: a screen's chance halves, but those it misses are still
    there at the next screen; the help-seeking of those in need likewise.)"""
    low, same = run_pair(field, measure)
    halved = run_halved(field, measure)
    assert low < 0.9 * same
    assert low == pytest.approx(halved, rel=0.02), (low, same, halved)


def _split(field: str | None) -> dict:
    return {"attributes": {"group": {"values": {"low": {field: 0.5} if field else {}, "same": {}}}},
            "cohorts": {"hardship": {"attributes": {"group": {"low": 0.5, "same": 0.5}}}}}


def run_pair(field: str, measure: str) -> np.ndarray:
    s = ps.load_scenario(HERE / "toy_int.yaml").with_overrides({**NO_CAPACITY_LIMIT, **_split(field)})
    return totals(ps.simulate(s, engine="sd").ds, measure).isel(replication=0).values


def run_halved(field: str, measure: str) -> float:
    s = ps.load_scenario(HERE / "toy_int.yaml").with_overrides(NO_CAPACITY_LIMIT).with_overrides(
        HALVED[field]).with_overrides(_split(None))
    return float(totals(ps.simulate(s, engine="sd").ds, measure).isel(replication=0).values[0])


def test_sd_coverage_multiplier_is_capped_at_certainty():
    s = toy(attributes={"disability": {"values": {"disabled": {"coverage": 1000}}}}, **NO_CAPACITY_LIMIT)
    ds = ps.simulate(s, engine="sd").ds
    per = totals(ds, "int_contacts_by_attribute").isel(replication=0).values / np.array([2400, 7600])
    # coverage 0.8 for the others, 1 (not 800) for the disabled
    assert per[0] / per[1] < 1.6


def test_des_and_sd_agree_by_attribute_where_capacity_does_not_bind():
    s = toy(**NO_CAPACITY_LIMIT)
    reps = 4
    d = ps.simulate(s, replications=reps, seed=11).ds
    q = ps.simulate(s, engine="sd").ds
    for v in BY_VALUE:
        a = totals(d, v)
        mean = a.mean("replication").values
        se = a.std("replication").values / np.sqrt(reps)
        b = totals(q, v).isel(replication=0).values
        # within 5 %, widened by three standard errors of the DES mean
        assert np.all(np.abs(b - mean) <= 0.05 * mean + 3 * se), (v, mean, se, b)


def test_reach_summary_and_crises_averted():
    s = toy(time={"horizon_days": 180}, **NO_CAPACITY_LIMIT)
    base = s.with_overrides({"int": None}, name="siloed")
    c = ps.compare({"siloed": base, "INT": s}, replications=2, seed=2)
    r = c.reach_summary()
    assert list(r.index.names) == ["scenario", "attribute", "value"]
    mean = r.xs("mean", axis=1, level=1)
    assert (mean.xs("siloed")["crises averted"] == 0).all()
    assert (mean.xs("siloed")["share reached by the INT"] == 0).all()
    assert (mean.xs("INT")["share reached by the INT"] > 0).all()
    one = c.results["INT"].reach_summary().xs("mean", axis=1, level=1)
    assert one.loc[("disability", "disabled"), "residents"] == 2400
    # the disabled are less often in the data and accept less: fewer found per resident
    assert (one.loc[("disability", "disabled"), "found by case-finding per 1,000 residents"]
            < one.loc[("disability", "not disabled"), "found by case-finding per 1,000 residents"])
    sd = ps.simulate(s, engine="sd").reach_summary().xs("mean", axis=1, level=1)
    assert sd["share reached by the INT"].isna().all()  # the sd follows no one


def test_engines_give_the_same_variables_with_attributes():
    """With attributes both engines give every variable, on the same axes (NaN where one cannot)."""
    from placesim.variables import VARIABLES
    s = toy(time={"horizon_days": 60, "warmup_days": 0})
    a = ps.simulate(s, replications=1, seed=1).ds
    b = ps.simulate(s, engine="sd").ds
    assert set(a.data_vars) == set(b.data_vars) == set(VARIABLES)
    assert set(a.coords) == set(b.coords)
    for name in a.data_vars:
        assert a[name].dims == b[name].dims == VARIABLES[name].dims, name
        assert a[name].attrs["units"] == VARIABLES[name].units
    assert np.isnan(b["int_reached_by_attribute"].values).all()
