"""Appraisal: discounting, uprating, NPV, payback and organisation totals against
hand-computed cash flows; a scenario appraised against itself saves exactly nothing."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from toy_files import ECONOMICS, econ

import placesim as ps
from placesim.appraisal import appraise, discount_factors, uprating_factor
from placesim.errors import PlacesimError, ScenarioError
from placesim.results import Results

TOY = Path(__file__).parent / "scenarios"



# ----------------------------------------------------------------------------- valuation


def test_green_book_discount_factors_by_hand():
    e = econ()
    years = np.array([0, 1, 2, 30, 31, 75, 76, 125, 126])
    d = discount_factors(years, e)
    f30 = 1.035 ** -30
    f75 = f30 * 1.03 ** -45
    f125 = f75 * 1.025 ** -50
    expected = [1.0, 1 / 1.035, 1.035 ** -2, f30, f30 / 1.03, f75, f75 / 1.025, f125, f125 / 1.02]
    np.testing.assert_allclose(d, expected, rtol=1e-13)


def test_custom_discount_schedule():
    e = econ(discount=[{"from_year": 0, "percent": 10.0}, {"from_year": 2, "percent": 0.0}])
    np.testing.assert_allclose(discount_factors(np.arange(4), e), [1, 1 / 1.1, 1 / 1.1, 1 / 1.1])


def test_uprating_by_financial_year():
    e = econ()
    # 2010/11 = 0.75 x 2010 + 0.25 x 2011 = 81; 2023/24 = 0.75 x 110 + 0.25 x 118 = 112.
    assert uprating_factor("2010/11", e) == pytest.approx(112 / 81, rel=1e-15)
    assert uprating_factor("2023/24", e) == 1.0
    assert uprating_factor(None, e) == 1.0
    assert uprating_factor("2011", e) == pytest.approx(112 / 84)
    with pytest.raises(PlacesimError, match="2015/16"):
        uprating_factor("2015/16", e)


def test_bad_economics_named_with_line(tmp_path):
    f = tmp_path / "s.yaml"
    text = (TOY / "toy_siloed.yaml").read_text()
    text = text.replace("costs: {per_case_gbp: 642}", "costs: {per_case_gbp: 642, price_year: 2009/10}")
    text += "economics:\n  price_year: 2023/24\n  deflator: {series: x, source: y, index: {2010: 1, 2023: 2, 2024: 2}}\n"
    f.write_text(text)
    with pytest.raises(ScenarioError) as exc:
        ps.load_scenario(f)
    msg = str(exc.value)
    assert "price year '2009/10' is not in economics.deflator.index" in msg
    line = text.splitlines().index(next(x for x in text.splitlines() if "2009/10" in x)) + 1
    assert f"s.yaml:{line}:" in msg
    f.write_text(text.replace("2009/10", "2010/11").replace("price_year: 2023/24", "price_year: 2023-24"))
    with pytest.raises(ScenarioError, match="financial year like '2023/24'"):
        ps.load_scenario(f)


# ----------------------------------------------------------------------------- toy runs


@pytest.fixture(scope="module")
def toy() -> ps.Comparison:
    siloed = ps.load_scenario(TOY / "toy_siloed.yaml").with_overrides({"economics": ECONOMICS})
    int_ = ps.load_scenario(TOY / "toy_int.yaml").with_overrides({"economics": ECONOMICS})
    return ps.compare({"siloed": siloed, "int": int_}, replications=3, seed=7)


def test_self_appraisal_is_exactly_zero(toy):
    same = ps.Comparison({"a": toy.results["siloed"], "b": toy.results["siloed"]})
    s = appraise(same).summary().loc["b"]
    for k in ("int_cost_gbp", "costs_avoided_gbp", "crisis_costs_avoided_gbp", "net_cost_gbp", "npv_gbp",
              "pv_int_cost_gbp", "pv_costs_avoided_gbp", "crises_averted"):
        assert s[k] == 0.0 and s[k + "_lower"] == 0.0 and s[k + "_upper"] == 0.0, k
    assert math.isnan(s["bcr"]) and math.isnan(s["payback_month"])
    orgs = appraise(same).by_organisation()
    assert (orgs.filter(regex="_gbp$") == 0).all().all()


def test_npv_matches_hand_computed_cash_flows(toy):
    a = appraise(toy)
    ds = toy.ds
    services = list(ds["service"].values)
    factor = {s: 1.0 for s in services}  # the toy's costs carry no price year: already at 2023/24
    days = ds["time"].values + ds["bin_days"].values / 2
    year = np.floor(days / 365.25).astype(int)
    disc = np.array([1.035 ** -y for y in year])
    cost = ds["cost_gbp"]
    by_hand = []
    for r in range(3):
        int_cost = avoided = 0.0
        for t in range(ds.sizes["time"]):
            i_t = sum(float(cost.sel(scenario="int", service=s)[r, t]) * factor[s]
                                 for s in services if s.startswith("int:"))
            a_t = sum(float(cost.sel(scenario="siloed", service=s)[r, t] - cost.sel(scenario="int", service=s)[r, t])
                      for s in services if not s.startswith("int:"))
            int_cost += i_t * disc[t]
            avoided += a_t * disc[t]
        by_hand.append(avoided - int_cost)
    per = a.per_replication("int")
    np.testing.assert_allclose(per["npv_gbp"].values, by_hand, rtol=1e-12)
    s = a.summary().loc["int"]
    assert s["npv_gbp"] == pytest.approx(np.mean(by_hand), rel=1e-12)
    half = 2.919986 * np.std(by_hand, ddof=1) / np.sqrt(3)  # t(0.95, 2 df)
    assert s["npv_gbp_upper"] - s["npv_gbp"] == pytest.approx(half, rel=1e-5)


def test_optimism_bias_and_uprating_scale_int_cost(toy):
    base = appraise(toy).summary().loc["int"]
    biased = appraise(toy, economics=econ(optimism_bias_percent=20)).summary().loc["int"]
    assert biased["int_cost_gbp"] == pytest.approx(1.2 * base["int_cost_gbp"], rel=1e-12)
    assert biased["costs_avoided_gbp"] == base["costs_avoided_gbp"]
    # Every cost at price year 2010/11 -> everything scales by 112/81.
    old = {"services": {s: {"costs": {"price_year": "2010/11"}} for s in toy.results["siloed"].scenario().services}}
    sil = toy.results["siloed"].scenario().with_overrides(old)
    int_ = toy.results["int"].scenario().with_overrides({**old, "int": {"costs": {"price_year": "2010/11"}}})
    relabelled = ps.Comparison({"siloed": Results(toy.results["siloed"].ds.assign_attrs(scenario_yaml=sil.to_yaml())),
                                "int": Results(toy.results["int"].ds.assign_attrs(scenario_yaml=int_.to_yaml()))})
    up = appraise(relabelled).summary().loc["int"]
    for k in ("int_cost_gbp", "costs_avoided_gbp", "npv_gbp"):
        assert up[k] == pytest.approx(base[k] * 112 / 81, rel=1e-12)


def test_organisations_add_up_to_the_whole(toy):
    a = appraise(toy)
    s = a.summary().loc["int"]
    orgs = a.by_organisation().loc["int"]
    assert orgs["int_cost_gbp"].sum() == pytest.approx(s["int_cost_gbp"], rel=1e-12)
    assert orgs["costs_avoided_gbp"].sum() == pytest.approx(s["costs_avoided_gbp"], rel=1e-9, abs=1e-6)
    assert orgs["npv_gbp"].sum() == pytest.approx(s["npv_gbp"], rel=1e-9, abs=1e-6)
    np.testing.assert_allclose(orgs["cashable_gbp"] + orgs["non_cashable_gbp"], orgs["costs_avoided_gbp"],
                               rtol=1e-12, atol=1e-9)
    # Funding shares: council 0.6, nhs 0.4 of the INT.
    assert orgs.loc["council", "int_cost_gbp"] == pytest.approx(0.6 * s["int_cost_gbp"], rel=1e-12)
    assert orgs.loc["nhs", "int_cost_gbp"] == pytest.approx(0.4 * s["int_cost_gbp"], rel=1e-12)
    # Before uprating, the rebuilt organisation costs equal the engine's own attribution.
    ds = a.comparison.ds
    engine_total = (ds["organisation_cost_gbp"].sel(scenario="siloed") - ds["organisation_cost_gbp"].sel(scenario="int"))
    hand = engine_total.sum("time").mean("replication")
    for org in ("vcs", "council", "nhs"):
        expected = float(hand.sel(organisation=org)) + orgs.loc[org, "int_cost_gbp"]
        assert orgs.loc[org, "costs_avoided_gbp"] == pytest.approx(expected, rel=1e-9, abs=1e-6)


def test_cashable_shares_follow_the_economics(toy):
    orgs = appraise(toy).by_organisation().loc["int"]
    ds = toy.ds
    avoided = (ds["cost_gbp"].sel(scenario="siloed") - ds["cost_gbp"].sel(scenario="int")).sum("time").mean("replication")
    # Every toy service but 'advice' (vcs) is the council's; ta is fully cashable, the rest 25 %.
    council = [s for s in ("housing_options", "homeless_app", "ta")]
    expected = sum(float(avoided.sel(service=s)) * (1.0 if s == "ta" else 0.25) for s in council)
    assert orgs.loc["council", "cashable_gbp"] == pytest.approx(expected, rel=1e-9, abs=1e-6)


def _flows_comparison(toy, int_cost: list[float], avoided: list[float]) -> ps.Comparison:
    """The toy comparison with its costs replaced by known flows (one INT team, one service)."""
    out = {}
    for label in ("siloed", "int"):
        ds = toy.results[label].ds.copy(deep=True)
        ds["cost_gbp"][:] = 0.0
        ds["crises"][:] = 0.0
        if label == "int":
            ds["cost_gbp"].loc[dict(service="int:A")] = np.array(int_cost)[None, :]
        else:
            ds["cost_gbp"].loc[dict(service="ta")] = np.array(avoided)[None, :]
        out[label] = Results(ds)
    return ps.Comparison(out)


def test_payback_and_discounting_on_known_flows(toy):
    n = toy.ds.sizes["time"]  # 25 bins of 30 days (the last 10 days)
    int_cost = [1000.0] + [100.0] * (n - 1)
    avoided = [0.0] + [400.0] * (n - 1)
    a = appraise(_flows_comparison(toy, int_cost, avoided))
    s = a.summary().loc["int"]
    # Cumulative net benefit: -1000, -700, -400, -100, +200 -> payback at the end of bin 4
    # (150 days = 4.93 months), all in year 0.
    assert s["payback_month"] == pytest.approx(150 / (365.25 / 12))
    assert s["int_cost_gbp"] == pytest.approx(1000 + 100 * (n - 1))
    assert s["costs_avoided_gbp"] == pytest.approx(400 * (n - 1))
    starts = toy.ds["time"].values
    mids = starts + toy.ds["bin_days"].values / 2
    year = np.floor(mids / 365.25)
    pv = sum((av - ic) * 1.035 ** -y for av, ic, y in zip(avoided, int_cost, year))
    assert s["npv_gbp"] == pytest.approx(pv, rel=1e-12)
    assert s["bcr"] == pytest.approx(sum(av * 1.035 ** -y for av, y in zip(avoided, year))
                                     / sum(ic * 1.035 ** -y for ic, y in zip(int_cost, year)), rel=1e-12)
    # Identical replications: the interval collapses to the point.
    assert s["payback_month_lower"] == s["payback_month"] == s["payback_month_upper"]
    never = appraise(_flows_comparison(toy, [1000.0] * n, [10.0] * n)).summary().loc["int"]
    assert math.isnan(never["payback_month"])


def test_appraisal_horizon_limits_the_period(toy):
    a = appraise(toy, economics=econ(horizon_years=1))
    assert a.period.end_month[-1] == pytest.approx(360 / (365.25 / 12))  # whole bins only
    with pytest.raises(PlacesimError, match="longer than the simulated horizon"):
        appraise(toy, economics=econ(horizon_years=3))


def test_no_economics_is_a_clear_error(toy):
    plain = ps.Comparison({"a": Results(toy.results["siloed"].ds.assign_attrs(
        scenario_yaml=ps.load_scenario(TOY / "toy_siloed.yaml").to_yaml())), "b": toy.results["int"]})
    with pytest.raises(PlacesimError, match="no economics"):
        appraise(plain)
    with pytest.raises(PlacesimError, match="unknown option"):
        appraise(toy, options=["nope"])


def test_readable_table_and_csv(toy, tmp_path):
    a = appraise(toy)
    html = a._repr_html_()
    assert "npv_gbp" in html and "£" in html
    path = a.to_csv(tmp_path / "options.csv")
    text = path.read_text()
    assert text.splitlines()[0].startswith("option,int_cost_gbp,int_cost_gbp_lower,int_cost_gbp_upper")
    assert len(text.splitlines()) == 2
