"""The SD right-hand side and Jacobian compiled with numba, over :class:`~.rhs.System`'s arrays.

:func:`pack` copies a :class:`~.rhs.System`'s index arrays into one :class:`Arrays` tuple and
lays out the Jacobian's fixed sparsity pattern (compressed columns, the diagonal included).
:func:`rhs` and :func:`jac_values` are the compiled twins of ``System.__call__`` and
``System.jacobian``: the same operations in the same order over the same arrays, as loops
(``np.bincount`` is a loop adding in index order, so the sums are the same to the last bit
apart from ``x ** y`` and ``sqrt``, which may differ in the last place). They work on
whatever edges, takes, factors and rules the builder made; flows a kind adds of its own
(:class:`~.rhs.ExtraFlow`) are not compiled and are added by the caller (see :mod:`.fast`).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numba as nb
import numpy as np

from .rates import TAU_DECIDE, TAU_START
from .rhs import _TINY, System

jit = nb.njit(cache=True, nogil=True, fastmath=False)


class Arrays(NamedTuple):
    """A :class:`~.rhs.System`'s arrays as one tuple for the compiled functions (see its
    ``_index_*`` methods for what each means; ``pe_*`` is its ``pe`` list flattened, ``j_*`` the
    Jacobian's entries in the order ``System.jacobian`` makes them and ``jpos`` where each goes
    in the compressed-column pattern ``(indptr, indices)``, -1 for the rows left out)."""

    ns: int
    nc: int
    n: int
    G: int
    D: int
    S: int
    coupled: bool
    keep: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    base: np.ndarray
    f1: np.ndarray
    f2: np.ndarray
    f3: np.ndarray
    sub: np.ndarray
    ce_edge: np.ndarray
    ce_cnt: np.ndarray
    ce_w: np.ndarray
    ch_edge: np.ndarray
    ch_id: np.ndarray
    n_ch: int
    tk_src: np.ndarray
    tk_dst: np.ndarray
    tk_base: np.ndarray
    tk_pair: np.ndarray
    pair_ch: np.ndarray
    pc_pair: np.ndarray
    pc_cell: np.ndarray
    pc_w: np.ndarray
    n_pair: int
    si_cnt: np.ndarray
    si_cell: np.ndarray
    si_w: np.ndarray
    cf_f: np.ndarray
    cf_g: np.ndarray
    cf_d: np.ndarray
    cf_self: np.ndarray
    hi_cell: np.ndarray
    hi_gd: np.ndarray
    size_safe: np.ndarray
    coupling_off: np.ndarray
    st_f: np.ndarray
    st_s: np.ndarray
    sc_cell: np.ndarray
    sc_key: np.ndarray
    sc_w: np.ndarray
    dur: np.ndarray
    pr_s: np.ndarray
    pr_lo: np.ndarray
    pr_hi: np.ndarray
    pr_keep: np.ndarray
    pr_away: np.ndarray
    pr_days: np.ndarray
    r_f: np.ndarray
    rn_i: np.ndarray
    rn_cell: np.ndarray
    rd_i: np.ndarray
    rd_cell: np.ndarray
    pe_f: np.ndarray
    pe_comp: np.ndarray
    pe_ptr: np.ndarray
    pe_rs: np.ndarray
    ex_f: np.ndarray
    et_i: np.ndarray
    et_c: np.ndarray
    et_a: np.ndarray
    et_b: np.ndarray
    cap_e: np.ndarray
    cap_j: np.ndarray
    cap_kind: np.ndarray
    cap_w: np.ndarray
    cap_s: np.ndarray
    cc_k: np.ndarray
    cc_cnt: np.ndarray
    cc_w: np.ndarray
    jpos: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    diag: np.ndarray


class Inputs(NamedTuple):
    """What is constant over a segment: the factors set from the inputs (the others are
    overwritten at every evaluation, as in ``System.F``) and the services' places."""

    F: np.ndarray
    cap: np.ndarray
    cap_finite: np.ndarray
    cap_eps: np.ndarray


def _i(a) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.int64)


def _f(a) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float64)


