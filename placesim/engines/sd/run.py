"""Run the SD engine: integrate the compiled system and bin it like a DES replication."""

from __future__ import annotations

import hashlib
import math
import pickle
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
from scipy.integrate import solve_ivp

from ...plan import COUNTERS, Plan, derived_outputs
from . import reuse
from .builder import Builder
from .core import REACH_COUNTERS, RESIDENT_COUNTERS
from .nodes import ServiceFlows
from .rhs import SegmentInputs, System
from .solver import NonNegativeBDF

if TYPE_CHECKING:  # pragma: no cover
    from .fast import Compiled

RTOL = 1e-4
ATOL = 1e-3
COUNTER_ATOL = 1e12
"""Counters (integrals of the flows) are left out of the error control: their accuracy follows
from that of the stocks they integrate (measured: within 3e-4 of a run at rtol 1e-8)."""
FLOOR = 0.1
"""Lowest value a stock may step to, as a share of ``ATOL`` people (see :mod:`.solver`)."""
METHOD = NonNegativeBDF
SOLVERS = ("compiled", "scipy")
"""``compiled``: :mod:`.fast` (scipy's BDF compiled with numba; scipy's own for a segment it
cannot do); ``scipy``: :class:`~.solver.NonNegativeBDF` through ``solve_ivp``, the reference."""


def schedule_breaks(plan: Plan) -> list[float]:
    """Clock times inside the run where an input changes (the solver restarts there): a service
    opens or closes, its places change, or its background arrival rate changes."""
    return [t for sp in plan.services for t in sp.change_times(plan.clock.warmup, plan.clock.end)]


