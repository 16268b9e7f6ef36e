"""What the SD engine needs of one service, and the hooks a kind of service overrides.

:class:`ServiceFlows` describes a siloed service to the builder: its phases (stocks of
people waiting for an open day, being assessed, queueing, supported), capacity, mean
times and routing. A kind of service subclasses it (see :mod:`placesim.kinds`) to change
which residents it serves, its phases, where a start goes, its routing on completion,
whether it intercepts help-seeking, and any flows of its own (e.g. case-finding).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from ...plan import Rule, ServicePlan
from .calendar import week_waits
from .rates import TAU_DECIDE

if TYPE_CHECKING:  # pragma: no cover
    from .builder import Builder
    from .core import Group

class ServiceFlows:
    """A service as the SD engine sees it (the siloed service; kinds subclass it).

    Parameters
    ----------
    plan
        The service's plan.
    """

    def __init__(self, plan: ServicePlan):
        self.plan = plan
        self.name = plan.name
        self.index = plan.index
        self.kind = plan.kind
        self.domains = list(plan.domains)
        self.capacity = plan.capacity                 # concurrent cases (inf: unlimited)
        self.waits = week_waits(plan.open_days, plan.assess_days)
        self.assess_days = plan.assess_days
        self.min_level = plan.min_level
        self.pressure = plan.pressure                 # (raised threshold, raise at, lower at) or None
        self.patience = plan.patience.mean if plan.patience is not None else None  # mean days; None: for ever
        self.duration = max(plan.mean_support_days, TAU_DECIDE)                   # mean days
        self.esc = plan.escalation_multiplier
        self.rec = plan.recovery_multiplier
        self.persistence = plan.persistence          # mean days the effect lasts after support (0: none)
        self.resolve = plan.resolve
        self.step_down = plan.step_down
        self.rules_done = list(plan.rules_done)
        self.rules_away = list(plan.rules_away)
        self.start = plan.active_from                 # clock time it opens
        self.until = plan.active_until                # clock time it closes for good (inf: never)
        self.arrivals_level = plan.background.level if plan.background is not None else -1
        self.phases = self.make_phases()

    def eligible_class(self, level: int) -> int:
        """0: turned away at ``level``; 1: eligible; 2: eligible unless the threshold is raised
        under pressure."""
        if level < self.min_level:
            return 0
        if self.pressure is not None and level < self.pressure[0]:
            return 2
        return 1

    # ------------------------------------------------------------------ capacity
    @property
    def unlimited(self) -> bool:
        return math.isinf(self.capacity)

    @property
    def effective_capacity(self) -> float:
        """Capacity less the time freed places stand idle until the next open day."""
        return self.effective(self.capacity)

    def effective(self, capacity: float) -> float:
        """``capacity`` less the time freed places stand idle until the next open day."""
        if math.isinf(capacity):
            return math.inf
        return capacity * self.duration / (self.duration + self.waits.gap)

    def spare_at(self, t: int) -> float:
        """Chance service ``t`` spares the assessment of a resident this service sends it (an INT
        team's shared record; 0 for a siloed service)."""
        return 0.0

    def is_active(self, t: float) -> bool:
        """Whether it is open for business at clock time ``t`` (between opening and closing)."""
        return self.start - 1e-9 <= t < self.until - 1e-9

    # ------------------------------------------------------------------ hooks of a kind
    def make_phases(self) -> list[str]:
        """``A1`` waiting for an open day, ``A2`` being assessed (or deciding), ``Wc`` decided on
        a closed day, ``W`` queueing for a place, ``S`` supported."""
        ph = []
        if self.waits.closed_share > 0:
            ph.append("A1")
        ph.append("A2")
        if self.waits.decided_closed_share > 0:
            ph.append("Wc")
        if not self.unlimited:
            ph.append("W")
        ph.append("S")
        return ph

    def serves(self, group: Group) -> bool:
        """Whether residents of ``group`` can be at this service (a siloed service serves everyone)."""
        return True

    def start_phase(self, level: int) -> str:
        """The supported phase a resident at ``level`` in a domain starts in."""
        return "S"

    def rules(self, when: str) -> list[Rule]:
        """Residents' routing on leaving: ``'done'`` (support completed) or ``'away'`` (turned away)."""
        return self.rules_away if when == "away" else self.rules_done

    def background_rules(self, when: str) -> list[Rule]:
        """Background cases' routing on leaving."""
        return self.rules(when)

    def help_share(self, d: int) -> float:
        """Share of its residents seeking help in domain ``d`` who come here (a neighbourhood team)."""
        return 0.0

    def end_jump(self, b: Builder, y: np.ndarray) -> np.ndarray:
        """The state just after it closes for good (a service that never closes: unchanged)."""
        return y

    def extra_flows(self, b: Builder, n_stocks: int) -> list[Any]:
        """Flows of its own beyond the phases (see :class:`~placesim.engines.sd.rhs.ExtraFlow`)."""
        return []
