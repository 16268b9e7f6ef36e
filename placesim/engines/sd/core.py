"""Compile a plan into the stocks and flows of the system-dynamics engine.

The state is one vector of *stocks* (people) followed by *counters* (cumulative flows and
time integrals, differenced into the reporting bins). Every flow is an *edge*

    flow = base x F[f1] x F[f2] x F[f3] x y[src]

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

Phases of a service (:meth:`~placesim.engines.sd.nodes.ServiceFlows.make_phases`): ``A1``
waiting for an open day, ``A2`` being assessed (or deciding: a fast phase when the
assessment takes no time), ``Wc`` decided on a closed day and waiting for the opening,
``W`` queueing for a place, ``S`` supported (a kind may add phases, e.g. the INT's ``Sx``).

This module holds the stocks, factors and counters every flow is built on
(:class:`BuilderCore`); the flows of residents are in :mod:`.residents`, those of people
at services in :mod:`.phases`, and :class:`~placesim.engines.sd.builder.Builder` builds
them all.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ...plan import COUNTERS, Plan
from .nodes import ServiceFlows
from .rates import PROTECTED, SUPPORTED, TAU_INIT, WAITING

if TYPE_CHECKING:  # pragma: no cover
    from ...scenario.model import CrisisContacts

LAZY_COUNTERS = ("crisis_contacts", "repeat_contacts")
"""Service counts the SD keeps only where a flow feeds them (repeat crisis contacts), or makes
after the run (``crisis_contacts``: crises x the responses' probabilities, plus the repeats).
Every counter is a state of the solver and changes its error norm's weights (see
:meth:`.run.SdRun.atol`), so a scenario without repeat contacts keeps the state it had."""
SERVICE_COUNTERS = tuple(c.name for c in COUNTERS.values()
                         if c.axis == "service" and c.how == "count" and "sd" in c.engines
                         and c.name not in LAZY_COUNTERS) + (
    "busy_server_days", "queue_days", "pressure_days", "in_system_days")
"""Counters the SD keeps per service: the counts it fills (from the counters table), then the
time integrals (``in_system_days`` feeds the derived times in the system)."""

RESIDENT_COUNTERS = ("resident_assessments", "resident_handoffs")
"""Counters the SD keeps per group (per member): its residents' assessments and referrals."""
REACH_COUNTERS = ("int_contacts", "int_found", "int_started")
"""Counters the SD keeps per group (per member) only for a plan with household attributes:
the INT's outreach contacts with its residents, those found and their INT starts. (Kept only
then: every counter is a component of the solver's state, and the stocks' tolerances are
scaled by the number of components, so a new counter would move every figure of an old
scenario by a little.)"""


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
    """The stocks, edges, takes, channels and factors of a compiled plan (filled by :class:`Builder`)."""

    def __init__(self) -> None:
        self.keys: list[tuple] = []
        self.index: dict[tuple, int] = {}
        self.edges: list[tuple] = []  # (src, dst, base, f1, f2, f3, sub, counters, channel)
        self.takes: list[tuple] = []  # (src, dst, base, pair)
        self.take_pairs: list[tuple[int, list[tuple[int, float]]]] = []  # (channel, [(free cell, weight)])
        self.channels: dict[tuple, int] = {}
        self.factor_names: list[Hashable] = ["one"]   # "one", or a tuple naming what the factor is
        self.factor_index: dict[Hashable, int] = {"one": 0}

    # ------------------------------------------------------------------ stocks and factors
    def cell(self, key: tuple) -> int:
        return _intern(self.index, key, self.keys)

    def factor(self, name: Hashable) -> int:
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


def compile_groups(plan: Plan, nodes: list[ServiceFlows]) -> tuple[list[Group], np.ndarray]:
    """Groups with identical cohort, size and neighbourhood team share stocks.

    Returns the groups and, for every (neighbourhood, cohort), the index of its group.
    """
    team_of = {n.plan.neighbourhood: n.index for n in nodes if n.plan.neighbourhood >= 0}
    groups: list[Group] = []
    seen: dict[tuple, int] = {}
    N, C = plan.n_neighbourhoods, plan.n_cohorts
    of = np.full((N, C), -1, dtype=int)
    for gp in plan.groups:
        ni, ci, size = gp.neighbourhood, gp.cohort, gp.size
        team = team_of.get(ni, -1)
        key = (ci, size, team)
        g = seen.get(key)
        if g is None:
            g = seen[key] = len(groups)
            groups.append(Group(ci, ni, [], float(size), team))
        groups[g].members.append((ni, ci))
        of[ni, ci] = g
    return groups, of


