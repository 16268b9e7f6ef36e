"""Opening days averaged over the week: the waits a fluid model uses instead of a calendar.

The DES opens a service on whole days of the week. The SD engine keeps no calendar; it
replaces each wait for an opening by its mean over arrivals spread evenly across the week
(``week_waits``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DAY_EPS = 1e-9
_GRID = 288  # points per day (five minutes)


@dataclass(frozen=True)
class WeekWaits:
    """Mean waits for an opening of a service open on ``open_days``.

    Attributes
    ----------
    closed_share
        Share of arrivals (uniform over the week) that find it closed and wait.
    wait_closed
        Their mean wait for the next opening (days).
    decided_closed_share
        Share of decisions (at the end of an assessment of ``days`` started at an opening
        or on arrival) that fall on a closed day and wait for the next opening to start.
    wait_decided_closed
        Their mean wait (days).
    gap
        Mean wait from a uniformly random time to the next opening (servers freed then
        stand idle this long on average before the next start).
    """

    closed_share: float
    wait_closed: float
    decided_closed_share: float
    wait_decided_closed: float
    gap: float


def _next_open(u: np.ndarray, open_days: tuple[bool, ...]) -> np.ndarray:
    """Next opening at or after week time ``u`` (days from the start of weekday 0; may pass 7)."""
    is_open = np.asarray(open_days, dtype=bool)
    out = np.array(u, dtype=float)
    day = np.floor(u + DAY_EPS).astype(int)
    todo = ~is_open[day % 7]
    d = day.copy()
    while todo.any():
        d[todo] += 1
        idx = np.flatnonzero(todo)
        still = ~is_open[d[idx] % 7]
        out[idx[~still]] = d[idx[~still]]
        todo[idx[~still]] = False
    return out


def week_waits(open_days: tuple[bool, ...], assess_days: float) -> WeekWaits:
    """Mean waits of a service open on ``open_days`` whose assessment takes ``assess_days``."""
    if all(open_days):
        return WeekWaits(0.0, 0.0, 0.0, 0.0, 0.0)
    u = (np.arange(7 * _GRID) + 0.5) / _GRID
    t1 = _next_open(u, open_days)
    w1 = t1 - u
    closed = w1 > 1e-12
    closed_share = float(closed.mean())
    wait_closed = float(w1[closed].mean()) if closed.any() else 0.0
    if assess_days > 0:
        td = t1 + assess_days
        w2 = _next_open(np.mod(td, 7.0), open_days) - np.mod(td, 7.0)
        dc = w2 > 1e-12
        dshare = float(dc.mean())
        dwait = float(w2[dc].mean()) if dc.any() else 0.0
    else:
        dshare, dwait = 0.0, 0.0
    return WeekWaits(closed_share, wait_closed, dshare, dwait, float(w1.mean()))
