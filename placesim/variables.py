"""The output variables of a run (kept for code that imported them from here).

The table itself is :data:`placesim.plan.COUNTERS`; this is a view of it.
"""

from __future__ import annotations

from typing import NamedTuple

from .plan import COUNTERS


class Variable(NamedTuple):
    dims: tuple[str, ...]
    units: str
    description: str


VARIABLES: dict[str, Variable] = {c.name: Variable(c.dims, c.units, c.description) for c in COUNTERS.values()}
"""Dimensions, units and meaning of every output variable, by name."""
