"""Each mechanism of the DES, on a small scenario built for it.

Statistical checks compare an estimate with what the parameters imply, within a critical
value of its standard error (binomial or Poisson counts, or across replications); seeds
are fixed.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from scipy import stats

import placesim as ps
from placesim.errors import ScenarioError

Z = float(stats.norm.ppf(1 - 0.0005))  # two-sided 0.001 per check
EXP1 = {"distribution": "exponential", "mean_days": 1.0}


def scenario(services: dict, **extra) -> ps.Scenario:
    data = {"placesim": 1, "name": "test",
            "time": {"horizon_days": extra.pop("horizon", 2000), "warmup_days": extra.pop("warmup", 100),
                     "report_every_days": extra.pop("every", 100)},
            "services": services}
    data.update(extra)
    return ps.Scenario.from_dict(data)


def total(results: ps.Results, var: str, service: str | None = None) -> np.ndarray:
    da = results.ds[var]
    if service is not None:
        da = da.sel(service=service)
    dims = [d for d in da.dims if d != "replication"]
    return da.sum(dims).values


def assert_binomial(successes: float, trials: float, p: float, what: str) -> None:
    se = math.sqrt(trials * p * (1 - p))
    assert abs(successes - trials * p) <= Z * se + 1e-9, f"{what}: {successes} of {trials}, expected p={p}"


def assert_poisson(count: float, expected: float, what: str) -> None:
    assert abs(count - expected) <= Z * math.sqrt(expected), f"{what}: {count}, expected {expected:.1f}"


# ---------------------------------------------------------------- services


def test_warmup_is_not_counted():
    s = scenario({"desk": {"organisation": "x", "servers": 2, "arrivals": {"rate_per_day": 1.0}, "duration": EXP1}},
                 horizon=300, warmup=200)
    r = ps.simulate(s, 1, seed=1, trace=True)
    arrivals = r.trace[r.trace["event"] == "arrive"]  # trace times count from the end of the warm-up
    assert (arrivals["time"] < 0).sum() > 100 and arrivals["time"].min() >= -200
    assert total(r, "arrivals", "desk")[0] == (arrivals["time"] >= 0).sum()


def test_background_schedule_with_repeat():
    # a weekly pattern: 10 a day on the first five days, none at the weekend
    s = scenario({"desk": {"organisation": "x", "servers": "unlimited", "duration": EXP1,
                           "arrivals": {"schedule": [{"from_day": 0, "rate_per_day": 10.0},
                                                     {"from_day": 5, "rate_per_day": 0.0}],
                                        "repeat_every_days": 7}}},
                 horizon=700, warmup=0, every=7)
    r = ps.simulate(s, 1, seed=2, trace=True)
    times = r.trace.loc[r.trace["event"] == "arrive", "time"].to_numpy()
    assert np.all(np.mod(times, 7) < 5)
    assert_poisson(len(times), 10 * 5 * 100, "arrivals on weekdays")


def test_open_days_gate_assessment_and_starts():
    # open on Mondays only (day 0 is a Monday without a start date)
    s = scenario({"desk": {"organisation": "x", "servers": 50, "open_days": ["mon"],
                           "arrivals": {"rate_per_day": 3.0}, "duration": EXP1}}, horizon=700, warmup=0)
    r = ps.simulate(s, 1, seed=3, trace=True)
    t = r.trace
    for event in ("assess", "start"):
        days = np.floor(t.loc[t["event"] == event, "time"].to_numpy() + 1e-9)
        assert len(days) > 1000 and np.all(days % 7 == 0), f"{event} on a closed day"
    # people arriving on other days wait for Monday: mean wait about 3 days (uniform over the week)
    wait = total(r, "wait_days_sum", "desk")[0] / total(r, "started", "desk")[0]
    assert 2.5 < wait < 3.5


def test_start_date_sets_the_weekday():
    # 2025-05-01 was a Thursday
    s = scenario({"desk": {"organisation": "x", "servers": 50, "open_days": ["thu"],
                           "arrivals": {"rate_per_day": 3.0}, "duration": EXP1}}, horizon=140, warmup=0)
    s = s.with_overrides({"time": {"start_date": "2025-05-01"}})
    r = ps.simulate(s, 1, seed=3, trace=True)
    days = np.floor(r.trace.loc[r.trace["event"] == "start", "time"].to_numpy() + 1e-9)
    assert np.all(days % 7 == 0)
    assert str(r.ds["date"].values[0])[:10] == "2025-05-01"


def test_eligibility_turns_away_and_signposts():
    s = scenario({
        "front": {"organisation": "x", "servers": 5, "eligibility": {"min_level": 2},
                  "arrivals": {"rate_per_day": 2.0, "level": 1}, "duration": EXP1,
                  "referrals": [{"to": "advice", "probability": 0.5, "when": "turned_away"}]},
        "advice": {"organisation": "vcs", "servers": 5, "duration": EXP1},
    })
    r = ps.simulate(s, 1, seed=4)
    assert total(r, "started", "front")[0] == 0
    turned = total(r, "turned_away", "front")[0]
    assert turned == total(r, "assessments", "front")[0] > 3000
    assert_binomial(total(r, "referrals", "front")[0], turned, 0.5, "signposting")
    assert total(r, "arrivals", "advice")[0] == total(r, "referrals", "front")[0]
    ok = s.with_overrides({"services": {"front": {"arrivals": {"level": 2}}}})
    assert total(ps.simulate(ok, 1, seed=4), "turned_away", "front")[0] == 0


def test_referral_probability_and_handoff_loss():
    s = scenario({
        "a": {"organisation": "x", "servers": 10, "arrivals": {"rate_per_day": 3.0}, "duration": EXP1,
              "referrals": [{"to": "b", "probability": 0.4, "handoff_loss": 0.25}]},
        "b": {"organisation": "x", "servers": 10, "duration": EXP1},
    })
    r = ps.simulate(s, 1, seed=5)
    done = total(r, "completed", "a")[0]
    referred = total(r, "referrals", "a")[0]
    lost = total(r, "handoffs_lost", "a")[0]
    assert_binomial(referred, done, 0.4, "referrals")
    assert_binomial(lost, referred, 0.25, "hand-off loss")
    assert total(r, "referrals_received", "b")[0] == referred - lost


def test_patience_is_never_exceeded_and_people_give_up():
    s = scenario({"desk": {"organisation": "x", "servers": 1, "arrivals": {"rate_per_day": 1.5},
                           "queue": {"patience": {"distribution": "fixed", "days": 2.0}}, "duration": EXP1}},
                 horizon=3000)
    r = ps.simulate(s, 1, seed=6)
    assert total(r, "abandoned", "desk")[0] > 100
    # FIFO, one server, fixed patience of 2 days: nobody who started waited more than 2 days
    t = ps.simulate(s.with_overrides({"time": {"horizon_days": 300}}), 1, seed=6, trace=True).trace
    arr = t[t["event"] == "arrive"]["time"].to_numpy()
    starts = t[t["event"] == "start"]["time"].to_numpy()
    aband = t[t["event"] == "abandon"]["time"].to_numpy()
    # every abandonment happens exactly 2 days after some arrival
    assert np.all(np.min(np.abs(aband[:, None] - (arr[None, :] + 2.0)), axis=1) < 1e-9)
    assert len(starts) + len(aband) <= len(arr)


def test_severity_queue_matches_non_preemptive_priority_theory():
    """Two classes into one M/M/1 queue served by severity: Cobham's formula per class."""
    lam_hi, lam_lo, mu = 0.3, 0.4, 1.0
    s = scenario({
        "urgent": {"organisation": "x", "servers": "unlimited", "arrivals": {"rate_per_day": lam_hi, "level": 3},
                   "duration": {"distribution": "fixed", "days": 0.0}, "referrals": [{"to": "q", "probability": 1.0}]},
        "routine": {"organisation": "x", "servers": "unlimited", "arrivals": {"rate_per_day": lam_lo, "level": 1},
                    "duration": {"distribution": "fixed", "days": 0.0}, "referrals": [{"to": "q", "probability": 1.0}]},
        "q": {"organisation": "x", "servers": 1, "queue": {"discipline": "severity"}, "duration": EXP1},
    }, horizon=20000, warmup=500, every=1000)
    r = ps.simulate(s, 6, seed=7, trace=True)
    rho = (lam_hi + lam_lo) / mu
    w0 = rho / mu  # mean residual work of an exponential server, times utilisation
    theory = {3: w0 / (1 - lam_hi / mu), 1: w0 / ((1 - lam_hi / mu) * (1 - rho))}
    t = r.trace
    q = list(s.services).index("q")
    for level, expect in theory.items():
        means = []
        for _, rep in t[(t["service"] == q) & (t["level"] == level)].groupby("replication"):
            arr = rep.loc[rep["event"] == "arrive", "time"].to_numpy()
            st = rep.loc[rep["event"] == "start", "time"].to_numpy()
            n = len(st)  # FIFO within a class: the k-th start is the k-th arrival
            keep = arr[:n] >= 500
            means.append(np.mean(st[:n][keep] - arr[:n][keep]))
        means = np.array(means)
        se = means.std(ddof=1) / math.sqrt(len(means))
        crit = stats.t.ppf(1 - 0.0005, len(means) - 1)
        assert abs(means.mean() - expect) <= crit * se, f"level {level}: {means.mean():.3f} vs {expect:.3f}"
    assert theory[3] < theory[1]


