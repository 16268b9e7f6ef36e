"""'Telling my story' over the whole run: every assessment and hand-off of a resident, the
resident-days in need they are counted against, and the INT's shared record sparing repeat
assessments at partner services (issue 9, item 7)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import placesim as ps

TOY = Path(__file__).resolve().parent / "scenarios"
TIME = {"horizon_days": 360, "warmup_days": 60, "report_every_days": 30}


def _toy(kind: str = "siloed", **overrides) -> ps.Scenario:
    return ps.load_scenario(TOY / f"toy_{kind}.yaml").with_overrides({"time": TIME, **overrides})


def test_everyone_in_need_all_run_gives_residents_times_days():
    """Households that start in need in a domain that never recovers are in need every day of
    the run: the need-days of each neighbourhood and cohort are its households x the days of
    each bin, exactly, in the DES (integrated across events and bin edges) and in the SD."""
    never = {"recovery_per_year": [0, 0]}
    sc = _toy(cohorts={"hardship": {"initial": {"money": [0.0, 0.6, 0.4, 0.0]},
                                    "hazards": {"money": never}}},
              services={"advice": {"on_completion": {"resolve_probability": 0.0, "step_down_probability": 0.0}}})
    households = sc.model.cohorts["hardship"].size
    for engine in ("des", "sd"):
        ds = ps.simulate(sc, replications=2, seed=4, engine=engine).ds
        days = ds["need_days"].sel(cohort="hardship")
        for nb, n in households.items():
            expected = n * ds["bin_days"].values
            np.testing.assert_allclose(days.sel(neighbourhood=nb).values,
                                       np.broadcast_to(expected, days.sel(neighbourhood=nb).shape), rtol=1e-9)


def test_resident_counters_count_every_assessment_and_referral_in_the_trace():
    """Per replication, a resident's assessments are the trace's 'assess' events of residents
    (background arrivals left out), and their hand-offs its 'refer' and 'lost' events, over the
    whole reported period, not only until first support."""
    sc = _toy()
    res = ps.simulate(sc, replications=2, seed=5, trace=True)
    tr = res.trace
    tr = tr[(tr["resident"] >= 0) & (tr["time"] >= 0)]  # trace time: days from the end of the warm-up
    for name, events in (("resident_assessments", ["assess"]), ("resident_handoffs", ["refer", "lost"])):
        expected = tr[tr["event"].isin(events)].groupby("replication").size().to_numpy()
        got = res.ds[name].sum(("time", "neighbourhood", "cohort")).to_numpy()
        assert expected.min() > 0
        np.testing.assert_array_equal(got, expected)
    journey = res.ds["journey_assessments"].sum(("time", "neighbourhood")).to_numpy()
    whole = res.ds["resident_assessments"].sum(("time", "neighbourhood", "cohort")).to_numpy()
    assert (whole > journey).all()  # assessments after first support count too


def test_without_a_shared_record_nothing_is_spared_and_results_do_not_change():
    """The default spares nothing, and a record shared with no one draws nothing: the run is
    the same at the same seed."""
    base = ps.simulate(_toy("int"), replications=2, seed=6)
    nobody = ps.simulate(_toy("int", int={"shared_record": {"spare_probability": 0.5, "services": []}}),
                         replications=2, seed=6)
    assert float(base.ds["assessments_spared"].sum()) == 0
    for name in ("assessments", "crises", "resident_assessments", "need_days"):
        np.testing.assert_array_equal(base.ds[name].values, nobody.ds[name].values)


def _shared(p: float, seed: int, reps: int, trace: bool = False) -> ps.Results:
    return ps.simulate(_toy("int", int={"shared_record": {"spare_probability": p}}), replications=reps,
                       seed=seed, trace=trace)


def test_a_certain_record_spares_every_known_residents_assessment_as_the_trace_shows():
    certain = _shared(1.0, 7, 2, trace=True)
    tr = certain.trace
    tr = tr[tr["time"] >= 0]
    n_spared = tr[tr["event"] == "assess_spared"].groupby("replication").size().to_numpy()
    np.testing.assert_array_equal(n_spared, certain.ds["assessments_spared"].sum(("time", "service")).to_numpy())
    assert n_spared.min() > 20
    spared_at = certain.ds["assessments_spared"].sum(("replication", "time"))
    assert float(spared_at.sel(service=certain.ds["service_kind"].values == "int").sum()) == 0  # not its own


def test_a_half_chance_spares_half_of_the_same_assessments():
    """Sparing changes only what is counted (the decision is still made, in the assessment's
    time) and the draw is made whenever a known resident is assessed, so runs at the same seed
    with chances 1 and 0.5 are the same run: the known residents' assessments K are those spared
    at 1, and at 0.5 a binomial(K, 1/2) of them are spared (within 4 standard errors)."""
    certain, half = _shared(1.0, 8, 4), _shared(0.5, 8, 4)
    both = [r.ds["assessments"] + r.ds["assessments_spared"] for r in (certain, half)]
    np.testing.assert_array_equal(both[0].values, both[1].values)
    k = float(certain.ds["assessments_spared"].sum())
    got = float(half.ds["assessments_spared"].sum())
    assert k > 100
    assert abs(got - k / 2) < 4 * np.sqrt(k / 4)


def test_sd_spares_assessments_too_and_the_engines_agree_on_the_story():
    """The SD counts the same residents' assessments, hand-offs and need-days as the DES (within
    the statistical error of 10 replications plus the SD's assumption of independent domains,
    5 %), and spares assessments at partners too."""
    sc = _toy("int", int={"shared_record": {"spare_probability": 0.5}})
    des = ps.simulate(sc, replications=10, seed=9)
    sd = ps.simulate(sc, engine="sd")
    for name in ("resident_assessments", "resident_handoffs", "need_days"):
        per_rep = des.ds[name].sum(("time", "neighbourhood", "cohort")).values
        mean, se = per_rep.mean(), per_rep.std(ddof=1) / np.sqrt(len(per_rep))
        got = float(sd.ds[name].sum())
        assert abs(got - mean) < 3 * se + 0.05 * mean, (name, got, mean, se)
    assert float(sd.ds["assessments_spared"].sum()) > 0


def test_summary_and_story_summary_give_rates_per_resident_year_in_need():
    res = ps.simulate(_toy(), replications=3, seed=10)
    s = res.summary()
    ds = res.ds
    years = ds["need_days"].sum(("time", "neighbourhood", "cohort")).values / 365.25
    rate = ds["resident_assessments"].sum(("time", "neighbourhood", "cohort")).values / years
    assert s.loc["assessments per resident-year in need", "mean"] == pytest.approx(rate.mean())
    story = res.story_summary()
    assert list(story.index.names) == ["neighbourhood", "cohort"]
    assert len(story) == ds.sizes["neighbourhood"] * ds.sizes["cohort"]
    assert (story[("assessments per resident-year in need", "mean")] > 0).all()


def test_the_report_shows_assessments_over_the_whole_run():
    from placesim.report.outcomes import journeys_section

    cmp = ps.compare({"siloed": _toy(), "int": _toy("int", int={"shared_record": {"spare_probability": 0.5}})},
                     replications=2, seed=11)
    html = journeys_section(cmp, 0.9)
    assert "id='whole-run-table'" in html and f"Fewer assessments than {cmp.names['siloed']}" in html  # by name


@pytest.mark.parametrize(("shared", "field", "words"), [
    ({"spare_probability": 1.5}, "int.shared_record.spare_probability", "1"),
    ({"spare_probability": 0.5, "services": ["nowhere"]}, "int.shared_record.services[0]", "nowhere"),
    ({"spare": 0.5}, "int.shared_record", "spare"),
])
def test_a_bad_shared_record_is_refused_with_its_field(shared, field, words):
    with pytest.raises(ps.ScenarioError, match=re.escape(field)) as err:
        _toy("int", int={"shared_record": shared})
    assert words in str(err.value)
