"""Warnings about a run that works but is probably not what was meant (docs/decisions.md,
'Warnings'): too few replications to read, and the scenario's own warnings
(:meth:`placesim.Scenario.warnings`)."""

from __future__ import annotations

from .errors import warn
from .scenario.scenario import Scenario

MIN_REPLICATIONS = 5
"""Fewer discrete-event replications than this get a warning."""


def replication_warning(replications: int, engine: str = "des") -> str | None:
    """The warning for a run of ``replications`` (None if there are enough, or for the sd
    engine, whose one run is exact)."""
    if engine != "des" or replications >= MIN_REPLICATIONS:
        return None
    return (f"{replications} replication{'s' if replications != 1 else ''}: with fewer than {MIN_REPLICATIONS} an "
            f"interval is too wide (or, with one, absent) to tell an effect from chance; run at least "
            f"{MIN_REPLICATIONS}, and 10 or more for figures a decision rests on")


def run_warnings(scenario: Scenario, replications: int, engine: str = "des") -> list[str]:
    """Every warning for running ``scenario`` this way, as text (file:line: field: message)."""
    out = [str(p) for p in scenario.warnings()]
    few = replication_warning(replications, engine)
    return out + ([few] if few else [])


def warn_run(scenario: Scenario, replications: int, engine: str = "des") -> None:
    """Issue :func:`run_warnings` as :class:`~placesim.errors.PlacesimWarning` (each is shown
    once per place in the user's code, as Python shows warnings)."""
    for text in run_warnings(scenario, replications, engine):
        warn(text)