def test_unit_costs_and_attribution():
    s = scenario({"ta": {"organisation": "council", "servers": "unlimited", "arrivals": {"rate_per_day": 2.0},
                         "assessment": {"cost_gbp": 10.0}, "duration": {"distribution": "fixed", "days": 7.0},
                         "costs": {"per_case_gbp": 100.0, "per_week_gbp": 70.0, "price_year": "2010/11"}}},
                 horizon=400, warmup=50)
    r = ps.simulate(s, 1, seed=8)
    ds = r.ds
    expect = (10.0 * ds["assessments"] + 100.0 * ds["started"] + 10.0 * ds["busy_server_days"]).sel(service="ta")
    np.testing.assert_allclose(ds["cost_gbp"].sel(service="ta").values, expect.values)
    np.testing.assert_allclose(ds["organisation_cost_gbp"].sel(organisation="council").values,
                               ds["cost_gbp"].sel(service="ta").values)
    # occupancy of an unlimited service is Little's law: 2 a day x 7 days
    occupancy = total(r, "busy_server_days", "ta")[0] / 400
    assert abs(occupancy - 14.0) < 1.0


@pytest.mark.parametrize("engine", ["des", "sd"])
def test_costs_paid_by_several_organisations_are_split(engine):
    """costs.paid_by: temporary accommodation net of housing benefit subsidy, the council
    paying 41 % and the DWP the rest, in every bin and both engines."""
    ta = {"organisation": "council", "servers": "unlimited", "arrivals": {"rate_per_day": 2.0},
          "duration": {"distribution": "fixed", "days": 7.0},
          "costs": {"per_week_gbp": 380.0, "paid_by": {"council": 0.41, "dwp": 0.59}}}
    r = ps.simulate(scenario({"ta": ta}, horizon=400, warmup=50), 5, seed=8, engine=engine)
    org, cost = r.ds["organisation_cost_gbp"], r.ds["cost_gbp"].sel(service="ta")
    assert float(cost.sum()) > 0
    np.testing.assert_allclose(org.sel(organisation="council").values, 0.41 * cost.values)
    np.testing.assert_allclose(org.sel(organisation="dwp").values, 0.59 * cost.values)


