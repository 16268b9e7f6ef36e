"""What drives the answer: a one-way tornado, Morris screening and Sobol indices.

Each method runs its own design of parameter values through a ``run`` function (values,
row x parameter -> figures, row x option x measure: in a PSA, every option run and
appraised at each row) and returns rows of the long table ``sensitivity.csv``:
``method, option, measure, parameter, index, value, lower, upper, note``.

* **tornado**: every parameter at each end of its range (the support of a bounded
  distribution, else its central 90 %), the others at their medians.
* **morris**: elementary effects on a grid of four levels over the central 95 % of each
  distribution (SALib), ``mu_star`` with its bootstrap interval, and ``sigma``.
* **sobol**: first-order and total indices (Saltelli's design and Jansen's estimators in
  SALib) with bootstrap intervals; a warning when the base sample is under
  :data:`SOBOL_STABLE` or an interval is wider than 0.2.

Morris and Sobol treat the parameters as independent: with rank correlations in the
section their indices describe the uncorrelated design (noted in the table).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from .spec import UncertaintySection
from .voi import SampleSizeWarning

Run = Callable[[np.ndarray], np.ndarray]
"""Parameter values (row x parameter) -> figures (row x option x measure)."""

SENSITIVITY_MEASURES = ("npv_gbp", "crises_averted")
SOBOL_STABLE = 512
"""Base sample of a Sobol analysis below which its indices are flagged as unstable."""
COLUMNS = ["method", "option", "measure", "parameter", "index", "value", "lower", "upper", "note"]


def _problem(sec: UncertaintySection, lo: float = 0.0, hi: float = 1.0) -> dict[str, Any]:
    return {"num_vars": len(sec.parameters), "names": sec.names, "bounds": [[lo, hi]] * len(sec.parameters)}


def _ends(sec: UncertaintySection) -> np.ndarray:
    """Each parameter's range ends (parameter x 2): a bounded distribution's support, else its central 90 %."""
    out = []
    for p in sec.parameters.values():
        d = p.distribution
        if d.bounds is not None:
            out.append(d.bounds)
        elif d.kind in ("uniform", "triangular"):
            out.append((float(d.low or 0.0), float(d.high or 0.0)))
        else:
            out.append(d.range(0.9))
    return np.asarray(out, dtype=float)


def tornado(sec: UncertaintySection, run: Run, options: Sequence[str], measures: Sequence[str]) -> pd.DataFrame:
    """One-way sensitivity: each parameter at the low and high end of its range, the others at
    their medians. Rows with ``index`` ``at_low``, ``at_high`` and ``swing`` (high minus low),
    and ``lower``/``upper`` the parameter's values there."""
    names = sec.names
    mid = np.array([p.distribution.median for p in sec.parameters.values()])
    ends = _ends(sec)
    x = [mid]
    for j in range(len(names)):
        for e in ends[j]:
            row = mid.copy()
            row[j] = e
            x.append(row)
    y = run(np.asarray(x))
    rows = []
    for o, option in enumerate(options):
        for m in SENSITIVITY_MEASURES:
            k = list(measures).index(m)
            rows.append(["tornado", option, m, "(all at median)", "at_median", y[0, o, k], np.nan, np.nan, ""])
            for j, name in enumerate(names):
                lo, hi = y[1 + 2 * j, o, k], y[2 + 2 * j, o, k]
                for index, value in (("at_low", lo), ("at_high", hi), ("swing", hi - lo)):
                    rows.append(["tornado", option, m, name, index, value, ends[j, 0], ends[j, 1], ""])
    return pd.DataFrame(rows, columns=COLUMNS)


def morris(sec: UncertaintySection, run: Run, options: Sequence[str], measures: Sequence[str],
           trajectories: int = 10, seed: int = 1) -> pd.DataFrame:
    """Morris screening: ``mu_star`` (mean absolute elementary effect, with its 95 %
    bootstrap interval) and ``sigma`` per parameter, option and measure."""
    problem = _problem(sec, 0.025, 0.975)
    u = morris_sample.sample(problem, trajectories, num_levels=4, seed=seed)
    y = run(sec.ppf(u))
    note = _note(sec, trajectories < 10, f"{trajectories} trajectories (10 or more give stable screening)")
    if trajectories < 10:
        warnings.warn(f"Morris screening from {trajectories} trajectories; 10 or more give stable screening",
                      SampleSizeWarning, stacklevel=2)
    rows = []
    for o, option in enumerate(options):
        for m in SENSITIVITY_MEASURES:
            k = list(measures).index(m)
            res = morris_analyze.analyze(problem, u, y[:, o, k], num_levels=4, conf_level=0.95, seed=seed)
            for j, name in enumerate(sec.names):
                ms, conf = float(res["mu_star"][j]), float(res["mu_star_conf"][j])
                rows.append(["morris", option, m, name, "mu_star", ms, ms - conf, ms + conf, note])
                rows.append(["morris", option, m, name, "sigma", float(res["sigma"][j]), np.nan, np.nan, note])
    return pd.DataFrame(rows, columns=COLUMNS)


def sobol(sec: UncertaintySection, run: Run, options: Sequence[str], measures: Sequence[str],
          base: int = 512, seed: int = 1) -> pd.DataFrame:
    """Sobol indices: first order ``S1`` and total ``ST`` with 95 % bootstrap intervals, from
    ``base x (parameters + 2)`` runs. Warns (:class:`SampleSizeWarning`) when ``base`` is
    under :data:`SOBOL_STABLE` or an interval is wider than 0.2."""
    base = 2 ** max(3, int(round(math.log2(max(8, base)))))  # Saltelli's design wants a power of 2
    problem = _problem(sec)
    u = sobol_sample.sample(problem, base, calc_second_order=False, seed=seed)
    y = run(sec.ppf(u))
    small = base < SOBOL_STABLE
    rows = []
    wide = False
    for o, option in enumerate(options):
        for m in SENSITIVITY_MEASURES:
            k = list(measures).index(m)
            v = y[:, o, k]
            if not np.isfinite(v).all() or v.std() == 0:
                for name in sec.names:
                    for index in ("S1", "ST"):
                        rows.append(["sobol", option, m, name, index, 0.0, 0.0, 0.0, "the measure does not vary"])
                continue
            res = sobol_analyze.analyze(problem, v, calc_second_order=False, conf_level=0.95, seed=seed)
            for j, name in enumerate(sec.names):
                for index in ("S1", "ST"):
                    val, conf = float(res[index][j]), float(res[f"{index}_conf"][j])
                    wide = wide or 2 * conf > 0.2
                    rows.append(["sobol", option, m, name, index, val, val - conf, val + conf, ""])
    frame = pd.DataFrame(rows, columns=COLUMNS)
    if small or wide:
        why = (f"a base sample of {base} ({SOBOL_STABLE} or more gives stable indices)" if small
               else "some intervals wider than 0.2")
        warnings.warn(f"Sobol indices from {why}: read them as rough", SampleSizeWarning, stacklevel=2)
        frame.loc[frame["note"] == "", "note"] = f"unstable: {why}"
    if sec.correlations:
        frame["note"] = (frame["note"] + "; parameters drawn independently here").str.lstrip("; ")
    return frame


def _note(sec: UncertaintySection, small: bool, why: str) -> str:
    notes = [f"unstable: {why}"] if small else []
    if sec.correlations:
        notes.append("parameters drawn independently here")
    return "; ".join(notes)
