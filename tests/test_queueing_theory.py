"""The DES against queueing theory: M/M/c (Erlang C) and an open Jackson network with feedback.

Each check compares the mean over replications with theory, within a critical number of
standard errors of that mean (the standard error estimated from the replications
themselves). The critical value is the Student-t quantile for a family-wise false-failure
rate of 0.001 over all the checks in this file (Bonferroni), so were the seed free a
correct engine would fail this file about once in a thousand runs. Seeds are fixed, so the
tests do not flake. Each check also asserts that the standard error is small relative to
the theory, so that a pass is evidence and not just noise.

The full-length runs are marked ``slow``, but for M/M/1 (about a second). The fast tier runs
the same checks on short runs (a few thousand days): M/M/3 and the Jackson network, a second
family with its own Bonferroni count (``SHORT_CHECKS``), and the service summary on 2,000
days. A short run pins the waits down less, so their standard error may be up to 10 % of
the theory there (5 % in the full runs); rates and utilisation keep the 1 % bound.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from queueing import erlang_c_wait, jackson_theory
from scipy import stats

import placesim as ps
from placesim.stats import ratio

ROOT = Path(__file__).resolve().parents[1]
REPS = 20
SEED = 12345
FAMILY_ALPHA = 0.001
N_CHECKS = 4 * 4 + 3 * 2 + 1  # M/M/c cases x measures, Jackson services x measures, time in network
SHORT_REPS = 16
SHORT_CHECKS = 1 * 4 + 3 * 2 + 1  # the short runs: one M/M/c case, and the Jackson network
SHORT_MAX_REL_SE = 0.1  # of the waits and the time in the network, on a short run


def critical(n: int, checks: int = N_CHECKS) -> float:
    """Two-sided Student-t critical value for n replications, Bonferroni over a family of checks."""
    return float(stats.t.ppf(1 - FAMILY_ALPHA / (2 * checks), n - 1))


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


def assert_close(values: np.ndarray, theory: float, what: str, max_rel_se: float = 0.05,
                 checks: int = N_CHECKS) -> None:
    mean = float(np.mean(values))
    se = float(np.std(values, ddof=1) / np.sqrt(len(values)))
    assert se / theory < max_rel_se, f"{what}: standard error {se:.4f} too large to test against {theory:.4f}"
    assert abs(mean - theory) <= critical(len(values), checks) * se, (
        f"{what}: simulated {mean:.4f} +/- {se:.4f} (SE) vs theory {theory:.4f}; "
        f"{abs(mean - theory) / se:.1f} SE away")


def check_mmc(lam: float, mu: float, c: int, horizon: float, warmup: float, reps: int,
              checks: int = N_CHECKS, max_rel_se: float = 0.05) -> None:
    """Mean wait, time at the service, utilisation and throughput of an M/M/c run against theory."""
    results = ps.simulate(mmc_scenario(lam, mu, c, horizon, warmup), reps, seed=SEED)
    ds = results.ds
    assert_close(per_rep(ds, "wait_days_sum", "started", "desk"), erlang_c_wait(lam, mu, c), "mean wait",
                 max_rel_se, checks)
    sojourn = per_rep(ds, "sojourn_days_sum", "completed", "desk")
    assert_close(sojourn, erlang_c_wait(lam, mu, c) + 1 / mu, "mean time at the service", max_rel_se, checks)
    busy = ds["busy_server_days"].sel(service="desk").sum("time").values / (horizon * c)
    assert_close(busy, lam / (c * mu), "utilisation", max_rel_se=0.01, checks=checks)
    throughput = ds["completed"].sel(service="desk").sum("time").values / horizon
    assert_close(throughput, lam, "throughput", max_rel_se=0.01, checks=checks)


# (lambda, mu, c, horizon, warm-up): utilisations 0.5 to 0.95, one to twenty servers.
MMC_CASES = [
    pytest.param(0.5, 1.0, 1, 20000, 500, id="M/M/1 rho=0.5"),  # about a second: in the fast tier too
    pytest.param(9.0, 1.0, 10, 20000, 500, id="M/M/10 rho=0.9 (issue example)", marks=pytest.mark.slow),
    pytest.param(2.85, 1.0, 3, 36000, 2000, id="M/M/3 rho=0.95", marks=pytest.mark.slow),  # a horizon is at most 100 years
    pytest.param(38.0, 2.0, 20, 5000, 500, id="M/M/20 rho=0.95 fast service", marks=pytest.mark.slow),
]


@pytest.mark.parametrize("lam,mu,c,horizon,warmup", MMC_CASES)
def test_mmc_mean_wait_matches_erlang_c(lam, mu, c, horizon, warmup):
    check_mmc(lam, mu, c, horizon, warmup, REPS)


def test_mmc_short_run_matches_erlang_c():
    """The fast tier's M/M/c check with more than one server: M/M/3 at utilisation 0.8, 4,000 days."""
    check_mmc(2.4, 1.0, 3, 4000, 500, SHORT_REPS, checks=SHORT_CHECKS, max_rel_se=SHORT_MAX_REL_SE)


