"""The shipped scenarios: they load, every figure is sourced, and the INT pilot does what the docs say."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
import yaml

import placesim as ps

ROOT = Path(__file__).resolve().parents[1]
OPTIONS = [p for p in (ROOT / "scenarios").rglob("*.yaml") if "placesim_options:" in p.read_text(encoding="utf-8")]
VALIDATIONS = [p for p in (ROOT / "scenarios").rglob("*.yaml") if "placesim_validation:" in p.read_text(encoding="utf-8")]
UNCERTAINTIES = [p for p in (ROOT / "scenarios").rglob("*.yaml")
                 if "placesim_uncertainty:" in p.read_text(encoding="utf-8")]
SCENARIOS = sorted(p for p in (ROOT / "scenarios").rglob("*.yaml") if p not in OPTIONS + VALIDATIONS + UNCERTAINTIES)
BRENT = sorted(p for p in (ROOT / "scenarios/brent").glob("*.yaml") if p not in VALIDATIONS)
FIGURES = {row["id"]: row for row in csv.DictReader((ROOT / "scenarios/reference/figures.csv").open(encoding="utf-8"))}
DEFLATOR = {row["year"]: row for row in csv.DictReader((ROOT / "scenarios/reference/gdp_deflator.csv").open(encoding="utf-8"))}
ID = re.compile(r"\b(?:UC|BR|HO|EN|GB|PA|WG|LM|KW|ST|EV|NH|TA|PL|CS|BX|NC|DF)\d{2}\b")
# Settings of the run or of policy rather than parameters taken from evidence.
STRUCTURAL = {"placesim", "horizon_days", "warmup_days", "report_every_days", "start_day", "end_day", "days_per_week",
              "min_level", "servers", "days", "probability", "level", "placesim_options", "replications", "seed",
              "months", "samples", "places", "years"}


def test_there_are_scenarios():
    names = {p.relative_to(ROOT).as_posix() for p in SCENARIOS}
    assert {"scenarios/brent/siloed.yaml", "scenarios/brent/int_pilot.yaml", "scenarios/brent/int_full.yaml",
            "scenarios/validation/mmc.yaml", "scenarios/validation/jackson.yaml"} <= names


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_every_scenario_loads(path):
    s = ps.load_scenario(path)
    assert s.name
    g = s.service_graph()
    assert set(s.services) <= set(g.nodes)


def test_brent_has_five_neighbourhoods_with_harlesden_and_the_priority_cohorts(brent_siloed, brent_pilot, brent_full):
    s = brent_siloed
    assert len(s.neighbourhoods) == 5 and "Harlesden" in s.neighbourhoods
    assert {"financial_hardship", "homelessness_risk", "families_under_fives"} <= set(s.cohorts)
    assert s.int_team is None
    pilot = brent_pilot
    assert list(pilot.int_team.neighbourhoods) == ["Harlesden"]
    assert pilot.int_team.team_days_per_week("Harlesden") == 1
    full = brent_full
    assert full.int_team.team_days_per_week("Harlesden") == 5
    assert full.int_team.team_capacity("Harlesden") == 5 * pilot.int_team.team_capacity("Harlesden")


def _lines(path: Path):
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        code, _, comment = line.partition("#")
        yield n, code, comment.strip()


@pytest.mark.parametrize("path", BRENT, ids=lambda p: p.name)
def test_every_cited_figure_exists_and_single_citations_match_the_value(path):
    for n, code, comment in _lines(path):
        ids = ID.findall(comment)
        for i in ids:
            assert i in FIGURES, f"{path.name}:{n} cites {i}, which is not in scenarios/reference/figures.csv"
        if len(ids) != 1 or not re.fullmatch(rf"{ids[0]}(\s*\(.*\))?", comment):
            continue  # derived figures say how, e.g. "BR01 / 5"; only plain "# ID" citations are compared
        m = re.search(r"(\w+):\s*([^\s{},\]]+)\s*$", code)
        assert m, f"{path.name}:{n}: a citation without a value on the line"
        key, value = m.groups()
        row = FIGURES[ids[0]]
        if key == "price_year":
            assert value == row["price_year"], f"{path.name}:{n}: price year {value} but {ids[0]} is {row['price_year']}"
        else:
            assert float(value) == float(row["value"]), f"{path.name}:{n}: {value} but {ids[0]} says {row['value']}"


@pytest.mark.parametrize("path", BRENT, ids=lambda p: p.name)
def test_every_figure_cites_a_source_or_is_marked_assumption(path):
    for n, code, comment in _lines(path):
        m = re.search(r"(\w+):\s*(-?\d[\d.]*)\s*$", code) or re.search(r"\{.*\b(\w+):\s*(-?\d[\d.]*)", code)
        if not m or m.group(1) in STRUCTURAL:
            continue
        if "gdp_deflator.csv" in comment:
            year = re.search(r"(\d{4}):", code).group(1)
            assert float(m.group(2)) == float(DEFLATOR[year]["index_2020_100"]), f"{path.name}:{n}: not the csv's value"
            assert ("assumption" in comment) == (DEFLATOR[year]["status"] == "interpolated"), f"{path.name}:{n}"
            continue
        assert ID.search(comment) or "assumption" in comment, \
            f"{path.name}:{n}: {code.strip()!r} cites no figures.csv row and is not marked '# assumption'"


def test_brent_options_file_loads_and_every_option_has_the_economics():
    assert [p.name for p in OPTIONS] == ["options.yaml"]
    of = ps.load_options(OPTIONS[0])
    assert list(of.scenarios) == ["siloed", "harlesden_1day", "harlesden_5day", "borough_phased",
                                  "harlesden_5day_reinvest", "harlesden_1day_seconded", "pilot_stops_at_review",
                                  "borough_after_review"]
    assert of.model.options["harlesden_5day_reinvest"].reinvest.into == "debt_advice"
    assert of.model.options["pilot_then_decide"].adaptive.if_fall == "borough_after_review"
    seconded = of.scenarios["harlesden_1day_seconded"].int_team.workers
    assert {w.seconded_from for w in seconded.values()} == {"debt_advice", "housing_options", "early_help",
                                                            "mental_health", None}
    econ = [s.model.economics for s in of.scenarios.values()]
    assert all(e == econ[0] for e in econ) and econ[0].price_year == "2023/24"
    phased = of.scenarios["borough_phased"].int_team
    assert len(phased.neighbourhoods) == 5
    assert max(t.start_day for t in phased.neighbourhoods.values()) - phased.neighbourhoods["Harlesden"].start_day <= 731


def test_brent_units_costs_carry_price_years(brent_siloed):
    s = brent_siloed
    for name, svc in s.services.items():
        c = svc.costs
        if c.per_case_gbp or c.per_day_gbp or c.per_week_gbp or svc.assessment.cost_gbp:
            assert c.price_year, f"{name} has costs but no price_year"


def test_yaml_files_have_no_duplicate_or_unknown_keys():
    # load_scenario would refuse them; this guards the raw files against silent YAML merges too
    for path in SCENARIOS:
        assert isinstance(yaml.safe_load(path.read_text(encoding="utf-8")), dict)


@pytest.mark.slow
def test_int_pilot_lowers_crises_against_siloed(brent_siloed, brent_pilot):
    """The issue's acceptance test: a paired difference whose 90 % interval excludes zero."""
    comparison = ps.compare({"siloed": brent_siloed, "pilot": brent_pilot},
                            replications=5, seed=2025, executor="serial")
    diff = comparison.differences().loc[("pilot", "crises")]
    assert diff["upper"] < 0, f"pilot - siloed crises {diff['mean']:.1f} [{diff['lower']:.1f}, {diff['upper']:.1f}]"
    # the difference is made mostly in Harlesden, where the pilot works; five replications
    # cannot rank the neighbourhoods (10 replications at this seed: Harlesden -37.9, SE 13.8;
    # the others -6.9 to +0.4, SE 4-6: a spillover through borough services the pilot
    # relieves, e.g. 145 fewer people giving up at debt advice), so the ranking is checked on
    # the deterministic twin below
    crises = {k: r.ds["crises"].sum(("time", "cohort", "domain")) for k, r in comparison.results.items()}
    by_area = (crises["pilot"] - crises["siloed"]).mean("replication")
    assert by_area.sel(neighbourhood="Harlesden") < 0