def chain_lengths(nodes: list[ServiceFlows]) -> np.ndarray:
    """Expected time from arriving at each service to the end of its referral chain.

    Time at a service without queueing (open-day waits, assessment, support) plus the
    expected chain after it over its unconditional completion referrals (those to the INT
    left out); solved as a linear system so loops are allowed.
    """
    t, P = chain_steps(nodes)
    try:
        return np.linalg.solve(np.eye(len(nodes)) - P, t)
    except np.linalg.LinAlgError:  # pragma: no cover - a closed loop with certainty is refused by validation
        return t


def chain_steps(nodes: list[ServiceFlows]) -> tuple[np.ndarray, np.ndarray]:
    """Each service's own time (waits, assessment, support, referral delays) and the chance
    ``P[s, t]`` that a case completing at ``s`` goes on to ``t`` unconditionally."""
    S = len(nodes)
    P = np.zeros((S, S))
    t = np.zeros(S)
    for n in nodes:
        w = n.waits
        t[n.index] = (w.closed_share * w.wait_closed + n.assess_days + w.decided_closed_share * w.wait_decided_closed
                      + n.duration)
        for r in n.rules_done:
            if r.domain < 0 and r.target >= 0:
                P[n.index, r.target] += r.probability * (1 - r.loss)
                t[n.index] += r.probability * (1 - r.loss) * r.delay
    return t, P


@dataclass
class DomainInfo:
    """A domain as the SD sees it: front door, crisis responses, and whether crises hold."""

    front_door: int
    responses: list[tuple[int, float]]
    hold: bool
    p_any: float        # chance a crisis draws on at least one response
    t_hold: float       # mean days a held crisis lasts (the longest response chain)
    contacts: list[CrisisContacts | None] = field(default_factory=list)  # per response: repeats (None: one contact)
    t_first: float = 0.0  # a two-stage hold: mean days at the chain's first service
    q_on: float = 0.0     # ... the share going on along the chain after it (0: one stage)
    t_rest: float = 0.0   # ... and the mean days of the rest of the chain for those

    @property
    def two_stage(self) -> bool:
        return self.hold and self.q_on > 0.0

    @property
    def levels(self) -> int:
        """Level cells of the domain: 0-2, 3 when crises hold, and 4 (still level 3: the rest
        of the chain) when the hold has two stages."""
        return (5 if self.two_stage else 4) if self.hold else 3


