"""Errors placesim raises for bad input, with the file, field path and line they concern, and
the warnings it gives about input that runs but is probably not what was meant."""

from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

_PACKAGE = str(Path(__file__).resolve().parent) + "/"


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


class PlacesimWarning(UserWarning):
    """Base class of placesim's warnings: the input runs, but probably not as meant (too few
    replications to read, an INT team that starts after the horizon, a cohort of no one).
    The command line prints them on stderr; in Python they are ordinary :mod:`warnings`."""


def warn(message: str, category: type[Warning] = PlacesimWarning) -> None:
    """Issue a warning attributed to the first caller outside placesim (the user's line)."""
    level = 2  # stacklevel 2: the caller of warn()
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    warnings.warn(message, category, stacklevel=level)
