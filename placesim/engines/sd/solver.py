"""scipy's BDF with the stocks kept non-negative (a step that takes one below its floor is redone).

People stocks cannot be negative, and the exact solution of the SD's equations never is
(every flow out of a stock is proportional to it). A multistep method can still step below
zero where a stock empties within one step: it extrapolates the stock's fall, and its error
test, the root mean square over all the stocks, lets one stock's error be several times its
tolerance when the others are exact. This is the non-negativity control of Shampine et al.
(2005), as in MATLAB's ``NonNegative`` option, without their projection: a step after which a
stock (or its interpolated value at a requested output time) is below its floor is rejected
and retried with half the step, as a step that fails the error test is.

L. F. Shampine, S. Thompson, J. A. Kierzenka, G. D. Byrne, "Non-negative solutions of ODEs",
Applied Mathematics and Computation 170 (2005) 556-569.
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import BDF
from scipy.integrate._ivp.bdf import BdfDenseOutput, change_D  # stable since scipy 1.0


class NonNegativeBDF(BDF):
    """:class:`scipy.integrate.BDF` whose steps keep ``y >= floor`` at the step's end and at the
    ``check_at`` times inside it (the output times, which solve_ivp interpolates).

    ``floor`` has one entry per component (``-inf`` for components left free); a component
    that starts below its floor may not go lower than it starts.
    """

    def __init__(self, fun, t0, y0, t_bound, floor=None, check_at=(), **options):
        self.floor = None if floor is None else np.minimum(np.asarray(floor, dtype=float), y0)
        self.check_at = np.sort(np.asarray(check_at, dtype=float))
        self.n_nonneg_rejected = 0
        super().__init__(fun, t0, y0, t_bound, **options)

    def _below_floor(self, t_old: float) -> bool:
        if self.floor is None:
            return False
        if np.any(self.y < self.floor):
            return True
        lo, hi = sorted((t_old, self.t))
        inside = self.check_at[(self.check_at > lo) & (self.check_at < hi)]
        if len(inside) == 0:
            return False
        dense = BdfDenseOutput(t_old, self.t, self.h_abs * self.direction, self.order,
                               self.D[: self.order + 1].copy())
        return bool(np.any(dense(inside) < self.floor[:, None]))

    def _step_impl(self):
        while True:
            t_old, y_old, D_old = self.t, self.y, self.D.copy()
            h_old, order_old = self.h_abs, self.order
            ok, message = super()._step_impl()
            if not ok or not self._below_floor(t_old):
                return ok, message
            # reject: back to the state before the step, and retry with half the step taken
            self.n_nonneg_rejected += 1
            factor = 0.5 * abs(self.t - t_old) / h_old
            self.t, self.y = t_old, y_old
            self.D[:] = D_old
            self.order, self.h_abs = order_old, h_old * factor
            change_D(self.D, self.order, factor)
            self.n_equal_steps = 0
            self.LU = None
            min_step = 10 * np.abs(np.nextafter(self.t, self.direction * np.inf) - self.t)
            if self.h_abs < min_step:
                return False, self.TOO_SMALL_STEP