class SdRun:
    """One SD run of a plan (compile once, integrate, bin).

    Parameters
    ----------
    plan
        The compiled scenario.
    flows
        The SD flows class of each kind of service in the plan (see :mod:`placesim.kinds`).
    solver
        One of :data:`SOLVERS`: ``compiled`` (the default) or ``scipy`` (the reference).
    """

    def __init__(self, plan: Plan, flows: Mapping[str, type[ServiceFlows]], solver: str = "compiled"):
        if solver not in SOLVERS:
            raise ValueError(f"solver must be one of {SOLVERS}, not {solver!r}")
        self.plan = plan
        self.b = Builder(plan, flows).build()
        self.sys = System(self.b)
        self.solver = solver
        self.fallbacks: list[str] = []
        """Why each segment the compiled path left to scipy's BDF was left to it."""
        self._compiled: Compiled | None = None
        self._layout: dict | None = None

    def compiled(self) -> Compiled | None:
        """The compiled System (made on first use), or None with the scipy solver."""
        if self.solver != "compiled":
            return None
        if self._compiled is None:
            from .fast import Compiled  # numba is imported on the first SD run, not with placesim

            self._compiled = Compiled(self.sys)
        return self._compiled

    # ------------------------------------------------------------------ initial state
    def initial_state(self) -> np.ndarray:
        b, plan = self.b, self.plan
        y = np.zeros(self.sys.n)
        y[b.one] = 1.0
        idx = b.c.index
        for g, grp in enumerate(b.groups):
            initial = plan.cohorts[grp.cohort].initial
            for d in range(plan.n_domains):
                mix = initial[d]
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
            if key[0] in ("R", "C", "I", "K"):
                w[i] = self.b.groups[key[1]].mult
        return w

    # ------------------------------------------------------------------ inputs in time
    def inputs(self, t: float) -> SegmentInputs:
        """Which services are open at clock time ``t``, their background rates and places then."""
        b, plan = self.b, self.plan
        day = t - plan.clock.warmup
        active = np.array([1.0 if n.is_active(t) else 0.0 for n in b.nodes])
        sched = np.zeros(b.S)
        for sp in plan.services:
            if sp.background is not None:
                sched[sp.index] = sp.background.rate.at(day)
        capacity = np.array([sp.capacity_on(day) for sp in plan.services])
        return SegmentInputs(day, active, sched, capacity)

    # ------------------------------------------------------------------ run
    def run(self) -> dict[str, np.ndarray]:
        """Integrate over the warm-up and horizon; the arrays of one replication (no replication axis)."""
        b, sys = self.b, self.sys
        clock = self.plan.clock
        end = clock.end
        n_bins = clock.n_bins
        edges = [min(clock.warmup + k * clock.every, end) for k in range(n_bins + 1)]
        breaks = sorted(set([0.0, end] + schedule_breaks(self.plan)))
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
        store, (prefix_end, key) = reuse.current(), self.prefix(breaks)
        kept = store.get(key) if store is not None and key is not None else None
        if kept is not None:  # the state where the first closed service opens, as a run of this plan left it
            y, out[:], recorded[:] = kept[0].copy(), kept[1], kept[2]
        else:
            record(0.0, y)
            sys.set_inputs(self.inputs(0.0))
            # residents starting at level 3 have their crisis at time 0 (after the first bin edge)
            init = np.array([i for k, i in b.c.index.items() if k[0] == "I"], dtype=int)
            y = sys.drain(y, init)
        for a, z in zip(breaks[:-1], breaks[1:]):
            if kept is not None and z <= prefix_end:
                continue
            sys.set_inputs(self.inputs(a))
            inner = [e for i, e in enumerate(edges) if a < e < z and not recorded[i]]
            states = self.segment(a, z, y, inner, atol, floor)
            for j, tt in enumerate(inner):
                record(tt, states[j])
            y = states[-1].copy()
            record(z, y)
            for n in b.nodes:  # a service closing for good at z: what it does then falls in the next bin
                if abs(n.until - z) <= 1e-9:
                    y = n.end_jump(b, y)
            if store is not None and key is not None and kept is None and z == prefix_end:
                store.put(key, (y.copy(), out.copy(), recorded.copy()))
        assert recorded.all()
        return self.assemble(out)

    def prefix(self, breaks: list[float]) -> tuple[float, tuple | None]:
        """Where the run's shareable start ends (the first break at which a service closed at
        the start opens) and its key for :mod:`.reuse`; ``(0, None)`` if no such service opens
        or no store is in use."""
        if reuse.current() is None:
            return 0.0, None
        closed = frozenset(n.index for n in self.b.nodes if not n.is_active(0.0))
        opens = [z for z in breaks[1:] if any(self.b.nodes[s].is_active(z) for s in closed)]
        if not opens:
            return 0.0, None
        layout = hashlib.sha256(pickle.dumps((self.b.c.keys, self.b.counter_keys))).hexdigest()
        return opens[0], ("prefix", reuse.plan_digest(self.plan, closed), layout, opens[0], self.solver)

    def segment(self, a: float, z: float, y: np.ndarray, inner: list[float], atol: np.ndarray,
                floor: np.ndarray) -> np.ndarray:
        """The states at ``inner`` and ``z`` (rows), integrating from ``y`` at ``a`` with the
        inputs last set: compiled where it can, else (or if it stops) scipy's BDF."""
        fast = self.compiled()
        if fast is not None:
            from .fast import SegmentFailed

            try:
                return fast.segment(a, z, y, inner + [z], len(inner), RTOL, atol, floor)
            except SegmentFailed as e:  # pragma: no cover - not met on the repository's scenarios
                self.fallbacks.append(f"days {a:g}-{z:g}: {e}")
        sys = self.sys
        sol = solve_ivp(sys, (a, z), y, method=METHOD, jac=sys.jacobian, t_eval=inner + [z],
                        rtol=RTOL, atol=atol, floor=floor, check_at=inner)
        if not sol.success:  # pragma: no cover
            at = sol.t[-1] if len(sol.t) else a
            raise RuntimeError(f"SD integration failed between days {a:g} and {z:g} (at {at:.3f}): {sol.message}")
        return sol.y.T

    # ------------------------------------------------------------------ outputs
    def assemble(self, states: np.ndarray) -> dict[str, np.ndarray]:
        """The counters and stocks at the bin edges as the results' variables."""
        plan, b, sys = self.plan, self.b, self.sys
        n_bins = plan.clock.n_bins
        S, D = b.S, b.D
        N, C = plan.n_neighbourhoods, plan.n_cohorts
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

        for c in COUNTERS.values():
            if c.axis == "service" and c.how == "count" and "sd" in c.engines:
                out[c.name] = svc(c.name)
        for name in ("busy_server_days", "queue_days", "pressure_days", "in_system_days"):
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
        out.update(derived_outputs(plan.services, plan.clock, out))
        # groups: crises and help-seeking, residents by level
        lay = self.layout()
        for name, (at, cols) in lay["group"].items():
            a = np.zeros((n_bins, N * C * D))
            a[:, at] = per_bin[:, cols]
            out[name] = np.maximum(a.reshape(n_bins, N, C, D), 0.0)
        out["crisis_contacts"] = self.crisis_contacts(out["crises"], out["repeat_contacts"])
        at, cells = lay["residents"]
        res = np.zeros((N * C * D * 4, n_bins))
        np.add.at(res, at, states[1:, cells].T)  # in the order of the stocks, as a loop adds
        out["residents"] = res.T.reshape(n_bins, N, C, D, 4)
        for name, (at, cols) in lay["resident"].items():  # reach counters kept only with household attributes
            a = np.zeros((n_bins, N * C))
            a[:, at] = per_bin[:, cols]
            out[name] = np.maximum(a.reshape(n_bins, N, C), 0.0)
        out["need_days"] = self.need_days(states)
        insys = np.zeros((n_bins + 1, S))
        for s in range(S):
            sel = sys.in_s == s
            insys[:, s] = (states[:, sys.in_cell[sel]] * sys.in_w[sel]).sum(axis=1)
        out["in_system"] = insys[1:]
        out["in_system_start"] = insys[0]
        filled = {c.name for c in COUNTERS.values() if "sd" in c.engines and c.name != "organisation_cost_gbp"
                  and not (c.attributes and c.how == "derived")}  # the breakdowns by attribute: made by fold
        missing = filled - set(out)
        assert not missing, missing
        return out


    def crisis_contacts(self, crises: np.ndarray, repeats: np.ndarray) -> np.ndarray:
        """Crisis contacts per bin and service: every crisis x the chance it draws on the service
        (the flows into it, exactly), plus the repeat contacts."""
        p = np.zeros((self.plan.n_domains, self.b.S))
        for d, dom in enumerate(self.plan.domains):
            for s, prob in dom.crisis_responses:
                p[d, s] += prob
        return crises.sum(axis=(1, 2)) @ p + repeats

    def need_days(self, states: np.ndarray) -> np.ndarray:
        """Resident-days in need per bin, neighbourhood and cohort: the share of a group in need
        (level 1 or above in at least one domain) taken as 1 - the product over domains of the
        share at level 0 (domains independent), integrated by the trapezium rule between the
        bin edges."""
        plan, b = self.plan, self.b
        N, C, D = plan.n_neighbourhoods, plan.n_cohorts, plan.n_domains
        out = np.zeros((plan.clock.n_bins, N, C))
        if not D:
            return out
        at0_gd, at0_cells, tot_gd, tot_cells = self.layout()["need"]
        at0_flat = np.zeros((b.G * D, len(states)))
        tot_flat = np.zeros((b.G * D, len(states)))
        np.add.at(at0_flat, at0_gd, states[:, at0_cells].T)
        np.add.at(tot_flat, tot_gd, states[:, tot_cells].T)
        at0 = at0_flat.T.reshape(len(states), b.G, D)
        tot = tot_flat.T.reshape(len(states), b.G, D)
        share0 = np.where(tot > 0, at0 / np.maximum(tot, 1e-300), 1.0).prod(axis=2)
        in_need = tot[:, :, 0] * (1.0 - share0)                       # (edges, G) per member
        clock = plan.clock
        edges = np.array([min(clock.warmup + k * clock.every, clock.end) for k in range(clock.n_bins + 1)])
        days = 0.5 * (in_need[1:] + in_need[:-1]) * np.diff(edges)[:, None]
        for ni in range(N):
            for co in range(C):
                g = b.group_of[ni, co]
                if g >= 0:
                    out[:, ni, co] = days[:, g]
        return out

    def layout(self) -> dict:
        """Where the stocks and counters go in the outputs by neighbourhood and cohort, as index
        arrays (made once): ``group`` (counter name -> flat (neighbourhood, cohort, domain)
        positions and counter columns), ``resident`` (the same by (neighbourhood, cohort)),
        ``residents`` (flat (neighbourhood, cohort, domain, level) positions and stock cells,
        in the stocks' order) and ``need`` (stocks at level 0 and all, by group and domain)."""
        if self._layout is not None:
            return self._layout
        plan, b = self.plan, self.b
        N, C, D = plan.n_neighbourhoods, plan.n_cohorts, plan.n_domains
        ci = b.counter_index
        ints = lambda v: np.asarray(v, dtype=int)
        group: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for c in COUNTERS.values():
            if c.axis != "group":
                continue
            at, cols = [], []
            for ni in range(N):
                for co in range(C):
                    g = b.group_of[ni, co]
                    for d in range(D):
                        j = ci.get((c.name, g, d))
                        if j is not None:
                            at.append((ni * C + co) * D + d)
                            cols.append(j)
            group[c.name] = (ints(at), ints(cols))
        resident: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for name in RESIDENT_COUNTERS + REACH_COUNTERS:
            at, cols = [], []
            for ni in range(N):
                for co in range(C):
                    g = b.group_of[ni, co]
                    if g >= 0 and (name, g) in ci:
                        at.append(ni * C + co)
                        cols.append(ci[(name, g)])
            resident[name] = (ints(at), ints(cols))
        r_at, r_cells, z_gd, z_cells, t_gd, t_cells = [], [], [], [], [], []
        for key, i in b.c.index.items():
            if key[0] not in ("R", "I"):
                continue
            g, d = key[1], key[2]
            k = min(key[4], 3) if key[0] == "R" else 3  # the second stage of a hold is level 3 too
            for ni, co in b.groups[g].members:
                r_at.append(((ni * C + co) * D + d) * 4 + k)
                r_cells.append(i)
            t_gd.append(g * D + d)
            t_cells.append(i)
            if k == 0:
                z_gd.append(g * D + d)
                z_cells.append(i)
        self._layout = {"group": group, "resident": resident, "residents": (ints(r_at), ints(r_cells)),
                        "need": (ints(z_gd), ints(z_cells), ints(t_gd), ints(t_cells))}
        return self._layout


def run_sd(plan: Plan, flows: Mapping[str, type[ServiceFlows]]) -> dict[str, np.ndarray]:
    """Run the SD engine on a plan; the arrays of one replication of the DES, deterministic.
    Inside :func:`.reuse.sharing`, a plan already run gives its kept arrays (copies)."""
    store = reuse.current()
    if store is None:
        return SdRun(plan, flows).run()
    key = ("run", reuse.plan_digest(plan), tuple(sorted((k, v.__qualname__) for k, v in flows.items())))
    kept = store.get(key)
    if kept is None:
        kept = SdRun(plan, flows).run()
        store.put(key, kept)
    return {k: v.copy() for k, v in kept.items()}
