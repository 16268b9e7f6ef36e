"""Routing people onward from a node: one draw over its referral rules, a referral lost or
delivered (a mixin of :class:`~placesim.engines.des.node.ServiceNode`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from simpy.core import NORMAL

from .case import Case, Route
from .events import Wake

if TYPE_CHECKING:  # pragma: no cover
    from .node import ServiceNode
    from .population import Population
    from .recorder import Recorder


class Routing:
    """Referrals from a node to the next front door."""

    if TYPE_CHECKING:  # what the node it is mixed into has
        index: int
        pop: Population
        rec: Recorder
        trace: list | None
        u: Iterator[float]
        schedule: Callable[..., None]

        def _log(self, event: str, case: Case, level: int | None = None, domain: int = -1,
                 target: int = -1) -> None: ...

        def _leave(self, case: Case, exits: bool) -> None: ...

    def _route(self, case: Case, rules: list[Route]) -> None:
        """One draw over the referral rules that apply to this person; else they leave.

        The draw is made only if some rule applies, so that a rule that cannot apply (e.g. to
        a team that has not opened, or for a domain not in need) changes nobody's random
        numbers: scenarios that differ only in such rules stay in step (common random numbers).
        """
        if rules:
            res = case.res
            u = -1.0
            acc = 0.0
            for rule in rules:
                if rule.domain >= 0 and (res is None or (res.code >> (2 * rule.domain)) & 3 < rule.min_level):
                    continue
                target = rule.target
                if target is None:  # to the resident's neighbourhood team, once it has opened
                    target = self.pop.active_team(res) if res is not None else None
                    if target is None:
                        continue
                if u < 0.0:
                    u = next(self.u) if res is None else self.pop.care(res)
                acc += rule.probability
                if u < acc:
                    self._refer(case, target, rule.loss, rule.delay, rule.domain)
                    return
        self._leave(case, True)

    def _refer(self, case: Case, target: ServiceNode, loss: float, delay: float, dom: int = -1) -> None:
        rec = self.rec
        o = rec.off + self.index
        rec.referrals[o] += 1
        res = case.res
        if res is not None:
            res.j_hand += 1
            rec.resident_handoffs[rec.roff + res.rg] += 1
        if loss > 0.0 and (next(self.u) if res is None else self.pop.care(res)) < loss:
            rec.handoffs_lost[o] += 1
            if self.trace is not None:
                self._log("lost", case, domain=dom, target=target.index)
            self._leave(case, True)
            return
        if self.trace is not None:
            self._log("refer", case, domain=dom, target=target.index)
        onward = Case(res, case.level if res is None else 0, case.t_sys, hold=case.hold,
                      emask=(1 << dom) if dom >= 0 else 0)
        case.hold = -1
        self._leave(case, False)
        # Arrival is its own event, even without a delay, so that a chain of instant
        # referrals (signposting from door to door) does not recurse.
        self.schedule(Wake(onward, target._on_receive), NORMAL, delay)
