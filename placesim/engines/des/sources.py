"""Background demand: Poisson arrivals from outside the modelled cohorts."""

from __future__ import annotations

from collections.abc import Generator

import simpy

from ...plan import Background
from .node import ServiceNode
from .streams import Streams


def background_arrivals(env: simpy.Environment, node: ServiceNode, background: Background, streams: Streams,
                        warmup: float) -> Generator[simpy.Event, None, None]:
    """A SimPy process of Poisson arrivals at ``node``: at a constant rate, or thinned from
    the schedule's peak rate (each arrival kept with probability rate / peak)."""
    name = node.name
    gaps = streams.iterator("arrivals", name, lambda rng: (lambda n: rng.standard_exponential(n)))
    level = background.level
    schedule = background.rate
    if schedule.is_constant and schedule.period is None:
        rate = schedule.values[0]
        if rate <= 0:
            return
        while True:
            yield env.timeout(next(gaps) / rate)
            node.arrive_background(level)
    peak = schedule.peak
    if peak <= 0:
        return
    accept = streams.iterator("arrivals-thinning", name)
    while True:
        yield env.timeout(next(gaps) / peak)
        if next(accept) * peak < schedule.at(env.now - warmup):
            node.arrive_background(level)
