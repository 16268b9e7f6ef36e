"""Time constants of the SD engine's fluid approximations, and the phases they apply to."""

from __future__ import annotations

TAU_START = 0.1
"""Relaxation time (days) of the fluid capacity rule and of queues at unlimited services."""
TAU_DECIDE = 0.02
"""Mean time (days) of a decision that takes no time in the DES (keeps arrival chains explicit)."""
TAU_INIT = 0.01
"""Mean time (days) before the crisis of a resident who starts at level 3."""

SUPPORTED = ("S", "Sx")
"""Phases in which people hold a place (the INT's ``Sx``: supported in a domain not in need)."""
WAITING = ("A1", "Wc", "W")
"""Phases in which people wait."""
PROTECTED = "P"
"""Status of a resident back from a service's support whose effect still lasts (free otherwise)."""


def per_day(days: float) -> float:
    """Rate (per day) of a step with mean time ``days``, floored at :data:`TAU_DECIDE`.

    A step that takes no time, or a vanishing time (an assessment of 1e-300 days, a patience
    of 0), gets the rate of a decision: a rate of 1/days would be infinite or so large that
    the stiff solver's Newton matrix turns singular.
    """
    return 1.0 / max(days, TAU_DECIDE)
