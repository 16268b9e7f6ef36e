"""Value of information: EVPI and EVPPI by regression metamodels.

Net benefit is one column per decision (the baseline's, zero, among them). EVPI is
``E[max_d NB_d] - max_d E[NB_d]``. EVPPI of parameters ``phi`` is the same with each
``NB_d`` replaced by its regression on ``phi``, ``E[NB_d | phi]`` (Strong, Oakley and
Brennan 2014), fitted on the parameters' quantiles (the unit cube: the same conditional
expectation as on the values). One parameter: a penalised cubic regression spline (a
one-input GAM: scikit-learn's ``SplineTransformer`` and ``RidgeCV``, the smoothing chosen by
generalised cross-validation). Several: a Gaussian process (scikit-learn's
:class:`GaussianProcessRegressor`, one length scale per input, plus white noise).

The guards the field learned the hard way:

* EVPPI is clipped to ``[0, EVPI]``: a metamodel's noise can push it over.
* It never falls when a parameter joins a set: a group's EVPPI is at least that of every
  set of its members computed.
* The metamodel needs enough draws for its dimension: fewer than :func:`draws_needed` is
  an error, fewer than ten times that a warning.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel
from sklearn.linear_model import RidgeCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import SplineTransformer

from ..errors import PlacesimError, PlacesimWarning

MAX_FIT = 500
"""Most draws a Gaussian process is fitted to (its cost grows as the cube); it predicts at all."""

MIN_LENGTH_SCALE = 0.1
"""Shortest length scale of the Gaussian process, on the quantile scale [0, 1] of each input."""


class SampleSizeWarning(PlacesimWarning):
    """Too few draws for a stable EVPPI or sensitivity index."""


def evpi(nb: np.ndarray) -> float:
    """Expected value of perfect information of net benefits ``nb`` (draw x decision)."""
    nb = np.asarray(nb, dtype=float)
    return float(max(0.0, nb.max(axis=1).mean() - nb.mean(axis=0).max()))


def unit_normal_loss(z: float) -> float:
    """``L(z) = phi(z) - z (1 - Phi(z))``: EVPI of a net benefit N(mu, sd) against zero is ``sd L(|mu|/sd)``."""
    return float(math.exp(-z * z / 2) / math.sqrt(2 * math.pi) - z * 0.5 * math.erfc(z / math.sqrt(2)))


def draws_needed(dimension: int) -> int:
    """Fewest draws for a regression metamodel of ``dimension`` inputs (an error below)."""
    return 20 * dimension + 30


def fit_conditional(y: np.ndarray, inputs: np.ndarray, seed: int = 0) -> tuple[np.ndarray, float]:
    """``E[y | inputs]`` at every draw, and the fit's R^2: a penalised spline for one input,
    else a Gaussian process. The process is fitted to at most :data:`MAX_FIT` draws; its
    kernel is a constant times an RBF with one length scale per input (automatic relevance),
    plus white noise for what the inputs do not explain; inputs in [0, 1].
    """
    y = np.asarray(y, dtype=float)
    sd = y.std()
    if not np.isfinite(sd) or sd == 0:
        return np.full_like(y, y.mean()), 1.0
    d = inputs.shape[1]
    if d == 1:
        spline = make_pipeline(SplineTransformer(n_knots=12, degree=3),
                               RidgeCV(alphas=np.logspace(-6, 3, 28)))
        fitted = spline.fit(inputs, y).predict(inputs)
        return fitted, 1 - float(np.var(y - fitted) / np.var(y))
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(len(y), MAX_FIT, replace=False)) if len(y) > MAX_FIT else np.arange(len(y))
    # Length scales of at least a tenth of a parameter's range: finer wiggles cannot be told
    # from noise with a few hundred draws, and allowing them let the optimiser interpolate the
    # noise (on Brent, 256 draws: a four-parameter group with no effect took all of EVPI).
    kernel = (ConstantKernel(1.0, (1e-3, 1e3)) * RBF(np.full(d, 0.5), (MIN_LENGTH_SCALE, 1e2))
              + WhiteKernel(0.1, (1e-8, 1e1)))
    gp = GaussianProcessRegressor(kernel, normalize_y=True, n_restarts_optimizer=0, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gp.fit(inputs[idx], y[idx])
    fitted = gp.predict(inputs)
    r2 = 1 - float(np.var(y - fitted) / np.var(y))
    return fitted, r2


def evppi_of(nb: np.ndarray, inputs: np.ndarray, seed: int = 0) -> tuple[float, float]:
    """EVPPI of the parameters in ``inputs`` (draw x parameter, in [0, 1]) and the lowest R^2
    of the metamodels. Columns of ``nb`` that do not vary (the baseline) are not fitted."""
    fitted = np.empty_like(nb, dtype=float)
    r2s = []
    for j in range(nb.shape[1]):
        if np.ptp(nb[:, j]) == 0:
            fitted[:, j] = nb[:, j]
            continue
        fitted[:, j], r2 = fit_conditional(nb[:, j], inputs, seed)
        r2s.append(r2)
    value = float(fitted.max(axis=1).mean() - fitted.mean(axis=0).max())
    return max(0.0, value), (min(r2s) if r2s else 1.0)


def evsi_review(nb: np.ndarray, before: np.ndarray, after: np.ndarray, expected: bool, seed: int = 0) -> float:
    """EVSI of a before-after review by the regression method (Strong, Oakley, Brennan and
    Breeze 2015): the value of deciding after seeing the review's evidence rather than now.

    The review's summary statistic is the log ratio of crises after to before the team
    starts, ``log((after + 0.5) / (before + 0.5))``, one simulated review per draw; each
    decision's net benefit is regressed on it (a penalised spline) and EVSI is
    ``E[max_d E[NB_d | T]] - max_d E[NB_d]``, clipped to ``[0, EVPI]``.

    Parameters
    ----------
    nb
        Net benefit, draw x decision.
    before, after
        Crises in the pilot area in the review's windows at each draw.
    expected
        The counts are expected values (the SD engine): the review's data are drawn as
        Poisson counts around them (seeded); else they are the counts one world saw (DES).
    """
    ok = np.isfinite(before) & np.isfinite(after)
    nb, before, after = nb[ok], before[ok], after[ok]
    if len(nb) < draws_needed(1):
        raise PlacesimError(f"the EVSI of the review needs at least {draws_needed(1)} draws; the PSA has {len(nb)}")
    if expected:
        rng = np.random.default_rng(seed)
        before, after = rng.poisson(np.maximum(before, 0)), rng.poisson(np.maximum(after, 0))
    t = np.log((after + 0.5) / (before + 0.5))[:, None]
    value, _ = evppi_of(nb, (t - t.min()) / (np.ptp(t) or 1.0), seed)
    return min(value, evpi(nb))


def evppi_table(nb: np.ndarray, quantiles: np.ndarray, names: Sequence[str],
                groups: Mapping[str, Sequence[str]] | None = None, scale: float = 1.0, seed: int = 0,
                parameters: bool = True, strict: bool = True) -> pd.DataFrame:
    """EVPI (row ``all``) and the EVPPI of every parameter and group, with the guards.

    Parameters
    ----------
    nb
        Net benefit, draw x decision (include the baseline's zeros as a decision).
    quantiles
        The draws' quantiles, draw x parameter (columns in the order of ``names``).
    names, groups
        The parameters, and named groups of them.
    scale
        Decisions informed (:attr:`~placesim.uncertainty.spec.Population.scale`): the
        ``evppi_population_gbp`` column is ``evppi_gbp`` times it.
    parameters
        Compute each parameter's EVPPI (else groups only).
    strict
        Refuse a set with too few draws for its metamodel (else its row is NaN, with a note).

    Returns
    -------
    DataFrame
        One row per parameter, group and ``all``: ``parameter``, ``kind``, ``members``,
        ``evppi_gbp``, ``evppi_population_gbp``, ``share_of_evpi``, ``metamodel_r2``,
        ``note`` (a guard that acted).
    """
    n = len(nb)
    total = evpi(nb)
    sets: list[tuple[str, str, tuple[str, ...]]] = []
    if parameters:
        sets += [(p, "parameter", (p,)) for p in names]
    sets += [(g, "group", tuple(m)) for g, m in (groups or {}).items()]
    done: dict[frozenset[str], float] = {}
    rows = []
    for label, kind, members in sorted(sets, key=lambda s: len(s[2])):
        d = len(members)
        if n < draws_needed(d):
            why = (f"EVPPI of {label} ({d} parameter(s)) needs at least {draws_needed(d)} draws for its "
                   f"metamodel; the PSA has {n}")
            if strict:
                raise PlacesimError(why)
            rows.append({"parameter": label, "kind": kind, "members": " ".join(members), "evppi_gbp": np.nan,
                         "metamodel_r2": np.nan, "note": why})
            continue
        if n < 10 * draws_needed(d):
            warnings.warn(f"EVPPI of {label}: {n} draws for a {d}-parameter metamodel; {10 * draws_needed(d)} or more "
                          "give a stable figure", SampleSizeWarning, stacklevel=2)
        cols = [list(names).index(m) for m in members]
        value, r2 = evppi_of(nb, quantiles[:, cols], seed)
        notes = []
        floor = max((v for s, v in done.items() if s <= frozenset(members)), default=0.0)
        if value < floor:
            value = floor
            notes.append("raised to the EVPPI of a subset (monotone)")
        if value > total:
            value = total
            notes.append("clipped to EVPI")
        done[frozenset(members)] = value
        rows.append({"parameter": label, "kind": kind, "members": " ".join(members), "evppi_gbp": value,
                     "metamodel_r2": r2, "note": "; ".join(notes)})
    rows.append({"parameter": "all", "kind": "all", "members": " ".join(names), "evppi_gbp": total,
                 "metamodel_r2": np.nan, "note": "EVPI"})
    frame = pd.DataFrame(rows)
    frame["evppi_population_gbp"] = frame["evppi_gbp"] * scale
    frame["share_of_evpi"] = frame["evppi_gbp"] / total if total > 0 else 0.0
    order = ["parameter", "kind", "members", "evppi_gbp", "evppi_population_gbp", "share_of_evpi", "metamodel_r2",
             "note"]
    return frame[order]
