"""Same seed, same result on any executor; common random numbers between scenarios."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import placesim as ps


@pytest.fixture(scope="module")
def toy_int(toy_scenario) -> ps.Scenario:
    return toy_scenario("int", horizon_days=240, warmup_days=60)


def test_same_seed_same_result_serial_and_processes(toy_int):
    a = ps.simulate(toy_int, 3, seed=42, executor="serial")
    b = ps.simulate(toy_int, 3, seed=42, executor="processes", workers=2)
    xr.testing.assert_identical(a.ds, b.ds)


def test_different_seeds_differ(toy_int):
    a = ps.simulate(toy_int, 1, seed=1)
    b = ps.simulate(toy_int, 1, seed=2)
    assert not np.array_equal(a.ds["crises"].values, b.ds["crises"].values)


def test_replications_are_independent_of_how_many_are_run(toy_int):
    """Replication r uses the same streams whether 2 or 4 replications are asked for."""
    two = ps.simulate(toy_int, 2, seed=9)
    four = ps.simulate(toy_int, 4, seed=9)
    xr.testing.assert_equal(two.ds.drop_attrs(), four.ds.isel(replication=[0, 1]).drop_attrs())


def test_no_seed_draws_one_and_records_it(toy_int):
    a = ps.simulate(toy_int, 1)
    b = ps.simulate(toy_int, 1, seed=a.seed)
    xr.testing.assert_identical(a.ds, b.ds)


def test_scenario_compared_with_itself_differs_by_exactly_zero(toy_int):
    comparison = ps.compare({"a": toy_int, "b": toy_int}, replications=3, seed=5)
    diffs = comparison.differences()
    assert (diffs["mean"].dropna() == 0).all()
    assert (diffs["lower"].dropna() == 0).all() and (diffs["upper"].dropna() == 0).all()
    xr.testing.assert_equal(comparison.ds.sel(scenario="a", drop=True), comparison.ds.sel(scenario="b", drop=True))


def _background_arrival_times(trace, service_index: int):
    ev = trace[(trace["event"] == "arrive") & (trace["resident"] == -1) & (trace["service"] == service_index)]
    return ev.groupby("replication")["time"].apply(list).to_dict()


def test_int_does_not_move_background_arrivals(toy_scenario):
    """Adding an INT changes who is served when, but not the background demand."""
    siloed = toy_scenario("siloed", horizon_days=200, warmup_days=30)
    with_int = toy_scenario("int", horizon_days=200, warmup_days=30)
    a = ps.simulate(siloed, 2, seed=11, trace=True)
    b = ps.simulate(with_int, 2, seed=11, trace=True)
    ae = list(siloed.services).index("ae")  # A&E: background arrivals and crisis arrivals
    assert _background_arrival_times(a.trace, ae) == _background_arrival_times(b.trace, ae)
    # ... while the INT did change what happened to residents
    assert not a.trace[a.trace["resident"] >= 0].equals(b.trace[b.trace["resident"] >= 0])


def test_int_does_not_move_onset_draws(toy_scenario):
    """Every resident's first transition (an onset for residents starting stable) happens at the same
    time, in the same domain, in both scenarios: nothing a service does can reach a resident
    before they first need it, and each resident draws from its own stream."""
    siloed = toy_scenario("siloed", horizon_days=200, warmup_days=0)
    with_int = toy_scenario("int", horizon_days=200, warmup_days=0)
    a = ps.simulate(siloed, 1, seed=3, trace=True).trace
    b = ps.simulate(with_int, 1, seed=3, trace=True).trace

    def first_transitions(trace):
        t = trace[trace["event"] == "transition"]
        return t.groupby("resident").first()[["time", "domain", "level"]]

    fa, fb = first_transitions(a), first_transitions(b)
    # residents whose first event of any kind, in both scenarios, is a transition: no service or
    # outreach contact reached them first (the INT's first data screen reaches some on day 0)
    first_a = a[a["resident"] >= 0].groupby("resident").first()["event"]
    first_b = b[b["resident"] >= 0].groupby("resident").first()["event"]
    untouched = first_a.index[(first_a == "transition").to_numpy()].intersection(
        first_b.index[(first_b == "transition").to_numpy()])
    assert len(untouched) > 1000
    assert (fa.loc[untouched].to_numpy() == fb.loc[untouched].to_numpy()).all()
    # and in the INT's neighbourhood too (residents 0-4,999 live in A, where the INT works)
    assert (untouched < 5000).sum() > 500


def test_residents_the_int_never_touches_keep_their_trajectories(toy_scenario):
    """With per-resident streams, a resident in a neighbourhood without the INT who never uses a
    service has exactly the same history in both scenarios."""
    siloed = toy_scenario("siloed", horizon_days=300, warmup_days=0)
    with_int = toy_scenario("int", horizon_days=300, warmup_days=0)
    a = ps.simulate(siloed, 1, seed=8, trace=True).trace
    b = ps.simulate(with_int, 1, seed=8, trace=True).trace
    served = set(a.loc[a["event"] == "arrive", "resident"]) | set(b.loc[b["event"] == "arrive", "resident"])
    in_b_neighbourhood = set(range(5000, 10000))  # toy: 5,000 residents in A, then 5,000 in B (no INT)
    keep = sorted(in_b_neighbourhood - served)
    assert len(keep) > 1000

    def history(trace):
        t = trace[trace["resident"].isin(keep) & (trace["event"] == "transition")]
        return t[["resident", "time", "domain", "level"]].reset_index(drop=True)

    ha, hb = history(a), history(b)
    assert len(ha) > 1000
    assert ha.equals(hb)


@pytest.mark.parametrize("index, block", [(0, 1), (17, 1), (123_456, 2), (5, 7)])
def test_a_residents_chunks_are_its_blocks(index: int, block: int) -> None:
    """A resident's stream handed out in chunks, each drawn when needed, is the stream of
    whole blocks (the draws a resident reads do not depend on how they are held)."""
    from placesim.engines.des.streams import CARE, CHUNKS_PER_BLOCK, TRANSITIONS, Streams

    streams = Streams(20261129, 3)
    for purpose in (TRANSITIONS, CARE):
        first = (block - 1) * CHUNKS_PER_BLOCK
        chunks = [streams.resident_chunk(purpose, index, c) for c in range(first, first + CHUNKS_PER_BLOCK)]
        whole = streams.resident_block(purpose, index, block)
        assert np.array_equal(np.concatenate(chunks), whole)
        assert not np.array_equal(chunks[0], chunks[1])