@pytest.mark.parametrize("paid_by, says", [({"council": 0.5, "dwp": 0.4}, "sum to 0.9"),
                                           ({"council": 1.5, "dwp": -0.5}, "between 0 and 1")])
def test_paid_by_shares_must_be_shares(paid_by, says):
    ta = {"organisation": "council", "servers": "unlimited", "arrivals": {"rate_per_day": 2.0},
          "duration": {"distribution": "fixed", "days": 7.0}, "costs": {"per_week_gbp": 1.0, "paid_by": paid_by}}
    with pytest.raises(ScenarioError, match=rf"services\.ta\.costs(?s:.*){says}"):
        scenario({"ta": ta})


# ---------------------------------------------------------------- residents

ONE_DOMAIN = {
    "neighbourhoods": {"A": {}},
    "domains": {"housing": {"front_door": "options",
                            "crisis": {"responses": [{"service": "ta", "probability": 1.0}],
                                       "stay_in_crisis": True}}},
    "cohorts": {"renters": {"size": {"A": 2000}, "initial": {"housing": [0.5, 0.3, 0.2, 0.0]},
                            "hazards": {"housing": {"onset_per_year": 0.5, "escalation_per_year": [0.8, 0.8],
                                                    "recovery_per_year": [0.5, 0.3],
                                                    "help_seeking_per_year": [0.5, 1.0]}}}},
}
ONE_DOMAIN_SERVICES = {
    "options": {"organisation": "council", "domains": ["housing"], "servers": 40, "duration":
                {"distribution": "exponential", "mean_days": 30}, "effect": {"escalation_multiplier": 0.5},
                "on_completion": {"resolve_probability": 0.5, "step_down_probability": 0.3}},
    "ta": {"organisation": "council", "servers": "unlimited", "duration": {"distribution": "fixed", "days": 60}},
}


