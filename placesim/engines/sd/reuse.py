"""Work shared between SD runs of nearly the same plan: the draws of an uncertainty analysis.

A probabilistic sensitivity analysis runs every option at hundreds of parameter draws that
change only an INT team's values (its effect, its length of support, its case-finding) and
the economics. Two things repeat from draw to draw:

* **Whole runs.** A plan no draw changes (the baseline, or an option whose uncertain values
  are all costs) gives the same arrays every time: they are kept by the plan's digest.
* **The run before a team opens.** Until a service that is closed at the start of the run
  opens, nothing reaches it (every flow into a service is gated by its being open, and
  case-finding is idle), so its own values cannot change the state; the warm-up, more than
  two thirds of Brent's clock, is then the same for every draw. The state where the first
  such service opens is kept by the digest of the plan with those services' values left
  out, and by the layout of the stocks.

Both are exact, not approximations: the kept state is the one the run would have computed
(the tests run draws both ways and compare them bit for bit). Sharing is off unless a
caller turns it on with :func:`sharing` (the uncertainty analysis does, in each task).
"""

from __future__ import annotations

import hashlib
import pickle
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields
from typing import Any

from ...plan import Plan

DEFAULT_SIZE = 32
"""Entries kept (least recently used dropped): on Brent a kept state (with the bins before it) is about
420 kB and a whole run's arrays about 250 kB."""


class Store:
    """Kept results by key, the least recently used dropped beyond ``size``."""

    def __init__(self, size: int = DEFAULT_SIZE):
        self.size = int(size)
        self._kept: OrderedDict[tuple, Any] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple) -> Any | None:
        found = self._kept.get(key)
        if found is None:
            self.misses += 1
            return None
        self.hits += 1
        self._kept.move_to_end(key)
        return found

    def put(self, key: tuple, value: Any) -> None:
        self._kept[key] = value
        self._kept.move_to_end(key)
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)


_STORE: Store | None = None


def current() -> Store | None:
    """The store in use, or None when runs share nothing (the default)."""
    return _STORE


@contextmanager
def sharing(size: int = DEFAULT_SIZE) -> Iterator[Store]:
    """Share whole runs and the states before a team opens between the SD runs made inside
    the block (nested blocks use the outer store)."""
    global _STORE
    if _STORE is not None:
        yield _STORE
        return
    _STORE = Store(size)
    try:
        yield _STORE
    finally:
        _STORE = None


def plan_digest(plan: Plan, left_out: frozenset[int] = frozenset()) -> str:
    """A digest of everything in ``plan``, the values of the services ``left_out`` (by index)
    replaced by their kind's name."""
    parts = []
    for f in fields(plan):
        value = getattr(plan, f.name)
        if f.name == "services" and left_out:
            value = tuple(type(sp).__name__ if sp.index in left_out else sp for sp in value)
        parts.append((f.name, value))
    return hashlib.sha256(pickle.dumps(parts, protocol=pickle.HIGHEST_PROTOCOL)).hexdigest()
