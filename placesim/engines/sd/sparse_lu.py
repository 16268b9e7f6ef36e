"""LU factors of the SD's Newton matrices, compiled, on a pattern fixed for the whole run.

The stiff solver factors ``I - c J`` again and again, always with the same sparsity pattern.
The pattern is ordered once (a fill-reducing symmetric permutation, see
:func:`ordering`), the fill of the factors is found once
(:func:`symbolic`), and each factorisation is then a left-looking elimination on that
structure with the diagonal as pivots (:func:`factor`), a few microseconds for the Brent
systems (SuperLU took about 0.4 ms, most of it setting up what does not change).

Pivoting on the diagonal is safe for these matrices: ``J``'s off-diagonal entries are
flows out of a stock into another (non-negative), its diagonal the flows out (non-positive),
and each column's off-diagonal entries add up to at most its diagonal's size, so
``I - c J`` is column diagonally dominant, for which Gaussian elimination without pivoting
is stable. The capacity terms and the extra flows can break the dominance a little, so a
pivot smaller than ``PIVOT_TOL`` times its column's largest entry is refused:
:func:`factor` returns False and the caller falls back to scipy's BDF with SuperLU.
"""

from __future__ import annotations

import heapq

import numba as nb
import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import reverse_cuthill_mckee

jit = nb.njit(cache=True, nogil=True)

PIVOT_TOL = 1e-8
"""Smallest pivot accepted, relative to the largest entry of its column before elimination."""


def ordering(indptr: np.ndarray, indices: np.ndarray, n: int) -> np.ndarray:
    """A fill-reducing symmetric permutation of the pattern: reverse Cuthill-McKee of ``A + A^T``.

    On every scenario of the repository its factors are smaller than with SuperLU's minimum
    degree ordering of ``A + A^T`` (Brent siloed: 4,557 entries against 6,410; the INT files
    25,354 against 41,948; ``A`` has 3,458 and 14,161)."""
    A = sparse.csc_matrix((np.ones(len(indices)), indices, indptr), shape=(n, n))
    return np.ascontiguousarray(reverse_cuthill_mckee((A + A.T).tocsr(), symmetric_mode=True), dtype=np.int64)


@jit
def symbolic(indptr, indices, perm):
    """The structure of the LU factors of the pattern permuted by ``perm`` on both sides.

    Returns ``(Ap, Ai, Amap, Lp, Li, Up, Ui)``: the permuted pattern in compressed columns with
    ``Amap`` (where each of its entries is in the original's data), the strictly lower factor
    ``L`` (unit diagonal not stored) and the upper factor ``U`` (diagonal last in each column),
    row indices ascending in each column.
    """
    n = len(indptr) - 1
    inv = np.empty(n, dtype=np.int64)
    for i in range(n):
        inv[perm[i]] = i
    nnz = indptr[n]
    Ap = np.zeros(n + 1, dtype=np.int64)
    Ai = np.empty(nnz, dtype=np.int64)
    Amap = np.empty(nnz, dtype=np.int64)
    for j in range(n):
        c = perm[j]
        Ap[j + 1] = Ap[j] + indptr[c + 1] - indptr[c]
        q = Ap[j]
        for k in range(indptr[c], indptr[c + 1]):
            Ai[q] = inv[indices[k]]
            Amap[q] = k
            q += 1
    mark = np.zeros(n, dtype=np.bool_)
    Lcols = [np.empty(0, dtype=np.int64) for _ in range(0)]
    Ucols = [np.empty(0, dtype=np.int64) for _ in range(0)]
    nl = 0
    nu = 0
    heap = [np.int64(0) for _ in range(0)]
    lower = np.empty(n, dtype=np.int64)
    upper = np.empty(n, dtype=np.int64)
    for j in range(n):
        # column j's structure: A's rows, and the rows of every earlier L column they reach,
        # the rows above the diagonal taken in ascending order (a heap) as the elimination does
        nlo = 0
        nup = 0
        for q in range(Ap[j], Ap[j + 1]):
            i = Ai[q]
            if not mark[i] and i != j:
                mark[i] = True
                if i < j:
                    heapq.heappush(heap, i)
                else:
                    lower[nlo] = i
                    nlo += 1
        while len(heap):
            k = heapq.heappop(heap)
            upper[nup] = k
            nup += 1
            lk = Lcols[k]
            for t in range(len(lk)):
                i = lk[t]
                if not mark[i] and i != j:
                    mark[i] = True
                    if i < j:
                        heapq.heappush(heap, i)
                    else:
                        lower[nlo] = i
                        nlo += 1
        u = np.empty(nup + 1, dtype=np.int64)
        u[:nup] = upper[:nup]
        u[nup] = j
        l_ = np.sort(lower[:nlo])
        for t in range(nup):
            mark[upper[t]] = False
        for t in range(nlo):
            mark[lower[t]] = False
        Ucols.append(u)
        Lcols.append(l_)
        nu += len(u)
        nl += len(l_)
    Lp = np.zeros(n + 1, dtype=np.int64)
    Up = np.zeros(n + 1, dtype=np.int64)
    Li = np.empty(nl, dtype=np.int64)
    Ui = np.empty(nu, dtype=np.int64)
    for j in range(n):
        Lp[j + 1] = Lp[j] + len(Lcols[j])
        Up[j + 1] = Up[j] + len(Ucols[j])
        Li[Lp[j]: Lp[j + 1]] = Lcols[j]
        Ui[Up[j]: Up[j + 1]] = Ucols[j]
    return Ap, Ai, Amap, Lp, Li, Up, Ui


