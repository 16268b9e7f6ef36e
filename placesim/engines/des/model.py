"""Build one replication of the DES from a scenario, run it, and return its binned arrays."""

from __future__ import annotations

import bisect
import gc
import math
from dataclasses import dataclass, field

import numpy as np
import simpy

from ...scenario.model import WEEKDAYS, Arrivals, Queue, ScenarioModel
from ...scenario.network import team_name
from ...scenario.scenario import Scenario
from .hazards import DAYS_PER_YEAR, CohortHazards, HazardTables
from .int_team import CaseFinder, Handover, IntTeamNode
from .nodes import Calendar, Rule, ServiceNode
from .population import Population
from .recorder import GROUP_COUNTS, NEIGHBOURHOOD_COUNTS, SERVICE_COUNTS, SERVICE_SUMS, Recorder
from .streams import Streams


@dataclass
class Axes:
    """Labels of the output axes of a scenario."""

    services: list[str]
    service_organisations: list[str]
    service_kinds: list[str]
    service_capacity: list[float]
    organisations: list[str]
    neighbourhoods: list[str]
    cohorts: list[str]
    domains: list[str]
    cost_shares: np.ndarray = field(repr=False)  # (service, organisation)

    @classmethod
    def of(cls, m: ScenarioModel) -> "Axes":
        services = list(m.services)
        orgs = [m.services[s].organisation for s in services]
        kinds = ["service"] * len(services)
        capacity = [m.services[s].capacity for s in services]
        it = m.int_team
        if it is not None:
            for nb in it.neighbourhoods:
                services.append(team_name(nb))
                orgs.append("INT (" + ", ".join(it.shares) + ")")
                kinds.append("int")
                capacity.append(float(it.team_capacity(nb)))
        organisations: list[str] = []
        for s in m.services.values():
            if s.organisation not in organisations:
                organisations.append(s.organisation)
        if it is not None:
            for o in it.shares:
                if o not in organisations:
                    organisations.append(o)
        shares = np.zeros((len(services), len(organisations)))
        for i, s in enumerate(m.services.values()):
            shares[i, organisations.index(s.organisation)] = 1.0
        if it is not None:
            for j in range(len(m.services), len(services)):
                for o, w in it.shares.items():
                    shares[j, organisations.index(o)] = w
        return cls(services, orgs, kinds, capacity, organisations, list(m.neighbourhoods), list(m.cohorts),
                   list(m.domains), shares)


def _weekday_mask(days: list[str] | None) -> tuple[bool, ...]:
    if days is None:
        return (True,) * 7
    return tuple(d in days for d in WEEKDAYS)


def _patience(streams: Streams, name: str, queue: Queue) -> dict:
    if queue.patience is None:
        return {"patience": None, "patience_q": None}
    return {"patience": streams.iterator("patience", name, queue.patience.block_sampler),
            "patience_q": queue.patience.quantile_function()}


def _domain_mask(domains: list[str], index: dict[str, int]) -> int:
    mask = 0
    for d in domains:
        mask |= 1 << index[d]
    return mask


