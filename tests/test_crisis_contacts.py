"""Crisis episodes with several contacts (``crisis.responses[].contacts``, issue 9 item 10):
repeat A&E attendances and call-outs drawn per episode, so that frequent attenders exist."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import placesim as ps
from placesim.engines.des.contacts import top_decile_share
from placesim.scenario.model import CrisisContacts

ROOT = Path(__file__).resolve().parent.parent
TOY = ROOT / "tests" / "scenarios"

# One domain, no help-seeking: crises, and an unlimited A&E they draw on (figures invented for testing).
PLACE = {
    "placesim": 1,
    "name": "crisis place",
    "time": {"horizon_days": 730, "warmup_days": 180, "report_every_days": 30},
    "neighbourhoods": {"north": {}},
    "domains": {"health": {"crisis": {"responses": [{"service": "ae", "probability": 0.8}]}}},
    "cohorts": {"all": {"size": {"north": 1500}, "initial": {"health": [0.7, 0.2, 0.1, 0.0]},
                        "hazards": {"health": {"onset_per_year": 0.5, "escalation_per_year": [1.0, 1.5],
                                               "recovery_per_year": [1.0, 0.5]}}}},
    "services": {"ae": {"organisation": "nhs", "servers": "unlimited",
                        "duration": {"distribution": "fixed", "days": 0.2}, "costs": {"per_case_gbp": 100}}},
}


def place(contacts: dict | None) -> ps.Scenario:
    response: dict = {"service": "ae", "probability": 0.8}
    if contacts is not None:
        response["contacts"] = contacts
    return ps.Scenario.from_dict(PLACE).with_overrides(
        {"domains": {"health": {"crisis": {"responses": [response]}}}})


def ae(res: ps.Results, name: str) -> np.ndarray:
    """A&E's ``name`` per replication, over the reported period."""
    x = res.ds[name].sel(service="ae")
    return (x.sum("time") if "time" in x.dims else x).values


# --------------------------------------------------------------------------- the field


def test_mean_and_variance_of_the_count():
    c = CrisisContacts(mean=3, dispersion=0.5, over_days=30)
    assert c.repeats == 2 and c.variance == pytest.approx(2 + 4 / 0.5)
    assert CrisisContacts(mean=3, over_days=30).variance == 2  # Poisson repeats
    draws = c.repeats_sampler(np.random.default_rng(1))(200_000)
    assert draws.mean() == pytest.approx(2, abs=4 * math.sqrt(10 / 200_000))
    assert draws.var() == pytest.approx(10, rel=0.05)


def test_top_decile_share():
    assert top_decile_share([]) == 0
    assert top_decile_share([1] * 20) == pytest.approx(0.1)
    assert top_decile_share([10] + [1] * 9) == pytest.approx(10 / 19)
    assert top_decile_share([3, 1, 1]) == pytest.approx(3 / 5)  # the top ceil(3/10) = 1 attender


# --------------------------------------------------------------------------- defaults


def test_one_contact_gives_the_same_results_as_no_field():
    """``mean: 1`` draws nothing: every variable is as without the field, at the same seed, in
    both engines; and without repeats crisis_contacts are the first contacts only."""
    for engine in ("des", "sd"):
        a = ps.simulate(place(None), replications=2, seed=3, engine=engine).ds
        b = ps.simulate(place({"mean": 1, "dispersion": 2, "over_days": 30}), replications=2, seed=3,
                        engine=engine).ds
        for v in a.data_vars:
            np.testing.assert_array_equal(a[v].values, b[v].values, err_msg=f"{engine}: {v}")
        assert float(a["repeat_contacts"].sum()) == 0
        assert float(a["crisis_contacts"].sum()) > 0


def test_without_repeats_crisis_contacts_are_the_crises_drawing_on_the_service():
    res = ps.simulate(place(None), replications=1, seed=4, trace=True)
    tr = res.trace
    firsts = tr[(tr["event"] == "arrive") & (tr["level"] == 3) & (tr["time"] >= 0)]
    assert ae(res, "crisis_contacts")[0] == len(firsts) == ae(res, "arrivals")[0]
    assert ae(res, "crisis_attenders")[0] == firsts["resident"].nunique()


# --------------------------------------------------------------------------- the DES


SKEWED = {"mean": 3, "dispersion": 0.5, "over_days": 0.5}  # mean 3, variance 2 + 4 / 0.5 = 10


def episodes(res: ps.Results, over: float) -> np.ndarray:
    """Contacts of each crisis episode that drew on A&E in the reported period, from the trace:
    the first contact (an arrival at the moment of a crisis) and the repeat contacts of the
    same resident within ``over`` days after it (``over`` is far shorter than the time between
    two crises of one resident). Episodes whose ``over`` days pass the end are left out."""
    tr = res.trace
    tr = tr[tr["time"] >= 0]
    key = ["replication", "resident", "time"]
    crises = tr.loc[tr["event"] == "crisis", key]
    arrivals = tr.loc[(tr["event"] == "arrive") & (tr["level"] == 3), key]
    firsts = crises.merge(arrivals, on=key).drop_duplicates().sort_values("time")
    firsts = firsts[firsts["time"] + over < float(res.ds["bin_days"].sum())].reset_index(drop=True)
    firsts["episode"] = np.arange(len(firsts))
    repeats = tr.loc[tr["event"] == "repeat_contact", key].sort_values("time")
    owner = pd.merge_asof(repeats, firsts.rename(columns={"time": "t0"}).assign(time=firsts["time"]),
                          on="time", by=["replication", "resident"], direction="backward",
                          allow_exact_matches=False)
    owner = owner[owner["time"] <= owner["t0"] + over]
    extra = np.bincount(owner["episode"].dropna().astype(int), minlength=len(firsts))
    return 1 + extra


