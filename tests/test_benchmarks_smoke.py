"""Smoke tests of benchmarks/: they run at a tiny size and produce their tables.

Not timing assertions -- the benchmarks are reports (see benchmarks/README.md); this only
keeps them from silently rotting when the API or the validation scenarios change.
"""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bq():
    return _load("bench_queueing")


@pytest.fixture(scope="module")
def br():
    return _load("bench_residents")


def test_queueing_theory_values(bq):
    # the numbers quoted in scenarios/validation/*.yaml
    assert bq.erlang_c_wait(10, 9.0, 1.0) == pytest.approx(0.6687, abs=1e-4)
    th = bq.theory(bq.JACKSON)
    assert th["time in network"] == pytest.approx(3.891, abs=1e-3)
    assert bq.theory(bq.MMC)["wait desk"] == pytest.approx(0.6687, abs=1e-4)


def test_reference_matches_validation_scenarios(bq):
    assert bq.check_scenarios() == []


def test_queueing_benchmark_runs(bq, capsys):
    res = bq.run(horizon=100.0, warmup=10.0, repeats=1, with_simulate=True)
    assert [t["model"] for t in res["timing"]] == ["M/M/c", "Jackson"]
    for t in res["timing"]:
        assert set(t) >= {"model", "reference_s", "placesim_s", "ratio", "median_ratio", "cpu_ratio", "simulate_s", "customers"}
        assert t["reference_s"] > 0 and t["placesim_s"] > 0 and t["simulate_s"] > 0
        assert t["ratio"] == pytest.approx(t["placesim_s"] / t["reference_s"])
        assert t["customers"] > 0
    measures = [(w["model"], w["measure"]) for w in res["waits"]]
    assert measures == [("M/M/c", "wait desk"), ("M/M/c", "time in network"),
                        ("Jackson", "wait front"), ("Jackson", "wait specialist"),
                        ("Jackson", "wait follow_up"), ("Jackson", "time in network")]
    for w in res["waits"]:
        assert set(w) >= {"theory", "reference", "reference_se", "placesim", "placesim_se", "z"}
        assert math.isfinite(w["reference"]) and math.isfinite(w["placesim"])
    text = bq.report(res, 100.0, 10.0, 1)
    assert "ratio" in text and "Target placesim <= 1.25" in text and "theory" in text

    assert bq.main(["--horizon", "50", "--warmup", "5", "--repeats", "1", "--no-simulate"]) == 0
    out = capsys.readouterr().out
    assert "M/M/c" in out and "Jackson" in out and "Target" in out


@pytest.mark.parametrize("n", [1, 7, 333, 10000, 40000])
def test_residents_scaling_is_exact(br, n):
    sc = br.scaled_scenario(n, horizon=30.0)
    assert sum(sum(c.size.values()) for c in sc.cohorts.values()) == n
    assert sc.time.horizon_days == 30.0


def test_residents_scaling_scales_services(br):
    sc = br.scaled_scenario(40000)
    assert sc.services["housing_options"].capacity == 160  # 40 servers x 4
    assert sc.services["advice"].capacity == 800  # 10 staff x 20 caseload x 4
    assert sc.services["ae"].arrivals.rate_per_day == pytest.approx(80.0)
    fixed = br.scaled_scenario(40000, scale_services=False)
    assert fixed.services["housing_options"].capacity == 40


@pytest.mark.slow  # about 5 s; test_queueing_benchmark_runs is the fast tier's smoke test of benchmarks/
def test_residents_benchmark_runs(br):
    res = br.run(sizes=[200, 400], horizon=30.0, repeats=1)
    rows = res["rows"]
    assert [r["residents"] for r in rows] == [200, 400]
    for r in rows:
        assert set(r) >= {"seconds", "cpu_seconds", "us_per_resident", "peak_rss_mb", "run_mb", "kb_per_resident",
                          "time_ratio", "memory_ratio", "size_ratio", "events_per_resident"}
        assert r["seconds"] > 0 and r["peak_rss_mb"] > 0
        assert r["horizon_days"] == 30.0
    assert rows[1]["size_ratio"] == 2.0
    assert math.isfinite(rows[1]["time_ratio"]) and math.isfinite(rows[1]["cpu_ratio"])
    assert math.isfinite(res["time_slope"]) and math.isfinite(res["cpu_slope"])
    text = br.report(res, 1)
    assert "log-log slope" in text and "residents" in text and "x the target of <= 1.05" in text
    assert set(res["touch_ns"]) == {200, 400} and "a random touch of one of 200" in text
    borough = br.borough_peak(0.02, 10.0, horizon=30.0)
    assert borough["residents"] == 770 and borough["warmup_days"] == 10.0 and borough["peak_rss_mb"] > 0
    assert "770 households" in br.report_borough(borough, 0.02)
    memory = {**rows[0], "kb_per_resident": 1.5}
    assert "0.50 x the target of <= 3 KB (met)" in br.report_memory(memory)


