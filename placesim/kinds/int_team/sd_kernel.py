"""Case-finding's rates compiled with numba: the arithmetic of
:meth:`~.sd.CaseFindingFlow.rates` as loops over its arrays.

The flow is called back at every right-hand side and Jacobian evaluation once the team has
started (hundreds of times a run); as numpy it spent most of its time in the overhead of
small-array calls (about 170 microseconds a call on Brent). The kernel does the same
operations in the same order (see the NumPy reference kept in the tests), so a run's
figures agree with it to rounding.
"""

from __future__ import annotations

import numba as nb
import numpy as np

_TINY = 1e-12

jit = nb.njit(cache=True, nogil=True, fastmath=False)


@jit
def _cells(x: np.ndarray, where: np.ndarray, stocks: np.ndarray, ng: int, nd: int) -> np.ndarray:  # pragma: no cover
    """The stocks ``x[stocks]`` (negatives as zero) summed into (group, domain, severity) cells
    ``where`` (flat indices), as ``np.bincount`` would."""
    out = np.zeros((ng, nd, 4))
    for j in range(len(where)):
        v = x[stocks[j]]
        c = where[j]
        out[c // (nd * 4), (c // 4) % nd, c % 4] += v if v > 0.0 else 0.0
    return out


@jit
def case_finding(x: np.ndarray, all_i: np.ndarray, all_c: np.ndarray, free_i: np.ndarray, free_c: np.ndarray,
                 eng_i: np.ndarray, eng_c: np.ndarray, ng: int, nd: int, size: np.ndarray, mult: np.ndarray,
                 cov: np.ndarray, flag: np.ndarray, rank: np.ndarray, n_rank: int, cap: float, acc: np.ndarray,
                 every: float, act: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover
    """Per-capita rates out of the free cells (``free_i``'s order, times ``act``), the expected
    contacts per screen by group and severity (ng x 4) and those found by group (ng).

    ``cov`` and ``acc`` are per group (the team's coverage and acceptance, times the
    household's multipliers where reach is recorded); ``rank`` gives each (group, severity)
    cell its place in the contact order (0 first), cells of equal rank sharing what is left.
    """
    A = _cells(x, all_i, all_c, ng, nd)
    dist = np.zeros((ng, nd, 4))
    cdf = np.zeros((ng, nd, 4))
    for g in range(ng):
        for e in range(nd):
            tot = A[g, e, 0] + A[g, e, 1] + A[g, e, 2] + A[g, e, 3]
            run = 0.0
            for k in range(4):
                if tot > 0:
                    dist[g, e, k] = A[g, e, k] / max(tot, _TINY)
                else:
                    dist[g, e, k] = 1.0 if k == 0 else 0.0
                run += dist[g, e, k]
                cdf[g, e, k] = run
    pmax = np.zeros((ng, 4))
    for g in range(ng):
        before = 0.0
        for k in range(4):
            le = 1.0
            for e in range(nd):
                le *= cdf[g, e, k]
            pmax[g, k] = le - before
            before = le
    engaged = np.zeros(ng)
    for j in range(len(eng_i)):
        engaged[eng_i[j]] += x[eng_c[j]]
    n_k = np.zeros((ng, 4))
    weighted = np.zeros((ng, 4))
    for g in range(ng):
        N = max(size[g] - engaged[g], 0.0)
        for k in range(4):
            n_k[g, k] = N * cov[g] * flag[k] * pmax[g, k]
            weighted[g, k] = n_k[g, k] * mult[g]
    share = np.zeros((ng, 4))
    left = cap
    for r in range(n_rank):
        tot = 0.0
        for g in range(ng):
            for k in range(4):
                if rank[g, k] == r:
                    tot += weighted[g, k]
        take = min(tot, left)
        s = take / tot if tot > 0 else 0.0
        for g in range(ng):
            for k in range(4):
                if rank[g, k] == r:
                    share[g, k] = s
        left -= take
    contacts = n_k * share
    found = np.zeros((ng, 3))
    fg = np.zeros(ng)
    for g in range(ng):
        for k in range(1, 4):
            found[g, k - 1] = contacts[g, k] * acc[g]
            fg[g] += found[g, k - 1]
    a = np.zeros((ng, nd, 4))
    for je in range(nd):
        for g in range(ng):
            others = np.ones(4)
            for e in range(nd):
                if e != je:
                    for k in range(4):
                        others[k] *= cdf[g, e, k]
            for k in range(1, 4):
                pk = pmax[g, k]
                w = found[g, k - 1] / max(pk, _TINY) if pk > 0 else 0.0
                gap = others[k] - others[k - 1]
                for j in range(k):
                    a[g, je, j] += w * (dist[g, je, j] * gap)
                a[g, je, k] += w * (dist[g, je, k] * others[k])
    free = _cells(x, free_i, free_c, ng, nd)
    per = np.zeros((ng, nd, 4))
    for g in range(ng):
        for e in range(nd):
            denom = 0.0
            sel = np.zeros(4)
            for k in range(4):
                sel[k] = a[g, e, k] / max(A[g, e, k], _TINY) if A[g, e, k] > 0 else 0.0
                denom += sel[k] * free[g, e, k]
            for k in range(4):
                per[g, e, k] = (sel[k] * fg[g] / max(denom, _TINY) if denom > 0 else 0.0) / every
    out = np.empty(len(free_i))
    for j in range(len(free_i)):
        c = free_i[j]
        out[j] = per[c // (nd * 4), (c // 4) % nd, c % 4] * act
    return out, contacts, fg
