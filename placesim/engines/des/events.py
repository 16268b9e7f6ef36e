"""A lightweight SimPy event for the engine's own wake-ups.

``simpy.Environment.step`` needs only ``callbacks`` and ``_ok`` of an event. A timeout
built as :class:`simpy.Timeout` also validates its delay and stores more state; the
engine schedules hundreds of thousands of wake-ups per replication, so it uses this
slotted event with :meth:`simpy.Environment.schedule` instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import simpy

Schedule = Callable[["Wake", int, float], None]
"""``env.schedule(wake, priority, delay)``, typed for wake-ups (SimPy's own signature wants an Event)."""


def scheduler(env: simpy.Environment) -> Schedule:
    """The environment's ``schedule`` for wake-ups (Wake has every attribute SimPy's loop reads of an Event)."""
    return env.schedule  # type: ignore[return-value]


class Wake:
    """An already-triggered event carrying a value and its callbacks.

    ``callbacks`` is a sequence the caller builds once and reuses (e.g. a one-element
    tuple per callback), so making a wake-up allocates nothing else.
    """

    __slots__ = ("callbacks", "_ok", "_value")

    def __init__(self, value: Any, callbacks: Sequence[Callable[[Wake], None]]):
        self.callbacks = callbacks
        self._ok = True
        self._value = value