class DesReplication:
    """One replication: the SimPy environment, population and nodes of a scenario.

    Parameters
    ----------
    scenario
        The scenario.
    seed
        The run's seed.
    replication
        Replication index (selects the random streams).
    trace
        Keep an event log (slower; for checking and teaching).
    """

    def __init__(self, scenario: Scenario, seed: int, replication: int, trace: bool = False):
        m = scenario.model
        self.model = m
        self.axes = Axes.of(m)
        self.env = env = simpy.Environment()
        self.streams = streams = Streams(seed, replication)
        self.trace: list | None = [] if trace else None
        t = m.time
        self.warmup = t.warmup_days
        self.horizon = t.horizon_days
        weekday0 = t.start_date.weekday() if t.start_date else 0
        dom_index = {d: i for i, d in enumerate(m.domains)}
        D = len(m.domains)
        N, C = len(m.neighbourhoods), len(m.cohorts)
        self.rec = rec = Recorder(env, t.warmup_days, t.horizon_days, t.report_every_days,
                                  len(self.axes.services), N * C * D, N)

        # ---- population
        cohort_hazards = []
        for co in m.cohorts.values():
            onset, esc, rcv, hlp = [], [], [], []
            for d in m.domains:
                h = co.hazards.get(d)
                if h is None:
                    onset.append(0.0)
                    esc.append((0.0, 0.0))
                    rcv.append((0.0, 0.0))
                    hlp.append((0.0, 0.0))
                else:
                    onset.append(h.onset_per_year / DAYS_PER_YEAR)
                    esc.append(tuple(x / DAYS_PER_YEAR for x in h.escalation_per_year))
                    rcv.append(tuple(x / DAYS_PER_YEAR for x in h.recovery_per_year))
                    hlp.append(tuple(x / DAYS_PER_YEAR for x in h.help_seeking_per_year))
            cohort_hazards.append(CohortHazards(onset, esc, rcv, hlp))
        coupling = [[1.0] * D for _ in range(D)]
        for a, row in m.coupling.items():
            for b, mult in row.items():
                coupling[dom_index[a]][dom_index[b]] = mult
        self.tables = tables = HazardTables(cohort_hazards, coupling, D)
        groups, keys = [], []
        for ni, nb in enumerate(m.neighbourhoods):
            for ci, (cname, co) in enumerate(m.cohorts.items()):
                size = co.size.get(nb, 0)
                mix = [co.initial.get(d, [1.0, 0.0, 0.0, 0.0]) for d in m.domains]
                groups.append((ni, ci, size, mix))
                keys.append(f"{nb}/{cname}")
        self.pop = pop = Population(env, rec, streams, tables, groups, N, C, D, keys, self.trace)
        pop.end = t.warmup_days + t.horizon_days
        if D:
            rec.residents = np.zeros((rec.n_bins, N * C * D * 4), dtype=np.int64)
            rec.level_snapshot = pop.level_snapshot

        # ---- siloed services
        nodes: dict[str, ServiceNode] = {}
        for i, (name, svc) in enumerate(m.services.items()):
            mask = _domain_mask(svc.domains, dom_index)
            nodes[name] = ServiceNode(
                name, i, env, rec, pop, svc.capacity,
                Calendar(self.warmup, weekday0, _weekday_mask(svc.open_days), 0.0),
                streams.iterator("duration", name, svc.duration.block_sampler),
                uniforms=streams.iterator("routing", name), duration_q=svc.duration.quantile_function(),
                **_patience(streams, name, svc.queue), domain_mask=mask, severity=svc.queue.discipline == "severity",
                assess_cost=svc.assessment.cost_gbp, assess_days=svc.assessment.days,
                min_level=svc.eligibility.min_level, case_cost=svc.costs.per_case_gbp,
                daily_cost=svc.costs.daily,
                effect=tables.effect_id(mask, svc.effect.escalation_multiplier, svc.effect.recovery_multiplier),
                resolve=svc.on_completion.resolve_probability, step_down=svc.on_completion.step_down_probability,
                trace=self.trace)

        # ---- INT teams
        self.teams: list[IntTeamNode] = []
        it = m.int_team
        if it is not None:
            covered = _domain_mask(it.covered_domains, dom_index)
            cohort_names = list(m.cohorts)
            for j, (nb, team) in enumerate(it.neighbourhoods.items()):
                name = team_name(nb)
                ni = list(m.neighbourhoods).index(nb)
                node = IntTeamNode(
                    name, len(m.services) + j, env, rec, pop, float(it.team_capacity(nb)),
                    Calendar(self.warmup, weekday0, _weekday_mask(it.team_open_days(nb)),
                             self.warmup + team.start_day),
                    streams.iterator("duration", name, it.duration.block_sampler),
                    uniforms=streams.iterator("routing", name), duration_q=it.duration.quantile_function(),
                    **_patience(streams, name, it.queue), domain_mask=covered, severity=it.queue.discipline == "severity",
                    assess_cost=it.assessment.cost_gbp, assess_days=it.assessment.days,
                    min_level=it.eligibility.min_level, effect=-1,
                    resolve=it.on_completion.resolve_probability, step_down=it.on_completion.step_down_probability,
                    trace=self.trace, neighbourhood=ni, huddle=it.huddle, front_door=it.front_door,
                    n_domains=D, escalation=it.effect.escalation_multiplier,
                    recovery=it.effect.recovery_multiplier)
                node.daily_cost = it.team_cost_per_year(nb) / DAYS_PER_YEAR
                for d, dom in m.domains.items():
                    if d in it.covered_domains:
                        continue
                    target = it.warm_handover.to.get(d, dom.front_door)
                    if target is not None:
                        node.handovers.append(Handover(dom_index[d], nodes[target], it.warm_handover.loss,
                                                       it.warm_handover.min_level, it.warm_handover.delay_days))
                cf = it.case_finding
                if cf is not None:
                    screened = set(cf.cohorts) if cf.cohorts is not None else set(cohort_names)
                    members = np.array([r for r in pop.members[ni]
                                        if cohort_names[pop.residents[r].co] in screened], dtype=np.int64)
                    node.finder = CaseFinder(cf.screen_every_days, cf.coverage, cf.sensitivity, cf.specificity,
                                             cf.acceptance, cf.contact_cost_gbp, cf.max_contacts_per_screen,
                                             members, streams.generator("case-finding", name))
                pop.teams[ni] = node
                self.teams.append(node)

        # ---- wiring: referral rules, front doors, crisis responses
        for name, svc in m.services.items():
            node = nodes[name]
            for rule in svc.referrals:
                compiled = Rule(None if rule.to == "int" else nodes[rule.to], rule.to == "int", rule.probability,
                                dom_index[rule.domain] if rule.domain else -1, rule.threshold,
                                rule.handoff_loss, rule.delay_days)
                (node.rules_done if rule.when == "completed" else node.rules_away).append(compiled)
        for d, dom in m.domains.items():
            di = dom_index[d]
            if dom.front_door is not None:
                pop.front_door[di] = nodes[dom.front_door]
            pop.crisis[di] = [(nodes[r.service], r.probability) for r in dom.crisis.responses]
            pop.stay_in_crisis[di] = dom.crisis.stay_in_crisis
        self.nodes: list[ServiceNode] = list(nodes.values()) + self.teams
        rec.nodes = self.nodes

        # ---- processes (bin edges first: at a shared instant they come before anything else)
        rec.start()
        for name, svc in m.services.items():
            if svc.arrivals is not None:
                env.process(self._source(nodes[name], svc.arrivals, name))
        for node in self.nodes:
            node.start_processes()
        pop.start()

    def _source(self, node: ServiceNode, arrivals: Arrivals, name: str):
        """Background Poisson arrivals: constant rate, or a schedule by thinning."""
        env = self.env
        gaps = self.streams.iterator("arrivals", name, lambda rng: (lambda n: rng.standard_exponential(n)))
        level = arrivals.level
        if arrivals.rate_per_day is not None:
            rate = arrivals.rate_per_day
            if rate <= 0:
                return
            while True:
                yield env.timeout(next(gaps) / rate)
                node.arrive_background(level)
        steps = arrivals.schedule or []
        days = [s.from_day for s in steps]
        rates = [s.rate_per_day for s in steps]
        peak = max(rates)
        if peak <= 0:
            return
        accept = self.streams.iterator("arrivals-thinning", name)
        period = arrivals.repeat_every_days
        while True:
            yield env.timeout(next(gaps) / peak)
            day = env.now - self.warmup
            if period is not None:
                day = math.fmod(day, period)
                if day < 0:
                    day += period
            i = max(bisect.bisect_right(days, day) - 1, 0)
            if next(accept) * peak < rates[i]:
                node.arrive_background(level)

    def run(self) -> dict[str, np.ndarray]:
        """Run to the end of the horizon; return the binned arrays (scratch bin dropped)."""
        env = self.env
        env.run(until=self.warmup + self.horizon)
        rec = self.rec
        rec.finish()
        S = rec.S
        for node in self.nodes:
            if node.daily_cost and node.kind == "service":
                for b in range(rec.n_bins):
                    rec.cost_gbp[b * S + node.index] += rec.busy_server_days[b * S + node.index] * node.daily_cost
        it = self.model.int_team
        for node in self.teams:
            start = node.calendar.active_from
            rec.spread_daily(rec.cost_gbp, node.index, start, node.daily_cost)
            b = rec.bin_of(start)
            if b >= 0 and it is not None:
                rec.cost_gbp[b * S + node.index] += it.costs.setup_gbp
        ax = self.axes
        N, C, D = len(ax.neighbourhoods), len(ax.cohorts), len(ax.domains)
        out: dict[str, np.ndarray] = {}
        for name in SERVICE_COUNTS + SERVICE_SUMS:
            out[name] = rec.array(name, (S,))
        for name in GROUP_COUNTS:
            out[name] = rec.array(name, (N, C, D))
        for name in NEIGHBOURHOOD_COUNTS:
            out[name] = rec.array(name, (N,))
        out["in_system"] = rec.in_system.astype(float)
        out["in_system_start"] = rec.in_system_start.astype(float)
        if rec.residents is not None:
            out["residents"] = rec.residents.reshape(rec.n_bins, N, C, D, 4).astype(float)
        else:
            out["residents"] = np.zeros((rec.n_bins, N, C, D, 4))
        return out


def run_replication(scenario: Scenario, seed: int, replication: int, trace: bool = False
                    ) -> tuple[dict[str, np.ndarray], list | None]:
    """Run one replication; returns its arrays and, if asked, its event trace.

    The cyclic garbage collector is paused while the replication runs: the engine makes
    no reference cycles in its per-event path, and scanning tens of thousands of resident
    objects on every collection costs up to a fifth of the run time.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        rep = DesReplication(scenario, seed, replication, trace)
        out = rep.run()
        return out, rep.trace
    finally:
        if was_enabled:
            gc.enable()