def pattern(sys: System, extra_rows: np.ndarray, extra_cols: np.ndarray) -> tuple[np.ndarray, ...]:
    """The Jacobian's entries (rows, cols) as ``System.jacobian`` makes them, then the extra
    flows' entries; which are kept (no counter rows, none of the rows ``keep`` leaves out); and
    the compressed-column pattern of the kept entries with the whole diagonal, with where each
    entry goes in it (``jpos``, -1 if left out) and where each diagonal element is."""
    n, ns = sys.n, sys.ns
    rows = np.concatenate([sys.j_rows, extra_rows]).astype(np.int64)
    cols = np.concatenate([sys.j_cols, extra_cols]).astype(np.int64)
    keep_row = np.zeros(n, dtype=bool)
    keep_row[:ns] = sys.keep
    sel = keep_row[rows]
    key = np.concatenate([cols[sel] * n + rows[sel], np.arange(n, dtype=np.int64) * (n + 1)])
    uniq = np.unique(key)
    ucol, urow = uniq // n, uniq % n
    indptr = np.concatenate([[0], np.cumsum(np.bincount(ucol, minlength=n))]).astype(np.int64)
    jpos = np.full(len(rows), -1, dtype=np.int64)
    jpos[sel] = np.searchsorted(uniq, cols[sel] * n + rows[sel])
    diag = np.searchsorted(uniq, np.arange(n, dtype=np.int64) * (n + 1))
    return jpos, indptr, _i(urow), _i(diag)


def pack(sys: System, extra_rows: np.ndarray | None = None, extra_cols: np.ndarray | None = None) -> Arrays:
    """A :class:`~.rhs.System`'s arrays for the compiled functions (``extra_*``: the Jacobian
    entries of the flows the caller adds, put in the pattern after the System's own)."""
    s = sys
    empty = np.zeros(0, dtype=np.int64)
    jpos, indptr, indices, diag = pattern(s, empty if extra_rows is None else extra_rows,
                                          empty if extra_cols is None else extra_cols)
    pe_f: list[int] = []
    pe_comp: list[bool] = []
    pe_ptr: list[int] = [0]
    pe_rs: list[int] = []
    for f, rs, comp in s.pe:
        pe_f.append(f)
        pe_comp.append(bool(comp))
        pe_rs.extend(int(r) for r in rs)
        pe_ptr.append(len(pe_rs))
    return Arrays(
        ns=int(s.ns), nc=int(s.nc), n=int(s.n), G=int(s.G), D=int(s.D), S=int(s.S), coupled=bool(s.coupled),
        keep=_f(s.keep), src=_i(s.src), dst=_i(s.dst), base=_f(s.base), f1=_i(s.f1), f2=_i(s.f2), f3=_i(s.f3),
        sub=_f(s.sub), ce_edge=_i(s.ce_edge), ce_cnt=_i(s.ce_cnt), ce_w=_f(s.ce_w), ch_edge=_i(s.ch_edge),
        ch_id=_i(s.ch_id), n_ch=int(s.n_ch), tk_src=_i(s.tk_src), tk_dst=_i(s.tk_dst), tk_base=_f(s.tk_base),
        tk_pair=_i(s.tk_pair), pair_ch=_i(s.pair_ch), pc_pair=_i(s.pc_pair), pc_cell=_i(s.pc_cell),
        pc_w=_f(s.pc_w), n_pair=int(s.n_pair), si_cnt=_i(s.si_cnt), si_cell=_i(s.si_cell), si_w=_f(s.si_w),
        cf_f=_i(s.cf_f), cf_g=_i(s.cf_g), cf_d=_i(s.cf_d), cf_self=_f(s.cf_self), hi_cell=_i(s.hi_cell),
        hi_gd=_i(s.hi_gd), size_safe=_f(s.size_safe), coupling_off=_f(np.atleast_2d(s.coupling_off)),
        st_f=_i(s.st_f), st_s=_i(s.st_s), sc_cell=_i(s.sc_cell), sc_key=_i(s.sc_key), sc_w=_f(s.sc_w),
        dur=_f(s.dur), pr_s=_i(s.pr_s), pr_lo=_f(s.pr_lo), pr_hi=_f(s.pr_hi), pr_keep=_i(s.pr_keep),
        pr_away=_i(s.pr_away), pr_days=_i(s.pr_days), r_f=_i(s.r_f), rn_i=_i(s.rn_i), rn_cell=_i(s.rn_cell),
        rd_i=_i(s.rd_i), rd_cell=_i(s.rd_cell), pe_f=_i(pe_f), pe_comp=np.asarray(pe_comp, dtype=np.bool_),
        pe_ptr=_i(pe_ptr), pe_rs=_i(pe_rs), ex_f=_i(s.ex_f), et_i=_i(s.et_i), et_c=_f(s.et_c), et_a=_i(s.et_a),
        et_b=_i(s.et_b), cap_e=_i(s.cap_e), cap_j=_i(s.cap_j), cap_kind=_i(s.cap_kind), cap_w=_f(s.cap_w),
        cap_s=_i(s.cap_s), cc_k=_i(s.cc_k), cc_cnt=_i(s.cc_cnt), cc_w=_f(s.cc_w),
        jpos=jpos, indptr=indptr, indices=indices, diag=diag,
    )


def inputs(sys: System) -> Inputs:
    """The segment's inputs as ``System.set_inputs`` left them (``F`` is shared, not copied)."""
    return Inputs(sys.F, _f(sys.cap), _f(sys.cap_finite), _f(sys.cap_eps))


