"""Errors placesim raises for bad input, with the file, field path and line they concern."""

from __future__ import annotations

from dataclasses import dataclass


class PlacesimError(Exception):
    """Base class of placesim's own errors."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario.

    Attributes
    ----------
    message
        What is wrong and what was expected.
    path
        Dotted field path, e.g. ``services.desk.referrals[0].to`` ('' for the whole file).
    file
        File the field was written in (the extending or the extended file), if known.
    line
        1-based line in that file, if known.
    """

    message: str
    path: str = ""
    file: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = self.file or "<scenario>"
        if self.line is not None:
            where += f":{self.line}"
        field = f" {self.path}:" if self.path else ""
        return f"{where}:{field} {self.message}"


class ScenarioError(PlacesimError, ValueError):
    """An input (a scenario file, dict or override, or an options file, a calibration set-up
    or its observed data) is not valid; lists every problem found.

    Parameters
    ----------
    problems
        What is wrong, each with its file, field path and line.
    subject
        What the problems are in, for the heading of several: ``"the scenario"``,
        ``"the observed data"`` ...
    """

    def __init__(self, problems: list[Problem], subject: str = "the scenario"):
        self.problems = list(problems)
        self.subject = subject
        super().__init__(self._text())

    def _text(self) -> str:
        if len(self.problems) == 1:
            return str(self.problems[0])
        head = f"{len(self.problems)} problems in {self.subject}:"
        return "\n".join([head] + [f"  {p}" for p in self.problems])


class ClusterError(PlacesimError):
    """A dask cluster cannot be used: its scheduler cannot be reached, or ``executor='dask'``
    was asked for with settings it does not take."""


class CheckpointError(PlacesimError):
    """A checkpoint folder cannot be used for this run: it belongs to another run (another
    scenario, seed, replications or engine), is not a checkpoint folder, or holds a task
    file that cannot be read."""
