"""Figures of results and comparisons: what is drawn is the numbers, with bands that hold them."""

from __future__ import annotations

import ast
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # tests only: the library never chooses a backend

import matplotlib.pyplot as plt
import numpy as np
import pytest
import xarray as xr
from matplotlib.container import BarContainer

import placesim as ps
from placesim import plots
from placesim.plots import ComparisonPlots, ResultsPlots
from placesim.stats import mean_interval

ROOT = Path(__file__).resolve().parents[1]


class _R(ResultsPlots):
    def __init__(self, r: ps.Results):
        self.ds = r.ds


class _C(ComparisonPlots):
    def __init__(self, c: ps.Comparison):
        self._c = c

    ds = property(lambda self: self._c.ds)
    labels = property(lambda self: self._c.labels)
    baseline = property(lambda self: self._c.baseline)


def plottable(obj):
    """The object itself once Results / Comparison inherit the mixins, else an adapter."""
    if isinstance(obj, (ResultsPlots, ComparisonPlots)):
        return obj
    return _C(obj) if isinstance(obj, ps.Comparison) else _R(obj)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def mmc() -> ps.Results:
    sc = ps.load_scenario(ROOT / "scenarios/validation/mmc.yaml").with_overrides(
        {"time": {"horizon_days": 1000, "warmup_days": 100, "report_every_days": 100}})
    return ps.simulate(sc, 3, seed=1)


@pytest.fixture(scope="module")
def toys(toy_short) -> tuple[ps.Scenario, ps.Scenario]:
    return toy_short  # the toy place, siloed and INT, on a 120-day run (conftest.py)


@pytest.fixture(scope="module")
def comparison(toys) -> ps.Comparison:
    return ps.compare({"siloed": toys[0], "int": toys[1]}, replications=3, seed=1)


@pytest.fixture(scope="module")
def results(comparison) -> ps.Results:
    return comparison.results["int"]


def bands(ax) -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    """(label, mean, lower, upper) of every plotted series, read back from the artists."""
    lines = [ln for ln in ax.lines if not ln.get_label().startswith("_")]
    assert len(lines) == len(ax.collections)
    out = []
    for line, coll in zip(lines, ax.collections):
        x = np.asarray(line.get_xdata(), dtype=float)
        verts = np.concatenate([p.vertices for p in coll.get_paths()])
        lower = np.array([verts[np.isclose(verts[:, 0], xi), 1].min() for xi in x])
        upper = np.array([verts[np.isclose(verts[:, 0], xi), 1].max() for xi in x])
        out.append((line.get_label(), np.asarray(line.get_ydata(), dtype=float), lower, upper))
    return out


def assert_bands_hold(ax) -> None:
    for label, mean, lower, upper in bands(ax):
        assert np.all(lower <= mean + 1e-9) and np.all(mean <= upper + 1e-9), label


def assert_labelled(ax, ylabel_part: str) -> None:
    assert ax.get_title() and ylabel_part in ax.get_ylabel()
    assert ax.get_xlabel().startswith("months from the start of reporting")


# ---------------------------------------------------------------------- numbers
def test_band_is_mean_interval_vectorised():
    rng = np.random.default_rng(3)
    v = rng.normal(size=(6, 5))
    v[0, 1] = np.nan
    v[:5, 2] = np.nan  # one value left: no interval
    v[:, 3] = np.nan  # none left
    da = xr.DataArray(v, dims=("replication", "time"))
    for kind in ("confidence", "spread"):
        b = plots.band(da, level=0.8, interval=kind)
        for j in range(v.shape[1]):
            want = mean_interval(v[:, j], 0.8, kind)
            got = (b["mean"].values[j], b["lower"].values[j], b["upper"].values[j])
            np.testing.assert_allclose(got, want, equal_nan=True)
    with pytest.raises(ps.PlacesimError):
        plots.band(da, interval="wide")  # type: ignore[arg-type]