class Work(NamedTuple):
    """Scratch arrays of one evaluation, kept between evaluations (no allocation per call)."""

    W: np.ndarray
    m: np.ndarray
    ma: np.ndarray
    mb: np.ndarray
    pr_share: np.ndarray
    rate: np.ndarray
    flow: np.ndarray
    trate: np.ndarray
    chan: np.ndarray
    pden: np.ndarray
    pos: np.ndarray
    neg: np.ndarray


def work(a: Arrays) -> Work:
    """Scratch arrays for :func:`rhs` and :func:`jac_values` on ``a``."""
    S = a.S
    z = np.zeros
    return Work(z(S), z(S), z(S), z(S), z(len(a.pr_s)), z(len(a.src)), z(len(a.src)), z(len(a.tk_src)),
                z(a.n_ch), z(a.n_pair), z(a.n), z(a.n))


@jit
def factors(a, inp, x, w):
    """``System.factors``: the factors recomputed from the stocks ``x``, in ``inp.F``."""
    F = inp.F
    G, D, S = a.G, a.D, a.S
    if len(a.cf_f):
        if a.coupled:
            hi = np.zeros(G * D)
            for k in range(len(a.hi_cell)):
                hi[a.hi_gd[k]] += x[a.hi_cell[k]]
            for k in range(len(a.cf_f)):
                g, b = a.cf_g[k], a.cf_d[k]
                p = 1.0
                for d in range(D):
                    p *= 1.0 + hi[g * D + d] / a.size_safe[g] * a.coupling_off[d, b]
                F[a.cf_f[k]] = p * a.cf_self[k]
        else:
            for k in range(len(a.cf_f)):
                F[a.cf_f[k]] = a.cf_self[k]
    if len(a.st_f):
        tot = np.zeros(2 * S)
        for k in range(len(a.sc_cell)):
            tot[a.sc_key[k]] += x[a.sc_cell[k]] * a.sc_w[k]
        st = np.empty(S)
        for s in range(S):
            W, Sv = tot[2 * s], tot[2 * s + 1]
            a_ = W / TAU_START
            b_ = (inp.cap_finite[s] - Sv) / TAU_START + Sv / a.dur[s]
            r_ = max(math.sqrt((a_ - b_) ** 2 + inp.cap_eps[s] ** 2), _TINY)
            m_ = max(0.5 * (a_ + b_ - r_), 0.0)
            st[s] = m_ / max(W, _TINY) if W > _TINY else 1.0 / TAU_START
            w.W[s] = W
            w.m[s] = m_
            w.ma[s] = 0.5 * (1 - (a_ - b_) / r_)
            w.mb[s] = 0.5 * (1 + (a_ - b_) / r_)
        for k in range(len(a.st_f)):
            F[a.st_f[k]] = st[a.st_s[k]]
        for k in range(len(a.pr_s)):
            s = a.pr_s[k]
            ww = max(w.W[s], 0.0)
            p = (ww / (1.0 + ww)) ** (0.5 * (a.pr_lo[k] + a.pr_hi[k]))
            p *= 1.0 if inp.cap[s] > 0 else 0.0
            w.pr_share[k] = p
            if a.pr_keep[k] >= 0:
                F[a.pr_keep[k]] = 1.0 - p
            if a.pr_away[k] >= 0:
                F[a.pr_away[k]] = p
    nr = len(a.r_f)
    if nr:
        num = np.zeros(nr)
        den = np.zeros(nr)
        for k in range(len(a.rn_i)):
            num[a.rn_i[k]] += max(x[a.rn_cell[k]], 0.0)
        for k in range(len(a.rd_i)):
            den[a.rd_i[k]] += max(x[a.rd_cell[k]], 0.0)
        for j in range(nr):
            F[a.r_f[j]] = num[j] / max(den[j], _TINY) if den[j] > _TINY else 0.0
    for k in range(len(a.pe_f)):
        p = 1.0
        for q in range(a.pe_ptr[k], a.pe_ptr[k + 1]):
            p *= F[a.pe_rs[q]]
        F[a.pe_f[k]] = p if a.pe_comp[k] else 1.0 - p
    ne = len(a.ex_f)
    if ne:
        s_ = np.zeros(ne)
        for k in range(len(a.et_i)):
            s_[a.et_i[k]] += a.et_c[k] * F[a.et_a[k]] * F[a.et_b[k]]
        for j in range(ne):
            F[a.ex_f[j]] = max(1.0 - s_[j], 0.0)
    return F


