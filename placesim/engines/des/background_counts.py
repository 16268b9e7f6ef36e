"""Background demand at services nothing waits for, counted without events.

At a service with unlimited places, always open, open for the whole run, with no threshold
that turns its background arrivals away and no referral that takes them on, a background
arrival meets nobody: it is assessed, starts at once, and leaves when its support ends. Such
cases add up independently (an M/G/infinity queue), so the DES draws them in arrays after
the run instead of as SimPy events: the same model, the same distribution of every counter,
a fraction of the time. The borough's whole A&E, ambulance and police demand (hundreds of
thousands of arrivals a year) then costs milliseconds rather than doubling a replication.

A traced run keeps the events (each arrival appears in the trace), so its draws differ from
an untraced run's at these services only; no resident's path depends on them.
"""

from __future__ import annotations

import math

import numpy as np

from ...plan import Clock, ServicePlan

CHUNK_DAYS = 365.0
"""Arrivals are drawn a year at a time (bounded memory on long runs)."""


def counts_only(plan: ServicePlan, always_open: bool) -> bool:
    """Whether a service's background arrivals can be counted without events (see the module)."""
    bg = plan.background
    return (bg is not None and math.isinf(plan.capacity) and plan.capacity_at is None and always_open
            and plan.active_from <= 0.0 and math.isinf(plan.active_until) and plan.pressure is None
            and bg.level >= plan.min_level
            and all(r.domain >= 0 for r in plan.rules_done) and all(r.domain >= 0 for r in plan.rules_away))


def _arrival_times(plan: ServicePlan, clock: Clock, rng: np.random.Generator, start: float, stop: float) -> np.ndarray:
    """Poisson arrival times in [start, stop): at the peak rate, thinned to the schedule's."""
    rate = plan.background.rate  # type: ignore[union-attr]
    peak = rate.peak
    if peak <= 0:
        return np.empty(0)
    n = rng.poisson(peak * (stop - start))
    t = np.sort(rng.uniform(start, stop, n))
    if not rate.is_constant:
        keep = rng.uniform(0.0, peak, n) < np.array([rate.at(x - clock.warmup) for x in t])
        t = t[keep]
    return t


def add_background_counts(out: dict[str, np.ndarray], plan: ServicePlan, clock: Clock,
                          rng: np.random.Generator) -> None:
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
    rng
        The service's own stream of background draws.
    """
    s = plan.index
    edges = np.append(clock.bin_starts(), clock.end)
    n_bins = clock.n_bins
    assess = plan.assess_days
    sampler = plan.duration.block_sampler(rng)
    counts = {name: np.zeros(n_bins) for name in ("arrivals", "started", "completed", "busy_server_days",
                                                 "sojourn_days_sum")}
    at_edges = np.zeros(n_bins + 1)  # in the service at each bin edge (the first is the warm-up's end)

    def binned(name: str, times: np.ndarray, weights: np.ndarray | None = None) -> None:
        inside = (times >= clock.warmup) & (times < clock.end)
        b = np.minimum(((times[inside] - clock.warmup) // clock.every).astype(np.int64), n_bins - 1)
        counts[name] += np.bincount(b, None if weights is None else weights[inside], minlength=n_bins)

    start = 0.0
    while start < clock.end:
        stop = min(start + CHUNK_DAYS, clock.end)
        t = _arrival_times(plan, clock, rng, start, stop)
        start = stop
        if t.size == 0:
            continue
        begin = t + assess
        dur = np.asarray(sampler(t.size), dtype=float)
        end = begin + dur
        binned("arrivals", t)
        binned("started", begin)
        binned("completed", end)
        binned("sojourn_days_sum", end, end - t)
        # busy place-days in each bin: the overlap of [begin, end) with it
        cum = np.array([np.clip(np.minimum(x, end) - begin, 0.0, None).sum() for x in edges])
        counts["busy_server_days"] += np.diff(cum)
        at_edges += np.array([np.count_nonzero((t < x) & (end > x)) for x in edges])
    for name, values in counts.items():
        out[name][:, s] += values
    out["assessments"][:, s] += counts["arrivals"]
    out["exits"][:, s] += counts["completed"]
    out["system_days_sum"][:, s] += counts["sojourn_days_sum"]
    out["in_system"][:, s] += at_edges[1:]
    out["in_system_start"][s] += at_edges[0]
