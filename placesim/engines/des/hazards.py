"""Competing-hazard tables of a cohort, built lazily per resident state.

A resident's state is its levels (two bits per domain, packed into one integer ``code``)
and a *modifier* -- which domains it is engaged with a service in (no help-seeking then),
which are held in crisis (no transitions), which supports act on it. For each
``(modifier, code)`` a cohort's table holds the total hazard per day, the cumulative
hazards, and the outcome of each: ``domain << 3 | new_level``, with new level 7 meaning
"seeks help in this domain". Tables are filled on first use, so the per-event cost of a
transition is one dict lookup, one exponential and one bisection.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import accumulate

from ...plan import CohortHazards

SEEK = 7
"""New level meaning "seeks help in this domain" in a table's outcomes."""


Entry = tuple[float, list[float], list[int]]


class HazardTables:
    """Lazily built transition tables for every cohort.

    Parameters
    ----------
    cohorts
        Base hazards per cohort (per day).
    coupling
        ``coupling[a][b]`` multiplies domain b's escalation while domain a is at level >= 2.
    n_domains
        Number of domains.
    """

    def __init__(self, cohorts: Sequence[CohortHazards], coupling: Sequence[Sequence[float]], n_domains: int):
        self.cohorts = cohorts
        self.coupling = coupling
        self.D = n_domains
        self.shift = 2 * n_domains
        self.tables: list[dict[int, Entry]] = [{} for _ in cohorts]
        # modifier id -> (engaged mask, held mask, per-domain escalation and recovery multipliers)
        self.mods: list[tuple[int, int, tuple[float, ...], tuple[float, ...]]] = []
        self._mod_ids: dict[tuple[int, int, tuple[int, ...]], int] = {}
        # effect id -> (domain mask, escalation multiplier, recovery multiplier)
        self.effects: list[tuple[int, float, float]] = []
        self._effect_ids: dict[tuple[int, float, float], int] = {}
        self.mod_id(0, 0, ())

    def effect_id(self, mask: int, escalation: float, recovery: float) -> int:
        """Intern a support effect on the domains in ``mask``."""
        key = (mask, float(escalation), float(recovery))
        eid = self._effect_ids.get(key)
        if eid is None:
            eid = self._effect_ids[key] = len(self.effects)
            self.effects.append(key)
        return eid

    def mod_id(self, engaged: int, held: int, supports: tuple[int, ...]) -> int:
        """Intern a modifier: engaged and held domain masks plus active support effects.

        Where several supports act on one domain, the strongest applies (lowest escalation
        multiplier, highest recovery multiplier); they do not stack.
        """
        key = (engaged, held, supports)
        mid = self._mod_ids.get(key)
        if mid is None:
            esc = [1.0] * self.D
            rec = [1.0] * self.D
            first = [True] * self.D
            for eid in supports:
                mask, e, r = self.effects[eid]
                for d in range(self.D):
                    if mask >> d & 1:
                        if first[d]:
                            esc[d], rec[d], first[d] = e, r, False
                        else:
                            esc[d] = min(esc[d], e)
                            rec[d] = max(rec[d], r)
            mid = self._mod_ids[key] = len(self.mods)
            self.mods.append((engaged, held, tuple(esc), tuple(rec)))
        return mid

    def entry(self, cohort: int, mod: int, code: int) -> Entry:
        """Total hazard, cumulative hazards and outcomes for one state (built on first use)."""
        key = (mod << self.shift) | code
        table = self.tables[cohort]
        found = table.get(key)
        if found is None:
            found = table[key] = self._build(cohort, mod, code)
        return found

    def _build(self, cohort: int, mod: int, code: int) -> Entry:
        h = self.cohorts[cohort]
        engaged, held, esc_mult, rec_mult = self.mods[mod]
        D = self.D
        levels = [(code >> (2 * d)) & 3 for d in range(D)]
        rates: list[float] = []
        outs: list[int] = []

        def add(rate: float, out: int) -> None:
            if rate > 0.0:
                rates.append(rate)
                outs.append(out)

        for d in range(D):
            if held >> d & 1:
                continue
            k = levels[d]
            if k == 0:
                add(h.onset[d], d << 3 | 1)
            elif k <= 2:
                couple = 1.0
                for a in range(D):
                    if levels[a] >= 2:
                        couple *= self.coupling[a][d]
                add(h.escalation[d][k - 1] * couple * esc_mult[d], d << 3 | (k + 1))
                add(h.recovery[d][k - 1] * rec_mult[d], d << 3 | (k - 1))
                if not engaged >> d & 1:
                    add(h.help[d][k - 1], d << 3 | SEEK)
        cum = list(accumulate(rates))
        return (cum[-1] if cum else 0.0, cum, outs)