def test_time_series_is_a_rate_per_month(results):
    ds = results.ds
    da = plots.time_series(ds, "crises", by="domain")
    assert da.dims == ("domain", "replication", "time")
    want = ds["crises"].sum(("neighbourhood", "cohort")) / ds["bin_days"] * plots.DAYS_PER_MONTH
    xr.testing.assert_allclose(da, want.transpose(*da.dims))
    cum = plots.time_series(ds, "cost_gbp", cumulative=True)
    np.testing.assert_allclose(cum.isel(time=-1), ds["cost_gbp"].sum(("time", "service")))
    for bad in ({"measure": "wait_days_sum"}, {"measure": "nothing"}, {"measure": "crises", "by": "service"},
                {"measure": "crises", "neighbourhood": "Z"}, {"measure": "in_system", "cumulative": True}):
        with pytest.raises(ps.PlacesimError):
            plots.time_series(ds, **bad)


# ---------------------------------------------------------------------- one run
def test_results_crises_by_domain_neighbourhood_and_total(results):
    p = plottable(results)
    domains = [str(d) for d in results.ds["domain"].values]
    fig = p.plot_crises()
    ax = fig.axes[0]
    assert len(ax.lines) == len(ax.collections) == len(domains)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == domains
    assert_labelled(ax, "crises per month")
    assert_bands_hold(ax)
    total = plots.time_series(results.ds, "crises").mean("replication").values
    by_domain = sum(b[1] for b in bands(ax))
    np.testing.assert_allclose(by_domain, total)

    ax = p.plot_crises(by="neighbourhood").axes[0]
    assert len(ax.lines) == len(ax.collections) == results.ds.sizes["neighbourhood"]
    assert_bands_hold(ax)

    ax = p.plot_crises(by=None).axes[0]
    assert len(ax.lines) == len(ax.collections) == 1 and ax.get_legend() is None
    (_, mean, _, _), = bands(ax)
    np.testing.assert_allclose(mean, total)


def test_draws_into_a_given_axes(results):
    fig, axes = plt.subplots(1, 2)
    assert plottable(results).plot_crises(ax=axes[1]) is fig
    assert len(axes[1].lines) == 2 and not axes[0].lines


def test_costs_of_the_mmc_queue(mmc):
    p = plottable(mmc)
    ax = p.plot_costs().axes[0]
    assert len(ax.lines) == len(ax.collections) == 1  # one organisation
    assert_labelled(ax, "GBP per month")
    assert_bands_hold(ax)
    ax = p.plot_costs(by=None, cumulative=True).axes[0]
    assert_labelled(ax, "GBP, cumulative")
    (_, mean, lower, upper), = bands(ax)
    assert np.all(np.diff(mean) >= 0)
    np.testing.assert_allclose(mean[-1], mmc.ds["cost_gbp"].sum(("time", "service")).mean())
    with pytest.raises(ps.PlacesimError, match="no"):
        p.plot_crises()  # no neighbourhoods, no residents
    with pytest.raises(ps.PlacesimError):
        p.plot_journeys()


def test_costs_by_organisation_add_up_to_the_total(results):
    ax = plottable(results).plot_costs().axes[0]
    orgs = [str(o) for o in results.ds["organisation"].values]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == orgs
    assert_bands_hold(ax)
    total = plots.time_series(results.ds, "cost_gbp").mean("replication").values
    np.testing.assert_allclose(sum(b[1] for b in bands(ax)), total)
    ax = plottable(results).plot_costs(by="service").axes[0]
    assert len(ax.lines) == results.ds.sizes["service"]


def test_results_journeys(results):
    fig = plottable(results).plot_journeys()
    assert len(fig.axes) == 3
    places = [str(n) for n in results.ds["neighbourhood"].values] + ["all"]
    ratios = plots.journey_ratios(results.ds)
    for ax, key in zip(fig.axes, plots.JOURNEY_MEASURES):
        assert ax.get_title() and ax.get_ylabel() and ax.get_xlabel() == "neighbourhood"
        assert [t.get_text() for t in ax.get_xticklabels()] == places
        (bars,) = [c for c in ax.containers if isinstance(c, BarContainer)]
        heights = np.array([r.get_height() for r in bars.patches])
        want = [mean_interval(ratios[key].sel(neighbourhood=n).values)[0] for n in places]
        np.testing.assert_allclose(heights, want, equal_nan=True)
    # the told-my-story ratio is the assessments per episode over the whole horizon
    j = results.ds[["journeys", "journey_assessments"]].sum(("time", "neighbourhood"))
    np.testing.assert_allclose(ratios["told_story"].sel(neighbourhood="all"),
                               j["journey_assessments"] / j["journeys"])
    one = plt.subplots()[1]
    assert plottable(results).plot_journeys(["days"], ax=one) is one.figure
    assert len(one.patches) == len(places)