@jit
def factor(data, Ap, Ai, Amap, Lp, Li, Lx, Up, Ui, Ux, x):
    """Factor the permuted matrix whose values (in the original pattern's order) are ``data``
    into ``Lx`` and ``Ux``; ``x`` is scratch of length n, left zero. False if a pivot is too
    small (or not finite)."""
    n = len(Ap) - 1
    for j in range(n):
        big = 0.0
        for q in range(Ap[j], Ap[j + 1]):
            v = data[Amap[q]]
            x[Ai[q]] = v
            big = max(big, abs(v))
        for q in range(Up[j], Up[j + 1] - 1):  # rows k < j, ascending: x[k] is final when reached
            k = Ui[q]
            xk = x[k]
            Ux[q] = xk
            x[k] = 0.0
            if xk != 0.0:
                for r in range(Lp[k], Lp[k + 1]):
                    x[Li[r]] -= Lx[r] * xk
        piv = x[j]
        x[j] = 0.0
        Ux[Up[j + 1] - 1] = piv
        if not (abs(piv) > PIVOT_TOL * big) or not np.isfinite(piv):
            for r in range(Lp[j], Lp[j + 1]):
                x[Li[r]] = 0.0
            return False
        for r in range(Lp[j], Lp[j + 1]):
            i = Li[r]
            Lx[r] = x[i] / piv
            x[i] = 0.0
    return True


@jit
def solve(perm, Lp, Li, Lx, Up, Ui, Ux, b, out, z):
    """``out = A^-1 b`` from the factors; ``z`` is scratch of length n."""
    n = len(perm)
    for i in range(n):
        z[i] = b[perm[i]]
    for j in range(n):  # L z = z, unit diagonal
        zj = z[j]
        if zj != 0.0:
            for r in range(Lp[j], Lp[j + 1]):
                z[Li[r]] -= Lx[r] * zj
    for j in range(n - 1, -1, -1):  # U z = z, by columns
        zj = z[j] / Ux[Up[j + 1] - 1]
        z[j] = zj
        if zj != 0.0:
            for q in range(Up[j], Up[j + 1] - 1):
                z[Ui[q]] -= Ux[q] * zj
    for i in range(n):
        out[perm[i]] = z[i]
