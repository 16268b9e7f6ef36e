"""The SD builder: every stock and flow of a plan (see :mod:`.core` for how they are kept)."""

from __future__ import annotations

from .core import REACH_COUNTERS, RESIDENT_COUNTERS, SERVICE_COUNTERS
from .phases import PhaseFlows


class Builder(PhaseFlows):
    """Builds the cells, edges and factors of a plan (constructed as :class:`~.core.BuilderCore`):
    the core's stocks, then the flows of residents (:mod:`.residents`), then those of people
    at services (:mod:`.phases`)."""

    def build(self) -> Builder:
        """Add every stock, counter and flow of the plan; returns the builder."""
        c = self.c
        for n in self.nodes:
            for name in SERVICE_COUNTERS:
                self.counter(name, n.index)
        for g in range(self.G):
            for name in RESIDENT_COUNTERS + (REACH_COUNTERS if self.reach else ()):
                self.counter(name, g)
        for g in range(self.G):
            for d in range(self.D):
                for st in self.statuses(g, d):
                    for k in range(self.doms[d].levels):
                        c.cell(("R", g, d, st, k))
                c.cell(("I", g, d))
        for n in self.nodes:
            for g in range(self.G):
                if n.domains and n.serves(self.groups[g]):
                    w = self.weight(g)
                    for ph in n.phases:
                        for k in range(self.doms[n.domains[0]].levels):
                            self.service_cell(n.index, self.R(g, n.domains[0], (n.index, ph), k), w, ph)
        for g in range(self.G):
            for d in range(self.D):
                self.resident_edges(g, d)
        for n in self.nodes:
            for g in range(self.G):
                if n.domains and n.serves(self.groups[g]):
                    self.resident_service_edges(g, n.index)
            if n.arrivals_level >= 0:
                for ph, q in self.entry_split(n.index):
                    dst = self.bg_cell(n.index, ph, n.arrivals_level)
                    self.edge(self.one, dst, q, c.factor(("sched", n.index)), sub=0,
                              counters=self.arrival_counters(n.index, ph, q, False))
        while self.pending:
            key = self.pending.pop()
            if key[0] == "C":
                self.count_only_edges(*key[1:])
            else:
                self.background_edges(*key[1:])
        self.add_resident_counters()
        return self
