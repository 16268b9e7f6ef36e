"""The plan: a validated scenario compiled once into what every engine runs."""

from __future__ import annotations

import html
from dataclasses import dataclass

from ..scenario.model import ScenarioModel
from ..scenario.scenario import Scenario
from .attributes import AttributePlan, compile_attributes, expand
from .axes import Axes, compile_axes
from .clock import Clock
from .place import CohortPlan, DomainPlan, GroupPlan, compile_cohorts, compile_coupling, compile_domains, compile_groups
from .services import ServicePlan, compile_services, service_names
from .teams import apply_secondments, compile_teams


@dataclass(frozen=True)
class Plan:
    """A scenario compiled for the engines: axes, place, services and INT teams as numbers.

    Neither engine reads a scenario; both read a plan. Build one with :func:`compile_plan`.

    Attributes
    ----------
    name
        The scenario's name.
    clock
        Warm-up, horizon and reporting bins.
    axes
        Labels of the output axes.
    domains, cohorts, groups
        Need domains (front doors, crisis responses), cohorts (hazards per day, initial
        mixes) and resident groups (one per neighbourhood and cohort, in resident order).
    coupling
        ``coupling[a][b]`` multiplies domain b's escalation while domain a is at level >= 2.
    services
        Every node of the service network in axis order: siloed services, then INT teams.
    attributes
        The household attributes (None: none). With attributes ``cohorts`` are the
        engines' sub-cohorts (a cohort's households with one combination of values) and
        ``axes.cohorts`` the scenario's cohorts the results fold them back into.
    """

    name: str
    clock: Clock
    axes: Axes
    domains: tuple[DomainPlan, ...]
    cohorts: tuple[CohortPlan, ...]
    groups: tuple[GroupPlan, ...]
    coupling: tuple[tuple[float, ...], ...]
    services: tuple[ServicePlan, ...]
    attributes: AttributePlan | None = None

    @property
    def n_neighbourhoods(self) -> int:
        return len(self.axes.neighbourhoods)

    @property
    def n_cohorts(self) -> int:
        """Cohorts as the engines see them (sub-cohorts with attributes)."""
        return len(self.cohorts)

    @property
    def n_domains(self) -> int:
        return len(self.axes.domains)

    @property
    def n_residents(self) -> int:
        return sum(g.size for g in self.groups)

    def kinds(self) -> list[str]:
        """The kinds of service the plan needs, in order of first use."""
        return list(dict.fromkeys(sp.kind for sp in self.services))

    def __repr__(self) -> str:
        return (f"Plan({self.name!r}: {self.n_residents:,} residents in {len(self.groups)} groups, "
                f"{len(self.services)} services ({', '.join(self.kinds())}), {self.clock.n_bins} bins)")

    def _repr_html_(self) -> str:
        return f"<p><b>{html.escape(repr(self))}</b></p>"


def compile_plan(scenario: Scenario | ScenarioModel) -> Plan:
    """Compile a validated scenario into a :class:`Plan`."""
    m = scenario.model if isinstance(scenario, Scenario) else scenario
    t = m.time
    clock = Clock(t.warmup_days, t.horizon_days, t.report_every_days, t.n_bins,
                  t.start_date.weekday() if t.start_date else 0)
    subs = expand(m)
    teams = compile_teams(m, clock.warmup, subs)
    services = apply_secondments(compile_services(m), teams, m, clock.warmup) + teams
    payers = {s: dict(svc.costs.paid_by) if svc.costs.paid_by else {svc.organisation: 1.0}
              for s, svc in m.services.items()}
    if m.int_team is not None:
        payers.update({sp.name: m.int_team.shares for sp in services[len(m.services):]})
    axes = compile_axes(services, payers, list(m.neighbourhoods), list(m.cohorts), list(m.domains))
    index = {s: i for i, s in enumerate(service_names(m))}
    return Plan(m.name, clock, axes, compile_domains(m, index), compile_cohorts(m, subs), compile_groups(m, subs),
                compile_coupling(m), services, compile_attributes(m, subs))