@pytest.mark.parametrize("time", [
    pytest.param(None, id="20000 days", marks=pytest.mark.slow),  # the validation file as it is
    pytest.param({"horizon_days": 2000, "warmup_days": 200, "report_every_days": 200}, id="2000 days"),
])
def test_mmc_service_summary_reports_the_same_numbers(time):
    lam, mu, c = 9.0, 1.0, 10
    scenario = ps.load_scenario(ROOT / "scenarios/validation/mmc.yaml")
    results = ps.simulate(scenario.with_overrides({"time": time}) if time else scenario, 4, seed=7)
    table = results.service_summary()
    wait = per_rep(results.ds, "wait_days_sum", "started", "desk")
    assert table.loc["desk", ("mean wait (days)", "mean")] == pytest.approx(wait.mean())
    assert table.loc["desk", ("mean wait (days)", "lower")] < wait.mean() < table.loc["desk", ("mean wait (days)", "upper")]
    assert table.loc["desk", ("utilisation", "mean")] == pytest.approx(lam / (c * mu), rel=0.02)


def check_jackson(scenario: ps.Scenario, reps: int, checks: int = N_CHECKS,
                  max_rel_se: float = 0.05) -> ps.Results:
    """Waits and arrival rates at every node, and the time in the network, against the theory."""
    waits, rates, in_system = jackson_theory(scenario)
    results = ps.simulate(scenario, reps, seed=SEED)
    ds = results.ds
    horizon = scenario.time.horizon_days
    for s in scenario.services:
        assert_close(per_rep(ds, "wait_days_sum", "started", s), waits[s], f"{s} mean wait", max_rel_se, checks)
        arrivals = ds["arrivals"].sel(service=s).sum("time").values / horizon
        assert_close(arrivals, rates[s], f"{s} arrival rate (traffic equations)", max_rel_se=0.01, checks=checks)
    tot = ds[["system_days_sum", "exits"]].sum(("time", "service"))
    assert_close(ratio(tot["system_days_sum"].values, tot["exits"].values), in_system, "mean time in the network",
                 max_rel_se, checks)
    return results


@pytest.mark.slow
def test_jackson_network_with_feedback_matches_traffic_equations():
    results = check_jackson(ps.load_scenario(ROOT / "scenarios/validation/jackson.yaml"), REPS)
    tot = results.ds[["system_days_sum", "exits"]].sum(("time", "service"))
    summary = results.summary()
    assert summary.loc["mean time in the service network (days)", "mean"] == pytest.approx(
        float(np.mean(ratio(tot["system_days_sum"].values, tot["exits"].values))))


def test_jackson_short_run_matches_traffic_equations():
    """The fast tier's Jackson check: the same network with feedback on 3,000 days."""
    scenario = ps.load_scenario(ROOT / "scenarios/validation/jackson.yaml").with_overrides(
        {"time": {"horizon_days": 3000, "warmup_days": 300, "report_every_days": 300}})
    check_jackson(scenario, SHORT_REPS, checks=SHORT_CHECKS, max_rel_se=SHORT_MAX_REL_SE)