def test_journeys_of_the_sd_engine_are_absent_not_zero(toys):
    sd = ps.simulate(toys[1], 1, seed=1, engine="sd")
    fig = plottable(sd).plot_journeys()
    for ax in fig.axes:
        assert not ax.patches
        assert any("sd engine" in t.get_text() for t in ax.texts)
    ax = plottable(sd).plot_crises().axes[0]  # one run: a line, no band
    assert len(ax.lines) == 2 and "no interval" in ax.get_title()


# ---------------------------------------------------------------------- comparisons
def test_comparison_crises_one_line_per_scenario(comparison):
    p = plottable(comparison)
    for kw in ({}, {"neighbourhood": "A"}):
        ax = p.plot_crises(**kw).axes[0]
        assert len(ax.lines) == len(ax.collections) == 2
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["siloed", "int"]
        assert_labelled(ax, "crises per month")
        assert_bands_hold(ax)
    assert "in A" in ax.get_title()


def test_differences_are_paired(comparison):
    ax = plottable(comparison).plot_differences().axes[0]
    assert len(ax.collections) == 1 and len(ax.lines) == 2  # the difference and the zero line
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["int \u2212 siloed"]
    assert_labelled(ax, "difference in crises per month")
    assert_bands_hold(ax)
    (_, mean, _, _), = bands(ax)
    da = plots.time_series(comparison.ds, "crises")
    np.testing.assert_allclose(mean, (da.sel(scenario="int") - da.sel(scenario="siloed")).mean("replication"))
    ax = plottable(comparison).plot_differences("cost_gbp", cumulative=True).axes[0]
    assert_labelled(ax, "difference in GBP, cumulative")
    with pytest.raises(ps.PlacesimError):
        plottable(comparison).plot_differences(baseline="nope")


def test_a_scenario_against_itself_differs_by_exactly_zero(toys):
    sc = toys[0].with_overrides({"time": {"horizon_days": 60}})
    same = ps.compare({"a": sc, "b": sc}, replications=2, seed=2)
    for measure in ("crises", "cost_gbp"):
        ax = plottable(same).plot_differences(measure).axes[0]
        (_, mean, lower, upper), = bands(ax)
        assert np.all(mean == 0) and np.all(lower == 0) and np.all(upper == 0)


def test_comparison_costs_and_journeys(comparison):
    p = plottable(comparison)
    ax = p.plot_costs().axes[0]
    assert len(ax.lines) == len(ax.collections) == 2
    assert_labelled(ax, "GBP per month")
    assert_bands_hold(ax)
    ax = p.plot_costs(cumulative=True).axes[0]
    finals = [b[1][-1] for b in bands(ax)]
    want = comparison.ds["cost_gbp"].sum(("time", "service")).mean("replication").values
    np.testing.assert_allclose(finals, want)

    fig = p.plot_journeys()
    assert len(fig.axes) == 3
    groups = comparison.ds.sizes["neighbourhood"] + 1
    for ax in fig.axes:
        bars = [c for c in ax.containers if isinstance(c, BarContainer)]
        assert len(bars) == 2 and all(len(c.patches) == groups for c in bars)
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["siloed", "int"]


# ---------------------------------------------------------------------- hygiene
def test_import_is_lazy_and_backend_is_left_alone():
    for path in sorted((ROOT / "placesim/plots").glob("*.py")):
        src = path.read_text()
        assert "matplotlib.use(" not in src and "switch_backend" not in src
        top = ast.parse(src).body  # module level, outside `if TYPE_CHECKING:`
        imported = [a.name for n in top if isinstance(n, ast.Import) for a in n.names]
        imported += [n.module or "" for n in top if isinstance(n, ast.ImportFrom)]
        assert not [m for m in imported if m.startswith("matplotlib")], path
