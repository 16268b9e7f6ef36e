"""The right-hand side of the SD engine: flows over compiled index arrays, vectorised.

:class:`System` turns a :class:`~placesim.engines.sd.builder.Builder` into flat numpy
arrays, and evaluates ``dy/dt`` (and an approximate sparse Jacobian for the stiff solver)
without a Python loop over groups, services or cells. Flows a kind of service adds of its
own (:class:`ExtraFlow`, e.g. an INT team's case-finding) are evaluated after the edges.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from scipy import sparse

from .builder import Builder
from .rates import TAU_DECIDE, TAU_START

_TINY = 1e-12
CAP_SMOOTH = 0.02
"""Width of the smooth minimum of the capacity rule, as a share of a service's full throughput."""


def _arr(values, dtype=float) -> np.ndarray:
    return np.asarray(values, dtype=dtype)


def _expand(items: np.ndarray, groups: np.ndarray, member_group: np.ndarray, n_groups: int
            ) -> tuple[np.ndarray, np.ndarray]:
    """Each of ``items`` (with its group in ``groups``) paired with every member of its group
    (members: the indices of ``member_group``, in order); returns (item, member) pairs, items
    in order. The loop ``for i, g in zip(items, groups): for m where member_group == g``."""
    order = np.argsort(member_group, kind="stable")
    count = np.bincount(member_group, minlength=n_groups)
    first = np.concatenate([[0], np.cumsum(count)[:-1]]).astype(int)
    reps = count[groups] if len(groups) else np.zeros(0, dtype=int)
    item = np.repeat(items, reps).astype(int)
    start = np.repeat(first[groups] if len(groups) else np.zeros(0, dtype=int), reps)
    within = np.arange(len(item)) - np.repeat(np.cumsum(reps) - reps, reps)
    return item, order[start + within].astype(int) if len(item) else np.zeros(0, dtype=int)


@dataclass(frozen=True)
class SegmentInputs:
    """What is constant over one segment of the integration.

    Attributes
    ----------
    day
        The segment's start, in days from the end of the warm-up.
    active
        1 for each service open for business (teams between opening and closing), else 0.
    background
        Each service's background arrival rate per day.
    capacity
        Each service's places (inf: unlimited).
    """

    day: float
    active: np.ndarray
    background: np.ndarray
    capacity: np.ndarray


class ExtraFlow(Protocol):
    """A flow a kind of service adds of its own: people moved from the stocks ``src`` to
    ``dst`` at per-capita rates that depend on the state, and the counters it feeds."""

    src: np.ndarray
    dst: np.ndarray

    def set_inputs(self, inputs: SegmentInputs) -> None:
        """Take the piecewise-constant inputs of a segment."""

    def rates(self, x: np.ndarray) -> tuple[np.ndarray, list[tuple[int | list[int], float]]] | None:
        """Per-capita rates out of ``src`` at stocks ``x``, and ``(counter index or indices,
        rate)`` of each counter; None when nothing flows."""

    def idle(self) -> bool:
        """True when nothing flows at any state under the segment's inputs (``rates`` would
        return None): the compiled path then does not call back for this segment."""


