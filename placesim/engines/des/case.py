"""A person's visit to a service (:class:`Case`), a compiled referral rule (:class:`Route`) and
what a node is built with (:class:`NodeContext`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import simpy

from ...plan import NEIGHBOURHOOD_TEAM, Clock, Rule
from .events import Schedule
from .recorder import Recorder
from .streams import Streams

if TYPE_CHECKING:  # pragma: no cover
    from .node import ServiceNode
    from .population import Population, Resident

PENDING, ASSESSING, QUEUED, IN_SERVICE, DONE = range(5)
NO_TIMER, PATIENT, OUT_OF_PATIENCE = range(3)


@dataclass
class NodeContext:
    """What a node of one replication is built with."""

    env: simpy.Environment
    rec: Recorder
    pop: Population
    streams: Streams
    clock: Clock
    trace: list | None
    schedule: Schedule  # how wake-ups are scheduled (the replication's calendar queue)


class Case:
    """One person's visit to one service (a resident, or a background arrival if ``res`` is None)."""

    __slots__ = ("res", "level", "t_arr", "t_sys", "state", "hold", "emask", "supm", "eff", "waiting_timer", "done",
                 "seq_no", "shared")

    def __init__(self, res: Resident | None, level: int, t_sys: float, hold: int = -1, emask: int = 0):
        self.res = res
        self.level = level      # level of need (for eligibility and severity queues)
        self.t_arr = t_sys      # arrival at this service
        self.t_sys = t_sys      # arrival in the service network
        self.state = PENDING
        self.hold = hold        # domain whose crisis holds the resident until this visit ends (-1: none)
        self.emask = emask      # engaged domains (bit mask): no help-seeking in them during the visit
        self.supm = 0           # supported domains (bit mask)
        self.eff = -1           # support effect id (HazardTables.effect_id), -1 while not supported
        self.waiting_timer = NO_TIMER
        self.done = 0           # domains an INT already supported in this chain of episodes (no huddle)
        self.seq_no = 0         # arrival number at a service that closes for good (to end cases in order)
        self.shared = False     # sent on by an INT team: its shared record comes with them


class Route:
    """A referral rule compiled against the replication's nodes."""

    __slots__ = ("delay", "domain", "loss", "min_level", "probability", "target")

    def __init__(self, rule: Rule, nodes: list[ServiceNode]):
        # None: to the resident's neighbourhood team, once it has opened
        self.target = None if rule.target == NEIGHBOURHOOD_TEAM else nodes[rule.target]
        self.probability = rule.probability
        self.domain = rule.domain        # condition: this domain (-1: none) ...
        self.min_level = rule.min_level  # ... at or above this level
        self.loss = rule.loss
        self.delay = rule.delay
