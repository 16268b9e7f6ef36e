"""Reporting bins that outputs stream into as the run goes.

Counters are flat Python lists (faster to increment one item of than numpy arrays) with
one extra bin at the end: during the warm-up the current offset points at that scratch
bin, so recording never has to ask whether the warm-up is over, and the scratch bin is
dropped at the end. A bin-edge event (scheduled ahead of everything else at the same
instant) flushes time integrals, takes end-of-bin snapshots and moves the offsets on.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Callable

import numpy as np
import simpy
from simpy.core import URGENT

if TYPE_CHECKING:  # pragma: no cover
    from .nodes import ServiceNode

SERVICE_COUNTS = (
    "arrivals", "assessments", "turned_away", "started", "completed", "abandoned",
    "referrals", "referrals_received", "handoffs_lost", "exits",
    "outreach_contacts", "false_positive_contacts", "case_found",
)
SERVICE_SUMS = ("wait_days_sum", "sojourn_days_sum", "system_days_sum", "busy_server_days", "queue_days", "cost_gbp")
GROUP_COUNTS = ("crises", "help_seeking")  # by neighbourhood x cohort x domain
NEIGHBOURHOOD_COUNTS = ("journeys", "journey_assessments", "journey_handoffs", "journey_days_sum")


class Recorder:
    """Binned accumulators of one replication.

    Parameters
    ----------
    env
        The SimPy environment.
    warmup, horizon, every
        Warm-up length, reported length and bin width, in days.
    n_services, n_groups, n_neighbourhoods
        Sizes of the service, neighbourhood x cohort x domain, and neighbourhood axes.
    """

    def __init__(self, env: simpy.Environment, warmup: float, horizon: float, every: float,
                 n_services: int, n_groups: int, n_neighbourhoods: int):
        self.env = env
        self.warmup = warmup
        self.horizon = horizon
        self.every = every
        self.n_bins = int(math.ceil(horizon / every - 1e-9))
        self.S, self.G, self.N = n_services, n_groups, n_neighbourhoods
        nb = self.n_bins + 1
        for name in SERVICE_COUNTS + SERVICE_SUMS:
            setattr(self, name, [0] * (nb * self.S) if name in SERVICE_COUNTS else [0.0] * (nb * self.S))
        for name in GROUP_COUNTS:
            setattr(self, name, [0] * (nb * self.G))
        for name in NEIGHBOURHOOD_COUNTS:
            setattr(self, name, [0.0 if name.endswith("_sum") else 0] * (nb * self.N))
        self.bin = self.n_bins  # scratch bin during warm-up
        self.off = self.n_bins * self.S
        self.goff = self.n_bins * self.G
        self.noff = self.n_bins * self.N
        self.nodes: list[ServiceNode] = []
        self.level_snapshot: Callable[[], list[int]] | None = None
        self.in_system = np.zeros((self.n_bins, self.S), dtype=np.int64)
        self.in_system_start = np.zeros(self.S, dtype=np.int64)
        self.residents: np.ndarray | None = None

    def start(self) -> None:
        """Schedule the bin edges: the end of the warm-up and every bin boundary after it."""
        for k in range(self.n_bins):
            ev = simpy.Event(self.env)
            ev._ok = True
            ev._value = k
            ev.callbacks.append(self._edge)
            self.env.schedule(ev, URGENT, self.warmup + k * self.every)

    def _flush(self) -> None:
        now = self.env.now
        for node in self.nodes:
            node.integrate(now)

    def _snapshot(self, b: int) -> None:
        for node in self.nodes:
            self.in_system[b, node.index] = node.in_system
        if self.level_snapshot is not None and self.residents is not None:
            self.residents[b] = self.level_snapshot()

    def _edge(self, event: simpy.Event) -> None:
        k = event._value
        self._flush()
        if k == 0:
            for node in self.nodes:
                self.in_system_start[node.index] = node.in_system
        else:
            self._snapshot(k - 1)
        self._move_to(k)

    def _move_to(self, b: int) -> None:
        self.bin = b
        self.off = b * self.S
        self.goff = b * self.G
        self.noff = b * self.N

    def finish(self) -> None:
        """Flush the last bin at the end of the run and take its snapshot."""
        self._flush()
        self._snapshot(self.n_bins - 1)

    def bin_of(self, t: float) -> int:
        """Bin index of clock time ``t`` (-1 during the warm-up)."""
        if t < self.warmup:
            return -1
        return min(int((t - self.warmup) / self.every), self.n_bins - 1)

    def spread_daily(self, series: list[float], s: int, start: float, daily: float) -> None:
        """Add ``daily`` per day from clock time ``start`` to the end into ``series`` for service ``s``."""
        end = self.warmup + self.horizon
        for b in range(self.n_bins):
            lo = self.warmup + b * self.every
            hi = min(lo + self.every, end)
            overlap = hi - max(lo, start)
            if overlap > 0:
                series[b * self.S + s] += overlap * daily

    def array(self, name: str, shape_tail: tuple[int, ...]) -> np.ndarray:
        """A counter without its scratch bin, shaped ``(n_bins, *shape_tail)``."""
        data = getattr(self, name)
        width = int(np.prod(shape_tail)) if shape_tail else 1
        return np.asarray(data[: self.n_bins * width], dtype=float).reshape((self.n_bins,) + shape_tail)
