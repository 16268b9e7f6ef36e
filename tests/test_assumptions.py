"""Sources of scenario figures (trailing comments) and the assumptions table in results."""

from __future__ import annotations

import pickle
from pathlib import Path

import pandas as pd
import pytest
import yaml

import placesim as ps
from placesim.scenario.assumptions import (
    COLUMNS,
    assumptions_from_dataset,
    assumptions_table,
    find_figures,
    read_figures,
)
from placesim.scenario.sources import read_sources, sources_from_text

ROOT = Path(__file__).resolve().parents[1]
MMC = ROOT / "scenarios/validation/mmc.yaml"
SHORT = {"time": {"horizon_days": 200, "warmup_days": 20, "report_every_days": 50}}

BASE = """\
# a comment line: not a source
placesim: 1
name: "base # not a comment"   # the name
time: {horizon_days: 100, report_every_days: 10}
services:
  desk:
    organisation: council      # who runs it
    servers: 3                 # UC01
    arrivals: {rate_per_day: 2.0}   # assumption, range 1-3
    duration: {distribution: lognormal, mean_days: 2.0, sd_days: 1.0}   # UC43 x 2 (assumption)
    costs:
      per_case_gbp:
        109                    # UC01
      price_year: "2011/12 # quoted"
    referrals:
      - {to: ae, probability: 0.5}   # XX99
  ae:
    organisation: nhs
    servers: unlimited
    duration: {distribution: fixed, days: 0.2}
"""

CHILD = """\
placesim: 1
extends: base.yaml
name: child
services:
  desk:
    servers: 4                 # assumption: one more
"""


@pytest.fixture()
def files(tmp_path: Path) -> Path:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "base.yaml").write_text(BASE, encoding="utf-8")
    (folder / "child.yaml").write_text(CHILD, encoding="utf-8")
    ref = tmp_path / "reference"  # found by walking up from the scenarios' folder
    ref.mkdir()
    (ref / "figures.csv").write_text(
        "id,quantity,value,unit,price_year,geography,source_title,source_address,note\n"
        "UC01,A&E attendance,109,GBP,2011/12,England,Unit Cost Database v1.4 - as transcribed,x,\n"
        "UC43,Social worker hour,40,GBP,2013/14,England,Unit Cost Database v1.4,x,\n", encoding="utf-8")
    return folder


def test_comments_of_block_and_flow_mappings_and_quoted_hashes(files):
    src = read_sources(files / "base.yaml")
    assert src["services.desk.servers"] == "UC01"
    assert src["services.desk.organisation"] == "who runs it"
    assert src["services.desk.arrivals.rate_per_day"] == "assumption, range 1-3"
    for leaf in ("distribution", "mean_days", "sd_days"):  # every leaf of a flow mapping
        assert src[f"services.desk.duration.{leaf}"] == "UC43 x 2 (assumption)"
    assert src["services.desk.costs.per_case_gbp"] == "UC01"  # value on the line after its key
    assert src["services.desk.referrals[0].probability"] == "XX99"
    assert src["name"] == "the name"  # '#' inside quotes is not a comment
    assert src["services.desk.costs.price_year"] == ""
    assert src["time.horizon_days"] == "" and src["services.ae.servers"] == ""
    assert sources_from_text('a: "x # y"\nb: c#d\n') == {"a": "", "b": ""}


def test_a_field_from_an_extends_base_has_the_base_files_comment(files):
    s = ps.load_scenario(files / "child.yaml")
    assert s.sources["services.desk.servers"] == "assumption: one more"
    assert s.sources["services.desk.arrivals.rate_per_day"] == "assumption, range 1-3"
    assert s.sources == read_sources(files / "child.yaml")


def test_sources_of_from_yaml_from_dict_and_pickling(files):
    assert ps.Scenario.from_yaml(BASE).sources["services.desk.servers"] == "UC01"
    assert ps.Scenario.from_dict(yaml.safe_load(MMC.read_text())).sources == {}
    s = ps.load_scenario(files / "child.yaml")
    assert pickle.loads(pickle.dumps(s)).sources == s.sources


def test_with_overrides_marks_the_fields_it_sets(files):
    s = ps.load_scenario(files / "child.yaml")
    v = s.with_overrides({"services": {"desk": {"servers": 5, "duration": {"distribution": "fixed", "days": 1}}}},
                         name="v")
    assert v.sources["services.desk.servers"] == "set in Python"
    assert v.sources["services.desk.duration.days"] == "set in Python"
    assert "services.desk.duration.sd_days" not in v.sources  # replaced whole
    assert v.sources["name"] == "set in Python"
    assert v.sources["services.desk.arrivals.rate_per_day"] == "assumption, range 1-3"  # untouched
    table = assumptions_table(v).set_index("parameter")
    assert table.loc["services.desk.servers", "status"] == "not stated"
    assert table.loc["services.desk.servers", "source"] == "set in Python"