class System:
    """Compiled arrays and the right-hand side of one scenario."""

    def __init__(self, b: Builder):
        c = b.c
        self.b = b
        self.ns = ns = len(c.keys)
        self.nc = nc = len(b.counter_keys)
        self.n = ns + nc
        self.one = b.one
        self.sink = b.sink
        self.G, self.D, self.S = b.G, b.D, b.S
        self._index_edges(b)
        self._index_factors(b)
        self._index_services(b)
        self._index_rules(b)
        self._jacobian_pattern(b)
        self.keep = np.ones(ns, dtype=bool)
        self.keep[[self.one, self.sink]] = False
        self.extras: list[ExtraFlow] = [x for n in b.nodes for x in n.extra_flows(b, ns)]
        # where an extra flow's sources (and destinations) are each one stock, plain indexing adds its flows
        self._distinct = [len(np.unique(x.src)) == len(x.src) and len(np.unique(x.dst)) == len(x.dst)
                          for x in self.extras]
        self.evals = 0
        self._last_rates: tuple[np.ndarray, np.ndarray] | None = None

    def _index_edges(self, b: Builder) -> None:
        """Edges, their counters and channels, takes, and the stock integrals as index arrays."""
        c = b.c
        E = c.edges
        self.src = _arr([e[0] for e in E], int)
        self.dst = _arr([e[1] for e in E], int)
        self.base = _arr([e[2] for e in E])
        self.f1 = _arr([e[3] for e in E], int)
        self.f2 = _arr([e[4] for e in E], int)
        self.f3 = _arr([e[5] for e in E], int)
        self.sub = _arr([e[6] for e in E])
        ce_edge, ce_cnt, ce_w = [], [], []
        ch_edge, ch_id = [], []
        for i, e in enumerate(E):
            for ci, w in e[7]:
                ce_edge.append(i)
                ce_cnt.append(ci)
                ce_w.append(w)
            if e[8] >= 0:
                ch_edge.append(i)
                ch_id.append(e[8])
        self.ce_edge, self.ce_cnt, self.ce_w = _arr(ce_edge, int), _arr(ce_cnt, int), _arr(ce_w)
        self.ch_edge, self.ch_id = _arr(ch_edge, int), _arr(ch_id, int)
        self.n_ch = len(c.channels)
        T = c.takes
        self.tk_src = _arr([t[0] for t in T], int)
        self.tk_dst = _arr([t[1] for t in T], int)
        self.tk_base = _arr([t[2] for t in T])
        self.tk_pair = _arr([t[3] for t in T], int)
        self.pair_ch = _arr([p[0] for p in c.take_pairs], int)
        pc_pair, pc_cell, pc_w = [], [], []
        for i, (_, cells) in enumerate(c.take_pairs):
            for cell, w in cells:
                pc_pair.append(i)
                pc_cell.append(cell)
                pc_w.append(w)
        self.pc_pair, self.pc_cell, self.pc_w = _arr(pc_pair, int), _arr(pc_cell, int), _arr(pc_w)
        self.n_pair = len(c.take_pairs)
        # stock integrals (busy days, queue days, person-days at services)
        si = b.stock_integrals
        self.si_cnt = _arr([x[0] for x in si], int)
        self.si_cell = _arr([x[1] for x in si], int)
        self.si_w = _arr([x[2] for x in si])

    def _index_factors(self, b: Builder) -> None:
        """Factors recomputed on every evaluation (coupling, starts, inputs) and what they read."""
        c = b.c
        names = c.factor_names
        self.nf = len(names)
        self.F = np.ones(self.nf)
        G, D = b.G, b.D
        # factors recomputed from the state or the inputs, by kind: their indices and what they act on
        by_kind: dict[str, list[list[int]]] = {k: [[], [], []] for k in ("cf", "st", "act", "inact", "sched",
                                                                        "presskeep", "pressaway")}
        help_f: list[int] = []     # a share of help-seekers to a team once it has started, and the rest
        help_t: list[int] = []
        help_p: list[float] = []
        help_rest: list[bool] = []
        cf_self: list[float] = []
        for i, name in enumerate(names):
            if isinstance(name, tuple) and name[0] in ("helpact", "helpinact"):
                help_f.append(i)
                help_t.append(name[1])
                help_p.append(name[2])
                help_rest.append(name[0] == "helpinact")
                continue
            if not isinstance(name, tuple) or name[0] not in by_kind:
                continue  # "one", and factors filled by their own rules (ratios, exits ...)
            idx, first, second = by_kind[name[0]]
            idx.append(i)
            first.append(name[1])
            if name[0] == "cf":  # coupling of (group, domain) from level 1 or 2
                second.append(name[2])
                cf_self.append(float(b.coupling[name[2], name[2]]) if name[3] == 2 else 1.0)
        self.cf_f, self.cf_g, self.cf_d = (_arr(v, int) for v in by_kind["cf"])
        self.cf_self = _arr(cf_self)
        self.st_f, self.st_s = (_arr(v, int) for v in by_kind["st"][:2])
        self.act_f, self.act_t = (_arr(v, int) for v in by_kind["act"][:2])
        self.inact_f, self.inact_t = (_arr(v, int) for v in by_kind["inact"][:2])
        self.sched_f, self.sched_s = (_arr(v, int) for v in by_kind["sched"][:2])
        self.help_f, self.help_t = _arr(help_f, int), _arr(help_t, int)
        # thresholds raised under pressure: the share of the time raised is the chance a queue of
        # mean W, taken as geometric, is at or above the middle of the trigger band (the DES's
        # queue crosses the trigger by chance long before its mean reaches it)
        pressure = {n.index: n.pressure for n in b.nodes if n.pressure is not None}
        pressed = list(pressure)
        self.pr_s = _arr(pressed, int)
        self.pr_lo = _arr([pressure[s][2] for s in pressed])       # lower_at
        self.pr_hi = _arr([pressure[s][1] for s in pressed])       # raise_at
        self.pr_keep = _arr([c.factor_index.get(("presskeep", s), -1) for s in pressed], int)
        self.pr_away = _arr([c.factor_index.get(("pressaway", s), -1) for s in pressed], int)
        self.pr_days = _arr([b.counter_index[("pressure_days", s)] for s in pressed], int)
        self.pr_share = np.zeros(len(pressed))
        self.help_p, self.help_rest = _arr(help_p), _arr(help_rest, bool)
        # coupling: share of each group at level >= 2 in each domain
        hi_cell, hi_gd = [], []
        for key, i in c.index.items():
            if key[0] == "R" and key[4] >= 2:
                hi_cell.append(i)
                hi_gd.append(key[1] * D + key[2])
        self.hi_cell, self.hi_gd = _arr(hi_cell, int), _arr(hi_gd, int)
        self.size = _arr([g.size for g in b.groups]) if G else np.zeros(0)
        self.size_safe = np.where(self.size > 0, self.size, 1.0)
        off = b.coupling - 1.0
        np.fill_diagonal(off, 0.0)
        self.coupling_off = off
        self.coupled = bool(np.any(off != 0.0))

    def _index_services(self, b: Builder) -> None:
        """Cells waiting, supported and present at each service; capacities and durations."""
        sc_cell, sc_key, sc_w = [], [], []
        in_cell, in_s, in_w = [], [], []
        for s, at_service in enumerate(b.service_cells):
            for cell, w, ph in at_service:
                in_cell.append(cell)
                in_s.append(s)
                in_w.append(w)
                if ph == "W":
                    sc_cell.append(cell)
                    sc_key.append(2 * s)
                    sc_w.append(w)
                elif ph in ("S", "Sx"):
                    sc_cell.append(cell)
                    sc_key.append(2 * s + 1)
                    sc_w.append(w)
        self.sc_cell, self.sc_key, self.sc_w = _arr(sc_cell, int), _arr(sc_key, int), _arr(sc_w)
        self.in_cell, self.in_s, self.in_w = _arr(in_cell, int), _arr(in_s, int), _arr(in_w)
        self.dur = _arr([n.duration for n in b.nodes])
        self._set_capacity(_arr([n.effective_capacity for n in b.nodes]))

    def _index_rules(self, b: Builder) -> None:
        """Ratio factors (shares of stocks meeting a condition) and exit factors."""
        rf = sorted(b.ratio_factors)
        self.r_f = _arr(rf, int)
        rn_i, rn_cell, rd_i, rd_cell = [], [], [], []
        for j, f in enumerate(rf):
            num, den = b.ratio_factors[f]
            rn_i += [j] * len(num)
            rn_cell += num
            rd_i += [j] * len(den)
            rd_cell += den
        self.rn_i, self.rn_cell = _arr(rn_i, int), _arr(rn_cell, int)
        self.rd_i, self.rd_cell = _arr(rd_i, int), _arr(rd_cell, int)
        self.pe = [(f, _arr(rs, int), comp) for f, (rs, comp) in b.pe_factors.items()]
        ex = sorted(b.exit_terms)
        self.ex_f = _arr(ex, int)
        et_i, et_c, et_a, et_b = [], [], [], []
        for j, f in enumerate(ex):
            for coef, fa, fb in b.exit_terms[f]:
                et_i.append(j)
                et_c.append(coef)
                et_a.append(fa)
                et_b.append(fb)
        self.et_i, self.et_c, self.et_a, self.et_b = _arr(et_i, int), _arr(et_c), _arr(et_a, int), _arr(et_b, int)

    def _jacobian_pattern(self, b: Builder) -> None:
        """The Jacobian's pattern (rows, cols) and where each entry's value comes from."""
        ns = self.ns
        ne, nt = len(self.src), len(self.tk_src)
        rows = [self.dst, self.src, ns + self.ce_cnt, self.tk_dst, self.tk_src, ns + self.si_cnt]
        cols = [self.src, self.src, self.src[self.ce_edge], self.tk_src, self.tk_src, self.si_cell]
        self.j_rows = np.concatenate(rows)
        self.j_cols = np.concatenate(cols)
        self.j_sizes = (ne, ne, len(self.ce_edge), nt, nt, len(self.si_cell))
        # capacity terms of the Jacobian: every start edge of a service against its W and S cells
        # (edges in order, each with its service's cells in their order)
        sv_of_f = np.full(max(self.nf, 1), -1, dtype=int)
        sv_of_f[self.st_f] = self.st_s
        edge_sv = sv_of_f[self.f1] if ne else np.zeros(0, dtype=int)
        cap_e, cap_sc = _expand(np.flatnonzero(edge_sv >= 0), edge_sv[edge_sv >= 0], self.sc_key // 2, self.S)
        self.cap_e, self.cap_j = cap_e, self.sc_cell[cap_sc]
        self.cap_kind, self.cap_w = self.sc_key[cap_sc] % 2, self.sc_w[cap_sc]
        self.cap_s = edge_sv[cap_e]
        # and the counters each of those edges feeds
        cc_k, cc_ce = _expand(np.arange(len(cap_e)), cap_e, self.ce_edge, ne)
        self.cc_k, self.cc_cnt, self.cc_w = cc_k, self.ce_cnt[cc_ce], self.ce_w[cc_ce]
        if len(self.cap_e):
            self.j_rows = np.concatenate([self.j_rows, self.dst[self.cap_e], self.src[self.cap_e], ns + self.cc_cnt])
            self.j_cols = np.concatenate([self.j_cols, self.cap_j, self.cap_j, self.cap_j[self.cc_k]])

    # ------------------------------------------------------------------ segment inputs
    def set_inputs(self, inputs: SegmentInputs) -> None:
        """Piecewise-constant inputs: which services are open, background rates, places."""
        F = self.F
        active, sched = inputs.active, inputs.background
        for xf in self.extras:
            xf.set_inputs(inputs)
        self._set_capacity(np.array([n.effective(c) for n, c in zip(self.b.nodes, inputs.capacity)]))
        if len(self.act_f):
            F[self.act_f] = active[self.act_t]
            F[self.inact_f] = 1.0 - active[self.inact_t]
        if len(self.sched_f):
            F[self.sched_f] = sched[self.sched_s]
        if len(self.help_f):
            to_team = self.help_p * active[self.help_t]
            F[self.help_f] = np.where(self.help_rest, 1.0 - to_team, to_team)

    def _set_capacity(self, effective: np.ndarray) -> None:
        self.cap = effective
        self.cap_finite = np.where(np.isfinite(self.cap), self.cap, 0.0)
        self.cap_eps = CAP_SMOOTH * self.cap_finite / self.dur

    # ------------------------------------------------------------------ factors
    def factors(self, x: np.ndarray) -> np.ndarray:
        F = self.F
        G, D, S = self.G, self.D, self.S
        if len(self.cf_f):
            if self.coupled:
                hi = np.bincount(self.hi_gd, x[self.hi_cell], G * D).reshape(G, D) / self.size_safe[:, None]
                cf = (1.0 + hi[:, :, None] * self.coupling_off[None, :, :]).prod(axis=1)  # (G, b)
                F[self.cf_f] = cf[self.cf_g, self.cf_d] * self.cf_self
            else:
                F[self.cf_f] = self.cf_self
        if len(self.st_f):
            tot = np.bincount(self.sc_key, x[self.sc_cell] * self.sc_w, 2 * S)
            W, Sv = tot[0::2], tot[1::2]
            # starts = min(queue / tau, room): the queue drains in about tau while places are
            # free, and at most fills the places freed (smoothly: a hard min makes the solver
            # stumble where a service hovers at its capacity)
            a_ = W / TAU_START
            b_ = (self.cap_finite - Sv) / TAU_START + Sv / self.dur
            r_ = np.maximum(np.sqrt((a_ - b_) ** 2 + self.cap_eps**2), _TINY)
            m_ = np.maximum(0.5 * (a_ + b_ - r_), 0.0)
            st = np.where(W > _TINY, m_ / np.maximum(W, _TINY), 1.0 / TAU_START)
            F[self.st_f] = st[self.st_s]
            self._cap = (W, m_, 0.5 * (1 - (a_ - b_) / r_), 0.5 * (1 + (a_ - b_) / r_), m_ > 0)
            if len(self.pr_s):
                w = np.maximum(W[self.pr_s], 0.0)
                p = (w / (1.0 + w)) ** (0.5 * (self.pr_lo + self.pr_hi))
                p *= self.cap[self.pr_s] > 0  # a closed service has no threshold to raise
                self.pr_share = p
                F[self.pr_keep[self.pr_keep >= 0]] = 1.0 - p[self.pr_keep >= 0]
                F[self.pr_away[self.pr_away >= 0]] = p[self.pr_away >= 0]
        if len(self.r_f):
            nr = len(self.r_f)
            # shares of stocks that are at least 0 (the solver leaves them within its tolerance
            # of 0): a share stays in [0, 1] even where the stocks it divides are nearly empty
            num = np.bincount(self.rn_i, np.maximum(x[self.rn_cell], 0.0), nr)
            den = np.bincount(self.rd_i, np.maximum(x[self.rd_cell], 0.0), nr)
            F[self.r_f] = np.where(den > _TINY, num / np.maximum(den, _TINY), 0.0)
        for f, rs, comp in self.pe:
            p = float(np.prod(F[rs]))
            F[f] = p if comp else 1.0 - p
        if len(self.ex_f):
            s = np.bincount(self.et_i, self.et_c * F[self.et_a] * F[self.et_b], len(self.ex_f))
            F[self.ex_f] = np.maximum(1.0 - s, 0.0)
        return F

    # ------------------------------------------------------------------ right-hand side
    def rates(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-capita rates of every edge and every take, at stocks ``x``."""
        F = self.factors(x)
        rate = self.base * F[self.f1] * F[self.f2] * F[self.f3]
        flow = rate * x[self.src]
        if len(self.tk_src):
            # the channel's flow spread over the free stocks it takes from, saturating as they
            # run out: the take is chan x free / (free + chan x TAU_DECIDE), the channel's flow
            # while free residents are plenty and never faster than emptying them in about
            # TAU_DECIDE (where a household's other domains are all engaged elsewhere there is
            # nothing left to take; chan / free would be an unbounded rate)
            chan = np.bincount(self.ch_id, flow[self.ch_edge], self.n_ch)[self.pair_ch]
            den = np.bincount(self.pc_pair, x[self.pc_cell] * self.pc_w, self.n_pair)
            per = chan / np.maximum(np.maximum(den, 0.0) + np.abs(chan) * TAU_DECIDE, _TINY)
            trate = self.tk_base * per[self.tk_pair]
        else:
            trate = np.zeros(0)
        return rate, trate

    def __call__(self, t: float, y: np.ndarray) -> np.ndarray:
        self.evals += 1
        ns = self.ns
        x = y[:ns]
        rate, trate = self.rates(x)
        self._last_rates = (rate, trate)
        flow = rate * x[self.src]
        dx = np.bincount(self.dst, flow, ns) - np.bincount(self.src, flow * self.sub, ns)
        if len(self.tk_src):
            tflow = trate * x[self.tk_src]
            dx += np.bincount(self.tk_dst, tflow, ns) - np.bincount(self.tk_src, tflow, ns)
        dx *= self.keep
        dc = np.bincount(self.ce_cnt, flow[self.ce_edge] * self.ce_w, self.nc)
        dc += np.bincount(self.si_cnt, x[self.si_cell] * self.si_w, self.nc)
        if len(self.pr_s):
            dc[self.pr_days] += self.pr_share
        dy = np.concatenate([dx, dc])
        self.add_extra_flows(x, dy)
        return dy

    def add_extra_flows(self, x: np.ndarray, dy: np.ndarray) -> None:
        """Add the flows kinds of service add of their own (:class:`ExtraFlow`) to ``dy``, in place."""
        for xf, distinct in zip(self.extras, self._distinct):
            out = xf.rates(x)
            if out is not None:
                per, counts = out
                f = per * x[xf.src]
                if distinct:
                    dy[xf.src] -= f
                    dy[xf.dst] += f
                else:
                    np.subtract.at(dy, xf.src, f)
                    np.add.at(dy, xf.dst, f)
                for where, r in counts:
                    dy[where] += r

    def drain(self, y: np.ndarray, cells: np.ndarray) -> np.ndarray:
        """``y`` after the stocks ``cells`` have emptied along their edges, at once.

        For linear out-flows with constant shares (the crises of residents who start at
        level 3), the mass that leaves a cell along an edge over all time is its share of
        the cell's total rate; this applies that in one jump, counters included.
        """
        ns = self.ns
        x = y[:ns]
        F = self.factors(x)
        mask = np.zeros(ns, dtype=bool)
        mask[cells] = True
        on = mask[self.src] & (self.sub > 0)
        rate = self.base * F[self.f1] * F[self.f2] * F[self.f3]
        total = np.bincount(self.src[on], rate[on], ns)
        share = np.where(on, rate / np.maximum(total[self.src], _TINY), 0.0)
        # copies (sub 0) from the same cells carry the same shares of their mass
        copy = mask[self.src] & (self.sub == 0)
        share = np.where(copy, rate / np.maximum(total[self.src], _TINY), share)
        flow = share * x[self.src]
        dx = np.bincount(self.dst, flow, ns) - np.bincount(self.src, flow * self.sub, ns)
        if len(self.tk_src):
            chan = np.bincount(self.ch_id, flow[self.ch_edge], self.n_ch)
            den = np.bincount(self.pc_pair, x[self.pc_cell] * self.pc_w, self.n_pair)
            per = np.minimum(chan[self.pair_ch] / np.maximum(den, _TINY), 1.0)
            tflow = self.tk_base * per[self.tk_pair] * x[self.tk_src]
            dx += np.bincount(self.tk_dst, tflow, ns) - np.bincount(self.tk_src, tflow, ns)
        dx *= self.keep
        dc = np.bincount(self.ce_cnt, flow[self.ce_edge] * self.ce_w, self.nc)
        out = y + np.concatenate([dx, dc])
        out[cells] = 0.0
        return out

    def jacobian(self, t: float, y: np.ndarray) -> sparse.csc_matrix:
        """Approximate Jacobian: the per-capita rates held fixed (exact for the linear part)."""
        rate, trate = self.rates(y[: self.ns])
        vals = np.concatenate([rate, -rate * self.sub, rate[self.ce_edge] * self.ce_w, trate, -trate, self.si_w])
        if len(self.cap_e):
            # where capacity binds, starts = room x (own share of the queue): they fall as the
            # queue of others grows and as places fill
            W, m_, ma, mb, pos = self._cap
            x = y[: self.ns]
            s_ = self.cap_s
            xs = x[self.src[self.cap_e]]
            Ws = np.maximum(W[s_], _TINY)
            dW = xs * (ma[s_] * Ws / TAU_START - m_[s_]) / Ws**2 * self.cap_w
            dS = xs / Ws * mb[s_] * (1.0 / self.dur[s_] - 1.0 / TAU_START) * self.cap_w
            d = np.where(self.cap_kind == 0, dW, dS) * pos[s_]
            vals = np.concatenate([vals, d, -d * self.sub[self.cap_e], d[self.cc_k] * self.cc_w])
        if self.extras:
            x = y[: self.ns]
            extra = []
            for xf in self.extras:
                out = xf.rates(x)
                extra.append(out[0] if out is not None else np.zeros(len(xf.src)))
            fr = np.concatenate([xf.src for xf in self.extras])
            to = np.concatenate([xf.dst for xf in self.extras])
            per = np.concatenate(extra)
            rows = np.concatenate([self.j_rows, to, fr])
            cols = np.concatenate([self.j_cols, fr, fr])
            vals = np.concatenate([vals, per, -per])
        else:
            rows, cols = self.j_rows, self.j_cols
        keep_row = np.ones(self.n, dtype=bool)
        keep_row[: self.ns] = self.keep
        # Counters depend on the stocks and nothing depends on them: leaving their rows out of
        # the Newton matrix keeps its LU factors sparse, and costs nothing (once the stocks
        # have converged, the counters' update is exact).
        keep_row[self.ns:] = False
        sel = keep_row[rows]
        return sparse.csc_matrix((vals[sel], (rows[sel], cols[sel])), shape=(self.n, self.n))
