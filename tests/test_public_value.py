"""GMCA-style public value: economic and social values of crises averted, optimism bias by
confidence grade, benefits carried past the period, and the workbook export."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from toy_files import ECONOMICS, econ

import placesim as ps
from placesim.appraisal import appraise
from placesim.appraisal.workbook import SHEETS, SUMMARY_COLUMNS
from placesim.errors import PlacesimError, ScenarioError
from placesim.results import Results

TOY = Path(__file__).parent / "scenarios"


@pytest.fixture(scope="module")
def toy() -> ps.Comparison:
    siloed = ps.load_scenario(TOY / "toy_siloed.yaml").with_overrides({"economics": ECONOMICS})
    int_ = ps.load_scenario(TOY / "toy_int.yaml").with_overrides({"economics": ECONOMICS})
    return ps.compare({"siloed": siloed, "int": int_}, replications=3, seed=7)


def _averted(toy, domain: str) -> np.ndarray:
    c = toy.ds["crises"].sel(domain=domain).sum(("neighbourhood", "cohort", "time"))
    return (c.sel(scenario="siloed") - c.sel(scenario="int")).values


def test_economic_and_social_values_of_crises_averted_by_hand(toy):
    values = {"housing": {"economic_gbp": 100.0, "social_gbp": 300.0, "price_year": "2010/11"}}
    a = appraise(toy, economics=econ(values=values))
    per = a.per_replication("int")
    averted = _averted(toy, "housing")
    assert (averted != 0).any()
    np.testing.assert_allclose(per["economic_value_gbp"], averted * 100 * 112 / 81, rtol=1e-12)
    np.testing.assert_allclose(per["social_value_gbp"], averted * 300 * 112 / 81, rtol=1e-12)
    fiscal = appraise(toy).per_replication("int")
    np.testing.assert_array_equal(np.sign(per["pv_public_value_gbp"] - fiscal["pv_costs_avoided_gbp"]),
                                  np.sign(averted))
    np.testing.assert_allclose(per["npv_gbp"], fiscal["npv_gbp"], rtol=1e-12)  # the fiscal NPV is untouched
    s = a.summary().loc["int"]
    assert s["public_value_bcr"] == pytest.approx(per["pv_public_value_gbp"].mean() / per["pv_int_cost_gbp"].mean())


def test_without_values_public_value_is_the_fiscal_value(toy):
    s = appraise(toy).summary().loc["int"]
    assert s["economic_value_gbp"] == 0 and s["social_value_gbp"] == 0
    assert s["public_value_bcr"] == pytest.approx(s["bcr"], rel=1e-12)
    assert s["pv_carried_forward_gbp"] == 0 and s["npv_with_carry_forward_gbp"] == pytest.approx(s["npv_gbp"])


def test_a_value_for_an_unknown_domain_is_refused_with_the_domains(toy):
    with pytest.raises(PlacesimError, match=r"'hosuing'.*not a domain.*housing"):
        appraise(toy, economics=econ(values={"hosuing": {"social_gbp": 1.0}}))


def test_optimism_bias_by_grade_raises_costs_and_lowers_benefits(toy):
    base = appraise(toy)
    graded = appraise(toy, economics=econ(optimism_bias={
        "grades": {"1": 0, "3": 10, "5": 20}, "lines": {"int": 5, "ta": 3, "default": 1}}))
    b, g = base.summary().loc["int"], graded.summary().loc["int"]
    assert g["int_cost_gbp"] == pytest.approx(1.2 * b["int_cost_gbp"], rel=1e-12)
    ds = toy.ds["cost_gbp"]
    ta = float((ds.sel(scenario="siloed", service="ta") - ds.sel(scenario="int", service="ta")).sum("time").mean())
    assert g["costs_avoided_gbp"] == pytest.approx(b["costs_avoided_gbp"] - 0.1 * ta, rel=1e-9)


@pytest.mark.parametrize("changes, says", [
    ({"optimism_bias_percent": 10, "optimism_bias": {"grades": {"1": 0}, "lines": {"int": 1}}}, "not both"),
    ({"optimism_bias": {"grades": {"1": 0}, "lines": {"int": 2}}}, "grade.*'2'.*not in grades"),
    ({"optimism_bias": {"grades": {"1": 100}, "lines": {"int": 1}}}, "below 100"),
    ({"carry_forward": {"years": 0, "drop_off_percent": 10}}, "greater than 0"),
    ({"carry_forward": {"years": 3, "drop_off_percent": 120}}, "at most 100"),
    ({"values": {"housing": {"social_gbp": -1}}}, "at least 0"),
])
def test_bad_public_value_settings_are_refused_with_their_field(toy, changes, says):
    sc = ps.load_scenario(TOY / "toy_siloed.yaml")
    with pytest.raises(ScenarioError, match=rf"economics(?s:.*){says}"):
        sc.with_overrides({"economics": {**ECONOMICS, **changes}})


def _known_flows(toy, avoided_per_bin: float) -> ps.Comparison:
    """The toy comparison with known flows: INT 100 a bin, costs avoided per 30 days."""
    out = {}
    for label in ("siloed", "int"):
        ds = toy.results[label].ds.copy(deep=True)
        ds["cost_gbp"][:] = 0.0
        ds["crises"][:] = 0.0
        if label == "int":
            ds["cost_gbp"].loc[dict(service="int:A")] = 100.0
        else:
            ds["cost_gbp"].loc[dict(service="ta")] = (avoided_per_bin * ds["bin_days"].values / 30)[None, :]
        out[label] = Results(ds)
    return ps.Comparison(out)


def test_benefits_carried_forward_with_lag_and_drop_off(toy):
    flows = _known_flows(toy, 400.0)

    def carried(**cf) -> float:
        return float(appraise(flows, economics=econ(carry_forward=cf)).summary().loc["int", "pv_carried_forward_gbp"])

    one = carried(years=1, drop_off_percent=0)
    # the toy runs two years: a year of 400 per 30 days carried into year 2 (discounted 1.035^-2)
    assert one == pytest.approx(400 * 365.25 / 30 / 1.035 ** 2, rel=1e-12)
    assert carried(years=2, drop_off_percent=0) == pytest.approx(one * (1 + 1 / 1.035), rel=1e-12)
    assert carried(years=1, drop_off_percent=50) == pytest.approx(0.5 * one, rel=1e-12)
    assert carried(years=1, drop_off_percent=50, lag_years=1) == pytest.approx(0.25 * one / 1.035, rel=1e-12)
    assert carried(years=0.5, drop_off_percent=0) == pytest.approx(0.5 * one, rel=1e-12)
    assert carried(years=3, drop_off_percent=100) == 0.0
    s = appraise(flows, economics=econ(carry_forward={"years": 1, "drop_off_percent": 0})).summary().loc["int"]
    assert s["npv_with_carry_forward_gbp"] == pytest.approx(s["npv_gbp"] + one)  # beside the headline, not in it


def test_workbook_reads_back_in_the_gmca_layout(toy, tmp_path):
    a = appraise(toy, economics=econ(values={"housing": {"economic_gbp": 100.0, "social_gbp": 300.0}},
                                     carry_forward={"years": 3, "drop_off_percent": 33}))
    path = a.to_workbook(tmp_path / "appraisal.xlsx")
    wb = openpyxl.load_workbook(path, read_only=True)
    assert tuple(wb.sheetnames) == SHEETS
    rows = list(wb["Summary"].iter_rows(values_only=True))
    assert list(rows[0]) == [h for h, _ in SUMMARY_COLUMNS]
    s = a.summary()
    (row,) = [r for r in rows[1:] if r[0] == "int"]
    for (_, key), value in zip(SUMMARY_COLUMNS[1:], row[1:]):
        expected = s.loc["int", key]
        assert (value is None and math.isnan(expected)) or value == pytest.approx(expected, rel=1e-12), key
    years = list(wb["Costs and benefits by year"].iter_rows(values_only=True))
    costs = sum(r[3] for r in years[1:] if r[0] == "int")
    assert costs == pytest.approx(s.loc["int", "int_cost_gbp"], rel=1e-9)
    economic = sum(r[5] for r in years[1:] if r[0] == "int")
    assert economic == pytest.approx(s.loc["int", "economic_value_gbp"], rel=1e-9)
    table = list(wb["Options table"].iter_rows(values_only=True))
    assert "public_value_bcr_lower" in table[0] and len(table) == 2
    assert not list(tmp_path.glob("*.part"))


def test_the_same_appraisal_writes_the_same_workbook_bytes(toy, tmp_path):
    a = appraise(toy)
    first = a.to_workbook(tmp_path / "a.xlsx").read_bytes()
    second = a.to_workbook(tmp_path / "b.xlsx").read_bytes()
    assert first == second
    props = openpyxl.load_workbook(tmp_path / "a.xlsx").properties
    assert props.modified.year == 2000 and props.created.year == 2000