class BuilderCore:
    """The stocks, counters, factors and helpers every flow is built with (see the module docstring).

    Parameters
    ----------
    plan
        The compiled scenario.
    flows
        The SD flows class of each kind of service in the plan (see :mod:`placesim.kinds`).
    """

    def __init__(self, plan: Plan, flows: Mapping[str, type[ServiceFlows]]):
        missing = [k for k in plan.kinds() if k not in flows]
        if missing:
            raise KeyError(f"no SD flows class for kind(s) {', '.join(missing)}")
        self.plan = plan
        self.nodes: list[ServiceFlows] = [flows[sp.kind](sp) for sp in plan.services]
        self.groups, self.group_of = compile_groups(plan, self.nodes)
        self.reach = plan.attributes is not None  # keep REACH_COUNTERS
        self.c = c = Compiled()
        self.D = plan.n_domains
        self.S = len(self.nodes)
        self.G = len(self.groups)
        own, onward = chain_steps(self.nodes)
        lengths = chain_lengths(self.nodes)
        self.doms: list[DomainInfo] = []
        for dom in plan.domains:
            resp = list(dom.crisis_responses)
            p_any = 1.0 - float(np.prod([1.0 - p for _, p in resp])) if resp else 0.0
            hold = dom.stay_in_crisis and p_any > 0
            t_hold = max((lengths[s] for s, p in resp if p > 0), default=0.0)
            info = DomainInfo(dom.front_door, resp, hold, p_any, max(t_hold, TAU_INIT),
                              [dom.contacts_of(i) for i in range(len(resp))])
            if hold:
                # The hold as the DES has it: the chain's first service for everyone, the rest
                # of the chain only for the share that goes on (a few in temporary
                # accommodation for years, most back after a 56-day duty), not one
                # exponential of the mean: the same mean, a closer shape.
                s = max((s for s, p in resp if p > 0), key=lambda s: lengths[s])
                q, first = float(onward[s].sum()), float(own[s])
                if 0.0 < q <= 1.0 and first > 0.0 and t_hold - first > 1e-9 * t_hold:
                    info.t_first, info.q_on, info.t_rest = first, q, (t_hold - first) / q
            self.doms.append(info)
        # per-day hazards [cohort][domain]: (onset, escalation pair, recovery pair, help-seeking pair)
        self.haz = [[(h.onset[d], h.escalation[d], h.recovery[d], h.help[d]) for d in range(self.D)]
                    for h in (co.hazards for co in plan.cohorts)]
        self.coupling = np.array(plan.coupling, dtype=float).reshape(self.D, self.D)
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

    # ------------------------------------------------------------------ residents' own counters
    def sent_by(self, cell: int) -> tuple[int, int]:
        """(group, service) of the residents in a cell: the service is the one they are at (-1
        when free, protected or not a resident's cell; the group -1 for background cases)."""
        key = self.c.keys[cell]
        if key[0] == "R":
            st = key[3]
            return key[1], (st[0] if st is not None and st[1] != PROTECTED else -1)
        if key[0] == "C":
            return key[1], key[2]
        if key[0] in ("I", "K"):
            return key[1], -1
        return -1, -1

    def resident_counters(self, g: int, s: int, counters: Sequence[tuple[int, float]]) -> list[tuple[int, float]]:
        """A flow's counters with what residents of group g leaving service s add to them.

        Their assessments and referrals also count in the group's ``resident_assessments`` and
        ``resident_handoffs`` (per member). Residents arriving at a partner service from an INT
        team (handed over, handed back, or in crisis while the team supports them) are known to
        the team: the partner reads its shared record instead of assessing them afresh with
        chance p, which moves p of those arrivals' assessments to ``assessments_spared`` (counted
        at arrival, for those assessed at once and after a wait for an open day alike).
        """
        if g < 0:
            return list(counters)
        per = 1.0 / self.groups[g].mult
        node = self.nodes[s] if s >= 0 else None
        keys = self.counter_keys
        out: list[tuple[int, float]] = []
        for j, x in counters:
            out.append((j, x))
            name = self.counter_keys[j][0]
            if name == "assessments":
                out.append((self.counter("resident_assessments", g), x * per))
            elif name == "referrals":
                out.append((self.counter("resident_handoffs", g), x * per))
            elif name == "started" and self.reach and self.nodes[keys[j][1]].plan.kind == "int":
                out.append((self.counter("int_started", g), x * per))
            elif name == "arrivals" and node is not None:
                t = keys[j][1]
                p = node.spare_at(t) if t != s else 0.0
                if p > 0.0:
                    out += [(self.counter("assessments_spared", t), x * p), (self.counter("assessments", t), -x * p),
                            (self.counter("resident_assessments", g), -x * p * per)]
        return out

    def add_resident_counters(self) -> None:
        """Give every flow of residents its residents' counters (see :meth:`resident_counters`)."""
        edges = self.c.edges
        for i, (src, dst, base, f1, f2, f3, sub, counters, ch) in enumerate(edges):
            if counters:
                g, s = self.sent_by(src)
                if g >= 0:
                    edges[i] = (src, dst, base, f1, f2, f3, sub, tuple(self.resident_counters(g, s, counters)), ch)

    def edge(self, src, dst, base, f1=0, f2=0, f3=0, sub=1, counters=(), channel=-1):
        if base <= 0.0:
            return
        self.c.edges.append((src, dst, float(base), f1, f2, f3, sub, tuple(counters), channel))

    def statuses(self, g: int, d: int) -> list:
        """Statuses a resident of group g can have in domain d: free, a phase of a service, or
        free but still protected by a service's support (``(s, "P")``, where its effect persists)."""
        out: list = [None]
        group = self.groups[g]
        for n in self.nodes:
            if d in n.domains and n.serves(group):
                out += [(n.index, ph) for ph in n.phases]
                if n.persistence > 0:
                    out.append((n.index, PROTECTED))
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
        phs = [p for p in self.nodes[s].phases if p in SUPPORTED]
        num = [self.R(g, d, (s, p), k) for p in phs for k in range(K) if k >= lo]
        den = [self.R(g, d, (s, p), k) for p in phs for k in range(K)]
        return self.ratio(("pm", g, s, d, lo), num, den)

    def weight(self, g: int) -> float:
        return float(self.groups[g].mult) if g >= 0 else 1.0

    def service_cell(self, s: int, cell: int, w: float, ph: str) -> None:
        self.service_cells[s].append((cell, w, ph))
        if ph in SUPPORTED:
            self.stock_integrals.append((self.counter("busy_server_days", s), cell, w))
        if ph in WAITING:
            self.stock_integrals.append((self.counter("queue_days", s), cell, w))
        self.stock_integrals.append((self.counter("in_system_days", s), cell, w))

    def co_cell(self, g: int, s: int, ph: str, el: int, known: tuple[int, int] | None = None) -> int:
        """A count-only case of group g at s in phase ph (eligibility class el); ``known``: the
        domain and level of the need that sent it (a crisis or help-seeking visit), which a
        referral condition on that domain then meets or not for certain."""
        key = ("C", g, s, ph, el, known)
        new = key not in self.c.index
        i = self.c.cell(key)
        if new:
            self.service_cell(s, i, self.weight(g), ph)
            if ("C", g, s, el, known) not in self.built:
                self.built.add(("C", g, s, el, known))
                self.pending.append(("C", g, s, el, known))
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