@pytest.fixture(scope="module")
def skewed() -> ps.Results:
    return ps.simulate(place(SKEWED), replications=4, seed=11, trace=True)


def test_contacts_per_episode_have_the_distributions_mean_and_variance(skewed):
    """Episodes' contacts in the trace: the mean within 4 standard errors of 3, the variance
    within 4 standard errors (from the sample's fourth moment) of 10."""
    n = episodes(skewed, SKEWED["over_days"])
    assert len(n) > 2000
    assert n.min() >= 1
    se_mean = n.std(ddof=1) / math.sqrt(len(n))
    assert abs(n.mean() - 3) < 4 * se_mean, (n.mean(), se_mean)
    dev = n - n.mean()
    s2 = dev.var(ddof=1)
    se_var = math.sqrt((np.mean(dev**4) - s2**2) / len(n))
    assert abs(s2 - 10) < 4 * se_var, (s2, se_var)


def test_repeat_contacts_are_counted_traced_and_arrive(skewed):
    tr = skewed.trace
    for rep in range(4):
        t = tr[(tr["replication"] == rep) & (tr["time"] >= 0)]
        repeats = int((t["event"] == "repeat_contact").sum())
        firsts = int(((t["event"] == "arrive") & (t["level"] == 3)).sum()) - repeats
        assert ae(skewed, "repeat_contacts")[rep] == repeats
        assert ae(skewed, "crisis_contacts")[rep] == firsts + repeats == ae(skewed, "arrivals")[rep]


def test_frequent_attenders_show():
    """Over-dispersed counts concentrate contacts on a few residents: the top tenth of attenders
    make a larger share than with Poisson repeats of the same mean, and that more than with one
    contact per episode."""
    share = {}
    for label, contacts in (("one", None), ("poisson", {"mean": 3, "over_days": 30}),
                            ("skewed", {"mean": 3, "dispersion": 0.5, "over_days": 30})):
        res = ps.simulate(place(contacts), replications=2, seed=5)
        share[label] = ae(res, "top_decile_contact_share")
    # measured: 0.24 (one), 0.26-0.27 (Poisson), 0.33-0.34 (dispersion 0.5)
    assert (share["skewed"] > share["poisson"] + 0.04).all(), share
    assert (share["poisson"] > share["one"]).all(), share


def test_the_first_contact_alone_holds_the_resident():
    """With stay_in_crisis the resident is held at level 3 by the first contact only: every hold
    ends when it finishes (0.2 days after the crisis), not after the repeats spread over 30 days."""
    sc = place({"mean": 4, "over_days": 30}).with_overrides(
        {"domains": {"health": {"crisis": {"stay_in_crisis": True}}}})
    res = ps.simulate(sc, replications=1, seed=6, trace=True)
    tr = res.trace
    crises = tr[tr["event"] == "crisis"].sort_values("time")
    over = tr[tr["event"] == "crisis_over"].sort_values("time")
    ends = over["time"].to_numpy()
    starts = pd.merge_asof(over[["time", "resident"]], crises[["time", "resident"]].assign(start=crises["time"]),
                           on="time", by="resident", direction="backward")["start"].to_numpy()
    assert len(ends) > 100
    np.testing.assert_allclose(ends - starts, 0.2, atol=1e-9)
    assert ae(res, "repeat_contacts")[0] > 2 * len(ends)


def test_costs_scale_with_contacts():
    """A&E's cost is per contact: mean 3 costs three times mean 1 (within the runs' noise, same
    seed, unlimited capacity), in both engines."""
    one = ps.simulate(place(None), replications=3, seed=7)
    three = ps.simulate(place({"mean": 3, "dispersion": 1, "over_days": 2}), replications=3, seed=7)
    for res in (one, three):
        np.testing.assert_allclose(ae(res, "cost_gbp"), 100 * ae(res, "crisis_contacts"))
    ratio = ae(three, "cost_gbp").sum() / ae(one, "cost_gbp").sum()
    assert ratio == pytest.approx(3, rel=0.05)
    sd_one = ae(ps.simulate(place(None), engine="sd"), "cost_gbp")[0]
    sd_three = ae(ps.simulate(place({"mean": 3, "dispersion": 1, "over_days": 2}), engine="sd"), "cost_gbp")[0]
    assert sd_three / sd_one == pytest.approx(3, rel=0.01)


# --------------------------------------------------------------------------- DES and SD


def test_des_and_sd_agree_on_contacts():
    """Crisis and repeat contacts at an unlimited A&E: the DES's mean over replications within 5 %
    of the SD (and the SD's crisis contacts 3 x its crises x 0.8). Measured: within 0.7 % at
    30 replications (standard errors 0.9-1 %)."""
    sc = place({"mean": 3, "dispersion": 1, "over_days": 60})
    des = ps.simulate(sc, replications=16, seed=8)
    sd = ps.simulate(sc, engine="sd")
    for name in ("crisis_contacts", "repeat_contacts", "arrivals", "cost_gbp"):
        d, s = ae(des, name), ae(sd, name)[0]
        assert abs(d.mean() / s - 1) < 0.05, (name, d.mean(), s)
    crises = float(sd.ds["crises"].sum())
    # repeats of crises in the warm-up's last days come in, those of the last days go out: about even
    assert ae(sd, "crisis_contacts")[0] == pytest.approx(3 * 0.8 * crises, rel=0.02)


def test_the_toy_contacts_scenario_runs_in_both_engines():
    sc = ps.load_scenario(TOY / "toy_contacts.yaml")
    assert sc.model.domains["money"].crisis.responses[0].contacts is not None
    for engine in ("des", "sd"):
        res = ps.simulate(sc, replications=1, seed=9, engine=engine)
        assert ae(res, "repeat_contacts")[0] > 0
