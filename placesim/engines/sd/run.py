"""Run the SD engine: integrate the compiled system and bin it like a DES replication."""

from __future__ import annotations

import bisect
import math

import numpy as np
from scipy.integrate import solve_ivp

from ...scenario.model import ScenarioModel
from ...scenario.scenario import Scenario
from ..des.recorder import GROUP_COUNTS, NEIGHBOURHOOD_COUNTS, SERVICE_COUNTS, SERVICE_SUMS
from .compile import Builder
from .rhs import System
from .solver import NonNegativeBDF

RTOL = 1e-4
ATOL = 1e-3
COUNTER_ATOL = 1e12
"""Counters (integrals of the flows) are left out of the error control: their accuracy follows
from that of the stocks they integrate (measured: within 3e-4 of a run at rtol 1e-8)."""
FLOOR = 0.1
"""Lowest value a stock may step to, as a share of ``ATOL`` people (see :mod:`.solver`)."""
METHOD = NonNegativeBDF


def _rate_at(arr, day: float) -> float:
    """Background rate of an ``Arrivals`` at ``day`` (from the end of the warm-up), as the DES thins it."""
    if arr.rate_per_day is not None:
        return arr.rate_per_day
    days = [s.from_day for s in arr.schedule]
    if arr.repeat_every_days is not None:
        day = math.fmod(day, arr.repeat_every_days)
        if day < 0:
            day += arr.repeat_every_days
    i = max(bisect.bisect_right(days, day) - 1, 0)
    return arr.schedule[i].rate_per_day


def _schedule_breaks(m: ScenarioModel, end: float) -> list[float]:
    """Clock times in (0, end) where a background arrival rate changes.

    Only changes count: a schedule entry with the rate of the one before it (a schedule of
    one entry that repeats every half day, say) is no reason to stop and restart the solver.
    """
    warmup = m.time.warmup_days
    out: list[float] = []
    for svc in m.services.values():
        a = svc.arrivals
        if a is None or a.schedule is None:
            continue
        starts = [s.from_day for s in a.schedule]
        if a.repeat_every_days is None:
            times = [warmup + d for d in starts if 0 < warmup + d < end]
        else:
            p = a.repeat_every_days
            k = math.floor(-warmup / p) - 1
            times = []
            while warmup + k * p < end:
                times += [warmup + k * p + d for d in starts if 0 < warmup + k * p + d < end]
                k += 1
        times = sorted(set(times))
        before = 0.0
        for t in times:
            # the rate is constant between candidate times: compare with it halfway back
            if _rate_at(a, t - warmup) != _rate_at(a, 0.5 * (before + t) - warmup):
                out.append(t)
            before = t
    return out


