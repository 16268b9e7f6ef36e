"""What another analysis adds to the options report: key messages and sections.

The options report is built below the analyses that may add to it (the probabilistic
sensitivity analysis, :mod:`placesim.uncertainty`, sits above it), so it knows them only by
this protocol: an addition says which decisions it is of, gives its key messages (quoting
the options' names) and its sections as ready HTML.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from ..errors import PlacesimError
from .messages import KeyMessage


class ReportAddition(Protocol):
    """An analysis of the same options that adds key messages and a section to their report."""

    @property
    def baseline(self) -> str:
        """The label of the baseline it compares the options with."""

    @property
    def options(self) -> list[str]:
        """The labels of the options it analyses."""

    def key_messages(self, names: Mapping[str, str]) -> list[KeyMessage]:
        """Its key messages, quoting each option by ``names[label]``."""

    def report_sections(self) -> list[tuple[str, str, str]]:
        """Its sections as ``(id, heading, HTML body)``, in page order."""


def check_additions(additions: Sequence[ReportAddition], baseline: str, options: Sequence[str]) -> None:
    """Refuse an addition of other decisions: its baseline must be the report's and its
    options among the report's."""
    for a in additions:
        if a.baseline != baseline:
            raise PlacesimError(f"the analysis added to the report compares with {a.baseline!r}, the report with "
                                f"{baseline!r}; run it on the same options file")
        other = [o for o in a.options if o not in options]
        if other:
            raise PlacesimError(f"the analysis added to the report has option(s) {', '.join(map(repr, other))} "
                                f"that the report does not (its options: {', '.join(options)}); run it on the "
                                "same options file")
