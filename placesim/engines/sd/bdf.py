"""scipy's BDF, with the SD's non-negativity control, compiled with numba for one segment.

A line-by-line port of :class:`scipy.integrate.BDF` (scipy 1.17; variable order 1-5, the
quasi-constant step size of Shampine and Reichelt's NDFs, the same error estimates, Newton
iteration, step and order selection and dense output) driven as ``solve_ivp`` drives it
with ``t_eval``, plus :class:`~.solver.NonNegativeBDF`'s rejection of a step that takes a stock
below its floor. It evaluates :func:`.kernels.rhs` and :func:`.kernels.jac_values` and factors
with :mod:`.sparse_lu`, so a whole segment runs without returning to Python. Why it is
written here rather than taken from a library: docs/decisions.md ("A compiled BDF for the
SD"). :mod:`.solver` (scipy) stays as the reference the tests hold it to.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from . import extras as X
from . import kernels as K
from . import sparse_lu as L

jit = nb.njit(cache=True)  # not nogil: the extra flows are called in object mode

MAX_ORDER = 5
NEWTON_MAXITER = 4
MIN_FACTOR = 0.2
MAX_FACTOR = 10.0
EPS = float(np.finfo(float).eps)

OK, TOO_SMALL_STEP, BAD_PIVOT, NOT_FINITE = 0, 1, 2, 3
"""Status of :func:`integrate`: finished, the step fell below its minimum, a Newton matrix
that :mod:`.sparse_lu` will not factor without pivoting, a state that is not finite."""

_KAPPA = np.array([0, -0.1850, -1 / 9, -0.0823, -0.0415, 0])
GAMMA = np.hstack((0, np.cumsum(1 / np.arange(1, MAX_ORDER + 1))))
ALPHA = (1 - _KAPPA) * GAMMA
ERROR_CONST = _KAPPA * GAMMA + 1 / np.arange(1, MAX_ORDER + 2)


@jit
def _norm(v, scale):
    """Root mean square of ``v / scale``."""
    s = 0.0
    for i in range(len(v)):
        q = v[i] / scale[i]
        s += q * q
    return math.sqrt(s) / math.sqrt(len(v))


@jit
def _compute_R(order, factor, M):
    """``scipy.integrate._ivp.bdf.compute_R`` into ``M[:order + 1, :order + 1]``."""
    for j in range(order + 1):
        M[0, j] = 1.0
    for i in range(1, order + 1):
        M[i, 0] = 0.0
        for j in range(1, order + 1):
            M[i, j] = (i - 1 - factor * j) / i
    for i in range(1, order + 1):
        for j in range(order + 1):
            M[i, j] *= M[i - 1, j]


@jit
def _change_D(D, order, factor, S):
    """``scipy.integrate._ivp.bdf.change_D``: rescale the differences to a step times ``factor``
    (``S``: scratch, :func:`_scratch`)."""
    R, U, RU, old = S
    _compute_R(order, factor, R)
    _compute_R(order, 1.0, U)
    for i in range(order + 1):
        for j in range(order + 1):
            v = 0.0
            for k in range(order + 1):
                v += R[i, k] * U[k, j]
            RU[i, j] = v
    n = D.shape[1]
    old[: order + 1] = D[: order + 1]
    for i in range(order + 1):
        for c in range(n):
            v = 0.0
            for k in range(order + 1):
                v += RU[k, i] * old[k, c]
            D[i, c] = v


@jit
def _scratch(n):
    m = MAX_ORDER + 1
    return np.zeros((m, m)), np.zeros((m, m)), np.zeros((m, m)), np.zeros((m, n))


@jit
def _dense(t_new, h, order, D, te, out):
    """``BdfDenseOutput`` of the last step at ``te``, into ``out``."""
    n = D.shape[1]
    out[:] = D[0]
    p = 1.0
    for j in range(order):
        p *= (te - (t_new - h * j)) / (h * (1 + j))
        for c in range(n):
            out[c] += D[j + 1, c] * p


@jit
def _fun(a, inp, w, y, f, counts, token):
    counts[0] += 1
    K.rhs(a, inp, y, w, f)
    if token >= 0:
        with nb.objmode():
            X.add_rhs(token, y, f)


@jit
def _jac(a, inp, w, y, J, counts, token):
    counts[1] += 1
    K.jac_values(a, inp, y, w, J)
    if token >= 0:
        with nb.objmode():
            X.add_jac(token, y, J)


@jit
def _lu(a, c, J, Mx, lu, Lx, Ux, x, counts):
    """Factor ``I - c J``; False if :func:`.sparse_lu.factor` refuses a pivot."""
    counts[2] += 1
    for k in range(len(J)):
        Mx[k] = -c * J[k]
    for i in range(len(a.diag)):
        Mx[a.diag[i]] += 1.0
    perm, Ap, Ai, Amap, Lp, Li, Up, Ui = lu
    return L.factor(Mx, Ap, Ai, Amap, Lp, Li, Lx, Up, Ui, Ux, x)


@jit
def integrate(a, inp, w, lu, y0, t0, t_bound, t_eval, n_check, floor, rtol, atol, out, counts, token):
    """Integrate from ``t0`` to ``t_bound`` (> t0), writing the state at each of ``t_eval``
    (ascending, in ``(t0, t_bound]``) into the rows of ``out``.

    The first ``n_check`` output times are also checked against ``floor``, as
    :class:`~.solver.NonNegativeBDF` checks its ``check_at``. ``counts`` gets the right-hand
    side and Jacobian evaluations, LU factorisations, steps and steps rejected below the
    floor. ``token``: the System's in :mod:`.extras` if it has flows added in Python, else -1.
    Returns the status (:data:`OK` ...) and the time reached.
    """
    n = len(y0)
    f = np.empty(n)
    t = t0
    y = y0.copy()
    # --- BDF.__init__
    _fun(a, inp, w, y, f, counts, token)
    # select_initial_step (order 1, no max_step)
    interval = abs(t_bound - t0)
    scale = np.empty(n)
    for i in range(n):
        scale[i] = atol[i] + abs(y[i]) * rtol
    d0 = _norm(y, scale)
    d1 = _norm(f, scale)
    h0 = 1e-6 if (d0 < 1e-5 or d1 < 1e-5) else 0.01 * d0 / d1
    h0 = min(h0, interval)
    y1 = y + h0 * f
    f1 = np.empty(n)
    _fun(a, inp, w, y1, f1, counts, token)
    d2 = _norm(f1 - f, scale) / h0
    if d1 <= 1e-15 and d2 <= 1e-15:
        h1 = max(1e-6, h0 * 1e-3)
    else:
        h1 = (0.01 / max(d1, d2)) ** 0.5
    h_abs = min(100 * h0, h1, interval)
    newton_tol = max(10 * EPS / rtol, min(0.03, rtol**0.5))
    J = np.zeros(len(a.indices))
    _jac(a, inp, w, y, J, counts, token)
    D = np.zeros((MAX_ORDER + 3, n))
    D[0] = y
    D[1] = f * h_abs
    order = 1
    n_equal_steps = 0
    lu_ok = False
    Mx = np.empty(len(a.indices))
    Lx = np.empty(len(lu[5]))
    Ux = np.empty(len(lu[7]))
    xs = np.zeros(n)
    zs = np.zeros(n)
    perm = lu[0]
    y_predict = np.empty(n)
    psi = np.empty(n)
    ynew = np.empty(n)
    d = np.empty(n)
    dy = np.empty(n)
    b = np.empty(n)
    yd = np.empty(n)
    D_old = np.empty_like(D)
    S = _scratch(n)
    y_old = np.empty(n)
    i_eval = 0
    n_eval = len(t_eval)
    while True:
        # --- solve_ivp: one step of NonNegativeBDF
        if t == t_bound:
            break
        t_prev = t
        while True:  # NonNegativeBDF._step_impl
            t_old, h_old, order_old = t, h_abs, order
            y_old[:] = y
            D_old[: order + 3] = D[: order + 3]  # a step changes no row below these
            # --- BDF._step_impl
            min_step = 10 * abs(np.nextafter(t, np.inf) - t)
            if h_abs < min_step:
                _change_D(D, order, min_step / h_abs, S)
                h_abs = min_step
                n_equal_steps = 0
            current_jac = False
            accepted = False
            n_iter = 0
            error_norm = 0.0
            safety = 0.0
            t_new = t
            while not accepted:
                if h_abs < min_step:
                    return TOO_SMALL_STEP, t
                h = h_abs
                t_new = t + h
                if t_new - t_bound > 0:
                    t_new = t_bound
                    _change_D(D, order, abs(t_new - t) / h_abs, S)
                    n_equal_steps = 0
                    lu_ok = False
                h = t_new - t
                h_abs = abs(h)
                for c in range(n):
                    s = 0.0
                    for k in range(order + 1):
                        s += D[k, c]
                    y_predict[c] = s
                    scale[c] = atol[c] + rtol * abs(s)
                    s = 0.0
                    for k in range(1, order + 1):
                        s += D[k, c] * GAMMA[k]
                    psi[c] = s / ALPHA[order]
                converged = False
                cc = h / ALPHA[order]
                while not converged:
                    if not lu_ok:
                        if not _lu(a, cc, J, Mx, lu, Lx, Ux, xs, counts):
                            return BAD_PIVOT, t
                        lu_ok = True
                    # --- solve_bdf_system
                    d[:] = 0.0
                    ynew[:] = y_predict
                    dy_norm_old = -1.0
                    converged = False
                    k = 0
                    for k in range(NEWTON_MAXITER):
                        _fun(a, inp, w, ynew, f, counts, token)
                        finite = True
                        for c in range(n):
                            if not np.isfinite(f[c]):
                                finite = False
                                break
                        if not finite:
                            break
                        for c in range(n):
                            b[c] = cc * f[c] - psi[c] - d[c]
                        L.solve(perm, lu[4], lu[5], Lx, lu[6], lu[7], Ux, b, dy, zs)
                        dy_norm = _norm(dy, scale)
                        has_rate = dy_norm_old >= 0.0
                        rate = dy_norm / dy_norm_old if has_rate else 0.0
                        if has_rate and (rate >= 1 or rate ** (NEWTON_MAXITER - k) / (1 - rate) * dy_norm
                                         > newton_tol):
                            break
                        for c in range(n):
                            ynew[c] += dy[c]
                            d[c] += dy[c]
                        if dy_norm == 0 or (has_rate and rate / (1 - rate) * dy_norm < newton_tol):
                            converged = True
                            break
                        dy_norm_old = dy_norm
                    n_iter = k + 1
                    if not converged:
                        if current_jac:
                            break
                        _jac(a, inp, w, y_predict, J, counts, token)
                        lu_ok = False
                        current_jac = True
                if not converged:
                    h_abs *= 0.5
                    _change_D(D, order, 0.5, S)
                    n_equal_steps = 0
                    lu_ok = False
                    continue
                safety = 0.9 * (2 * NEWTON_MAXITER + 1) / (2 * NEWTON_MAXITER + n_iter)
                for c in range(n):
                    scale[c] = atol[c] + rtol * abs(ynew[c])
                for c in range(n):
                    b[c] = ERROR_CONST[order] * d[c]
                error_norm = _norm(b, scale)
                if error_norm > 1:
                    factor = max(MIN_FACTOR, safety * error_norm ** (-1 / (order + 1)))
                    h_abs *= factor
                    _change_D(D, order, factor, S)
                    n_equal_steps = 0
                else:
                    accepted = True
            n_equal_steps += 1
            t = t_new
            y[:] = ynew
            for c in range(n):
                D[order + 2, c] = d[c] - D[order + 1, c]
                D[order + 1, c] = d[c]
            for i in range(order, -1, -1):
                for c in range(n):
                    D[i, c] += D[i + 1, c]
            if n_equal_steps >= order + 1:
                if order > 1:
                    for c in range(n):
                        b[c] = ERROR_CONST[order - 1] * D[order, c]
                    e_m = _norm(b, scale)
                else:
                    e_m = np.inf
                if order < MAX_ORDER:
                    for c in range(n):
                        b[c] = ERROR_CONST[order + 1] * D[order + 2, c]
                    e_p = _norm(b, scale)
                else:
                    e_p = np.inf
                best, delta = -1.0, 0
                for q, e in enumerate((e_m, error_norm, e_p)):
                    fq = np.inf if e == 0.0 else e ** (-1.0 / (order + q))
                    if fq > best:
                        best, delta = fq, q - 1
                order += delta
                factor = min(MAX_FACTOR, safety * best)
                h_abs *= factor
                _change_D(D, order, factor, S)
                n_equal_steps = 0
                lu_ok = False
            counts[3] += 1
            # --- NonNegativeBDF: the step's end and the output times inside it at or above the floor
            below = False
            for c in range(n):
                if y[c] < floor[c]:
                    below = True
                    break
            if not below:
                for q in range(min(n_check, n_eval)):
                    te = t_eval[q]
                    if te > t_old and te < t:
                        _dense(t, h_abs, order, D, te, yd)
                        for c in range(n):
                            if yd[c] < floor[c]:
                                below = True
                                break
                    if below:
                        break
            if not below:
                break
            counts[4] += 1
            factor = 0.5 * abs(t - t_old) / h_old
            t = t_old
            y[:] = y_old
            D[: order_old + 3] = D_old[: order_old + 3]
            order = order_old
            h_abs = h_old * factor
            _change_D(D, order, factor, S)
            n_equal_steps = 0
            lu_ok = False
            min_step = 10 * abs(np.nextafter(t, np.inf) - t)
            if h_abs < min_step:
                return TOO_SMALL_STEP, t
        # --- solve_ivp: the output times in (t_prev, t]
        while i_eval < n_eval and t_eval[i_eval] <= t:
            if t_eval[i_eval] > t_prev:
                _dense(t, h_abs, order, D, t_eval[i_eval], out[i_eval])
            i_eval += 1
        if t >= t_bound:
            break
    for c in range(n):
        if not np.isfinite(y[c]):
            return NOT_FINITE, t
    return OK, t