@pytest.fixture(scope="module")
def bsd():
    return _load("bench_sd")


@pytest.mark.slow  # Brent on both engines, about 5 s; the fast tier has test_queueing_benchmark_runs
def test_sd_benchmark_runs(bsd, capsys):
    res = bsd.run(horizon=20.0, warmup=5.0, repeats=1, des_repeats=1, replications=2)
    rows = res["rows"]
    assert [r["scenario"] for r in rows] == list(bsd.SCENARIOS)
    for r in rows:
        assert set(r) >= {"sd_s", "compile_s", "integrate_s", "rhs_evals", "states", "des_rep_s", "des_sim1_s",
                          "des_run_s", "ratio_engine", "ratio_rep", "ratio_run", "first_sd_s", "ref_compile_s",
                          "ref_integrate_s", "ratio_ref"}
        assert r["ratio_engine"] == pytest.approx(r["des_rep_s"] / (r["compile_s"] + r["integrate_s"]))
        assert r["sd_s"] > 0 and r["des_run_s"] > 0 and r["states"] > 0
        assert r["ratio_run"] == pytest.approx(r["des_run_s"] / r["sd_s"])
    assert {f["measure"] for f in res["figures"]} >= {"crises", "arrivals", "throughput (per day)"}
    text = bsd.report(res, 1, 1)
    assert "Target SD >= 1,000 x" in text and "Target (issue 12)" in text and "Headline figures" in text

    assert bsd.main(["--scenarios", "scenarios/validation/mmc.yaml", "--horizon", "20", "--warmup", "5",
                     "--repeats", "1", "--des-repeats", "1", "--replications", "2"]) == 0
    out = capsys.readouterr().out
    assert "mmc.yaml" in out and "Target" in out


@pytest.fixture(scope="module")
def bpar():
    return _load("bench_parallel")


@pytest.mark.slow  # starts two dask LocalClusters, 10-20 s on a loaded machine; the fast tier has test_queueing_benchmark_runs
def test_parallel_benchmark_runs(bpar, capsys):
    res = bpar.run("scenarios/validation/mmc.yaml", replications=2, workers=2, repeats=1, horizon=20.0, warmup=5.0)
    rows = res["rows"]
    assert [r["executor"] for r in rows] == list(bpar.EXECUTORS)
    for r in rows:
        assert set(r) >= {"workers", "wall_s", "cpu_s", "speedup", "identical"}
        assert r["wall_s"] > 0 and r["identical"] is True
        assert r["speedup"] == pytest.approx(rows[0]["wall_s"] / r["wall_s"])
    assert rows[0]["speedup"] == 1.0 and rows[1]["workers"] == 2
    text = bpar.report(res, 1)
    assert "Target >= 1.8 x" in text and "warm cluster" in text and "identical" in text


def test_psa_benchmark_runs(tmp_path):
    from toy_files import UNCERTAIN_OPTIONS, toy_options_folder

    bpsa = _load("bench_psa")
    folder = toy_options_folder(tmp_path, UNCERTAIN_OPTIONS)
    res = bpsa.run(str(folder / "options.yaml"), draws=2, samples=8, workers=2)
    assert res["identical"] is True
    assert res["alone_s"] > 0 and res["shared_s"] > 0 and res["psa_s"] > 0
    assert res["projected_s"] == pytest.approx(res["psa_s"] * bpsa.TARGET_DRAWS)
    assert "figures identical: yes" in bpsa.report(res)
