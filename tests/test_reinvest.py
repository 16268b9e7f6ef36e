"""Places added over time (services.NAME.added_places) and savings reinvested in them
(an options file's reinvest), on the toy place."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import placesim as ps
from placesim.appraisal import appraise
from placesim.appraisal.valuation import service_uprating
from placesim.errors import ScenarioError
from placesim.plan.clock import DAYS_PER_YEAR

TOY = Path(__file__).parent / "scenarios"
ADDED = {"from_day": 200, "places": 60, "cost_gbp_per_place_per_year": 3650}

OPTIONS = """\
placesim_options: 1
name: Toy reinvestment
base:
  scenario: toy_siloed.yaml
  overrides:
    time: {horizon_days: 1095}
economics:
  price_year: 2023/24
  cashable: {ta: 1.0, homeless_app: 1.0, ae: 1.0}
options:
  int:
    scenario: toy_int.yaml
    overrides:
      int:
        days_per_week: 5
        neighbourhoods: {A: {start_day: 30}}
  int_reinvesting:
    scenario: toy_int.yaml
    overrides:
      int:
        days_per_week: 5
        neighbourhoods: {A: {start_day: 30}}
    reinvest:
      share: 0.5
      into: advice
      cost_gbp_per_place_per_year: 2000
run: {replications: 4, seed: 7}
"""


def _toy(**over) -> ps.Scenario:
    s = ps.Scenario.from_file(TOY / "toy_siloed.yaml")
    return s.with_overrides(over) if over else s


@pytest.mark.parametrize("engine", ["des", "sd"])
def test_added_places_open_on_their_day_and_cost_what_they_say(engine):
    base = _toy()
    more = _toy(services={"advice": {"added_places": [ADDED]}})
    reps = 3 if engine == "des" else 1
    a = ps.simulate(base, reps, seed=2, engine=engine).ds
    b = ps.simulate(more, reps, seed=2, engine=engine).ds
    start, width = a["time"].values, a["bin_days"].values
    after = start >= ADDED["from_day"]
    before = start + width <= ADDED["from_day"]
    gained = (b["place_days"] - a["place_days"]).sel(service="advice")
    gained = gained.isel(replication=0) if "replication" in gained.dims else gained
    assert np.allclose(gained.values[before], 0.0)
    assert np.allclose(gained.values[after], ADDED["places"] * width[after])
    # the places' cost per day on top of what the service's cases cost
    cases = (b["started"] - a["started"]).sel(service="advice") * 200 + \
        (b["assessments"] - a["assessments"]).sel(service="advice") * more.model.services["advice"].assessment.cost_gbp
    extra = (b["cost_gbp"] - a["cost_gbp"]).sel(service="advice") - cases
    per_day = ADDED["places"] * ADDED["cost_gbp_per_place_per_year"] / DAYS_PER_YEAR
    assert np.allclose(extra.values[..., after], per_day * width[after])
    assert np.allclose(extra.values[..., before], 0.0)
    # more places, more cases started after the day (the toy's advice service has a queue)
    assert float(b["started"].sel(service="advice").isel(time=after).sum()) > \
        float(a["started"].sel(service="advice").isel(time=after).sum())


def test_places_added_later_leave_the_past_as_it_was():
    """Common random numbers: a change from day d leaves every bin before it unchanged (DES)."""
    a = ps.simulate(_toy(), 3, seed=5).ds
    b = ps.simulate(_toy(services={"advice": {"added_places": [ADDED]}}), 3, seed=5).ds
    before = a["time"].values + a["bin_days"].values <= ADDED["from_day"]
    for name in ("crises", "started", "cost_gbp", "arrivals"):
        assert np.array_equal(a[name].isel(time=before).values, b[name].isel(time=before).values), name
    assert not np.array_equal(a["started"].values, b["started"].values)


@pytest.mark.parametrize("change, message", [
    ({"ae": {"added_places": [ADDED]}}, "unlimited places cannot gain places"),
    ({"advice": {"added_places": [{**ADDED, "places": 0}]}}, "must be at least 1, got 0"),
    ({"advice": {"added_places": [{**ADDED, "from_day": -1}]}}, "must be at least 0, got -1"),
])
def test_bad_added_places_are_refused(change, message):
    with pytest.raises(ScenarioError) as err:
        _toy(services=change)
    assert message in str(err.value)
    assert "added_places" in str(err.value)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("reinvest")
    for name in ("toy_siloed.yaml", "toy_int.yaml"):
        shutil.copy(TOY / name, folder / name)
    (folder / "options.yaml").write_text(OPTIONS)
    return folder


@pytest.fixture(scope="module")
def run(folder):
    return ps.run_options(folder / "options.yaml", executor="serial", break_evens=False)


def test_each_year_buys_the_places_its_savings_pay_for(run):
    rv = run.reinvestments[0]
    assert rv.option == "int_reinvesting" and rv.into == "advice"
    years = rv.years
    assert list(years["year"]) == [0, 1, 2]
    assert years["places_added"].sum() > 0, "the toy INT saves enough to buy places"
    price = 2000.0  # at the appraisal's price year
    for row in years.itertuples():
        expected = 0 if row.year == 2 or row.cashable_savings_gbp <= 0 else \
            math.floor(0.5 * row.cashable_savings_gbp / price)
        assert row.places_added == expected
        assert row.reinvested_gbp == pytest.approx(expected * price)
    assert list(years["places"]) == [0, years["places_added"][0], years["places_added"][:2].sum()]
    # year 1's savings are those of the option without reinvestment (nothing bought yet acts in it)
    first = appraise(ps.Comparison({"baseline": run.comparison.results["baseline"], "x": rv.without}, "baseline"))
    in_year = first.period.year == 0
    assert years["cashable_savings_gbp"][0] == pytest.approx(
        first.flows["x"].cashable_by_org[:, in_year].sum(axis=(1, 2)).mean())


def test_the_option_without_reinvestment_is_the_plain_option(run):
    """Same scenario, same seed: the first run of the reinvesting option is the plain one."""
    rv = run.reinvestments[0]
    plain = run.comparison.results["int"].ds
    assert np.array_equal(rv.without.ds["crises"].values, plain["crises"].values)
    final = run.comparison.results["int_reinvesting"].ds
    added = ps.Scenario.from_yaml(final.attrs["scenario_yaml"]).model.services["advice"].added_places
    assert sum(a.places for a in added) == rv.places
    factor = float(service_uprating(run.options.scenarios["int_reinvesting"].model, ["advice"],
                                    run.appraisal.economics)[0])
    assert all(a.cost_gbp_per_place_per_year * factor == pytest.approx(2000.0) for a in added)
    assert all(a.from_day == pytest.approx((y + 1) * DAYS_PER_YEAR)
               for a, y in zip(added, rv.years.query("places_added > 0")["year"]))


def test_the_table_csv_and_report_show_the_shift(run, tmp_path):
    rv = run.reinvestments[0]
    table = run.table()
    npv = run.appraisal.per_replication("int_reinvesting")["npv_gbp"] - \
        appraise(ps.Comparison({"baseline": run.comparison.results["baseline"], "x": rv.without},
                               "baseline")).per_replication("x")["npv_gbp"].values
    assert table.loc["int_reinvesting", "reinvestment_npv_gain_gbp"] == pytest.approx(npv.mean())
    assert np.isnan(table.loc["int", "reinvested_gbp"])
    paths = run.write(tmp_path / "out")
    csv = pd.read_csv(paths["reinvestment.csv"])
    assert list(csv["places_added"]) == list(rv.years["places_added"])
    html = paths["report.html"].read_text()
    assert "id='shift-upstream'" in html or 'id="shift-upstream"' in html
    assert "Shift upstream" in html and rv.reading().split(":")[0] in html


@pytest.mark.parametrize("old, new, message", [
    ("into: advice", "into: nowhere", "unknown service 'nowhere'"),
    ("into: advice", "into: ae", "unlimited places"),
    ("share: 0.5", "share: 1.5", "must be at most 1, got 1.5"),
    ("cost_gbp_per_place_per_year: 2000", "cost_gbp_per_place_per_year: 0", "cost_gbp_per_place_per_year: must be"),
    ("into: advice", "into: advice\n      organisations: [council, nhss]", "unknown organisation 'nhss'"),
])
def test_bad_reinvest_is_refused_with_its_line(folder, tmp_path, old, new, message):
    for name in ("toy_siloed.yaml", "toy_int.yaml"):
        shutil.copy(folder / name, tmp_path / name)
    text = OPTIONS.replace(old, new)
    (tmp_path / "options.yaml").write_text(text)
    with pytest.raises(ScenarioError) as err:
        ps.load_options(tmp_path / "options.yaml")
    needle = new.splitlines()[-1]
    line = next(i for i, t in enumerate(text.splitlines(), 1) if needle in t)
    assert message in str(err.value)
    assert f":{line}" in str(err.value)
