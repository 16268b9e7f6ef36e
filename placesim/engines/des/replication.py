"""One replication of the DES: build it from a plan, run it, return its binned arrays."""

from __future__ import annotations

import gc
from collections.abc import Mapping
from typing import Protocol

import numpy as np
import simpy

from ...plan import Plan, ServicePlan, derived_outputs
from .background_counts import add_background_counts, counts_only, referred_background_targets
from .calqueue import CalendarQueue, width_for
from .contacts import RepeatContacts
from .events import scheduler
from .hazards import HazardTables
from .node import NodeContext, ServiceNode
from .population import Population
from .recorder import Recorder
from .sources import background_arrivals
from .streams import Streams


class NodeFactory(Protocol):
    """What the DES needs of a kind of service: a node class built from its plan."""

    def __call__(self, plan: ServicePlan, ctx: NodeContext) -> ServiceNode: ...


class DesReplication:
    """One replication: the SimPy environment, population and nodes of a plan.

    Parameters
    ----------
    plan
        The compiled scenario.
    seed
        The run's seed.
    replication
        Replication index (selects the random streams).
    node_classes
        The DES node class of each kind of service in the plan (see :mod:`placesim.kinds`).
    trace
        Keep an event log (slower; for checking and teaching).
    """

    def __init__(self, plan: Plan, seed: int, replication: int, node_classes: Mapping[str, NodeFactory],
                 trace: bool = False):
        self.plan = plan
        clock = plan.clock
        self.clock = clock
        self.env = env = simpy.Environment()
        # the engine's wake-ups wait in a calendar queue's day buckets where there are residents,
        # whose clocks are mostly due far ahead (a queueing model's are not: SimPy's heap alone)
        self.calendar: CalendarQueue | None = None
        if plan.n_residents:
            self.calendar = CalendarQueue(env, clock.end, width_for(plan.n_residents, clock.end))
        schedule = self.calendar.schedule if self.calendar is not None else scheduler(env)
        self.streams = streams = Streams(seed, replication)
        self.trace: list | None = [] if trace else None
        N, C, D = plan.n_neighbourhoods, plan.n_cohorts, plan.n_domains
        self.rec = rec = Recorder(env, clock, len(plan.services), N * C * D, N, C)
        self.tables = tables = HazardTables([c.hazards for c in plan.cohorts], plan.coupling, D)
        self.pop = pop = Population(env, rec, streams, tables, plan, self.trace, schedule)
        pop.end = clock.end
        if D:
            rec.residents = np.zeros((rec.n_bins, N * C * D * 4), dtype=np.int64)
            rec.level_snapshot = pop.level_snapshot
            rec.integrate_residents = pop.integrate_need

        ctx = NodeContext(env, rec, pop, streams, clock, self.trace, schedule)
        missing = [k for k in plan.kinds() if k not in node_classes]
        if missing:
            raise KeyError(f"no DES node class for kind(s) {', '.join(missing)}")
        self.nodes: list[ServiceNode] = [node_classes[sp.kind](sp, ctx) for sp in plan.services]
        for node in self.nodes:
            node.connect(self.nodes)
        for dom in plan.domains:
            if dom.front_door >= 0:
                pop.front_door[dom.index] = self.nodes[dom.front_door]
            pop.crisis[dom.index] = [(self.nodes[s], p, self._repeats(dom.index, i, s)) for i, (s, p)
                                     in enumerate(dom.crisis_responses)]
            pop.stay_in_crisis[dom.index] = dom.stay_in_crisis
        rec.nodes = self.nodes

        # processes (bin edges first: at a shared instant they come before anything else)
        rec.start()
        # background demand: counted after the run where nothing can wait for it, else as events
        self.counted: list[ServicePlan] = []
        referred = referred_background_targets(plan.services)
        for node in self.nodes:
            if node.plan.background is None:
                continue
            if self.trace is None and counts_only(node.plan, node.always_open, referred):
                self.counted.append(node.plan)
            else:
                env.process(background_arrivals(env, node, node.plan.background, streams, clock.warmup))
        for node in self.nodes:
            node.start_processes()
        pop.start()

    def _repeats(self, d: int, i: int, s: int) -> RepeatContacts | None:
        """The repeat contacts of domain ``d``'s crisis response ``i`` (at service ``s``), if it has any."""
        contacts = self.plan.domains[d].contacts_of(i)
        if contacts is None:
            return None
        key = f"{self.plan.domains[d].name}/{self.plan.services[s].name}"
        return RepeatContacts(self.nodes[s], d, contacts, self.streams, key, self.pop)

    def run(self) -> dict[str, np.ndarray]:
        """Run to the end of the horizon; return the binned arrays (warm-up dropped)."""
        self.env.run(until=self.clock.end)
        rec = self.rec
        rec.finish()
        out = rec.arrays(self.plan)
        for sp in self.counted:
            add_background_counts(out, sp, self.clock, self.streams)
        out.update(derived_outputs(self.plan.services, self.clock, out))
        return out


def run_replication(plan: Plan, seed: int, replication: int, node_classes: Mapping[str, NodeFactory],
                    trace: bool = False) -> tuple[dict[str, np.ndarray], list | None]:
    """Run one replication; returns its arrays and, if asked, its event trace.

    The cyclic garbage collector is paused while the replication runs: the engine makes
    no reference cycles in its per-event path, and scanning tens of thousands of resident
    objects on every collection costs up to a fifth of the run time.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        rep = DesReplication(plan, seed, replication, node_classes, trace)
        out = rep.run()
        return out, rep.trace
    finally:
        if was_enabled:
            gc.enable()
