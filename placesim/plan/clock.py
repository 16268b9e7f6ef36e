"""Time in a plan: the run's clock, reporting bins, opening days and piecewise-constant schedules.

Clock times count days from the start of the warm-up; *days* (as scenario files write
them) count from the end of the warm-up, the first reported day.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from ..scenario.model import WEEKDAYS

DAYS_PER_YEAR = 365.25
"""Days in a year, for hazards and costs given per year."""
DAY_EPS = 1e-9
"""Tolerance of a clock time falling on a day boundary."""


def weekday_mask(days: Sequence[str] | None) -> tuple[bool, ...]:
    """Open (True) or closed on each weekday from Monday; ``None`` means every day."""
    if days is None:
        return (True,) * 7
    return tuple(d in days for d in WEEKDAYS)


@dataclass(frozen=True)
class Clock:
    """The run's warm-up, reported horizon and reporting bins.

    Attributes
    ----------
    warmup, horizon, every
        Warm-up, reported length and bin width, in days.
    n_bins
        Number of reporting bins (the last may be shorter).
    weekday0
        Weekday (0 = Monday) of the first reported day.
    """

    warmup: float
    horizon: float
    every: float
    n_bins: int
    weekday0: int

    @property
    def end(self) -> float:
        """Clock time the run stops at."""
        return self.warmup + self.horizon

    def bin_starts(self) -> np.ndarray:
        """Clock time each bin starts."""
        return self.warmup + np.arange(self.n_bins) * self.every

    def bin_ends(self) -> np.ndarray:
        """Clock time each bin ends (the last at the end of the run)."""
        return np.minimum(self.bin_starts() + self.every, self.end)

    def bin_of(self, t: float) -> int:
        """Bin of clock time ``t`` (-1 during the warm-up)."""
        if t < self.warmup:
            return -1
        return min(int((t - self.warmup) / self.every), self.n_bins - 1)

    def integrate(self, start: float, end: float = math.inf, scale: Schedule | None = None) -> np.ndarray:
        """Per bin, the days of it between clock times ``start`` and ``end``, each weighted by
        ``scale`` (a schedule over days from the end of the warm-up; None: 1)."""
        out = np.zeros(self.n_bins)
        changes = [] if scale is None else scale.changes(self.warmup, self.end)
        for b in range(self.n_bins):
            lo = self.warmup + b * self.every
            hi = min(lo + self.every, self.end)
            a, z = max(lo, start), min(hi, end)
            if z <= a:
                continue
            if scale is None:
                out[b] = z - a
                continue
            cuts = [a] + [t for t in changes if a < t < z] + [z]
            out[b] = sum((q - p) * scale.at(0.5 * (p + q) - self.warmup) for p, q in zip(cuts, cuts[1:]))
        return out


class Calendar:
    """Which clock times a node is open: from ``active_from`` until ``active_until``, on its open weekdays.

    Parameters
    ----------
    warmup
        Clock time of the first reported day (weekdays count from it).
    weekday0
        Weekday of the first reported day.
    open_days
        Open (True) on each weekday from Monday.
    active_from, active_until
        Clock times the node opens for the first time and closes for good.
    """

    def __init__(self, warmup: float, weekday0: int, open_days: tuple[bool, ...], active_from: float,
                 active_until: float = math.inf):
        self.warmup = warmup
        self.weekday0 = weekday0
        self.open_days = open_days
        self.active_from = active_from
        self.active_until = active_until
        self.always = all(open_days) and active_from <= 0.0 and math.isinf(active_until)

    def is_open(self, t: float) -> bool:
        """Whether the node is open at clock time ``t``."""
        if t < self.active_from or t >= self.active_until:
            return False
        day = math.floor(t - self.warmup + DAY_EPS)
        return self.open_days[(day + self.weekday0) % 7]

    def openings(self, now: float) -> Iterator[float]:
        """Clock times from ``now`` on at which the node opens (each open day, and ``active_from``)."""
        t = max(now, self.active_from)
        if self.is_open(t):
            yield t
        day = math.floor(t - self.warmup + DAY_EPS) + 1
        while self.warmup + day < self.active_until:
            if self.open_days[(day + self.weekday0) % 7]:
                yield self.warmup + day
            day += 1


@dataclass(frozen=True)
class Schedule:
    """A piecewise-constant value over days from the end of the warm-up.

    ``values[i]`` holds from ``days[i]`` (the first from the start of the warm-up), the
    whole pattern repeating every ``period`` days if given.
    """

    days: tuple[float, ...]
    values: tuple[float, ...]
    period: float | None = None

    @classmethod
    def constant(cls, value: float) -> Schedule:
        return cls((0.0,), (float(value),))

    @property
    def is_constant(self) -> bool:
        return len(self.values) == 1

    @property
    def peak(self) -> float:
        return max(self.values)

    def at(self, day: float) -> float:
        """The value at ``day`` (days from the end of the warm-up; negative in it)."""
        if self.period is not None:
            day = math.fmod(day, self.period)
            if day < 0:
                day += self.period
        i = max(bisect.bisect_right(self.days, day) - 1, 0)
        return self.values[i]

    def changes(self, warmup: float, end: float) -> list[float]:
        """Clock times in (0, end) where the value changes (a step to the same value is none)."""
        if self.period is None:
            times = [warmup + d for d in self.days if 0 < warmup + d < end]
        else:
            p = self.period
            k = math.floor(-warmup / p) - 1
            times = []
            while warmup + k * p < end:
                times += [warmup + k * p + d for d in self.days if 0 < warmup + k * p + d < end]
                k += 1
        out: list[float] = []
        before = 0.0
        for t in sorted(set(times)):
            # the value is constant between candidate times: compare with it halfway back
            if self.at(t - warmup) != self.at(0.5 * (before + t) - warmup):
                out.append(t)
            before = t
        return out
