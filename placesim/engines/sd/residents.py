"""Flows of residents: onset, escalation, recovery, crises, help-seeking (a mixin of the builder)."""

from __future__ import annotations

from .core import BuilderCore
from .rates import PROTECTED, TAU_INIT


class ResidentFlows(BuilderCore):
    """Edges of residents between levels, into crisis services and to front doors."""

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
            if st is not None and st[1] in ("S", PROTECTED):
                n = self.nodes[st[0]]
                me, mr = n.esc, n.rec
            R = lambda k, st=st: self.R(g, d, st, k)
            self.edge(R(0), R(1), onset)
            self.edge(R(1), R(2), esc[0] * me, c.factor(("cf", g, d, 1)))
            self.edge(R(1), R(0), rec[0] * mr)
            self.edge(R(2), R(1), rec[1] * mr)
            self.crisis_edges(R(2), g, d, st, esc[1] * me, c.factor(("cf", g, d, 2)), [(sc, w)], init=False)
            if info.two_stage:
                self.edge(R(3), R(2), (1.0 - info.q_on) / info.t_first)
                self.edge(R(3), R(4), info.q_on / info.t_first)
                self.edge(R(4), R(2), 1.0 / info.t_rest)
            elif info.hold:
                self.edge(R(3), R(2), 1.0 / info.t_hold)
            if st is None or st[1] == PROTECTED:  # free to seek help (the protected too)
                for k in (1, 2):
                    self.help_edges(R(k), g, d, k, hlp[k - 1], [(hc, w)])
            if st is not None and st[1] == PROTECTED:  # the effect fades
                for k in range(info.levels):
                    self.edge(R(k), self.R(g, d, None, k), 1.0 / self.nodes[st[0]].persistence)
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
        for i, (s, p) in enumerate(info.responses):
            contacts = info.contacts[i]
            if contacts is not None:
                self.repeat_edges(src, g, s, base * p * contacts.repeats, f, contacts.over_days)
            n = self.nodes[s]
            if not info.hold and st is None and moved == 0.0 and d in n.domains and n.serves(self.groups[g]):
                moved = p  # the resident's visit engages the domain: it moves there at level 2
                for ph, q in self.entry_split(s):
                    self.edge(src, self.R(g, d, (s, ph), 2), base * p * q, f,
                              counters=self.arrival_counters(s, ph, w, False),
                              channel=self.take_channel(g, s, (d,), -1, 0))
            else:
                known = (d, 3 if info.hold else 2)  # held at level 3, else back at 2 at once
                for ph, q in self.entry_split(s):
                    self.edge(src, self.co_cell(g, s, ph, 1, known), base * p * q, f, sub=0,
                              counters=self.arrival_counters(s, ph, w, False))
        if init and moved < 1.0:
            self.edge(src, self.R(g, d, st, 2), base * (1.0 - moved), f)

    def repeat_edges(self, src: int, g: int, s: int, base: float, f: int, over: float) -> None:
        """Repeat contacts of crises out of ``src`` at service ``s`` (``base``: crises x the response's
        probability x mean repeats per episode): copied into a pending stock ``K[g, s, over]``,
        which empties at rate ``2 / over`` into count-only crisis visits at ``s`` -- a first-order
        delay with the mean of the DES's uniform spread over ``over`` days."""
        key = ("K", g, s, over)
        new = key not in self.c.index
        k = self.c.cell(key)
        self.edge(src, k, base, f, sub=0)
        if new:
            w = self.weight(g)
            for ph, q in self.entry_split(s):
                counters = self.arrival_counters(s, ph, w, False) + [(self.counter("repeat_contacts", s), w)]
                self.edge(k, self.co_cell(g, s, ph, 1), 2.0 / over * q, counters=counters)

    def help_edges(self, src: int, g: int, d: int, k: int, base: float, counters) -> None:
        info = self.doms[d]
        team = self.groups[g].team
        w = self.weight(g)
        targets: list[tuple[int, int]] = []  # (service, factor)
        share = self.nodes[team].help_share(d) if team >= 0 else 0.0
        if share > 0.0:  # to the team once it has started: all of them (its front door) or a share
            to_team, rest = (("act", team), ("inact", team)) if share >= 1.0 else (
                ("helpact", team, share), ("helpinact", team, share))
            targets.append((team, self.c.factor(to_team)))
            if info.front_door >= 0:
                targets.append((info.front_door, self.c.factor(rest)))
            else:  # the others find no front door: their help-seeking is counted all the same
                self.edge(src, self.sink, base, self.c.factor(rest), sub=0, counters=counters)
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
                    self.edge(src, self.co_cell(g, s, ph, n.eligible_class(k), (d, k)), base * q, f, sub=0,
                              counters=cnt)
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