class SdRun:
    """One SD run of a scenario (compile once, integrate, bin)."""

    def __init__(self, scenario: Scenario | ScenarioModel):
        m = scenario.model if isinstance(scenario, Scenario) else scenario
        self.m = m
        self.b = Builder(m).build()
        self.sys = System(self.b)

    # ------------------------------------------------------------------ initial state
    def initial_state(self) -> np.ndarray:
        b, m = self.b, self.m
        y = np.zeros(self.sys.n)
        y[b.one] = 1.0
        idx = b.c.index
        doms = list(m.domains)
        for g, grp in enumerate(b.groups):
            co = list(m.cohorts.values())[grp.cohort]
            for d, name in enumerate(doms):
                mix = co.initial.get(name, [1.0, 0.0, 0.0, 0.0])
                for k in range(3):
                    y[idx[("R", g, d, None, k)]] = grp.size * mix[k]
                y[idx[("I", g, d)]] = grp.size * mix[3]
        return y

    def atol(self) -> np.ndarray:
        """Absolute tolerances: ``ATOL`` people for each stock, the counters left out.

        A stock of merged groups stands for ``mult`` groups' people, so its tolerance is
        ``ATOL / mult``. The solver's error norm is the root mean square over all the
        components, and the counters (``COUNTER_ATOL``) add nothing to it but count in the
        mean: the stocks' tolerances are scaled by sqrt(stocks / components) so the norm is
        the root mean square over the stocks alone (without it, a stock's error could be
        sqrt(components / stocks), about 1.3-2, times larger).
        """
        ns, n = self.sys.ns, self.sys.n
        atol = np.full(n, COUNTER_ATOL)
        atol[:ns] = ATOL * math.sqrt(ns / n) / self.cell_weights()
        return atol

    def cell_weights(self) -> np.ndarray:
        """People each unit of a stock stands for: the multiplicity of its group (merged
        identical groups share one set of stocks), 1 for background cases."""
        w = np.ones(self.sys.ns)
        for key, i in self.b.c.index.items():
            if key[0] in ("R", "C", "I"):
                w[i] = self.b.groups[key[1]].mult
        return w

    # ------------------------------------------------------------------ inputs in time
    def inputs(self, t: float) -> tuple[np.ndarray, np.ndarray]:
        b, m = self.b, self.m
        active = np.array([1.0 if (n.kind == "int" and t >= n.start - 1e-9) else 0.0 for n in b.nodes])
        sched = np.zeros(b.S)
        for i, svc in enumerate(m.services.values()):
            if svc.arrivals is not None:
                sched[i] = _rate_at(svc.arrivals, t - m.time.warmup_days)
        return active, sched

    # ------------------------------------------------------------------ run
    def run(self) -> dict[str, np.ndarray]:
        m, b, sys = self.m, self.b, self.sys
        t = m.time
        end = t.warmup_days + t.horizon_days
        n_bins = t.n_bins
        edges = [min(t.warmup_days + k * t.report_every_days, end) for k in range(n_bins + 1)]
        starts = [n.start for n in b.nodes if n.kind == "int" and 0 < n.start < end]
        breaks = sorted(set([0.0, end] + starts + _schedule_breaks(m, end)))
        y = self.initial_state()
        out = np.zeros((n_bins + 1, sys.n))
        recorded = np.zeros(n_bins + 1, dtype=bool)

        def record(tt: float, yy: np.ndarray) -> None:
            for i, e in enumerate(edges):
                if not recorded[i] and abs(e - tt) <= 1e-9:
                    out[i] = yy
                    recorded[i] = True

        atol = self.atol()
        floor = np.full(sys.n, -np.inf)
        floor[: sys.ns] = -FLOOR * ATOL / self.cell_weights()
        record(0.0, y)
        sys.set_inputs(*self.inputs(0.0))
        # residents starting at level 3 have their crisis at time 0 (after the first bin edge)
        init = np.array([i for k, i in b.c.index.items() if k[0] == "I"], dtype=int)
        y = sys.drain(y, init)
        for a, z in zip(breaks[:-1], breaks[1:]):
            sys.set_inputs(*self.inputs(a))
            inner = [e for i, e in enumerate(edges) if a < e < z and not recorded[i]]
            sol = solve_ivp(sys, (a, z), y, method=METHOD, jac=sys.jacobian, t_eval=inner + [z],
                            rtol=RTOL, atol=atol, floor=floor, check_at=inner)
            if not sol.success:  # pragma: no cover
                at = sol.t[-1] if len(sol.t) else a
                raise RuntimeError(f"SD integration failed between days {a:g} and {z:g} (at {at:.3f}): {sol.message}")
            for j, tt in enumerate(inner):
                record(tt, sol.y[:, j])
            y = sol.y[:, -1].copy()
            record(z, y)
        assert recorded.all()
        return self.assemble(out)

    # ------------------------------------------------------------------ outputs
    def assemble(self, states: np.ndarray) -> dict[str, np.ndarray]:
        m, b, sys = self.m, self.b, self.sys
        t = m.time
        n_bins = t.n_bins
        S, D = b.S, b.D
        N, C = len(m.neighbourhoods), len(m.cohorts)
        ns = sys.ns
        cnt = states[:, ns:]
        per_bin = np.diff(cnt, axis=0)
        ci = b.counter_index
        out: dict[str, np.ndarray] = {}

        def svc(name: str) -> np.ndarray:
            a = np.zeros((n_bins, S))
            for s in range(S):
                j = ci.get((name, s))
                if j is not None:
                    a[:, s] = per_bin[:, j]
            return np.maximum(a, 0.0)

        for name in SERVICE_COUNTS + ("busy_server_days", "queue_days", "in_system_days"):
            out[name] = svc(name)
        started, abandoned = out["started"], out["abandoned"]
        out["wait_days_sum"] = np.where(started + abandoned > 0,
                                        out["queue_days"] * started / np.maximum(started + abandoned, 1e-300), 0.0)
        wait_per = np.where(started > 0, out["wait_days_sum"] / np.maximum(started, 1e-300), 0.0)
        fixed = np.array([n.assess_days + n.duration for n in b.nodes])
        out["sojourn_days_sum"] = out["completed"] * (wait_per + fixed[None, :])
        exits = out["exits"]
        tot_exits = exits.sum(axis=1, keepdims=True)
        mean_sys = np.where(tot_exits > 0, out["in_system_days"].sum(axis=1, keepdims=True)
                            / np.maximum(tot_exits, 1e-300), 0.0)
        out["system_days_sum"] = exits * mean_sys
        del out["in_system_days"]
        # costs
        cost = np.zeros((n_bins, S))
        for n in b.nodes:
            s = n.index
            cost[:, s] = out["assessments"][:, s] * n.assess_cost + out["started"][:, s] * n.case_cost
            if n.kind == "service":
                cost[:, s] += out["busy_server_days"][:, s] * n.daily_cost
        it = m.int_team
        if it is not None:
            lo = t.warmup_days + np.arange(n_bins) * t.report_every_days
            hi = np.minimum(lo + t.report_every_days, t.warmup_days + t.horizon_days)
            for n in b.nodes:
                if n.kind != "int":
                    continue
                s = n.index
                if it.case_finding is not None:
                    cost[:, s] += out["outreach_contacts"][:, s] * it.case_finding.contact_cost_gbp
                overlap = np.maximum(hi - np.maximum(lo, n.start), 0.0)
                cost[:, s] += overlap * n.daily_cost
                if n.start >= t.warmup_days:
                    bin_ = min(int((n.start - t.warmup_days) / t.report_every_days), n_bins - 1)
                    cost[bin_, s] += it.costs.setup_gbp
        out["cost_gbp"] = cost
        # groups: crises and help-seeking, residents by level
        for name in GROUP_COUNTS:
            a = np.zeros((n_bins, N, C, D))
            for ni in range(N):
                for c in range(C):
                    g = b.group_of[ni, c]
                    for d in range(D):
                        j = ci.get((name, g, d))
                        if j is not None:
                            a[:, ni, c, d] = per_bin[:, j]
            out[name] = np.maximum(a, 0.0)
        res = np.zeros((n_bins, N, C, D, 4))
        idx = b.c.index
        for key, i in idx.items():
            if key[0] == "R":
                _, g, d, st, k = key
                for ni, c in b.groups[g].members:
                    res[:, ni, c, d, k] += states[1:, i]
            elif key[0] == "I":
                _, g, d = key
                for ni, c in b.groups[g].members:
                    res[:, ni, c, d, 3] += states[1:, i]
        out["residents"] = res
        insys = np.zeros((n_bins + 1, S))
        for s in range(S):
            sel = sys.in_s == s
            insys[:, s] = (states[:, sys.in_cell[sel]] * sys.in_w[sel]).sum(axis=1)
        out["in_system"] = insys[1:]
        out["in_system_start"] = insys[0]
        for name in NEIGHBOURHOOD_COUNTS:
            out[name] = np.full((n_bins, N), np.nan)
        missing = set(SERVICE_COUNTS + SERVICE_SUMS + GROUP_COUNTS + NEIGHBOURHOOD_COUNTS) - set(out)
        assert not missing, missing
        return out


def run_sd(scenario: Scenario) -> dict[str, np.ndarray]:
    """Run the SD engine on a scenario; the arrays of one replication of the DES (see
    :meth:`placesim.engines.des.model.DesReplication.run`), deterministic."""
    return SdRun(scenario).run()