def test_table_rows_status_and_references(files):
    s = ps.load_scenario(files / "child.yaml")
    assert find_figures(files / "child.yaml") == files.parent / "reference" / "figures.csv"
    table = assumptions_table(s)
    assert list(table.columns) == COLUMNS
    t = table.set_index("parameter")
    # names, text ('unlimited', price years) and the run's time settings are not parameters
    assert set(t.index) == {"services.desk.servers", "services.desk.arrivals.rate_per_day",
                            "services.desk.duration", "services.desk.costs.per_case_gbp",
                            "services.desk.referrals[0].probability", "services.ae.duration"}
    assert t.loc["services.desk.duration", "value"] == "lognormal(mean_days=2.0, sd_days=1.0)"
    assert t.loc["services.desk.duration", "status"] == "derived"
    assert t.loc["services.desk.costs.per_case_gbp", "status"] == "reference"
    assert t.loc["services.desk.costs.per_case_gbp", "references"] == \
        "UC01: A&E attendance (Unit Cost Database v1.4, 2011/12)"
    assert t.loc["services.desk.servers", "status"] == "assumption"
    assert t.loc["services.desk.referrals[0].probability", "status"] == "not stated"  # XX99 is no row
    assert t.loc["services.desk.referrals[0].probability", "references"] == "XX99 (not in the figures table)"
    assert t.loc["services.ae.duration", "status"] == "not stated"
    # without a figures table, references are the ids alone
    bare = assumptions_table(ps.Scenario.from_yaml(BASE)).set_index("parameter")
    assert bare.loc["services.desk.costs.per_case_gbp", "references"] == "UC01"
    assert bare.loc["services.desk.costs.per_case_gbp", "status"] == "reference"


def test_brent_service_costs_cite_existing_figures(brent_siloed):
    figures = read_figures(ROOT / "scenarios/reference/figures.csv")
    table = assumptions_table(brent_siloed)
    costs = table[table["parameter"].str.match(r"services\.\w+\.(costs\.per_\w+_gbp|assessment\.cost_gbp)$")]
    assert len(costs) >= 14
    for _, row in costs.iterrows():
        assert row["status"] in ("reference", "derived"), row.to_dict()
        ids = [r.split(":")[0] for r in row["references"].split("; ")]
        assert ids and all(i in figures.index for i in ids), row.to_dict()


def test_int_pilot_effect_is_read_from_evaluations_or_an_assumption(brent_pilot):
    t = assumptions_table(brent_pilot).set_index("parameter")
    # the escalation effect is read (with an assumption) from evaluations with a comparison group
    assert t.loc["int.effect.escalation_multiplier", "status"] == "derived"
    assert "EV01" in t.loc["int.effect.escalation_multiplier", "references"]
    for p in ("int.effect.recovery_multiplier", "int.duration"):
        assert t.loc[p, "status"] == "assumption", p
    assert t.loc["int.workers.debt_adviser.cost_per_fte_gbp_per_year", "status"] == "derived"
    assert t.loc["neighbourhoods.Harlesden.population", "status"] == "reference"  # from siloed.yaml


def test_table_survives_netcdf_round_trips(tmp_path):
    s = ps.load_scenario(MMC).with_overrides(SHORT)
    expected = assumptions_table(s)
    r = ps.simulate(s, 2, seed=1)
    pd.testing.assert_frame_equal(assumptions_from_dataset(r.ds), expected)
    back = ps.open_results(r.to_netcdf(tmp_path / "r.nc"))
    pd.testing.assert_frame_equal(assumptions_from_dataset(back.ds), expected)

    more = s.with_overrides({"services": {"desk": {"servers": 11}}})
    c = ps.compare({"a": s, "b": more}, replications=1, seed=1)
    back = ps.open_results(c.to_netcdf(tmp_path / "c.nc"))
    b = assumptions_from_dataset(back.results["b"].ds).set_index("parameter")
    assert b.loc["services.desk.servers", "source"] == "set in Python"
    pd.testing.assert_frame_equal(assumptions_from_dataset(back.ds, "a"), expected)
    pd.testing.assert_frame_equal(assumptions_from_dataset(back.ds.sel(scenario="a")), expected)
    with pytest.raises(ValueError, match="scenario="):
        assumptions_from_dataset(back.ds)
