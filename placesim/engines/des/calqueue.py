"""A calendar queue for the engine's wake-ups: those due later wait in day buckets, off SimPy's heap.

SimPy keeps every scheduled event in one binary heap, so a push or a pop costs a logarithm
of everything pending, and in a place of 100,000 residents nearly everything pending is a
resident's next transition, weeks or years away. The calendar queue holds a wake-up of
priority ``NORMAL`` due at time ``t`` in bucket ``int(t / width)`` until the run reaches
that bucket's opening, ``bucket * width``; then it pushes the bucket's wake-ups onto SimPy's
heap. The heap holds only wake-ups due before the next opening, and the events of SimPy
processes (and any wake-up of another priority). A bucket holds its wake-ups' times and ids
in arrays, and makes SimPy's entries for them only when it opens, so a wake-up waiting
costs about 16 bytes besides itself, and opening a bucket reads compact memory. The width is
a power of two, so a wake-up's bucket and every opening time are exact in floating point;
:func:`width_for` narrows it as the population grows, so that the heap stays about as
small with 100,000 residents as with 10,000.

Order is exactly SimPy's own. A wake-up keeps the key SimPy would give it, ``(time,
priority, id)``, with its id taken from the environment's counter when it is scheduled, and
it is on the heap before anything due at or after its bucket's opening is popped (an
opening has priority :data:`OPEN`, ahead of SimPy's ``URGENT``). A run gives the same
results, bit for bit, with or without the calendar queue.

A wake-up is cancelled by :func:`cancel`: it then does nothing when its time comes, and
if it is still in a bucket it is dropped, unpushed, when the bucket opens. A ``NORMAL``
wake-up due at or after the end of the run is dropped at once: the run stops at the end
(SimPy's ``run(until=end)`` is ``URGENT`` there), so it would never fire, and on the heap
it would only make every push and pop deeper (in a run of 160,000 residents, services'
completions due after the end were nine tenths of the heap).
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable, Sequence
from heapq import heappush
from typing import Any

import simpy
from simpy.core import NORMAL

from .events import Wake

OPEN = -1
"""Priority of a bucket's opening: before anything else due at its instant (SimPy's URGENT is 0)."""
CANCELLED: Sequence[Callable[[Wake], None]] = ()
"""Callbacks of a cancelled wake-up (none)."""
RESIDENTS_PER_DAY_WIDTH = 10_000
"""Residents whose clocks a bucket one day wide is meant for."""
MAX_BUCKETS = 2**16
"""Most buckets a run is split into (an empty one costs a list)."""


def width_for(residents: int, end: float) -> float:
    """Bucket width for a run of ``residents`` to ``end``: a day per 10,000 residents, as a
    power of two from 1/64 to 1 day, and no narrower than makes :data:`MAX_BUCKETS` buckets."""
    k = math.floor(math.log2(RESIDENTS_PER_DAY_WIDTH / residents)) if residents > 0 else 0
    width = 2.0 ** min(0, max(-6, k))
    while end / width > MAX_BUCKETS and width < 2.0**20:
        width *= 2.0
    return width


def cancel(ev: Wake) -> None:
    """Cancel a wake-up: it does nothing when its time comes (harmless if it has fired)."""
    ev.callbacks = CANCELLED


class CalendarQueue:
    """Day buckets of wake-ups in front of a SimPy environment's heap.

    Parameters
    ----------
    env
        The environment whose heap the buckets open into.
    end
        Clock time the run stops at (``env.run(until=end)``): a ``NORMAL`` wake-up due then or
        later is dropped.
    width
        Days per bucket, a power of two (1 by default).
    """

    def __init__(self, env: simpy.Environment, end: float, width: float = 1.0):
        if not (0.0 < width < math.inf and math.frexp(width)[0] == 0.5):
            raise ValueError(f"a calendar queue's width must be a power of two, not {width!r}")
        self.env = env
        self.width = float(width)
        self._inv = 1.0 / self.width
        self._queue: list[Any] = env._queue
        self._eid = env._eid
        n = max(0, math.ceil(end * self._inv)) if math.isfinite(end) else 0
        self._n = n                       # buckets 0 .. n-1 cover [0, n * width), which holds the run's end
        self._end = float(end)
        # per bucket (None until it is used, and once it has opened): due times, ids, wake-ups
        self._times: list[array | None] = [None] * n
        self._ids: list[array | None] = [None] * n
        self._wakes: list[list[Wake] | None] = [None] * n
        self._on_open = (self._open,)
        self.edge = 0.0                   # the next bucket's opening: wake-ups due before it go to the heap
        first = math.floor(env.now * self._inv)
        if 0 <= first < n:                # buckets before the current one are never used
            self._open(Wake(first, self._on_open))

    def schedule(self, ev: Wake, priority: int, delay: float) -> None:
        """Schedule a wake-up ``delay`` days from now (SimPy's ``Environment.schedule``, bucketed)."""
        t = self.env._now + delay
        if t < self.edge or priority != NORMAL:
            heappush(self._queue, (t, priority, next(self._eid), ev))
            return
        if not t < self._end:
            return  # never due before the run stops
        b = int(t * self._inv)
        times = self._times[b]
        if times is None:
            self._times[b] = array("d", (t,))
            self._ids[b] = array("q", (next(self._eid),))
            self._wakes[b] = [ev]
        else:
            times.append(t)
            self._ids[b].append(next(self._eid))  # type: ignore[union-attr]
            self._wakes[b].append(ev)  # type: ignore[union-attr]

    def _open(self, ev: Wake) -> None:
        """Push bucket ``ev._value``'s live wake-ups onto the heap; schedule the next opening."""
        b = ev._value
        wakes = self._wakes[b]
        q = self._queue
        if wakes is not None:
            times, ids = self._times[b], self._ids[b]
            self._times[b] = self._ids[b] = self._wakes[b] = None
            for i, w in enumerate(wakes):
                if w.callbacks:  # not cancelled
                    heappush(q, (times[i], NORMAL, ids[i], w))
        b += 1
        self.edge = b * self.width
        if b < self._n:
            heappush(q, (self.edge, OPEN, next(self._eid), Wake(b, self._on_open)))

    def waiting(self) -> int:
        """Wake-ups waiting in buckets, cancelled ones included (for tests and benchmarks)."""
        return sum(len(w) for w in self._wakes if w)
