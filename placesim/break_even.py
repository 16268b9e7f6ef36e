"""Break-even: the parameter value at which an option's NPV reaches zero."""

from __future__ import annotations

import copy
import html
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from .appraisal import appraise
from .compare import Comparison
from .display import readable
from .errors import PlacesimError
from .formatting import money, significant
from .run import Checkpoint, Executor, simulate
from .scenario.paths import get_path, parse_path, set_path
from .scenario.scenario import Scenario


@dataclass
class BreakEven:
    """Result of a break-even search.

    Attributes
    ----------
    option, parameter
        What was varied.
    value
        The parameter value at which the mean NPV crosses zero (None if NPV has the same
        sign across the whole range; see ``note``).
    evaluations
        Every value tried: parameter, NPV mean and interval (GBP).
    """

    option: str
    parameter: str
    bounds: tuple[float, float]
    value: float | None
    note: str
    engine: str
    replications: int
    seed: int
    evaluations: pd.DataFrame = field(repr=False)

    def __str__(self) -> str:
        if self.value is None:
            return f"{self.option}: {self.note}"
        return (f"{self.option}: NPV reaches zero at {self.parameter} = {significant(self.value)} "
                f"(searched {significant(self.bounds[0])} to {significant(self.bounds[1])}; {self.engine}, "
                f"{self.replications} replications)")

    def plot(self, ax: Any = None):
        """NPV at every value tried, with its interval, the zero line and the break-even."""
        import matplotlib.pyplot as plt

        if ax is None:
            fig, ax = plt.subplots(figsize=(6.5, 3.5), layout="constrained")
        else:
            fig = ax.figure
        ev = self.evaluations
        ax.plot(ev["value"], ev["npv_gbp"] / 1e3, "o-", label="NPV (mean)")
        if ev["npv_gbp_lower"].notna().any():
            ax.fill_between(ev["value"], ev["npv_gbp_lower"] / 1e3, ev["npv_gbp_upper"] / 1e3, alpha=0.2,
                            label="90 % interval")
        ax.axhline(0, color="black", lw=0.8)
        if self.value is not None:
            ax.axvline(self.value, color="grey", ls="--", label=f"break-even {significant(self.value)}")
        ax.set_xlabel(self.parameter)
        ax.set_ylabel("NPV, £ thousand")
        ax.set_title(f"Break-even search: {self.option} ({self.engine})")
        ax.legend(frameon=False, fontsize="small")
        return fig

    def _repr_html_(self) -> str:
        shown = readable(self.evaluations, {"npv_gbp": "GBP"})
        return f"<p><b>{html.escape(str(self))}</b></p>" + shown.to_html(index=False)


def integer_root(f: Any, lo: int, hi: int) -> int:
    """Bisection over the integers for a function with ``f(lo)`` and ``f(hi)`` of opposite
    signs: the integer next to the sign change on the side where ``f >= 0``."""
    a, b = lo, hi
    fa = f(a)
    while b - a > 1:
        mid = (a + b) // 2
        if np.sign(f(mid)) == np.sign(fa):
            a = mid
        else:
            b = mid
    return a if f(a) >= 0 else b


def _set_path(data: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    try:
        get_path(data, path)
    except (KeyError, IndexError, TypeError):
        raise PlacesimError(f"the option's scenario has no field {'.'.join(map(str, path))}") from None
    set_path(data, path, value)


def break_even(baseline: Scenario, option: Scenario, parameter: str, bounds: tuple[float, float], *,
               replications: int = 10, seed: int = 1, engine: str = "des", economics: Any = None,
               executor: str | Executor = "processes", workers: int | None = None, label: str = "option",
               xtol: float | None = None, checkpoint: Checkpoint | None = None) -> BreakEven:
    """Find the value of one option parameter at which its NPV against the baseline is zero.

    Every evaluation re-runs the option with the same seed and replications as the
    baseline (common random numbers), so NPV changes smoothly with the parameter rather
    than with the noise of new random numbers. The root is found with Brent's method
    (:func:`scipy.optimize.brentq`) on the mean NPV; for an integer parameter (e.g.
    ``int.days_per_week``) by bisection over the integers, giving the value next to the
    sign change on the side where NPV >= 0.

    Parameters
    ----------
    baseline, option
        The scenarios (the option's INT is varied).
    parameter
        Dotted field path in the option, e.g. ``int.effect.escalation_multiplier``,
        ``int.case_finding.sensitivity`` or ``int.days_per_week``.
    bounds
        Range searched; NPV must change sign across it.
    replications, seed, engine
        How each evaluation runs (``engine='sd'``: the deterministic twin, fast).
    economics
        As for :func:`placesim.appraisal.appraise` (default: the baseline's).
    xtol
        Tolerance on the parameter (default: 1/1000 of the range).
    executor, workers
        As for :func:`placesim.simulate`.
    checkpoint
        An open :class:`~placesim.run.Checkpoint` (an options file's) keeping every
        evaluation's replications; a resumed search finds them there.
    """
    try:
        path = parse_path(parameter)
    except ValueError as exc:
        raise PlacesimError(str(exc)) from None
    lo, hi = float(bounds[0]), float(bounds[1])
    if not lo < hi:
        raise PlacesimError(f"bounds must be lower < upper, got {bounds}")
    data = option.to_dict()
    try:
        current = get_path(data, path)
    except (KeyError, IndexError, TypeError):
        raise PlacesimError(f"the option's scenario has no field {parameter}") from None
    if isinstance(current, bool) or not isinstance(current, (int, float)):
        raise PlacesimError(f"{parameter} is {current!r}, not a number")
    integer = isinstance(current, int)
    base = simulate(baseline, replications, seed, engine=engine, executor=executor, workers=workers,
                    checkpoint=checkpoint)
    rows: list[tuple[float, float, float, float]] = []
    cache: dict[float, float] = {}

    def npv(x: float) -> float:
        if x in cache:
            return cache[x]
        d = copy.deepcopy(data)
        _set_path(d, path, int(round(x)) if integer else float(x))
        variant = Scenario.from_dict(d, source=option.source)
        res = simulate(variant, replications, seed, engine=engine, executor=executor, workers=workers,
                       checkpoint=checkpoint)
        a = appraise(Comparison({"baseline": base, label: res}), economics=economics)
        s = a.summary().iloc[0]
        rows.append((x, s["npv_gbp"], s["npv_gbp_lower"], s["npv_gbp_upper"]))
        cache[x] = float(s["npv_gbp"])
        return cache[x]

    f_lo, f_hi = npv(lo), npv(hi)
    value: float | None = None
    note = ""
    if f_lo == 0:
        value = lo
    elif f_hi == 0:
        value = hi
    elif np.sign(f_lo) == np.sign(f_hi):
        word = "positive" if f_lo > 0 else "negative"
        note = (f"NPV is {word} across the whole range ({parameter} {significant(lo)}: {money(f_lo)}; "
                f"{significant(hi)}: {money(f_hi)}); no break-even within it")
    elif integer:
        value = float(integer_root(npv, int(math.ceil(lo)), int(math.floor(hi))))
    else:
        value = float(brentq(npv, lo, hi, xtol=xtol or (hi - lo) / 1000.0, maxiter=60))
    evaluations = pd.DataFrame(sorted(rows), columns=["value", "npv_gbp", "npv_gbp_lower", "npv_gbp_upper"])
    return BreakEven(label, parameter, (lo, hi), value, note, engine, replications, seed, evaluations)
