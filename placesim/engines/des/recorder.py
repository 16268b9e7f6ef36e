"""Reporting bins that outputs stream into as the run goes.

Counters are flat Python lists (faster to increment one item of than numpy arrays), one
per counter the DES accumulates (see :mod:`placesim.plan.counters`), with one extra bin at
the end: during the warm-up the current offset points at that scratch bin, so recording
never has to ask whether the warm-up is over, and the scratch bin is dropped at the end.
A bin-edge event (scheduled ahead of everything else at the same instant) flushes time
integrals, takes end-of-bin snapshots and moves the offsets on.

A node increments ``rec.<counter>[rec.off + service index]``; the population
``rec.<counter>[rec.goff + group offset + domain]``, ``rec.<counter>[rec.noff + neighbourhood]``
and ``rec.<counter>[rec.roff + neighbourhood x n_cohorts + cohort]``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import simpy
from simpy.core import URGENT

from ...plan import Clock, Plan
from ...plan.counters import accumulated
from .contacts import top_decile_share

if TYPE_CHECKING:  # pragma: no cover
    from .node import ServiceNode

SERVICE_COUNTERS = accumulated("service", "des")
GROUP_COUNTERS = accumulated("group", "des")
NEIGHBOURHOOD_COUNTERS = accumulated("neighbourhood", "des")
RESIDENT_COUNTERS = accumulated("resident", "des")


class Recorder:
    """Binned accumulators of one replication.

    Parameters
    ----------
    env
        The SimPy environment.
    clock
        Warm-up, horizon and bins.
    n_services, n_groups, n_neighbourhoods, n_cohorts
        Sizes of the service, neighbourhood x cohort x domain, neighbourhood and cohort axes.
    """

    if TYPE_CHECKING:  # the counters are set by name in __init__ (a real __getattr__ would slow every access)
        def __getattr__(self, name: str) -> Any: ...

    def __init__(self, env: simpy.Environment, clock: Clock, n_services: int, n_groups: int, n_neighbourhoods: int,
                 n_cohorts: int):
        self.env = env
        self.clock = clock
        self.warmup = clock.warmup
        self.every = clock.every
        self.n_bins = clock.n_bins
        self.S, self.G, self.N = n_services, n_groups, n_neighbourhoods
        self.R = n_neighbourhoods * n_cohorts
        nb = self.n_bins + 1
        for counters, width in ((SERVICE_COUNTERS, self.S), (GROUP_COUNTERS, self.G),
                                (NEIGHBOURHOOD_COUNTERS, self.N), (RESIDENT_COUNTERS, self.R)):
            for c in counters:
                setattr(self, c.name, [0 if c.how == "count" else 0.0] * (nb * width))
        self.bin = self.n_bins  # scratch bin during warm-up
        self.off = self.n_bins * self.S   # offset of the current bin in service counters
        self.goff = self.n_bins * self.G  # ... in group counters
        self.noff = self.n_bins * self.N  # ... in neighbourhood counters
        self.roff = self.n_bins * self.R  # ... in resident (neighbourhood x cohort) counters
        self.nodes: list[ServiceNode] = []
        self.level_snapshot: Callable[[], list[int]] | None = None
        self.integrate_residents: Callable[[float], None] | None = None
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
        if self.integrate_residents is not None:
            self.integrate_residents(now)

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
        self.roff = b * self.R

    def finish(self) -> None:
        """Flush the last bin at the end of the run and take its snapshot."""
        self._flush()
        self._snapshot(self.n_bins - 1)

    def array(self, name: str, shape_tail: tuple[int, ...]) -> np.ndarray:
        """A counter without its scratch bin, shaped ``(n_bins, *shape_tail)``."""
        data = getattr(self, name)
        width = int(np.prod(shape_tail)) if shape_tail else 1
        return np.asarray(data[: self.n_bins * width], dtype=float).reshape((self.n_bins,) + shape_tail)

    def arrays(self, plan: Plan) -> dict[str, np.ndarray]:
        """Every counter and stock of the run, shaped as the results' variables (no replication axis)."""
        N, C, D, S = plan.n_neighbourhoods, plan.n_cohorts, plan.n_domains, self.S
        out: dict[str, np.ndarray] = {}
        for c in SERVICE_COUNTERS:
            out[c.name] = self.array(c.name, (S,))
        for c in GROUP_COUNTERS:
            out[c.name] = self.array(c.name, (N, C, D))
        for c in NEIGHBOURHOOD_COUNTERS:
            out[c.name] = self.array(c.name, (N,))
        for c in RESIDENT_COUNTERS:
            out[c.name] = self.array(c.name, (N, C))
        out["in_system"] = self.in_system.astype(float)
        out["in_system_start"] = self.in_system_start.astype(float)
        out["crisis_attenders"] = np.zeros(S)
        out["top_decile_contact_share"] = np.zeros(S)
        for node in self.nodes:
            counts = list(node.attenders.values())
            out["crisis_attenders"][node.index] = len(counts)
            out["top_decile_contact_share"][node.index] = top_decile_share(counts)
        if self.residents is not None:
            out["residents"] = self.residents.reshape(self.n_bins, N, C, D, 4).astype(float)
        else:
            out["residents"] = np.zeros((self.n_bins, N, C, D, 4))
        return out