@jit
def rates(a, inp, x, w):
    """``System.rates``: per-capita rates of the edges (``w.rate``) and takes (``w.trate``); also
    the edges' flows (``w.flow``)."""
    F = factors(a, inp, x, w)
    for e in range(len(a.src)):
        r = a.base[e] * F[a.f1[e]] * F[a.f2[e]] * F[a.f3[e]]
        w.rate[e] = r
        w.flow[e] = r * x[a.src[e]]
    if len(a.tk_src):
        w.chan[:] = 0.0
        w.pden[:] = 0.0
        for k in range(len(a.ch_edge)):
            w.chan[a.ch_id[k]] += w.flow[a.ch_edge[k]]
        for k in range(len(a.pc_pair)):
            w.pden[a.pc_pair[k]] += x[a.pc_cell[k]] * a.pc_w[k]
        for k in range(len(a.tk_src)):
            p = a.tk_pair[k]
            chan = w.chan[a.pair_ch[p]]
            per = chan / max(max(w.pden[p], 0.0) + abs(chan) * TAU_DECIDE, _TINY)
            w.trate[k] = a.tk_base[k] * per


@jit
def rhs(a, inp, y, w, dy):
    """``System.__call__`` without the extra flows: ``dy/dt`` at ``y``, into ``dy``."""
    ns = a.ns
    x = y[:ns]
    rates(a, inp, x, w)
    pos, neg = w.pos, w.neg
    pos[:ns] = 0.0
    neg[:ns] = 0.0
    for e in range(len(a.src)):
        fe = w.flow[e]
        pos[a.dst[e]] += fe
        neg[a.src[e]] += fe * a.sub[e]
    for i in range(ns):
        dy[i] = pos[i] - neg[i]
    if len(a.tk_src):
        pos[:ns] = 0.0
        neg[:ns] = 0.0
        for k in range(len(a.tk_src)):
            tf = w.trate[k] * x[a.tk_src[k]]
            pos[a.tk_dst[k]] += tf
            neg[a.tk_src[k]] += tf
        for i in range(ns):
            dy[i] += pos[i] - neg[i]
    for i in range(ns):
        dy[i] *= a.keep[i]
    dc = dy[ns:]
    dc[:] = 0.0
    for k in range(len(a.ce_edge)):
        dc[a.ce_cnt[k]] += w.flow[a.ce_edge[k]] * a.ce_w[k]
    neg[: a.nc] = 0.0
    for k in range(len(a.si_cnt)):
        neg[a.si_cnt[k]] += x[a.si_cell[k]] * a.si_w[k]
    for j in range(a.nc):
        dc[j] += neg[j]
    for k in range(len(a.pr_s)):
        dc[a.pr_days[k]] += w.pr_share[k]


@jit
def jac_values(a, inp, y, w, J):
    """``System.jacobian`` without the extra flows: the values of the fixed pattern, into ``J``
    (entries at the same place added, as ``scipy.sparse`` does)."""
    ns = a.ns
    x = y[:ns]
    rates(a, inp, x, w)
    J[:] = 0.0
    jp = a.jpos
    k = 0
    ne, nt = len(a.src), len(a.tk_src)
    for e in range(ne):
        if jp[k] >= 0:
            J[jp[k]] += w.rate[e]
        k += 1
    for e in range(ne):
        if jp[k] >= 0:
            J[jp[k]] += -w.rate[e] * a.sub[e]
        k += 1
    for q in range(len(a.ce_edge)):
        if jp[k] >= 0:
            J[jp[k]] += w.rate[a.ce_edge[q]] * a.ce_w[q]
        k += 1
    for q in range(nt):
        if jp[k] >= 0:
            J[jp[k]] += w.trate[q]
        k += 1
    for q in range(nt):
        if jp[k] >= 0:
            J[jp[k]] += -w.trate[q]
        k += 1
    for q in range(len(a.si_cell)):
        if jp[k] >= 0:
            J[jp[k]] += a.si_w[q]
        k += 1
    nk = len(a.cap_e)
    if nk:
        d = np.empty(nk)
        for q in range(nk):
            s = a.cap_s[q]
            xs = x[a.src[a.cap_e[q]]]
            Ws = max(w.W[s], _TINY)
            if a.cap_kind[q] == 0:
                v = xs * (w.ma[s] * Ws / TAU_START - w.m[s]) / Ws**2 * a.cap_w[q]
            else:
                v = xs / Ws * w.mb[s] * (1.0 / a.dur[s] - 1.0 / TAU_START) * a.cap_w[q]
            d[q] = v * (1.0 if w.m[s] > 0 else 0.0)
        for q in range(nk):
            if jp[k] >= 0:
                J[jp[k]] += d[q]
            k += 1
        for q in range(nk):
            if jp[k] >= 0:
                J[jp[k]] += -d[q] * a.sub[a.cap_e[q]]
            k += 1
        for q in range(len(a.cc_k)):
            if jp[k] >= 0:
                J[jp[k]] += d[a.cc_k[q]] * a.cc_w[q]
            k += 1
    return k
