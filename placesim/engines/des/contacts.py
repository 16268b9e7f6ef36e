"""Repeat contacts of crisis episodes (``crisis.responses[].contacts``).

A crisis that draws on a response whose episodes make more than one contact on average
makes its first contact at once (:meth:`ServiceNode.arrive_crisis`, which alone may hold the
resident in crisis) and ``R`` repeat contacts, ``R`` drawn from the response's count
distribution (negative binomial or Poisson), each at an independent uniform time over
``over_days`` after the first. A repeat contact is a further crisis arrival of the resident
at the service (:meth:`ServiceNode.arrive_repeat`), assessed, supported and costed like any.

The counts and the times come from two streams of the response's own (purposes
:data:`~.streams.CRISIS_CONTACTS` and :data:`~.streams.CRISIS_CONTACT_DAYS`, keyed
``domain/service``): a response without repeats has no such object and draws nothing, and
one with them leaves every other stream -- a resident's care stream included -- as it was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simpy.core import NORMAL

from .events import Wake
from .streams import CRISIS_CONTACT_DAYS, CRISIS_CONTACTS, Streams

if TYPE_CHECKING:  # pragma: no cover
    from ...scenario.model import CrisisContacts
    from .node import ServiceNode
    from .population import Population, Resident


class RepeatContacts:
    """The repeat contacts of one crisis response (domain ``d``, service ``node``).

    Parameters
    ----------
    node
        The crisis service.
    d
        The domain whose crises draw on it.
    contacts
        Its contacts per episode (a mean above 1).
    streams, key
        The replication's streams and the response's key (``"domain/service"``).
    pop
        The population (to refresh a resident after a repeat contact).
    """

    __slots__ = ("node", "d", "counts", "days", "over", "pop", "schedule", "_on_arrive")

    def __init__(self, node: ServiceNode, d: int, contacts: CrisisContacts, streams: Streams, key: str,
                 pop: Population):
        self.node = node
        self.d = d
        self.counts = streams.iterator(CRISIS_CONTACTS, key, contacts.repeats_sampler)  # repeats per episode
        self.days = streams.iterator(CRISIS_CONTACT_DAYS, key)                         # uniforms for their times
        self.over = float(contacts.over_days)
        self.pop = pop
        self.schedule = pop.schedule
        self._on_arrive = (self._arrive,)

    def after_first(self, r: Resident) -> None:
        """The episode's first contact has been made: draw its repeats and schedule them."""
        n = int(next(self.counts))
        if n:
            days, over, schedule, cb = self.days, self.over, self.schedule, self._on_arrive
            for _ in range(n):
                schedule(Wake(r, cb), NORMAL, over * next(days))

    def _arrive(self, ev: Wake) -> None:
        r = ev._value
        self.node.arrive_repeat(r, self.d)
        self.pop.refresh(r)


def top_decile_share(counts: list[int]) -> float:
    """Share of the contacts made by the tenth of attenders with the most (the top ``ceil(n/10)``
    of ``n``); 0 without attenders (no contacts, none made by anyone: NaN is kept for an
    engine that does not fill a variable)."""
    if not counts:
        return 0.0
    ranked = sorted(counts, reverse=True)
    return sum(ranked[: -(-len(ranked) // 10)]) / sum(ranked)