def residents_scenario(**changes) -> ps.Scenario:
    extra = copy.deepcopy(ONE_DOMAIN)
    services = copy.deepcopy(ONE_DOMAIN_SERVICES)
    s = scenario(services, horizon=720, warmup=180, every=30, **extra)
    return s.with_overrides(changes) if changes else s


def test_stay_in_crisis_holds_residents_at_level_3_while_in_ta():
    r = ps.simulate(residents_scenario(), 2, seed=10)
    ds = r.ds
    at3 = ds["residents"].sel(level=3).sum(("neighbourhood", "cohort", "domain")).values
    in_ta = ds["in_system"].sel(service="ta").values
    assert np.array_equal(at3, in_ta) and at3.max() > 10
    no_hold = residents_scenario(domains={"housing": {"crisis": {"stay_in_crisis": False}}})
    r2 = ps.simulate(no_hold, 2, seed=10)
    assert r2.ds["residents"].sel(level=3).sum().item() == 0
    assert total(r2, "crises").sum() > 0


def test_crisis_responses_follow_their_probability():
    s = residents_scenario(domains={"housing": {"crisis": {"responses": [{"service": "ta", "probability": 0.3}],
                                                           "stay_in_crisis": False}}})
    r = ps.simulate(s, 2, seed=11)
    crises = total(r, "crises").sum()
    assert_binomial(total(r, "arrivals", "ta").sum(), crises, 0.3, "crisis responses")


def test_support_effect_lowers_crises_and_help_seeking_stops_while_engaged():
    base = residents_scenario()
    none = residents_scenario(services={"options": {"effect": {"escalation_multiplier": 1.0},
                                                    "on_completion": {"resolve_probability": 0.0,
                                                                      "step_down_probability": 0.0}}})
    c = ps.compare({"effect": base, "none": none}, replications=4, seed=12)
    d = c.differences().loc[("none", "crises")]
    assert d["lower"] > 0, "removing the support effect should raise crises"
    # a resident engaged with 'options' does not seek help in housing again until they leave it
    t = ps.simulate(base.with_overrides({"time": {"horizon_days": 200}}), 1, seed=12, trace=True).trace
    opt = list(base.services).index("options")
    events = t[(t["service"] == opt) & t["event"].isin(["arrive", "complete", "turned_away", "abandon"])]
    for _, g in events.groupby("resident"):
        inside = 0
        for e in g["event"]:
            inside += 1 if e == "arrive" else -1
            assert inside in (0, 1)


def test_completion_effect_resolves():
    s = residents_scenario(services={"options": {"on_completion": {"resolve_probability": 1.0,
                                                                   "step_down_probability": 0.0}}})
    t = ps.simulate(s.with_overrides({"time": {"horizon_days": 200}}), 1, seed=13, trace=True).trace
    effects = t[t["event"] == "support_effect"]
    completions = t[(t["event"] == "complete") & (t["service"] == 0)]
    assert len(effects) > 50 and (effects["level"] == 0).all()
    # every completion of a resident still in need is followed at once by the resolution
    assert len(effects) <= len(completions)


