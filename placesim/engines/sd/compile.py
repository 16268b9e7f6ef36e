"""Compile a scenario into the stocks and flows of the system-dynamics engine.

The state is one vector of *stocks* (people) followed by *counters* (cumulative flows and
time integrals, differenced into the reporting bins). Every flow is an *edge*

    flow = base x F[f1] x F[f2] x y[src]

moving people from stock ``src`` to stock ``dst`` (or copying them, when ``sub`` is 0),
where ``base`` is a constant per-capita rate (per day) and ``F`` a short vector of
*factors* recomputed on every evaluation of the right-hand side (coupling multipliers,
start rates under a capacity limit, the share of a referral's condition that holds, ...).
A few flows take people out of the *free* stocks of domains a resident newly engages in
(*takes*): their per-capita rate is the flow of a *channel* (an arrival, counted once in
the domain it came through) spread over the free stocks of the other domain.

Stocks (see docs/system-dynamics.md):

* resident stocks ``R[g, d, status, k]``: group g (neighbourhood x cohort; identical
  groups are merged and carry a multiplicity), domain d, status ``free`` or a phase of a
  service that engages d, level k (3 only for domains whose crises hold the resident);
* count-only resident cases ``C[g, s, phase, eligible]`` at a service, for residents whose
  visit engages no domain there (services without domains, crisis responses that hold);
* background cases ``B[s, phase, level]``;
* ``init`` stocks: residents starting at level 3, whose crisis happens in the first instant.

Phases of a service: ``A1`` waiting for an open day, ``A2`` being assessed (or deciding:
a fast phase when the assessment takes no time), ``Wc`` decided on a closed day and waiting
for the opening, ``W`` queueing for a place, ``S`` supported (INT: ``S`` with the effect on
the domain, ``Sx`` without, for domains not in need at the start).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ...scenario.model import WEEKDAYS, ScenarioModel
from ...scenario.network import team_name
from ..des.hazards import DAYS_PER_YEAR
from .calendar import WeekWaits, week_waits

TAU_START = 0.1
"""Relaxation time (days) of the fluid capacity rule and of queues at unlimited services."""
TAU_DECIDE = 0.02
"""Mean time (days) of a decision that takes no time in the DES (keeps arrival chains explicit)."""
TAU_INIT = 0.01
"""Mean time (days) before the crisis of a resident who starts at level 3."""


def per_day(days: float) -> float:
    """Rate (per day) of a step with mean time ``days``, floored at :data:`TAU_DECIDE`.

    A step that takes no time, or a vanishing time (an assessment of 1e-300 days, a patience
    of 0), gets the rate of a decision: a rate of 1/days would be infinite or so large that
    the stiff solver's Newton matrix turns singular.
    """
    return 1.0 / max(days, TAU_DECIDE)

SERVICE_COUNTERS = (
    "arrivals", "assessments", "turned_away", "started", "completed", "abandoned",
    "referrals", "referrals_received", "handoffs_lost", "exits",
    "outreach_contacts", "false_positive_contacts", "case_found",
    "busy_server_days", "queue_days", "in_system_days",
)
GROUP_COUNTERS = ("crises", "help_seeking")


def _weekday_mask(days: list[str] | None) -> tuple[bool, ...]:
    if days is None:
        return (True,) * 7
    return tuple(d in days for d in WEEKDAYS)


@dataclass
class Rule:
    target: int          # service index, or -1 for "the INT team of the resident's neighbourhood"
    p: float
    dom: int             # condition domain or -1
    min: int
    loss: float
    delay: float


@dataclass
class Node:
    """What the SD engine needs of one service or INT team."""

    name: str
    index: int
    kind: str                       # 'service' or 'int'
    domains: list[int]
    capacity: float                 # concurrent cases (inf: unlimited)
    waits: WeekWaits
    assess_days: float
    assess_cost: float
    min_level: int
    patience: float | None          # mean days, None: infinite
    duration: float                 # mean days
    esc: float
    rec: float
    resolve: float
    step_down: float
    case_cost: float
    daily_cost: float
    rules_done: list[Rule] = field(default_factory=list)
    rules_away: list[Rule] = field(default_factory=list)
    handovers: list[tuple[int, int, float, int, float]] = field(default_factory=list)  # (domain, target, loss, min, delay)
    neighbourhood: int = -1         # INT teams
    start: float = 0.0              # clock time the node opens (INT teams)
    open_days: tuple[bool, ...] = (True,) * 7
    arrivals_level: int = -1        # background arrivals: level, or -1 if none
    phases: list[str] = field(default_factory=list)

    @property
    def unlimited(self) -> bool:
        return math.isinf(self.capacity)

    @property
    def effective_capacity(self) -> float:
        """Capacity less the time freed places stand idle until the next open day."""
        if self.unlimited:
            return math.inf
        return self.capacity * self.duration / (self.duration + self.waits.gap)


@dataclass
class Group:
    """A (neighbourhood, cohort) group; identical groups share one set of stocks."""

    cohort: int
    neighbourhood: int              # representative
    members: list[tuple[int, int]]  # (neighbourhood, cohort) it stands for
    size: float
    team: int                       # service index of its neighbourhood's INT team, or -1

    @property
    def mult(self) -> int:
        return len(self.members)


class Compiled:
    """Arrays of a compiled scenario (built by :func:`compile_scenario`)."""

    def __init__(self) -> None:
        self.keys: list[tuple] = []
        self.index: dict[tuple, int] = {}
        self.edges: list[tuple] = []  # (src, dst, base, f1, f2, sub, counters, channel, impulse)
        self.takes: list[tuple] = []  # (src, dst, base, pair)
        self.take_pairs: list[tuple[int, list[tuple[int, float]]]] = []  # (channel, [(free cell, weight)])
        self.channels: dict[tuple, int] = {}
        self.factor_names: list[str] = ["one"]
        self.factor_index: dict[str, int] = {"one": 0}

    # ------------------------------------------------------------------ stocks and factors
    def cell(self, key: tuple) -> int:
        return _intern(self.index, key, self.keys)

    def factor(self, name: str) -> int:
        return _intern(self.factor_index, name, self.factor_names)

    def channel(self, key: tuple) -> int:
        return _intern(self.channels, key)


def _intern(index: dict, key, names: list | None = None) -> int:
    """The number of ``key`` in ``index``, giving it the next one (and appending it to
    ``names``) the first time it is seen."""
    i = index.get(key)
    if i is None:
        i = index[key] = len(index)
        if names is not None:
            names.append(key)
    return i


def compile_nodes(m: ScenarioModel) -> list[Node]:
    """One :class:`Node` per service, then one per INT team (the results' service axis)."""
    dom_index = {d: i for i, d in enumerate(m.domains)}
    names = list(m.services)
    nodes: list[Node] = []
    for i, (name, svc) in enumerate(m.services.items()):
        mask = _weekday_mask(svc.open_days)
        nodes.append(Node(
            name, i, "service", [dom_index[d] for d in svc.domains], svc.capacity,
            week_waits(mask, svc.assessment.days), svc.assessment.days, svc.assessment.cost_gbp,
            svc.eligibility.min_level, svc.queue.patience.mean if svc.queue.patience else None,
            max(svc.duration.mean, TAU_DECIDE), svc.effect.escalation_multiplier, svc.effect.recovery_multiplier,
            svc.on_completion.resolve_probability, svc.on_completion.step_down_probability,
            svc.costs.per_case_gbp, svc.costs.daily, open_days=mask,
            arrivals_level=svc.arrivals.level if svc.arrivals is not None else -1))
        for r in svc.referrals:
            rule = Rule(-1 if r.to == "int" else names.index(r.to), r.probability,
                        dom_index[r.domain] if r.domain else -1, r.threshold, r.handoff_loss, r.delay_days)
            (nodes[-1].rules_done if r.when == "completed" else nodes[-1].rules_away).append(rule)
    it = m.int_team
    if it is not None:
        covered = [dom_index[d] for d in it.covered_domains]
        warmup = m.time.warmup_days
        for nb, team in it.neighbourhoods.items():
            mask = _weekday_mask(it.team_open_days(nb))
            node = Node(
                team_name(nb), len(nodes), "int", covered, float(it.team_capacity(nb)),
                week_waits(mask, it.assessment.days), it.assessment.days, it.assessment.cost_gbp,
                it.eligibility.min_level, it.queue.patience.mean if it.queue.patience else None,
                max(it.duration.mean, TAU_DECIDE), it.effect.escalation_multiplier, it.effect.recovery_multiplier,
                it.on_completion.resolve_probability, it.on_completion.step_down_probability,
                0.0, it.team_cost_per_year(nb) / DAYS_PER_YEAR,
                neighbourhood=list(m.neighbourhoods).index(nb), start=warmup + team.start_day, open_days=mask)
            for d, dom in m.domains.items():
                if d in it.covered_domains:
                    continue
                target = it.warm_handover.to.get(d, dom.front_door)
                if target is not None:
                    node.handovers.append((dom_index[d], names.index(target), it.warm_handover.loss,
                                           it.warm_handover.min_level, it.warm_handover.delay_days))
            nodes.append(node)
    for n in nodes:
        ph = []
        if n.waits.closed_share > 0:
            ph.append("A1")
        ph.append("A2")
        if n.waits.decided_closed_share > 0:
            ph.append("Wc")
        if not n.unlimited:
            ph.append("W")
        ph.append("S")
        if n.kind == "int":
            ph.append("Sx")
        n.phases = ph
    return nodes


def compile_groups(m: ScenarioModel, nodes: list[Node]) -> tuple[list[Group], np.ndarray]:
    """Groups with identical cohort, size and INT team share stocks.

    Returns the groups and, for every (neighbourhood, cohort), the index of its group.
    """
    team_of = {n.neighbourhood: n.index for n in nodes if n.kind == "int"}
    groups: list[Group] = []
    seen: dict[tuple, int] = {}
    N, C = len(m.neighbourhoods), len(m.cohorts)
    of = np.full((N, C), -1, dtype=int)
    for ni, nb in enumerate(m.neighbourhoods):
        for ci, co in enumerate(m.cohorts.values()):
            size = co.size.get(nb, 0)
            team = team_of.get(ni, -1)
            key = (ci, size, team)
            g = seen.get(key)
            if g is None:
                g = seen[key] = len(groups)
                groups.append(Group(ci, ni, [], float(size), team))
            groups[g].members.append((ni, ci))
            of[ni, ci] = g
    return groups, of


def chain_lengths(nodes: list[Node]) -> np.ndarray:
    """Expected time from arriving at each service to the end of its referral chain.

    Time at a service without queueing (open-day waits, assessment, support) plus the
    expected chain after it over its unconditional completion referrals (those to the INT
    left out); solved as a linear system so loops are allowed.
    """
    S = len(nodes)
    P = np.zeros((S, S))
    t = np.zeros(S)
    for n in nodes:
        w = n.waits
        t[n.index] = (w.closed_share * w.wait_closed + n.assess_days + w.decided_closed_share * w.wait_decided_closed
                      + n.duration)
        for r in n.rules_done:
            if r.dom < 0 and r.target >= 0:
                P[n.index, r.target] += r.p * (1 - r.loss)
                t[n.index] += r.p * (1 - r.loss) * r.delay
    try:
        return np.linalg.solve(np.eye(S) - P, t)
    except np.linalg.LinAlgError:  # pragma: no cover - a closed loop with certainty is refused by validation
        return t


@dataclass
class DomainInfo:
    front_door: int
    responses: list[tuple[int, float]]
    hold: bool
    p_any: float
    t_hold: float

    @property
    def levels(self) -> int:
        return 4 if self.hold else 3


class Builder:
    """Builds the cells, edges and factors of a scenario (see the module docstring)."""

    def __init__(self, m: ScenarioModel):
        self.m = m
        self.nodes = compile_nodes(m)
        self.groups, self.group_of = compile_groups(m, self.nodes)
        self.c = c = Compiled()
        self.D = len(m.domains)
        self.S = len(self.nodes)
        self.G = len(self.groups)
        dom_names = list(m.domains)
        lengths = chain_lengths(self.nodes)
        names = [n.name for n in self.nodes]
        self.doms: list[DomainInfo] = []
        for d, dom in m.domains.items():
            resp = [(names.index(r.service), r.probability) for r in dom.crisis.responses]
            p_any = 1.0 - float(np.prod([1.0 - p for _, p in resp])) if resp else 0.0
            hold = dom.crisis.stay_in_crisis and p_any > 0
            t_hold = max((lengths[s] for s, p in resp if p > 0), default=0.0)
            self.doms.append(DomainInfo(names.index(dom.front_door) if dom.front_door else -1, resp, hold, p_any,
                                        max(t_hold, TAU_INIT)))
        # per-day hazards [cohort][domain]
        self.haz = []
        for co in m.cohorts.values():
            rows = []
            for d in dom_names:
                h = co.hazards.get(d)
                if h is None:
                    rows.append((0.0, (0.0, 0.0), (0.0, 0.0), (0.0, 0.0)))
                else:
                    rows.append((h.onset_per_year / DAYS_PER_YEAR,
                                 tuple(x / DAYS_PER_YEAR for x in h.escalation_per_year),
                                 tuple(x / DAYS_PER_YEAR for x in h.recovery_per_year),
                                 tuple(x / DAYS_PER_YEAR for x in h.help_seeking_per_year)))
            self.haz.append(rows)
        self.coupling = np.ones((self.D, self.D))
        for a, row in m.coupling.items():
            for b, v in row.items():
                self.coupling[dom_names.index(a), dom_names.index(b)] = v
        self.counter_keys: list[tuple] = []
        self.counter_index: dict[tuple, int] = {}
        self.stock_integrals: list[tuple[int, int, float]] = []
        self.service_cells: list[list[tuple[int, float, str]]] = [[] for _ in range(self.S)]
        self.ratio_factors: dict[int, tuple[list[int], list[int]]] = {}
        self.exit_terms: dict[int, list[tuple[float, int, int]]] = {}
        self.pe_factors: dict[int, tuple[list[int], bool]] = {}
        self.one = c.cell(("ONE",))
        self.sink = c.cell(("SINK",))
        self.pending: list[tuple] = []   # count-only / background classes whose edges are still to build
        self.built: set[tuple] = set()

    # ------------------------------------------------------------------ helpers
    def counter(self, *key) -> int:
        i = self.counter_index.get(key)
        if i is None:
            i = self.counter_index[key] = len(self.counter_keys)
            self.counter_keys.append(key)
        return i

    def edge(self, src, dst, base, f1=0, f2=0, f3=0, sub=1, counters=(), channel=-1):
        if base <= 0.0:
            return
        self.c.edges.append((src, dst, float(base), f1, f2, f3, sub, tuple(counters), channel))

    def statuses(self, g: int, d: int) -> list:
        out: list = [None]
        for n in self.nodes:
            if d in n.domains and (n.kind == "service" or n.index == self.groups[g].team):
                out += [(n.index, ph) for ph in n.phases]
        return out

    def R(self, g, d, st, k) -> int:
        return self.c.index[("R", g, d, st, k)]

    def entry_split(self, s: int, found: bool = False) -> list[tuple[str, float]]:
        n = self.nodes[s]
        q = 0.0 if found else n.waits.closed_share
        out = []
        if q > 0:
            out.append(("A1", q))
        if q < 1:
            out.append(("A2", 1.0 - q))
        return out

    def arrival_counters(self, s: int, ph: str, w: float, referral: bool) -> list[tuple[int, float]]:
        out = [(self.counter("arrivals", s), w)]
        if ph == "A2":
            out.append((self.counter("assessments", s), w))
        if referral:
            out.append((self.counter("referrals_received", s), w))
        return out

    def ratio(self, name: tuple, num: list[int], den: list[int]) -> int:
        f = self.c.factor(name)
        if f not in self.ratio_factors:
            self.ratio_factors[f] = (num, den)
        return f

    def pf(self, g: int, d: int, lo: int) -> int:
        """Factor: share of group g's free residents at level >= lo in domain d."""
        K = self.doms[d].levels
        num = [self.R(g, d, None, k) for k in range(K) if k >= lo]
        den = [self.R(g, d, None, k) for k in range(K)]
        return self.ratio(("pf", g, d, lo), num, den)

    def pm(self, g: int, s: int, d: int, lo: int) -> int:
        """Factor: share of (g, s)'s supported residents at level >= lo in domain d."""
        K = self.doms[d].levels
        phs = [p for p in self.nodes[s].phases if p in ("S", "Sx")]
        num = [self.R(g, d, (s, p), k) for p in phs for k in range(K) if k >= lo]
        den = [self.R(g, d, (s, p), k) for p in phs for k in range(K)]
        return self.ratio(("pm", g, s, d, lo), num, den)

    def weight(self, g: int) -> float:
        return float(self.groups[g].mult) if g >= 0 else 1.0

    # ------------------------------------------------------------------ build
    def build(self) -> "Builder":
        c = self.c
        for n in self.nodes:
            for name in SERVICE_COUNTERS:
                self.counter(name, n.index)
        for g in range(self.G):
            for d in range(self.D):
                for st in self.statuses(g, d):
                    for k in range(self.doms[d].levels):
                        c.cell(("R", g, d, st, k))
                c.cell(("I", g, d))
        for n in self.nodes:
            for g in range(self.G):
                if n.domains and (n.kind == "service" or n.index == self.groups[g].team):
                    w = self.weight(g)
                    for ph in n.phases:
                        for k in range(self.doms[n.domains[0]].levels):
                            self.service_cell(n.index, self.R(g, n.domains[0], (n.index, ph), k), w, ph)
        for g in range(self.G):
            for d in range(self.D):
                self.resident_edges(g, d)
        for n in self.nodes:
            for g in range(self.G):
                if n.domains and (n.kind == "service" or n.index == self.groups[g].team):
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
        return self

    def service_cell(self, s: int, cell: int, w: float, ph: str) -> None:
        self.service_cells[s].append((cell, w, ph))
        if ph in ("S", "Sx"):
            self.stock_integrals.append((self.counter("busy_server_days", s), cell, w))
        if ph in ("A1", "Wc", "W"):
            self.stock_integrals.append((self.counter("queue_days", s), cell, w))
        self.stock_integrals.append((self.counter("in_system_days", s), cell, w))

    def co_cell(self, g: int, s: int, ph: str, el: int) -> int:
        key = ("C", g, s, ph, el)
        new = key not in self.c.index
        i = self.c.cell(key)
        if new:
            self.service_cell(s, i, self.weight(g), ph)
            if ("C", g, s, el) not in self.built:
                self.built.add(("C", g, s, el))
                self.pending.append(("C", g, s, el))
        return i

    def bg_cell(self, s: int, ph: str, level: int) -> int:
        key = ("B", s, ph, level)
        new = key not in self.c.index
        i = self.c.cell(key)
        if new:
            self.service_cell(s, i, 1.0, ph)
            if ("B", s, level) not in self.built:
                self.built.add(("B", s, level))
                self.pending.append(("B", s, level))
        return i

    # ------------------------------------------------------------------ residents
    def resident_edges(self, g: int, d: int) -> None:
        c = self.c
        co = self.groups[g].cohort
        onset, esc, rec, hlp = self.haz[co][d]
        info = self.doms[d]
        sc = self.counter("crises", g, d)
        hc = self.counter("help_seeking", g, d)
        w = 1.0  # group counters are per group (copied to each member); service counters carry the multiplicity
        for st in self.statuses(g, d):
            me, mr = 1.0, 1.0
            if st is not None and st[1] == "S":
                n = self.nodes[st[0]]
                me, mr = n.esc, n.rec
            R = lambda k: self.R(g, d, st, k)  # noqa: E731
            self.edge(R(0), R(1), onset)
            self.edge(R(1), R(2), esc[0] * me, c.factor(("cf", g, d, 1)))
            self.edge(R(1), R(0), rec[0] * mr)
            self.edge(R(2), R(1), rec[1] * mr)
            self.crisis_edges(R(2), g, d, st, esc[1] * me, c.factor(("cf", g, d, 2)), [(sc, w)], init=False)
            if info.hold:
                self.edge(R(3), R(2), 1.0 / info.t_hold)
            if st is None:
                for k in (1, 2):
                    self.help_edges(R(k), g, d, k, hlp[k - 1], [(hc, w)])
        # residents starting at level 3: their crisis in the first instant
        self.crisis_edges(c.index[("I", g, d)], g, d, None, 1.0 / TAU_INIT, 0, [(sc, w)], init=True)

    def crisis_edges(self, src: int, g: int, d: int, st, base: float, f: int, counters, init: bool) -> None:
        """Crises out of ``src`` (level 2, or a resident starting at level 3 when ``init``)."""
        info = self.doms[d]
        w = self.weight(g)
        self.edge(src, self.sink, base, f, sub=0, counters=counters)  # the crisis, counted
        moved = 0.0
        if info.hold:
            self.edge(src, self.R(g, d, st, 3), base * info.p_any, f)
            moved = info.p_any
        for s, p in info.responses:
            n = self.nodes[s]
            if not info.hold and st is None and moved == 0.0 and d in n.domains and (
                    n.kind == "service" or n.index == self.groups[g].team):
                moved = p  # the resident's visit engages the domain: it moves there at level 2
                for ph, q in self.entry_split(s):
                    self.edge(src, self.R(g, d, (s, ph), 2), base * p * q, f,
                              counters=self.arrival_counters(s, ph, w, False),
                              channel=self.take_channel(g, s, (d,), -1, 0))
            else:
                for ph, q in self.entry_split(s):
                    self.edge(src, self.co_cell(g, s, ph, 1), base * p * q, f, sub=0,
                              counters=self.arrival_counters(s, ph, w, False))
        if init and moved < 1.0:
            self.edge(src, self.R(g, d, st, 2), base * (1.0 - moved), f)

    def help_edges(self, src: int, g: int, d: int, k: int, base: float, counters) -> None:
        info = self.doms[d]
        it = self.m.int_team
        team = self.groups[g].team
        w = self.weight(g)
        targets: list[tuple[int, int]] = []  # (service, factor)
        if team >= 0 and it is not None and it.front_door and d in self.nodes[team].domains:
            targets.append((team, self.c.factor(("act", team))))
            if info.front_door >= 0:
                targets.append((info.front_door, self.c.factor(("inact", team))))
        elif info.front_door >= 0:
            targets.append((info.front_door, 0))
        for s, f in targets:
            n = self.nodes[s]
            for ph, q in self.entry_split(s):
                cnt = list(self.arrival_counters(s, ph, w, False)) + list(counters)
                if d in n.domains:
                    self.edge(src, self.R(g, d, (s, ph), k), base * q, f, counters=cnt,
                              channel=self.take_channel(g, s, (d,), -1, 0))
                else:  # a front door that engages no domain: a count-only visit
                    self.edge(src, self.co_cell(g, s, ph, int(k >= n.min_level)), base * q, f, sub=0, counters=cnt)
        if not targets:
            self.edge(src, self.sink, base, sub=0, counters=counters)

    def take_channel(self, g: int, s: int, carried: tuple, cond: int, lo: int) -> int:
        """Channel of arrivals at (g, s) that carry ``carried`` domains; the others are taken from free."""
        n = self.nodes[s]
        rest = [e for e in n.domains if e not in carried]
        if not rest:
            return -1
        key = (g, s, tuple(sorted(carried)), cond, lo)
        new = key not in self.c.channels
        ch = self.c.channel(key)
        if new:
            for e in rest:
                K = self.doms[e].levels
                wts = [(self.R(g, e, None, j), 1.0 if (e != cond or j >= lo) else 0.0) for j in range(K)]
                pair = len(self.c.take_pairs)
                self.c.take_pairs.append((ch, wts))
                for j in range(K):
                    if wts[j][1] > 0:
                        for ph, q in self.entry_split(s):
                            self.c.takes.append((self.R(g, e, None, j), self.R(g, e, (s, ph), j), q, pair))
        return ch

    # ------------------------------------------------------------------ services: phases
    def _phase_edges(self, s: int, cell, k: int, free: int, counted: list, elig: tuple[int, int] | None,
                     start_cell, route) -> None:
        """Edges of one (class, domain or level) line of a service's phases.

        ``cell(ph)`` gives the line's cell in a phase; ``free`` where leavers go;
        ``counted(name, weight)`` the service counters (empty where the line is not the
        counted one); ``elig`` the factors of being eligible and not (0 for "certainly",
        None for "never"); ``start_cell(k)`` the supported cell a start goes to;
        ``route(src, base, f, kind, k)`` adds the routing of leavers (kind 'away'/'done').
        """
        n = self.nodes[s]
        c = self.c
        ws = n.waits
        P = n.patience
        lv = lambda ph: cell(ph)  # noqa: E731
        if "A1" in n.phases:
            self.edge(lv("A1"), lv("A2"), per_day(ws.wait_closed), counters=counted("assessments", 1.0))
            if P is not None:
                self.edge(lv("A1"), free, per_day(P), counters=counted("abandoned", 1.0) + counted("exits", 1.0))
        rate = per_day(n.assess_days)
        f_el, f_inel = elig
        nxt = "W" if not n.unlimited else None
        if f_el is not None:
            if "Wc" in n.phases:
                self.edge(lv("A2"), lv("Wc"), rate * ws.decided_closed_share, f_el)
            rest = rate * (1.0 - ws.decided_closed_share)
            if nxt:
                self.edge(lv("A2"), lv(nxt), rest, f_el)
            else:
                self.edge(lv("A2"), start_cell(k), rest, f_el, counters=counted("started", 1.0))
        if f_inel is not None:
            route(lv("A2"), rate, f_inel, "away", k, counted("turned_away", 1.0))
        if "Wc" in n.phases:
            r = per_day(ws.wait_decided_closed)
            if nxt:
                self.edge(lv("Wc"), lv(nxt), r)
            else:
                self.edge(lv("Wc"), start_cell(k), r, counters=counted("started", 1.0))
            if P is not None:
                self.edge(lv("Wc"), free, per_day(P), counters=counted("abandoned", 1.0) + counted("exits", 1.0))
        if nxt:
            self.edge(lv("W"), start_cell(k), 1.0, c.factor(("st", s)), counters=counted("started", 1.0))
            if P is not None:
                self.edge(lv("W"), free, per_day(P), counters=counted("abandoned", 1.0) + counted("exits", 1.0))

    def resident_service_edges(self, g: int, s: int) -> None:
        n = self.nodes[s]
        w = self.weight(g)
        doms = n.domains
        e0 = doms[0]
        multi = len(doms) > 1
        for e in doms:
            K = self.doms[e].levels
            is_counted = e == e0

            def counted(name, x, _c=is_counted):
                return [(self.counter(name, s), w * x)] if _c else []

            for k in range(K):
                free = self.R(g, e, None, k)

                def cell(ph, _e=e, _k=k):
                    return self.R(g, _e, (s, ph), _k)

                def start_cell(kk, _e=e):
                    ph = "S" if (n.kind != "int" or kk >= 1) else "Sx"
                    return self.R(g, _e, (s, ph), kk)

                if k >= n.min_level:
                    elig = (0, None)
                elif multi:
                    elig = (self.pe(g, s, e, False), self.pe(g, s, e, True))
                else:
                    elig = (None, 0)

                def route(src, base, f, kind, kk, cnt, _e=e):
                    self.resident_route(g, s, _e, src, base, f, kind, kk, cnt)

                self._phase_edges(s, cell, k, free, counted, elig, start_cell, route)
            # completions, with the completion effect on levels 1-2 of supported domains
            rate = 1.0 / n.duration
            for ph in [p for p in n.phases if p in ("S", "Sx")]:
                effect = ph == "S"
                for k in range(K):
                    src = self.R(g, e, (s, ph), k)
                    outs = {k: 1.0}
                    if effect and k in (1, 2) and (n.resolve > 0 or n.step_down > 0):
                        outs = {}
                        outs[0] = n.resolve + (n.step_down if k == 1 else 0.0)
                        if k == 2:
                            outs[1] = n.step_down
                        outs[k] = outs.get(k, 0.0) + 1.0 - n.resolve - n.step_down
                    for kk, q in outs.items():
                        if q > 0:
                            self.resident_route(g, s, e, src, rate * q, 0, "done", kk,
                                                counted("completed", 1.0))

    def pe(self, g: int, s: int, e: int, complement: bool) -> int:
        """Factor: chance another domain of a multi-domain service reaches its threshold."""
        n = self.nodes[s]
        name = ("pe", g, s, e, complement)
        f = self.c.factor(name)
        if f not in self.pe_factors:
            below = []
            for o in n.domains:
                if o == e:
                    continue
                K = self.doms[o].levels
                num = [self.R(g, o, (s, "A2"), k) for k in range(K) if k < n.min_level]
                den = [self.R(g, o, (s, "A2"), k) for k in range(K)]
                below.append(self.ratio(("below", g, s, o), num, den))
            self.pe_factors[f] = (below, complement)
        return f

    def rules_of(self, s: int, kind: str) -> list[Rule]:
        n = self.nodes[s]
        if kind == "away":
            return n.rules_away
        if n.kind == "int":
            return [Rule(t, 1.0, d, lo, loss, delay) for d, t, loss, lo, delay in n.handovers]
        return n.rules_done

    def exit_factor(self, key: tuple, terms: list[tuple[float, int, int]]) -> int:
        if not terms:
            return 0
        f = self.c.factor(("exit",) + key)
        self.exit_terms[f] = terms
        return f

    def resident_route(self, g: int, s: int, e: int, src: int, base: float, f: int, kind: str, k: int,
                       counted_extra: list) -> None:
        """Routing of residents of (g, s) leaving in domain e at level k (after any effect)."""
        n = self.nodes[s]
        c = self.c
        w = self.weight(g)
        is_counted = e == n.domains[0]
        free = self.R(g, e, None, k)
        cnt = (lambda name, t=s, x=1.0: [(self.counter(name, t), w * x)]) if is_counted else (lambda *a, **kw: [])
        terms: list[tuple[float, int, int]] = []
        for r in self.rules_of(s, kind):
            t, fa = r.target, 0
            if t < 0:
                t = self.groups[g].team
                if t < 0:
                    continue
                fa = c.factor(("act", t))
            if r.dom < 0:
                fc = 0
            elif r.dom == e:
                if k < r.min:
                    continue
                fc = 0
            elif r.dom in n.domains:
                fc = self.pm(g, s, r.dom, r.min)
            else:
                fc = self.pf(g, r.dom, r.min)
            terms.append((r.p, fc, fa))
            tn = self.nodes[t]
            ok = r.p * (1.0 - r.loss)
            lost = r.p * r.loss
            if lost > 0:
                self.edge(src, free, base * lost, f, fc, fa,
                          counters=counted_extra + cnt("referrals") + cnt("handoffs_lost") + cnt("exits"))
            if ok <= 0:
                continue
            cx = counted_extra + cnt("referrals") + cnt("referrals_received", t)
            if tn.domains:
                carried = tuple(d for d in n.domains if d in tn.domains)
                cond = r.dom if (r.dom >= 0 and r.dom not in n.domains) else -1
                ch = self.take_channel(g, t, carried, cond, r.min) if is_counted else -1
                if e in tn.domains:
                    for ph, q in self.entry_split(t):
                        self.edge(src, self.R(g, e, (t, ph), k), base * ok * q, f, fc, fa, channel=ch,
                                  counters=cx + cnt("arrivals", t) + (cnt("assessments", t) if ph == "A2" else []))
                else:
                    split = dict(self.entry_split(t))
                    self.edge(src, free, base * ok, f, fc, fa, channel=ch,
                              counters=cx + cnt("arrivals", t) + cnt("assessments", t, split.get("A2", 0.0)))
            else:
                self.edge(src, free, base * ok, f, fc, fa, counters=cx)
                if is_counted:
                    lvl = k if r.dom == e else (r.min if r.dom >= 0 else 0)
                    for ph, q in self.entry_split(t):
                        self.edge(src, self.co_cell(g, t, ph, int(lvl >= tn.min_level)), base * ok * q, f, fc, fa,
                                  sub=0, counters=cnt("arrivals", t) + (cnt("assessments", t) if ph == "A2" else []))
        fe = self.exit_factor((g, s, kind, e, k), terms)
        self.edge(src, free, base, f, fe, counters=counted_extra + cnt("exits"))

    # ------------------------------------------------------------------ count-only and background cases
    def count_only_edges(self, g: int, s: int, el: int) -> None:
        """Phases of count-only resident cases of group g at s (eligible or not)."""
        n = self.nodes[s]
        w = self.weight(g)

        def counted(name, x):
            return [(self.counter(name, s), w * x)]

        def route(src, base, f, kind, _k, cnt):
            self.count_only_route(g, s, src, base, f, kind, cnt)

        self._phase_edges(s, lambda ph: self.co_cell(g, s, ph, el), 0, self.sink, counted,
                          (0, None) if el else (None, 0), lambda _k: self.co_cell(g, s, "S", el), route)
        for ph in [p for p in n.phases if p in ("S", "Sx")]:
            if ("C", g, s, ph, el) in self.c.index:
                self.count_only_route(g, s, self.co_cell(g, s, ph, el), 1.0 / n.duration, 0, "done",
                                      counted("completed", 1.0))

    def count_only_route(self, g: int, s: int, src: int, base: float, f: int, kind: str, counted_extra: list) -> None:
        c = self.c
        w = self.weight(g)
        cnt = lambda name, t=s, x=1.0: [(self.counter(name, t), w * x)]  # noqa: E731
        terms: list[tuple[float, int, int]] = []
        for r in self.rules_of(s, kind):
            t, fa = r.target, 0
            if t < 0:
                t = self.groups[g].team
                if t < 0:
                    continue
                fa = c.factor(("act", t))
            fc = self.pf(g, r.dom, r.min) if r.dom >= 0 else 0
            terms.append((r.p, fc, fa))
            tn = self.nodes[t]
            ok, lost = r.p * (1.0 - r.loss), r.p * r.loss
            if lost > 0:
                self.edge(src, self.sink, base * lost, f, fc, fa,
                          counters=counted_extra + cnt("referrals") + cnt("handoffs_lost") + cnt("exits"))
            if ok <= 0:
                continue
            cx = counted_extra + cnt("referrals") + cnt("referrals_received", t)
            if tn.domains:  # the resident now engages the target's domains: taken from its free stocks
                split = dict(self.entry_split(t))
                ch = self.take_channel(g, t, (), r.dom, r.min)
                self.edge(src, self.sink, base * ok, f, fc, fa, channel=ch,
                          counters=cx + cnt("arrivals", t) + cnt("assessments", t, split.get("A2", 0.0)))
            else:
                lvl = r.min if r.dom >= 0 else 0
                for ph, q in self.entry_split(t):
                    self.edge(src, self.co_cell(g, t, ph, int(lvl >= tn.min_level)), base * ok * q, f, fc, fa,
                              counters=cx + cnt("arrivals", t) + (cnt("assessments", t) if ph == "A2" else []))
        fe = self.exit_factor(("C", g, s, kind), terms)
        self.edge(src, self.sink, base, f, fe, counters=counted_extra + cnt("exits"))

    def background_edges(self, s: int, level: int) -> None:
        """Phases of background cases (fixed level) at s."""
        n = self.nodes[s]

        def counted(name, x):
            return [(self.counter(name, s), x)]

        def route(src, base, f, kind, _k, cnt):
            self.background_route(s, level, src, base, f, kind, cnt)

        el = level >= n.min_level
        self._phase_edges(s, lambda ph: self.bg_cell(s, ph, level), 0, self.sink, counted,
                          (0, None) if el else (None, 0), lambda _k: self.bg_cell(s, "S", level), route)
        if el:
            self.background_route(s, level, self.bg_cell(s, "S", level), 1.0 / n.duration, 0, "done",
                                  counted("completed", 1.0))

    def background_route(self, s: int, level: int, src: int, base: float, f: int, kind: str, counted_extra) -> None:
        cnt = lambda name, t=s, x=1.0: [(self.counter(name, t), x)]  # noqa: E731
        left = 1.0
        rules = [] if (kind == "done" and self.nodes[s].kind == "int") else self.rules_of(s, kind)
        for r in rules:
            if r.dom >= 0 or r.target < 0:
                continue  # background cases meet no condition and have no INT team
            left -= r.p
            ok, lost = r.p * (1.0 - r.loss), r.p * r.loss
            if lost > 0:
                self.edge(src, self.sink, base * lost, f,
                          counters=counted_extra + cnt("referrals") + cnt("handoffs_lost") + cnt("exits"))
            if ok > 0:
                cx = counted_extra + cnt("referrals") + cnt("referrals_received", r.target)
                for ph, q in self.entry_split(r.target):
                    self.edge(src, self.bg_cell(r.target, ph, level), base * ok * q, f,
                              counters=cx + cnt("arrivals", r.target) + (cnt("assessments", r.target) if ph == "A2" else []))
        if left > 1e-12:
            self.edge(src, self.sink, base * left, f, counters=counted_extra + cnt("exits"))


def counted_extra_part(counters: list, x: float) -> list:
    """Counters scaled by ``x`` (the share of a departure going one way)."""
    return [(i, w * x) for i, w in counters]
