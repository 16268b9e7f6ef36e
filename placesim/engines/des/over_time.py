"""A node over time: its places changing (posts filling, staff seconded away) and its closing
for good (a mixin of :class:`~placesim.engines.des.node.ServiceNode`)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import simpy

from ...plan import ServicePlan
from .case import ASSESSING, DONE, IN_SERVICE, PENDING, QUEUED, Case

if TYPE_CHECKING:  # pragma: no cover
    from .population import Population


class OverTime:
    """Processes that change a node's places and close it for good; hooks a kind may override."""

    if TYPE_CHECKING:  # what the node it is mixed into has
        env: simpy.Environment
        plan: ServicePlan
        pop: Population
        warmup: float
        capacity: float
        open_cases: set[Case] | None
        waiting: int
        queued: int
        assessing: int
        busy: int
        raised: bool

        def integrate(self, now: float) -> None: ...

        def _press(self, raised: bool) -> None: ...

        def _next(self) -> None: ...

        def _leave(self, case: Case, exits: bool) -> None: ...

    def _capacity_changes(self):
        env = self.env
        capacity_at = self.plan.capacity_at
        assert capacity_at is not None
        for t in capacity_at.changes(self.warmup, math.inf if math.isinf(self.plan.active_until) else
                                     self.plan.active_until):
            if t > env.now:
                yield env.timeout(t - env.now)
            self.integrate(env.now)
            self.capacity = capacity_at.at(env.now - self.warmup)
            self.on_capacity_change()
            self._next()

    def on_capacity_change(self) -> None:
        """Hook: the node's capacity has just changed (e.g. a team's posts filled)."""

    def _closing(self):
        yield self.env.timeout(self.plan.active_until - self.env.now)
        self.close()

    def close(self) -> None:
        """Close for good: every case still here ends now (see :meth:`_end_case`)."""
        now = self.env._now
        self.integrate(now)
        cases = sorted(self.open_cases or (), key=lambda c: c.seq_no)
        for case in cases:
            state = case.state
            if state == PENDING:
                self.waiting -= 1
            elif state == QUEUED:
                self.waiting -= 1
                self.queued -= 1
            elif state == ASSESSING:
                self.assessing -= 1
            elif state == IN_SERVICE:
                self.busy -= 1
                if case.res is not None and case.eff >= 0:  # support stops short: no completion effect
                    self.pop.support_end(case.res, case.eff, case.supm, 0.0, 0.0, self.plan.persistence)
            else:
                continue
            case.state = DONE
            self._end_case(case)
            if case.res is not None:
                self.pop.refresh(case.res)
        if self.raised:
            self._press(False)
        self.capacity = 0.0

    def _end_case(self, case: Case) -> None:
        """Hook: what happens to a case still here when the node closes for good (it leaves)."""
        self._leave(case, True)
