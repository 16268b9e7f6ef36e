"""The engine-neutral plan a validated scenario compiles to once (see docs/architecture.md).

Both engines read a :class:`Plan`, never a scenario: its axes, place (domains, cohorts,
resident groups, coupling), services and INT teams resolved to numbers and indices, the
table of output counters and the helpers every engine shares (clock and calendars,
schedules, costs).
"""

from .axes import Axes
from .clock import DAYS_PER_YEAR, WEEKDAYS, Calendar, Clock, Schedule, weekday_mask
from .costs import derived_outputs, place_days, seconded_costs, service_costs
from .counters import COUNTERS, Counter
from .place import CohortHazards, CohortPlan, DomainPlan, GroupPlan
from .plan import Plan, compile_plan
from .services import NEIGHBOURHOOD_TEAM, Background, CaseFindingPlan, Handover, Rule, ServicePlan, TeamPlan

__all__ = [
    "Axes", "Background", "COUNTERS", "Calendar", "CaseFindingPlan", "Clock", "CohortHazards", "CohortPlan",
    "Counter", "DAYS_PER_YEAR", "DomainPlan", "GroupPlan", "Handover", "NEIGHBOURHOOD_TEAM", "Plan", "Rule",
    "Schedule", "ServicePlan", "TeamPlan", "WEEKDAYS", "compile_plan", "derived_outputs", "place_days",
    "seconded_costs", "service_costs", "weekday_mask",
]
