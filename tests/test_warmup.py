"""The warm-up check (issue 11, item 5; placesim/warmup.py, docs/decisions.md "The warm-up check").

The reference case is an M/G/infinity stock filling from empty: arrivals at 2 a day,
exponential stays of mean 100 days, so the stock is ``200 (1 - exp(-t / 100))`` days into
the run: with no warm-up it is far below its steady 200 when reporting starts, and the
relaxation time the check fits should be 100 days. The suggested warm-up must then pass
the check when used (des with a fixed seed: the margin is the check's own, the threshold
being 5 % of 200 = 10 people against a standard error of about 3.5 with 10 replications).
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import placesim as ps
from placesim import cli
from placesim.plan import compile_plan
from placesim.warmup import EARLY_SHARE, ROUND_DAYS, TOLERANCE, WarmupWarning, check_warmup, stable_days

ROOT = Path(__file__).resolve().parents[1]
MEAN_STAY = 100.0
RATE = 2.0

FILLING = """placesim: 1
name: filling stock
time: {{horizon_days: 730, warmup_days: {warmup}, report_every_days: 30}}
services:
  stay:
    organisation: council
    servers: unlimited
    arrivals: {{rate_per_day: {rate}}}
    duration: {{distribution: exponential, mean_days: {stay}}}
    referrals: []
"""


def filling(tmp_path: Path, warmup: float = 0.0) -> ps.Scenario:
    path = tmp_path / f"filling_{warmup:g}.yaml"
    path.write_text(FILLING.format(warmup=warmup, rate=RATE, stay=MEAN_STAY))
    return ps.load_scenario(path)


def theory_suggestion(warmup: float) -> float:
    """The suggestion for the exact curve: drift of the window's first fifth against its
    second half, shrunk under half the tolerance by exp(-x / 100)."""
    t = np.arange(0, 731, 30.0)
    t = np.append(t[t < 730], 730.0)
    y = RATE * MEAN_STAY * (1 - np.exp(-(warmup + t) / MEAN_STAY))
    drift = y[t <= EARLY_SHARE * 730].mean() - y[t >= 365].mean()
    settled = y[t >= 365].mean()
    more = MEAN_STAY * math.log(abs(drift) / (0.5 * TOLERANCE * settled))
    return math.ceil((warmup + more) / ROUND_DAYS) * ROUND_DAYS


def run(sc: ps.Scenario, engine: str) -> ps.Results:
    return ps.simulate(sc, 10, seed=11, engine=engine, warmup_check=False)


@pytest.mark.parametrize("engine", ["sd", "des"])
def test_a_stock_filling_from_empty_is_flagged_and_the_suggestion_passes(tmp_path, engine):
    sc = filling(tmp_path)
    check = run(sc, engine).warmup_check()
    assert [t.output for t in check.trends] == ["people at stay"], check.message()
    trend = check.trends[0]
    assert trend.drift < 0 and not trend.at_least
    # the grid of relaxation times is about 3 % apart; the des mean of 10 replications adds noise
    assert trend.relaxation_days == pytest.approx(MEAN_STAY, rel=0.05 if engine == "sd" else 0.25)
    expected = theory_suggestion(0.0)
    assert abs(check.suggested_warmup_days - expected) <= (ROUND_DAYS if engine == "sd" else 3 * ROUND_DAYS)
    again = run(filling(tmp_path, check.suggested_warmup_days), engine).warmup_check()
    assert again.ok, again.message()
    half = run(filling(tmp_path, check.suggested_warmup_days / 2), engine).warmup_check()
    assert not half.ok, "half the suggested warm-up should still be flagged"


def test_a_short_warmup_of_a_fast_queue_passes(tmp_path):
    """M/M/c at utilisation 0.9 relaxes in days: 100-day bins see no trend (no false warning)."""
    check = ps.simulate(ROOT / "scenarios/validation/mmc.yaml", 5, seed=3, warmup_check=False).warmup_check()
    assert check.skipped is None and check.ok, check.message()


def test_simulate_warns_and_can_be_told_not_to(tmp_path):
    sc = filling(tmp_path)
    with pytest.warns(WarmupWarning, match="people at stay.*suggested warm-up"):
        ps.simulate(sc, 1, engine="sd")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ps.simulate(sc, 1, engine="sd", warmup_check=False)
        ps.simulate(filling(tmp_path, theory_suggestion(0.0)), 1, engine="sd")


def test_cli_run_prints_the_warning_on_stderr_unless_turned_off(tmp_path):
    path = tmp_path / "filling.yaml"
    path.write_text(FILLING.format(warmup=0, rate=RATE, stay=MEAN_STAY))
    result = CliRunner().invoke(cli.main, ["run", str(path), "--engine", "sd", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("warning: the warm-up of 0 days looks too short")
    assert "people at stay" in result.stderr and "people at stay" not in result.stdout
    quiet = CliRunner().invoke(cli.main, ["run", str(path), "--engine", "sd", "--no-progress", "--no-warmup-check"])
    assert quiet.exit_code == 0 and quiet.stderr == ""


def test_the_window_ends_where_the_scenario_first_changes():
    """An INT opening (here a month after reporting starts, after its delay) ends the window;
    too short a window is not checked, with a note saying why."""
    pilot = ps.load_scenario(ROOT / "scenarios/brent/int_pilot.yaml")
    plan = compile_plan(pilot)
    assert stable_days(plan) == 30
    siloed = compile_plan(ps.load_scenario(ROOT / "scenarios/brent/siloed.yaml"))
    assert stable_days(siloed) == siloed.clock.horizon
    later = compile_plan(pilot.with_overrides({"int": {"neighbourhoods": {"Harlesden": {"start_day": 181}}}}))
    assert stable_days(later) == 181 + 30


def test_an_int_from_the_start_is_not_checked(tmp_path):
    sc = ps.load_scenario(ROOT / "scenarios/brent/int_pilot.yaml")
    check = ps.simulate(sc, 1, engine="sd", warmup_check=False).warmup_check()
    assert check.skipped is not None and "30 days after reporting starts" in check.skipped
    assert check.ok and check.message().startswith("warm-up not checked")


def test_one_des_replication_is_not_enough(tmp_path):
    check = ps.simulate(filling(tmp_path), 1, seed=1, warmup_check=False).warmup_check()
    assert check.skipped == "it needs two replications or more of the des engine"


def test_check_reads_the_plan_from_provenance(tmp_path):
    sc = filling(tmp_path)
    r = run(sc, "sd")
    assert r.warmup_check() == check_warmup(r.ds, compile_plan(sc))
