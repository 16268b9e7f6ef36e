"""Background demand at services nothing waits for, counted without events.

At a service with unlimited places, always open, open for the whole run, with no threshold
that turns its background arrivals away, no referral that takes them on and none that
brings it other services' background cases, a background arrival meets nobody: it is
assessed, starts at once, and leaves when its support ends. Such cases add up independently
(an M/G/infinity queue), so the DES computes them in arrays after the run instead of as
SimPy events. It takes the very draws the events would take, in the same order (the gaps
from the service's ``arrivals`` stream, the thinning uniforms from ``arrivals-thinning``,
the durations from its ``duration`` stream, each in blocks as :mod:`.streams` deals them),
so the counts are the event path's exactly and common random numbers hold between a
scenario where a service qualifies and one where it does not. The borough's whole A&E,
ambulance and police demand (hundreds of thousands of arrivals a year) then costs a second
rather than doubling a replication. A traced run keeps the events (each arrival appears in
the trace).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence

import numpy as np

from ...plan import Clock, Schedule, ServicePlan
from .streams import BLOCK, Streams

CHUNK = 65536
"""Arrivals are drawn this many at a time (bounded memory on long runs)."""


def referred_background_targets(services: Sequence[ServicePlan]) -> set[int]:
    """Services that other services' background cases can be referred to (a rule with no
    domain condition): their own background cannot be counted apart."""
    return {r.target for sp in services for r in (*sp.rules_done, *sp.rules_away) if r.domain < 0}


def counts_only(plan: ServicePlan, always_open: bool, referred: set[int] | frozenset[int] = frozenset()) -> bool:
    """Whether a service's background arrivals can be counted without events (see the module)."""
    bg = plan.background
    return (bg is not None and math.isinf(plan.capacity) and plan.capacity_at is None and always_open
            and plan.active_from <= 0.0 and math.isinf(plan.active_until) and plan.pressure is None
            and bg.level >= plan.min_level and plan.index not in referred
            and all(r.domain >= 0 for r in plan.rules_done) and all(r.domain >= 0 for r in plan.rules_away))


class _Draws:
    """A stream's draws as arrays, in the order :meth:`Streams.iterator` would give them."""

    def __init__(self, draw: Callable[[int], np.ndarray]):
        self.draw = draw
        self.buffer = np.empty(0)

    def take(self, n: int) -> np.ndarray:
        while self.buffer.size < n:
            self.buffer = np.concatenate([self.buffer, np.asarray(self.draw(BLOCK), dtype=float)])
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out


def _schedule_at(rate: Schedule, days: np.ndarray) -> np.ndarray:
    """:meth:`Schedule.at` for many days at once (the same arithmetic)."""
    if rate.period is not None:
        days = np.fmod(days, rate.period)
        days = np.where(days < 0, days + rate.period, days)
    i = np.maximum(np.searchsorted(np.asarray(rate.days), days, side="right") - 1, 0)
    return np.asarray(rate.values)[i]


def _arrivals(plan: ServicePlan, clock: Clock, streams: Streams) -> Iterator[np.ndarray]:
    """Arrival times before the end of the run, chunk by chunk, as the event path makes them:
    exponential gaps at the rate (or at the peak, each kept with probability rate / peak),
    each time the previous plus the gap, in floating point as SimPy adds them."""
    rate = plan.background.rate  # type: ignore[union-attr]
    constant = rate.is_constant and rate.period is None
    speed = rate.values[0] if constant else rate.peak
    if speed <= 0:
        return
    gaps = _Draws(streams.generator("arrivals", plan.name).standard_exponential)
    accept = None if constant else _Draws(streams.generator("arrivals-thinning", plan.name).random)
    last = 0.0
    while last < clock.end:
        t = np.cumsum(np.concatenate([[last], gaps.take(CHUNK) / speed]))[1:]
        last = float(t[-1])
        if accept is not None:
            u = accept.take(t.size)
            t = t[u * speed < _schedule_at(rate, t - clock.warmup)]
        yield t[t < clock.end]


def add_background_counts(out: dict[str, np.ndarray], plan: ServicePlan, clock: Clock, streams: Streams) -> None:
    """Add a service's background cases to the run's counters, in place.

    Parameters
    ----------
    out
        The replication's arrays (``(bin, service)`` counters, ``in_system`` snapshots at bin
        ends, ``in_system_start`` at the end of the warm-up), before costs are derived.
    plan
        The service (one for which :func:`counts_only` holds).
    clock
        Warm-up, bins and end of the run.
    streams
        The replication's streams (the service's own arrival, thinning and duration streams).
    """
    s = plan.index
    edges = np.append(clock.bin_starts(), clock.end)
    n_bins = clock.n_bins
    assess = plan.assess_days
    durations = _Draws(plan.duration.block_sampler(streams.generator("duration", plan.name)))
    counts = {name: np.zeros(n_bins) for name in ("arrivals", "started", "completed", "busy_server_days",
                                                 "sojourn_days_sum")}
    at_edges = np.zeros(n_bins + 1)  # in the service at each bin edge (the first is the warm-up's end)

    def binned(name: str, times: np.ndarray, weights: np.ndarray | None = None) -> None:
        inside = (times >= clock.warmup) & (times < clock.end)
        b = np.minimum(((times[inside] - clock.warmup) // clock.every).astype(np.int64), n_bins - 1)
        counts[name] += np.bincount(b, None if weights is None else weights[inside], minlength=n_bins)

    for t in _arrivals(plan, clock, streams):
        if t.size == 0:
            continue
        begin = t + assess if assess > 0.0 else t
        end = begin + durations.take(t.size)
        binned("arrivals", t)
        binned("started", begin)
        binned("completed", end)
        binned("sojourn_days_sum", end, end - t)
        # busy place-days in each bin: the overlap of [begin, end) with it
        cum = np.array([np.clip(np.minimum(x, end) - begin, 0.0, None).sum() for x in edges])
        counts["busy_server_days"] += np.diff(cum)
        # in the service at an edge: arrived before it (an edge comes first at its instant), not yet gone
        at_edges += np.array([np.count_nonzero((t < x) & (end >= x)) for x in edges])
    for name, values in counts.items():
        out[name][:, s] += values
    out["assessments"][:, s] += counts["arrivals"]
    out["exits"][:, s] += counts["completed"]
    out["system_days_sum"][:, s] += counts["sojourn_days_sum"]
    out["in_system"][:, s] += at_edges[1:]
    out["in_system_start"][s] += at_edges[0]
