"""Queueing theory for the DES checks: Erlang C and the traffic equations of an open Jackson
network (used by test_queueing_theory.py and test_sd.py)."""

from __future__ import annotations

from math import factorial

import numpy as np

import placesim as ps


def erlang_c_wait(lam: float, mu: float, c: int) -> float:
    """Mean wait in queue of an M/M/c queue (Erlang C)."""
    a = lam / mu
    rho = a / c
    assert rho < 1
    head = sum(a**k / factorial(k) for k in range(c))
    tail = a**c / factorial(c) / (1 - rho)
    return tail / (head + tail) / (c * mu - lam)


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