def test_int_pilot_lowers_crises_against_siloed_on_the_sd_twin(brent_siloed, brent_pilot):
    """The acceptance test's claim in the fast tier, on the system-dynamics engine (one
    deterministic run a scenario, under a second): the pilot has fewer crises than siloed
    working, and the difference is made in Harlesden, where the pilot works."""
    comparison = ps.compare({"siloed": brent_siloed, "pilot": brent_pilot}, seed=2025, engine="sd")
    diff = comparison.differences().loc[("pilot", "crises")]
    assert diff["mean"] < 0, f"pilot - siloed crises {diff['mean']:.1f}"
    crises = {k: r.ds["crises"].sum(("time", "cohort", "domain")) for k, r in comparison.results.items()}
    by_area = (crises["pilot"] - crises["siloed"]).mean("replication")
    assert by_area.sel(neighbourhood="Harlesden") < 0
    assert by_area.sel(neighbourhood="Harlesden") == by_area.min()


def test_every_brent_parameter_has_a_source_or_is_an_assumption():
    """The report's assumptions table: nothing in the Brent options is 'not stated'."""
    of = ps.load_options(OPTIONS[0])
    for label, scenario in of.scenarios.items():
        table = ps.assumptions_table(scenario)
        missing = table[table["status"] == "not stated"]
        assert missing.empty, f"{label}: no source for {', '.join(missing['parameter'])}"
    # an override's source is its comment in the options file
    table = ps.assumptions_table(of.scenarios["borough_phased"]).set_index("parameter")
    assert "order of roll-out" in table.loc["int.neighbourhoods.Wembley.start_day", "source"]
    assert table.loc["economics.optimism_bias.grades.national_current", "status"] == "assumption"
