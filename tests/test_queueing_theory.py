"""The DES against queueing theory: M/M/c (Erlang C) and an open Jackson network with feedback.

Each check compares the mean over replications with theory, within a critical number of
standard errors of that mean (the standard error estimated from the replications
themselves). The critical value is the Student-t quantile for a family-wise false-failure
rate of 0.001 over all the checks in this file (Bonferroni), so were the seed free a
correct engine would fail this file about once in a thousand runs. Seeds are fixed, so the
tests do not flake. Each check also asserts that the standard error is small relative to
the theory, so that a pass is evidence and not just noise.
"""

from __future__ import annotations

from math import factorial
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import placesim as ps
from placesim.stats import ratio

ROOT = Path(__file__).resolve().parents[1]
REPS = 20
SEED = 12345
FAMILY_ALPHA = 0.001
N_CHECKS = 4 * 4 + 3 * 2 + 1  # M/M/c cases x measures, Jackson services x measures, time in network


def critical(n: int) -> float:
    """Two-sided Student-t critical value for n replications, Bonferroni over the file's checks."""
    return float(stats.t.ppf(1 - FAMILY_ALPHA / (2 * N_CHECKS), n - 1))


def erlang_c_wait(lam: float, mu: float, c: int) -> float:
    """Mean wait in queue of an M/M/c queue (Erlang C)."""
    a = lam / mu
    rho = a / c
    assert rho < 1
    head = sum(a**k / factorial(k) for k in range(c))
    tail = a**c / factorial(c) / (1 - rho)
    return tail / (head + tail) / (c * mu - lam)


def mmc_scenario(lam: float, mu: float, c: int, horizon: float, warmup: float) -> ps.Scenario:
    return ps.Scenario.from_dict({
        "placesim": 1,
        "name": f"M/M/{c} rho={lam / (c * mu):.2f}",
        "time": {"horizon_days": horizon, "warmup_days": warmup, "report_every_days": horizon / 10},
        "services": {"desk": {"organisation": "council", "servers": c, "arrivals": {"rate_per_day": lam},
                              "duration": {"distribution": "exponential", "mean_days": 1 / mu}}},
    })


def per_rep(ds, num: str, den: str, service: str) -> np.ndarray:
    tot = ds[[num, den]].sel(service=service).sum("time")
    return ratio(tot[num].values, tot[den].values)


def assert_close(values: np.ndarray, theory: float, what: str, max_rel_se: float = 0.05) -> None:
    mean = float(np.mean(values))
    se = float(np.std(values, ddof=1) / np.sqrt(len(values)))
    assert se / theory < max_rel_se, f"{what}: standard error {se:.4f} too large to test against {theory:.4f}"
    assert abs(mean - theory) <= critical(len(values)) * se, (
        f"{what}: simulated {mean:.4f} +/- {se:.4f} (SE) vs theory {theory:.4f}; "
        f"{abs(mean - theory) / se:.1f} SE away")


# (lambda, mu, c, horizon, warm-up): utilisations 0.5 to 0.95, one to twenty servers.
MMC_CASES = [
    pytest.param(0.5, 1.0, 1, 20000, 500, id="M/M/1 rho=0.5"),
    pytest.param(9.0, 1.0, 10, 20000, 500, id="M/M/10 rho=0.9 (issue example)"),
    pytest.param(2.85, 1.0, 3, 40000, 2000, id="M/M/3 rho=0.95"),
    pytest.param(38.0, 2.0, 20, 5000, 500, id="M/M/20 rho=0.95 fast service"),
]


@pytest.mark.parametrize("lam,mu,c,horizon,warmup", MMC_CASES)
def test_mmc_mean_wait_matches_erlang_c(lam, mu, c, horizon, warmup):
    results = ps.simulate(mmc_scenario(lam, mu, c, horizon, warmup), REPS, seed=SEED)
    ds = results.ds
    assert_close(per_rep(ds, "wait_days_sum", "started", "desk"), erlang_c_wait(lam, mu, c), "mean wait")
    sojourn = per_rep(ds, "sojourn_days_sum", "completed", "desk")
    assert_close(sojourn, erlang_c_wait(lam, mu, c) + 1 / mu, "mean time at the service")
    busy = ds["busy_server_days"].sel(service="desk").sum("time").values / (horizon * c)
    assert_close(busy, lam / (c * mu), "utilisation", max_rel_se=0.01)
    throughput = ds["completed"].sel(service="desk").sum("time").values / horizon
    assert_close(throughput, lam, "throughput", max_rel_se=0.01)


def test_mmc_service_summary_reports_the_same_numbers():
    lam, mu, c = 9.0, 1.0, 10
    results = ps.simulate(ROOT / "scenarios/validation/mmc.yaml", 4, seed=7)
    table = results.service_summary()
    wait = per_rep(results.ds, "wait_days_sum", "started", "desk")
    assert table.loc["desk", ("mean wait (days)", "mean")] == pytest.approx(wait.mean())
    assert table.loc["desk", ("mean wait (days)", "lower")] < wait.mean() < table.loc["desk", ("mean wait (days)", "upper")]
    assert table.loc["desk", ("utilisation", "mean")] == pytest.approx(lam / (c * mu), rel=0.02)


def jackson_theory(scenario: ps.Scenario) -> tuple[dict[str, float], dict[str, float], float]:
    """Traffic equations solved with numpy, then M/M/c at each node and Little's law."""
    m = scenario.model
    names = list(m.services)
    n = len(names)
    P = np.zeros((n, n))
    gamma = np.zeros(n)
    for i, s in enumerate(names):
        svc = m.services[s]
        gamma[i] = svc.arrivals.rate_per_day if svc.arrivals else 0.0
        for rule in svc.referrals:
            assert rule.handoff_loss == 0 and rule.domain is None
            P[i, names.index(rule.to)] += rule.probability
    lam = np.linalg.solve(np.eye(n) - P.T, gamma)
    waits, times = {}, {}
    for i, s in enumerate(names):
        svc = m.services[s]
        mu = 1 / svc.duration.mean
        waits[s] = erlang_c_wait(lam[i], mu, int(svc.servers))
        times[s] = waits[s] + 1 / mu
    in_system = sum(lam[i] * times[s] for i, s in enumerate(names)) / gamma.sum()
    return waits, {s: lam[i] for i, s in enumerate(names)}, in_system


def test_jackson_network_with_feedback_matches_traffic_equations():
    scenario = ps.load_scenario(ROOT / "scenarios/validation/jackson.yaml")
    waits, rates, in_system = jackson_theory(scenario)
    results = ps.simulate(scenario, REPS, seed=SEED)
    ds = results.ds
    horizon = scenario.time.horizon_days
    for s in scenario.services:
        assert_close(per_rep(ds, "wait_days_sum", "started", s), waits[s], f"{s} mean wait")
        arrivals = ds["arrivals"].sel(service=s).sum("time").values / horizon
        assert_close(arrivals, rates[s], f"{s} arrival rate (traffic equations)", max_rel_se=0.01)
    tot = ds[["system_days_sum", "exits"]].sum(("time", "service"))
    assert_close(ratio(tot["system_days_sum"].values, tot["exits"].values), in_system, "mean time in the network")
    summary = results.summary()
    assert summary.loc["mean time in the service network (days)", "mean"] == pytest.approx(
        float(np.mean(ratio(tot["system_days_sum"].values, tot["exits"].values))))