def test_coupling_raises_escalation_of_the_coupled_domain():
    two = copy.deepcopy(ONE_DOMAIN)
    two["domains"]["money"] = {}
    two["cohorts"]["renters"]["initial"]["money"] = [0.2, 0.3, 0.5, 0.0]
    two["cohorts"]["renters"]["hazards"]["money"] = {"onset_per_year": 0.5, "escalation_per_year": [0.5, 0.0],
                                                      "recovery_per_year": [0.2, 0.2]}
    base = scenario(copy.deepcopy(ONE_DOMAIN_SERVICES), horizon=720, warmup=180, every=30, **two)
    coupled = base.with_overrides({"coupling": {"money": {"housing": 3.0}}})
    c = ps.compare({"base": base, "coupled": coupled}, replications=4, seed=14)
    d = c.differences().loc[("coupled", "crises: housing")]
    assert d["lower"] > 0
    assert c.differences().loc[("coupled", "crises: money"), "mean"] == 0  # money never reaches 3 here


# ---------------------------------------------------------------- the INT

INT = {
    "neighbourhoods": {"A": {"start_day": 100}},
    "days_per_week": 2, "open_days": ["tue", "thu"],
    "workers": {"housing_officer": {"fte": 2, "domains": ["housing"], "caseload": 25,
                                    "cost_per_fte_gbp_per_year": 36525.0}},
    "duration": {"distribution": "exponential", "mean_days": 60},
    "effect": {"escalation_multiplier": 0.3},
    "costs": {"premises_gbp_per_year": 3652.5, "setup_gbp": 5000.0},
    "funding_shares": {"council": 0.75, "nhs": 0.25},
}


def int_scenario(**int_changes) -> ps.Scenario:
    spec = copy.deepcopy(INT)
    spec.update(int_changes)
    return residents_scenario(int=spec)


def test_int_starts_on_its_day_and_works_on_its_days():
    s = int_scenario(front_door=True)
    r = ps.simulate(s, 1, seed=20, trace=True)
    t = r.trace
    team = list(r.ds["service"].values).index("int:A")
    starts = t[(t["service"] == team) & t["event"].isin(["assess", "start"])]
    assert len(starts) > 50
    assert starts["time"].min() >= 100  # the start day
    weekday = np.floor(starts["time"].to_numpy() + 1e-9) % 7
    assert set(weekday) <= {1, 3}  # Tuesday, Thursday
    capacity = s.int_team.team_capacity("A")
    assert capacity == int(2 * 25 * 2 / 5)
    assert np.all(r.ds["in_system"].sel(service="int:A").values >= 0)
    busy = r.ds["busy_server_days"].sel(service="int:A") / r.ds["bin_days"]
    assert float(busy.max()) <= capacity + 1e-9


