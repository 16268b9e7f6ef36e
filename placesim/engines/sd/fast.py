"""The compiled path of the SD engine: a :class:`~.rhs.System` integrated segment by segment by
:func:`.bdf.integrate` (numba), with scipy's BDF (:mod:`.solver`) as the reference and fallback.

:class:`Compiled` packs a System's arrays and factors its Jacobian's pattern symbolically once;
:meth:`Compiled.segment` then integrates one segment of piecewise-constant inputs (those the
System was last given by ``set_inputs``) without returning to Python, except to add the
flows a kind adds in Python (:class:`~.rhs.ExtraFlow`, e.g. an INT team's case-finding; see
:mod:`.extras`).
"""

from __future__ import annotations

import numpy as np

from . import bdf
from . import extras as X
from . import kernels as K
from . import sparse_lu as L
from .rhs import System


class SegmentFailed(RuntimeError):
    """The compiled integrator stopped (a step too small, a pivot refused, a state not finite)."""


class Compiled:
    """A System's compiled arrays, Jacobian pattern and LU structure, for :meth:`segment`."""

    def __init__(self, sys: System):
        self.sys = sys
        self.a = K.pack(sys, *X.pattern(sys))
        self.w = K.work(self.a)
        a = self.a
        perm = L.ordering(a.indptr, a.indices, a.n)
        Ap, Ai, Amap, Lp, Li, Up, Ui = L.symbolic(a.indptr, a.indices, perm)
        self.lu = (perm, Ap, Ai, Amap, Lp, Li, Up, Ui)
        self.counts = np.zeros(5, dtype=np.int64)
        """Right-hand side evaluations, Jacobians, LU factorisations, steps, steps redone below the floor."""

    def segment(self, t0: float, t1: float, y0: np.ndarray, t_eval: list[float], n_check: int,
                rtol: float, atol: np.ndarray, floor: np.ndarray) -> np.ndarray:
        """The states at ``t_eval`` (rows; ascending in ``(t0, t1]``) integrating from ``y0`` at
        ``t0``; the first ``n_check`` of them are checked against ``floor`` as the step ends are.
        Raises :class:`SegmentFailed` if the integrator stops."""
        out = np.zeros((len(t_eval), len(y0)))
        y0 = np.ascontiguousarray(y0, dtype=float)
        before = int(self.counts[0])
        with X.active(self.sys, self.a.jpos) as token:
            status, t = bdf.integrate(self.a, K.inputs(self.sys), self.w, self.lu, y0, float(t0), float(t1),
                                      np.asarray(t_eval, dtype=float), int(n_check), np.minimum(floor, y0),
                                      float(rtol), np.ascontiguousarray(atol, dtype=float), out, self.counts, token)
        if status != bdf.OK:
            what = {bdf.TOO_SMALL_STEP: "the step fell below its minimum", bdf.BAD_PIVOT: "a pivot was too small",
                    bdf.NOT_FINITE: "a state is not finite"}[status]
            raise SegmentFailed(f"compiled BDF stopped at day {t:.3f}: {what}")
        self.sys.evals += int(self.counts[0]) - before
        return out
