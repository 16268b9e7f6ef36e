"""The results contract: dimensions, units, provenance, summaries, NetCDF, and the CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from click.testing import CliRunner

import placesim as ps
import placesim.cli as cli
from placesim.plan import COUNTERS
from placesim.variables import VARIABLES

ROOT = Path(__file__).resolve().parents[1]
TOY = ROOT / "tests/scenarios/toy_siloed.yaml"
TOY_INT = ROOT / "tests/scenarios/toy_int.yaml"


@pytest.fixture(scope="module")
def toy(toy_short) -> ps.Scenario:
    return toy_short[1]  # TOY_INT on a 120-day run after 30 days' warm-up, 30-day bins (conftest.py)


@pytest.fixture(scope="module")
def results(toy_short_des) -> ps.Results:
    return toy_short_des  # ps.simulate(toy, 2, seed=4), shared with test_sd.py (conftest.py)


def test_dimensions_and_coordinates(results, toy):
    ds = results.ds
    assert ds.sizes["replication"] == 2 and ds.sizes["time"] == 4
    assert list(ds["service"].values) == list(toy.services) + ["int:A"]
    assert set(ds["organisation"].values) == {"vcs", "council", "nhs"}
    assert list(ds["neighbourhood"].values) == ["A", "B"]
    assert list(ds["domain"].values) == ["money", "housing"]
    assert list(ds["level"].values) == [0, 1, 2, 3]
    assert list(ds["level_name"].values) == ["stable", "emerging", "escalating", "crisis"]
    assert np.array_equal(ds["time"].values, [0, 30, 60, 90])
    assert str(ds["date"].values[1])[:10] == "2025-05-31"
    assert ds["service_kind"].sel(service="int:A").item() == "int"


def test_every_variable_has_its_dimensions_and_units(results):
    """Every variable of a scenario without household attributes (those only with attributes:
    tests/test_attributes.py)."""
    for name, var in VARIABLES.items():
        if COUNTERS[name].attributes:
            assert name not in results.ds, name
            continue
        assert name in results.ds, name
        assert results.ds[name].dims == var.dims, name
        assert results.ds[name].attrs["units"] == var.units
        assert results.ds[name].attrs["long_name"]


def test_provenance(results, toy):
    a = results.ds.attrs
    assert a["scenario_hash"] == toy.hash
    assert a["seed"] == 4 and a["engine"] == "des" and a["placesim_version"] == ps.__version__
    assert a["replications"] == 2
    assert results.scenario().hash == toy.hash  # the stored text rebuilds the same scenario


def test_summary_tables(results):
    summary = results.summary()
    assert list(summary.columns) == ["unit", "mean", "lower", "upper"]
    for row in ("crises", "crises: money", "cost: total", "cost: council", "assessments per episode, up to support",
                "hand-offs per episode, before support", "days from first need to support", "need episodes reaching support"):
        assert row in summary.index, row
    assert (summary["lower"] <= summary["mean"] + 1e-9).all() and (summary["mean"] <= summary["upper"] + 1e-9).all()
    crises = results.ds["crises"].sum(("time", "neighbourhood", "cohort", "domain")).values
    assert summary.loc["crises", "mean"] == pytest.approx(crises.mean())
    costs = [r for r in summary.index if r.startswith("cost: ") and r != "cost: total"]
    assert summary.loc[costs, "mean"].sum() == pytest.approx(summary.loc["cost: total", "mean"])
    spread = results.summary(interval="spread")
    assert spread.loc["crises", "lower"] == pytest.approx(np.quantile(crises, 0.05))
    table = results.service_summary()
    assert {"mean wait (days)", "mean time at service (days)", "utilisation", "throughput (per day)"} <= set(
        table.columns.get_level_values(0))
    assert set(table.columns.get_level_values(1)) >= {"mean", "lower", "upper"}
    assert np.isnan(table.loc["ae", ("utilisation", "mean")])  # unlimited capacity has no utilisation
    assert "<table" in results._repr_html_()


def test_netcdf_round_trip(results, tmp_path):
    path = results.to_netcdf(tmp_path / "r.nc")
    back = ps.open_results(path)
    assert isinstance(back, ps.Results)
    xr.testing.assert_allclose(back.ds.drop_attrs(), results.ds.drop_attrs())
    assert back.ds.attrs["scenario_hash"] == results.ds.attrs["scenario_hash"]
    with xr.open_dataset(path) as ds:
        assert ds["crises"].attrs["units"] == "crises"
    assert back.summary().equals(results.summary())


def test_pure_queueing_network_writes_and_reads(tmp_path):
    r = ps.simulate(ROOT / "scenarios/validation/jackson.yaml", 1, seed=1)
    assert r.ds.sizes["neighbourhood"] == 0
    back = ps.open_results(r.to_netcdf(tmp_path / "j.nc"))
    assert back.service_summary().shape[0] == 3


def test_comparison_round_trip(toy, toy_short, tmp_path):
    siloed = toy_short[0]
    c = ps.compare({"siloed": siloed, "int": toy}, replications=2, seed=3)
    assert c.ds.sizes["scenario"] == 2
    assert c.ds["cost_gbp"].sel(scenario="siloed", service="int:A").sum() == 0  # absent service: zero activity
    back = ps.open_results(c.to_netcdf(tmp_path / "c.nc"))
    assert isinstance(back, ps.Comparison)
    assert back.baseline == "siloed"
    pd.testing.assert_frame_equal(back.summary(), c.summary(), rtol=1e-12)
    assert "<table" in c._repr_html_()


def test_comparison_keeps_each_scenarios_capacity(toy, tmp_path):
    """An INT team with one day a week in one scenario and five in another keeps both capacities."""
    five = toy.with_overrides({"int": {"days_per_week": 5}})
    c = ps.compare({"one day": toy, "five days": five}, replications=1, seed=3)
    cap = c.ds["service_capacity"].sel(service="int:A")
    assert cap.sel(scenario="five days").item() == 5 * cap.sel(scenario="one day").item()
    back = ps.open_results(c.to_netcdf(tmp_path / "c.nc"))
    for label in ("one day", "five days"):
        table = back.results[label].service_summary()
        assert table.loc["int:A", ("utilisation", "mean")] <= 1.0
        assert table.equals(c.results[label].service_summary())
        assert list(back.results[label].ds["service"].values) == list(c.results[label].ds["service"].values)


def test_write_is_atomic(results, tmp_path, monkeypatch):
    target = tmp_path / "r.nc"
    target.write_bytes(b"the previous results")

    def fail(self, path, **kwargs):
        Path(path).write_bytes(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(xr.Dataset, "to_netcdf", fail)
    with pytest.raises(OSError, match="disk full"):
        results.to_netcdf(target)
    assert target.read_bytes() == b"the previous results"
    assert [p.name for p in tmp_path.iterdir()] == ["r.nc"]  # no temporary file left behind


def test_write_into_missing_folder_is_a_clear_error(results, tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        results.to_netcdf(tmp_path / "nope" / "r.nc")


def test_bad_run_arguments_are_clear(toy):
    with pytest.raises(ps.PlacesimError, match="replications"):
        ps.simulate(toy, 0)
    with pytest.raises(ps.PlacesimError, match="executor"):
        ps.simulate(toy, 1, executor="threads")
    with pytest.raises(ps.PlacesimError, match="seed"):
        ps.simulate(toy, 1, seed=-1)
    with pytest.raises(ps.PlacesimError, match="engine"):
        ps.simulate(toy, 1, engine="abm")
    with pytest.raises(ps.PlacesimError, match="mapping"):
        ps.compare([toy], 1)


def test_trace_is_a_frame(toy):
    r = ps.simulate(toy.with_overrides({"time": {"horizon_days": 30}}), 1, seed=2, trace=True)
    assert list(r.trace.columns) == ["replication", "time", "event", "service", "resident", "domain", "level",
                                     "target"]
    refer = r.trace[r.trace["event"] == "refer"]
    assert len(refer) and (refer["target"] >= 0).all()
    assert r.trace["time"].min() < 0 <= r.trace["time"].max() < 30  # days from the end of the warm-up
    assert {"arrive", "assess", "start", "transition"} <= set(r.trace["event"])
    assert ps.simulate(toy.with_overrides({"time": {"horizon_days": 30}}), 1, seed=2).trace is None


# ---------------------------------------------------------------- CLI


def test_cli_run_writes_results_and_prints_tables(tmp_path):
    f = tmp_path / "toy.yaml"
    f.write_text(TOY.read_text().replace("horizon_days: 730", "horizon_days: 60"))
    out = tmp_path / "out.nc"
    res = CliRunner().invoke(cli.main, ["run", str(f), "-r", "2", "-s", "5", "--executor", "serial",
                                        "--no-progress", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "crises" in res.output and "mean wait (days)" in res.output and "seed 5" in res.output
    r = ps.open_results(out)
    assert r.seed == 5 and r.replications == 2


def test_cli_compare_labels_and_output(tmp_path):
    a = tmp_path / "a.yaml"
    a.write_text(TOY.read_text().replace("horizon_days: 730", "horizon_days: 60"))
    out = tmp_path / "c.nc"
    res = CliRunner().invoke(cli.main, ["compare", str(a), str(a), "-r", "2", "-s", "1", "--executor", "serial",
                                        "--no-progress", "--labels", "before,after", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "after - before" in res.output
    assert ps.open_results(out).labels == ["before", "after"]
    bad = CliRunner().invoke(cli.main, ["compare", str(a), str(a), "--labels", "one", "--no-progress"])
    assert bad.exit_code == 2 and "label" in bad.output


def test_cli_validate_ok():
    res = CliRunner().invoke(cli.main, ["validate", str(TOY), str(TOY_INT)])
    assert res.exit_code == 0
    assert res.output.count("ok ") == 2