def test_int_costs_are_pro_rata_and_split_by_funding_share():
    s = int_scenario()
    r = ps.simulate(s, 1, seed=21)
    cost = r.ds["cost_gbp"].sel(service="int:A").values[0]
    days_running = 720 - 100
    staff = 2 * 36525.0 * 2 / 5 / 365.25 * days_running
    premises = 3652.5 / 365.25 * days_running
    assessments = 0.0  # no assessment cost given
    assert cost.sum() == pytest.approx(staff + premises + 5000.0 + assessments)
    assert cost[: 100 // 30].sum() == 0  # nothing before the start day
    org = r.ds["organisation_cost_gbp"].sum("time").sel(replication=0)
    siloed = r.ds["cost_gbp"].sel(service=["options", "ta"]).sum().item()
    assert org.sel(organisation="nhs").item() == pytest.approx(0.25 * cost.sum())
    assert org.sel(organisation="council").item() == pytest.approx(0.75 * cost.sum() + siloed)


def test_int_front_door_takes_help_seekers_once_started():
    on = ps.simulate(int_scenario(front_door=True), 1, seed=22)
    off = ps.simulate(int_scenario(front_door=False), 1, seed=22)
    assert total(on, "arrivals", "int:A")[0] > 100
    assert total(off, "arrivals", "int:A")[0] == 0  # no front door, no case-finding: nobody comes
    assert total(on, "arrivals", "options")[0] < total(off, "arrivals", "options")[0]


def test_case_finding_flags_with_sensitivity_and_specificity():
    # a cohort that never changes: 2,000 residents at level 0 and 1,000 at level 1
    still = {"onset_per_year": 0.0, "escalation_per_year": [0.0, 0.0], "recovery_per_year": [0.0, 0.0],
             "help_seeking_per_year": [0.0, 0.0]}  # overrides merge, so every hazard is set to zero
    frozen = {"cohorts": {"renters": {"size": {"A": 2000}, "initial": {"housing": [1.0, 0.0, 0.0, 0.0]},
                                      "hazards": {"housing": still}},
                          "needy": {"size": {"A": 1000}, "initial": {"housing": [0.0, 1.0, 0.0, 0.0]},
                                    "hazards": {"housing": still}}}}
    spec = copy.deepcopy(INT)
    spec["neighbourhoods"] = {"A": {"start_day": 0}}
    spec["case_finding"] = {"screen_every_days": 30, "coverage": 0.5, "sensitivity": 0.6, "specificity": 0.9,
                            "acceptance": 0.5, "contact_cost_gbp": 1.0}
    spec["workers"]["housing_officer"]["caseload"] = 100000  # never full: everyone who accepts is taken on
    spec["duration"] = {"distribution": "fixed", "days": 1.0}
    s = residents_scenario(**frozen, int=spec).with_overrides({"time": {"horizon_days": 30, "report_every_days": 30}})
    r = ps.simulate(s, 20, seed=23)
    fp = total(r, "false_positive_contacts", "int:A").sum()
    contacts = total(r, "outreach_contacts", "int:A").sum()
    found = total(r, "case_found", "int:A").sum()
    assert_binomial(fp, 20 * 2000, 0.5 * 0.1, "false positives among the stable")
    assert_binomial(contacts - fp, 20 * 1000, 0.5 * 0.6, "true positives among those in need")
    assert_binomial(found, contacts - fp, 0.5, "acceptance")
    assert total(r, "cost_gbp", "int:A").sum() >= contacts * 1.0


def test_huddle_means_one_assessment_for_several_domains():
    two = copy.deepcopy(ONE_DOMAIN)
    two["domains"]["money"] = {"front_door": "options"}
    two["cohorts"]["renters"]["initial"]["money"] = [0.0, 0.6, 0.4, 0.0]
    two["cohorts"]["renters"]["hazards"]["money"] = {"recovery_per_year": [0.1, 0.1]}
    spec = copy.deepcopy(INT)
    spec["workers"]["debt_adviser"] = {"fte": 2, "domains": ["money"], "caseload": 25}
    spec["case_finding"] = {"screen_every_days": 30, "sensitivity": 0.5, "specificity": 1.0, "acceptance": 1.0,
                            "max_contacts_per_screen": 20}
    spec["front_door"] = False  # everyone at the INT was found by case-finding
    base = scenario(copy.deepcopy(ONE_DOMAIN_SERVICES), horizon=720, warmup=180, every=30, **two, int=spec)
    no_huddle = base.with_overrides({"int": {"huddle": False}})
    a = ps.simulate(base, 2, seed=24)
    b = ps.simulate(no_huddle, 2, seed=24)
    per_case = lambda r: total(r, "assessments", "int:A").sum() / total(r, "case_found", "int:A").sum()
    assert per_case(a) == pytest.approx(1.0, abs=0.02)  # one assessment per resident found
    assert per_case(b) > 1.2  # one domain at a time: re-assessed for the next


def test_warm_handover_loss_rate():
    two = copy.deepcopy(ONE_DOMAIN)
    two["domains"]["money"] = {"front_door": "advice"}
    two["cohorts"]["renters"]["initial"]["money"] = [0.0, 0.0, 1.0, 0.0]
    two["cohorts"]["renters"]["hazards"]["money"] = {}
    services = copy.deepcopy(ONE_DOMAIN_SERVICES)
    services["advice"] = {"organisation": "vcs", "domains": ["money"], "servers": "unlimited",
                          "duration": {"distribution": "fixed", "days": 1000}}
    spec = copy.deepcopy(INT)
    spec["neighbourhoods"] = {"A": {"start_day": 0}}
    spec["front_door"] = True
    spec["warm_handover"] = {"loss": 0.2, "min_level": 2}
    s = scenario(services, horizon=720, warmup=180, every=30, **two, int=spec)
    r = ps.simulate(s, 2, seed=25)
    made = total(r, "referrals", "int:A").sum()
    lost = total(r, "handoffs_lost", "int:A").sum()
    assert made > 100
    assert_binomial(lost, made, 0.2, "warm hand-over loss")


# ---------------------------------------------------------------- regressions


def test_residents_starting_in_crisis_go_through_the_crisis_response():
    start_in_crisis = copy.deepcopy(ONE_DOMAIN)
    start_in_crisis["cohorts"]["renters"]["initial"]["housing"] = [0.0, 0.0, 0.0, 1.0]
    s = scenario(copy.deepcopy(ONE_DOMAIN_SERVICES), horizon=360, warmup=0, every=30, **start_in_crisis)
    r = ps.simulate(s, 1, seed=30)
    ds = r.ds
    # with no warm-up the 2,000 crises happen at day 0 and are counted, all held in temporary
    # accommodation (60 days), then back at level 2
    assert ds["crises"].isel(time=0).sum().item() >= 2000
    assert ds["arrivals"].sel(service="ta").isel(time=0).item() >= 2000
    at3 = ds["residents"].sel(level=3).sum(("neighbourhood", "cohort", "domain")).values[0]
    assert np.array_equal(at3, ds["in_system"].sel(service="ta").values[0])
    assert at3[-1] < 2000 / 2
    assert total(r, "help_seeking").sum() > 0
    # with a warm-up they happen in it and are not counted
    warm = ps.simulate(s.with_overrides({"time": {"warmup_days": 30}}), 1, seed=30)
    assert warm.ds["crises"].isel(time=0).sum().item() < 2000


def test_patience_running_out_during_an_assessment_still_ends_the_wait():
    s = scenario({"desk": {"organisation": "x", "servers": 1, "open_days": ["mon"],
                           "assessment": {"days": 5.0}, "arrivals": {"rate_per_day": 1.0},
                           "queue": {"patience": {"distribution": "fixed", "days": 3.0}},
                           "duration": {"distribution": "fixed", "days": 1.0}}},
                 horizon=1400, warmup=0, every=70)
    r = ps.simulate(s, 1, seed=31)
    waiting = r.ds["in_system"].sel(service="desk").values[0]
    assert waiting.max() < 20  # nobody is left waiting for ever
    assert waiting[10:].max() <= waiting[:10].max() + 5
    assert total(r, "abandoned", "desk")[0] > 0.5 * total(r, "arrivals", "desk")[0]


def test_journeys_in_progress_at_the_start_are_not_timed():
    in_need = copy.deepcopy(ONE_DOMAIN)
    in_need["cohorts"]["renters"]["initial"]["housing"] = [0.0, 1.0, 0.0, 0.0]
    in_need["cohorts"]["renters"]["hazards"]["housing"]["onset_per_year"] = 0.0
    in_need["cohorts"]["renters"]["hazards"]["housing"]["recovery_per_year"] = [0.0, 0.0]
    s = scenario(copy.deepcopy(ONE_DOMAIN_SERVICES), horizon=300, warmup=0, every=30, **in_need)
    r = ps.simulate(s, 1, seed=32)
    assert total(r, "started", "options")[0] > 100  # people are supported ...
    assert total(r, "journeys").sum() == 0  # ... but their need began before the run: not timed


def test_without_huddle_each_covered_domain_is_supported_once_per_chain():
    two = copy.deepcopy(ONE_DOMAIN)
    two["domains"]["money"] = {"front_door": "options"}
    still = {"onset_per_year": 0.0, "escalation_per_year": [0.0, 0.0], "recovery_per_year": [0.0, 0.0],
             "help_seeking_per_year": [0.0, 0.0]}
    two["cohorts"]["renters"] = {"size": {"A": 300}, "initial": {"housing": [0, 1, 0, 0], "money": [0, 1, 0, 0]},
                                 "hazards": {"housing": still, "money": still}}
    spec = copy.deepcopy(INT)
    spec.update({"neighbourhoods": {"A": {"start_day": 0}}, "front_door": False, "huddle": False,
                 "case_finding": {"screen_every_days": 1000, "sensitivity": 1.0, "specificity": 1.0,
                                  "acceptance": 1.0, "max_contacts_per_screen": 10},
                 "duration": {"distribution": "fixed", "days": 5.0}})
    spec["workers"]["debt_adviser"] = {"fte": 2, "domains": ["money"], "caseload": 25}
    s = scenario(copy.deepcopy(ONE_DOMAIN_SERVICES), horizon=300, warmup=0, every=30, **two, int=spec)
    r = ps.simulate(s, 1, seed=33)
    # ten residents found, each needing both domains and never recovering: two episodes each, not endless
    assert total(r, "case_found", "int:A")[0] == 10
    assert total(r, "started", "int:A")[0] == 20
    assert total(r, "assessments", "int:A")[0] == 20


def test_residents_hold_their_draws_compactly(toy_scenario):
    """Each resident reads its draws from arrays of doubles: its row of the shared first
    blocks, then arrays of its own holding at most a chunk and the one draw left over."""
    from array import array

    from placesim.engines.des import DesReplication
    from placesim.engines.des.streams import RESIDENT_CHUNK, RESIDENT_FIRST_BLOCK
    from placesim.kinds import des_nodes
    from placesim.plan import compile_plan

    rep = DesReplication(compile_plan(toy_scenario("siloed", horizon_days=1825)), 1, 0, des_nodes())
    rep.run()
    residents = rep.pop.residents
    shared = max((r.u for r in residents), key=len)
    assert len(shared) == RESIDENT_FIRST_BLOCK * len(residents)
    refilled = [r for r in residents if r.blk]
    assert 0 < len(refilled) < len(residents) and any(r.cblk for r in residents)
    for r in residents:
        assert isinstance(r.u, array) and isinstance(r.c, array) and r.u.typecode == r.c.typecode == "d"
        assert (r.u is shared) == (r.blk == 0)
        assert len(r.u) <= (len(shared) if r.blk == 0 else RESIDENT_CHUNK + 1) and r.k <= r.ue <= len(r.u)
        assert len(r.c) <= (len(shared) if r.cblk == 0 else RESIDENT_CHUNK)


def test_engagement_and_hold_counts_are_packed_per_domain(toy_scenario):
    """A resident's engagement and hold counts are packed, COUNT_BITS bits a domain: a mask
    spreads to one in each of its domains and back; after a run every count is a small
    non-negative number (none went below zero and borrowed from the next domain), and the
    residents still at a service are engaged in its domains."""
    from placesim.engines.des import DesReplication
    from placesim.engines.des.population import COUNT_BITS, counted, spread
    from placesim.kinds import des_nodes
    from placesim.plan import compile_plan

    assert spread(0b101) == 1 | 1 << (2 * COUNT_BITS) and counted(spread(0b1011)) == 0b1011
    assert counted(3 * spread(0b10) + spread(0b1)) == 0b11 and counted(0) == 0

    rep = DesReplication(compile_plan(toy_scenario("siloed", horizon_days=730)), 1, 0, des_nodes())
    rep.run()
    D = rep.plan.n_domains
    engaged = 0
    for r in rep.pop.residents:
        assert r.eng >= 0 and r.held >= 0 and r.eng >> (COUNT_BITS * D) == 0 == r.held >> (COUNT_BITS * D)
        for d in range(D):
            assert (r.eng >> (COUNT_BITS * d)) & ((1 << COUNT_BITS) - 1) < 100
        engaged += r.eng > 0
    assert engaged > 0
