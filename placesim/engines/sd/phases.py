"""Flows of people at services: the phases, starts under capacity, completions and routing
(a mixin of the builder)."""

from __future__ import annotations

from collections.abc import Callable

from ...plan import Rule
from .rates import PROTECTED, SUPPORTED, per_day
from .residents import ResidentFlows

Counted = Callable[[str, float], list[tuple[int, float]]]
"""``counted(counter name, weight)``: the ``(counter, weight)`` pairs a flow adds to (none where
the line is not the one counted)."""


class PhaseFlows(ResidentFlows):
    """Edges of residents, count-only and background cases through each service's phases."""

    def _phase_edges(self, s: int, cell: Callable[[str], int], k: int, free: int, counted: Counted,
                     elig: tuple[int | None, int | None], start_cell: Callable[[int], int], route: Callable[..., None],
                     pressed: bool = False) -> None:
        """Edges of one (class, domain or level) line of a service's phases.

        ``cell(ph)`` gives the line's cell in a phase; ``free`` where leavers go;
        ``counted(name, weight)`` the service counters (empty where the line is not the
        counted one); ``elig`` the factors of being eligible and not (0 for "certainly",
        None for "never"); ``start_cell(k)`` the supported cell a start goes to;
        ``route(src, base, f, kind, k)`` adds the routing of leavers (kind 'away'/'done');
        ``pressed`` if those turned away are turned away only by a threshold raised under pressure.
        """
        n = self.nodes[s]
        c = self.c
        ws = n.waits
        P = n.patience
        lv = cell
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
            away = counted("turned_away", 1.0) + (counted("turned_away_pressure", 1.0) if pressed else [])
            route(lv("A2"), rate, f_inel, "away", k, away)
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
                    return self.R(g, _e, (s, n.start_phase(kk)), kk)

                elig: tuple[int | None, int | None]
                el = n.eligible_class(k)
                if el:
                    elig = self.elig_factors(s, el)
                elif multi:
                    elig = (self.pe(g, s, e, False), self.pe(g, s, e, True))
                else:
                    elig = (None, 0)

                def route(src, base, f, kind, kk, cnt, _e=e):
                    self.resident_route(g, s, _e, src, base, f, kind, kk, cnt)

                self._phase_edges(s, cell, k, free, counted, elig, start_cell, route, el == 2)
            # completions, with the completion effect on levels 1-2 of supported domains
            rate = 1.0 / n.duration
            for ph in [p for p in n.phases if p in SUPPORTED]:
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
                            back = self.R(g, e, (s, PROTECTED), kk) if effect and n.persistence > 0 else None
                            self.resident_route(g, s, e, src, rate * q, 0, "done", kk,
                                                counted("completed", 1.0), free_cell=back)

    def elig_factors(self, s: int, el: int) -> tuple[int | None, int | None]:
        """Factors of being eligible and not for an eligibility class (see
        :meth:`~placesim.engines.sd.nodes.ServiceFlows.eligible_class`): under pressure, the share
        of the time the threshold is raised turns them away."""
        if el == 1:
            return (0, None)
        if el == 0:
            return (None, 0)
        return (self.c.factor(("presskeep", s)), self.c.factor(("pressaway", s)))

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

    def exit_factor(self, key: tuple, terms: list[tuple[float, int, int]]) -> int:
        if not terms:
            return 0
        f = self.c.factor(("exit",) + key)
        self.exit_terms[f] = terms
        return f

    def rule_target(self, g: int, r: Rule) -> tuple[int, int] | None:
        """Where a rule sends group g's residents, and the factor of that target being open (0:
        always); None for a referral to the neighbourhood team of a group that has none."""
        if r.target >= 0:
            return r.target, 0
        team = self.groups[g].team
        if team < 0:
            return None
        return team, self.c.factor(("act", team))

    def resident_route(self, g: int, s: int, e: int, src: int, base: float, f: int, kind: str, k: int,
                       counted_extra: list, free_cell: int | None = None) -> None:
        """Routing of residents of (g, s) leaving in domain e at level k (after any effect);
        those who go nowhere else go to ``free_cell`` (default the free stock; a protected one
        where support's effect persists)."""
        n = self.nodes[s]
        w = self.weight(g)
        is_counted = e == n.domains[0]
        free = self.R(g, e, None, k) if free_cell is None else free_cell
        cnt = (lambda name, t=s, x=1.0: [(self.counter(name, t), w * x)]) if is_counted else (lambda *a, **kw: [])
        terms: list[tuple[float, int, int]] = []
        for r in self.nodes[s].rules(kind):
            reached = self.rule_target(g, r)
            if reached is None:
                continue
            t, fa = reached
            if r.domain < 0:
                fc = 0
            elif r.domain == e:
                if k < r.min_level:
                    continue
                fc = 0
            elif r.domain in n.domains:
                fc = self.pm(g, s, r.domain, r.min_level)
            else:
                fc = self.pf(g, r.domain, r.min_level)
            terms.append((r.probability, fc, fa))
            tn = self.nodes[t]
            ok = r.probability * (1.0 - r.loss)
            lost = r.probability * r.loss
            if lost > 0:
                self.edge(src, free, base * lost, f, fc, fa,
                          counters=counted_extra + cnt("referrals") + cnt("handoffs_lost") + cnt("exits"))
            if ok <= 0:
                continue
            cx = counted_extra + cnt("referrals") + cnt("referrals_received", t)
            if tn.domains:
                carried = tuple(d for d in n.domains if d in tn.domains)
                cond = r.domain if (r.domain >= 0 and r.domain not in n.domains) else -1
                ch = self.take_channel(g, t, carried, cond, r.min_level) if is_counted else -1
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
                    lvl = k if r.domain == e else (r.min_level if r.domain >= 0 else 0)
                    for ph, q in self.entry_split(t):
                        self.edge(src, self.co_cell(g, t, ph, tn.eligible_class(lvl)), base * ok * q, f, fc, fa,
                                  sub=0, counters=cnt("arrivals", t) + (cnt("assessments", t) if ph == "A2" else []))
        fe = self.exit_factor((g, s, kind, e, k), terms)
        self.edge(src, free, base, f, fe, counters=counted_extra + cnt("exits"))

    # ------------------------------------------------------------------ count-only and background cases
    def count_only_edges(self, g: int, s: int, el: int, known: tuple[int, int] | None) -> None:
        """Phases of count-only resident cases of group g at s (eligible or not; ``known``: see
        :meth:`co_cell`)."""
        n = self.nodes[s]
        w = self.weight(g)

        def counted(name, x):
            return [(self.counter(name, s), w * x)]

        def route(src, base, f, kind, _k, cnt):
            self.count_only_route(g, s, src, base, f, kind, cnt, known)

        self._phase_edges(s, lambda ph: self.co_cell(g, s, ph, el, known), 0, self.sink, counted,
                          self.elig_factors(s, el), lambda _k: self.co_cell(g, s, "S", el, known), route, el == 2)
        for ph in [p for p in n.phases if p in SUPPORTED]:
            if ("C", g, s, ph, el, known) in self.c.index:
                self.count_only_route(g, s, self.co_cell(g, s, ph, el, known), 1.0 / n.duration, 0, "done",
                                      counted("completed", 1.0), known)

    def count_only_route(self, g: int, s: int, src: int, base: float, f: int, kind: str, counted_extra: list,
                         known: tuple[int, int] | None = None) -> None:
        w = self.weight(g)
        cnt = lambda name, t=s, x=1.0: [(self.counter(name, t), w * x)]
        terms: list[tuple[float, int, int]] = []
        for r in self.nodes[s].rules(kind):
            reached = self.rule_target(g, r)
            if reached is None:
                continue
            t, fa = reached
            if known is not None and r.domain == known[0]:  # the need that sent the case: met or not, for certain
                if known[1] < r.min_level:
                    continue
                fc = 0
            else:
                fc = self.pf(g, r.domain, r.min_level) if r.domain >= 0 else 0
            terms.append((r.probability, fc, fa))
            tn = self.nodes[t]
            ok, lost = r.probability * (1.0 - r.loss), r.probability * r.loss
            if lost > 0:
                self.edge(src, self.sink, base * lost, f, fc, fa,
                          counters=counted_extra + cnt("referrals") + cnt("handoffs_lost") + cnt("exits"))
            if ok <= 0:
                continue
            cx = counted_extra + cnt("referrals") + cnt("referrals_received", t)
            if tn.domains:  # the resident now engages the target's domains: taken from its free stocks
                split = dict(self.entry_split(t))
                ch = self.take_channel(g, t, (), r.domain, r.min_level)
                self.edge(src, self.sink, base * ok, f, fc, fa, channel=ch,
                          counters=cx + cnt("arrivals", t) + cnt("assessments", t, split.get("A2", 0.0)))
            else:
                lvl = r.min_level if r.domain >= 0 else 0
                for ph, q in self.entry_split(t):
                    self.edge(src, self.co_cell(g, t, ph, tn.eligible_class(lvl)), base * ok * q, f, fc, fa,
                              counters=cx + cnt("arrivals", t) + (cnt("assessments", t) if ph == "A2" else []))
        fe = self.exit_factor(("C", g, s, kind, known), terms)
        self.edge(src, self.sink, base, f, fe, counters=counted_extra + cnt("exits"))

    def background_edges(self, s: int, level: int) -> None:
        """Phases of background cases (fixed level) at s."""
        n = self.nodes[s]

        def counted(name, x):
            return [(self.counter(name, s), x)]

        def route(src, base, f, kind, _k, cnt):
            self.background_route(s, level, src, base, f, kind, cnt)

        el = n.eligible_class(level)
        self._phase_edges(s, lambda ph: self.bg_cell(s, ph, level), 0, self.sink, counted,
                          self.elig_factors(s, el), lambda _k: self.bg_cell(s, "S", level), route, el == 2)
        if el:
            self.background_route(s, level, self.bg_cell(s, "S", level), 1.0 / n.duration, 0, "done",
                                  counted("completed", 1.0))

    def background_route(self, s: int, level: int, src: int, base: float, f: int, kind: str, counted_extra) -> None:
        cnt = lambda name, t=s, x=1.0: [(self.counter(name, t), x)]
        left = 1.0
        rules = self.nodes[s].background_rules(kind)
        for r in rules:
            if r.domain >= 0 or r.target < 0:
                continue  # background cases meet no condition and have no INT team
            left -= r.probability
            ok, lost = r.probability * (1.0 - r.loss), r.probability * r.loss
            if lost > 0:
                self.edge(src, self.sink, base * lost, f,
                          counters=counted_extra + cnt("referrals") + cnt("handoffs_lost") + cnt("exits"))
            if ok > 0:
                cx = counted_extra + cnt("referrals") + cnt("referrals_received", r.target)
                for ph, q in self.entry_split(r.target):
                    self.edge(src, self.bg_cell(r.target, ph, level), base * ok * q, f,
                              counters=cx + cnt("arrivals", r.target)
                              + (cnt("assessments", r.target) if ph == "A2" else []))
        if left > 1e-12:
            self.edge(src, self.sink, base * left, f, counters=counted_extra + cnt("exits"))
