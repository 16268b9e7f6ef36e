"""The flows a kind adds in Python (:class:`~.rhs.ExtraFlow`), called from the compiled path.

:func:`.bdf.integrate` runs in numba; where the System has extra flows (an INT team's
case-finding) it leaves compiled code at each evaluation to add them (numba's object mode,
a few microseconds a call), exactly as ``System.__call__`` and ``System.jacobian`` add them.
A System being integrated is registered here under a token for the time of its segment.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from .rhs import System

_ACTIVE: dict[int, tuple[System, np.ndarray]] = {}
_TOKENS = itertools.count()


def pattern(sys: System) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns of the extra flows' Jacobian entries, in ``System.jacobian``'s order:
    into each destination (``+rate``), then out of each source (``-rate``)."""
    if not sys.extras:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    fr = np.concatenate([xf.src for xf in sys.extras]).astype(np.int64)
    to = np.concatenate([xf.dst for xf in sys.extras]).astype(np.int64)
    return np.concatenate([to, fr]), np.concatenate([fr, fr])


@contextmanager
def active(sys: System, jpos: np.ndarray) -> Iterator[int]:
    """Register ``sys`` (with where its extra Jacobian entries go, ``jpos``) for the compiled
    path; yields its token (-1 when it has no extra flows, or none flows under the segment's
    inputs: a team not yet started)."""
    if all(xf.idle() for xf in sys.extras):
        yield -1
        return
    token = next(_TOKENS)
    _ACTIVE[token] = (sys, jpos[len(sys.j_rows):])
    try:
        yield token
    finally:
        del _ACTIVE[token]


def add_rhs(token: int, y: np.ndarray, dy: np.ndarray) -> None:
    """Add the extra flows (and the counters they feed) at ``y`` to ``dy``, in place."""
    sys = _ACTIVE[token][0]
    sys.add_extra_flows(y[: sys.ns], dy)


def add_jac(token: int, y: np.ndarray, J: np.ndarray) -> None:
    """Add the extra flows' Jacobian entries at ``y`` to the pattern's values ``J``, in place."""
    sys, jpos = _ACTIVE[token]
    x = y[: sys.ns]
    per = np.concatenate([out[0] if (out := xf.rates(x)) is not None else np.zeros(len(xf.src))
                          for xf in sys.extras])
    vals = np.concatenate([per, -per])
    kept = jpos >= 0
    np.add.at(J, jpos[kept], vals[kept])
