"""The limits placesim puts on its input files and on the numbers in them.

Every file placesim reads (scenario, options and calibration set-up files, observed-data
CSVs, and every file named by ``extends``) is read through :mod:`placesim.scenario.files`
and parsed through :mod:`placesim.scenario.yamlsafe` with these limits, so that a hostile
or careless file is refused with a message in seconds and bounded memory instead of
exhausting either. The numbers of every file model are checked by
:class:`placesim.scenario.base.FileModel`; the bounds of particular kinds of number
(days, rates, counts, money) are the Annotated types of :mod:`placesim.scenario.base`.
See docs/decisions.md, "Hostile input (issue 11)".
"""

from __future__ import annotations

import math
import os

from ..errors import PlacesimError

MAX_FILE_MB_VARIABLE = "PLACESIM_MAX_FILE_MB"
"""Environment variable that sets the largest input file, in megabytes (1 MB = 10^6 bytes)."""
DEFAULT_MAX_FILE_MB = 5.0
"""Default largest input file: 5 MB, a hundred times the largest shipped scenario."""

MAX_DEPTH = 50
"""Deepest nesting of mappings and lists in a YAML file (counted through aliases)."""
MAX_VALUES = 100_000
"""Most values (scalars, mappings and lists) a YAML file may expand to, each use of an
alias counting as a copy of what it names: a "billion laughs" file is refused here."""
MAX_EXTENDS = 20
"""Longest ``extends`` chain (files extending files)."""

MAX_MAGNITUDE = 10**15
"""Largest size of any number in any file, for fields without a tighter bound."""
MAX_DAYS = 36_525.0
"""Longest span of days anywhere (a hundred years): horizons, warm-ups, durations, delays, day numbers."""
MAX_MONTHS = 1_200.0
"""Longest span in months (a hundred years)."""
MAX_YEARS = 100.0
"""Longest span in years (appraisal periods)."""
MAX_RATE_PER_DAY = 1_000_000.0
"""Highest rate of events a day (background arrivals, outreach contacts)."""
MAX_PER_YEAR = 10_000.0
"""Highest hazard per year of one transition of one resident (about 27 a day)."""
MAX_MULTIPLIER = 1_000.0
"""Largest multiplier of a hazard (support effects, coupling between domains)."""
MAX_GBP = 1e12
"""Largest sum of money in one figure: a trillion pounds."""
MAX_CASES = 10_000_000
"""Largest finite capacity a service may have (use 'unlimited' beyond)."""
MAX_STAFF = 1_000_000.0
"""Most staff (FTE) of one service or one discipline of a team."""
MAX_RESIDENTS = 100_000_000
"""Most residents (or households) of a scenario, and of a neighbourhood's population."""
MAX_REPLICATIONS = 100_000
"""Most replications of a run."""
MAX_SEED = 2**63 - 1
"""Largest seed."""
MAX_PERCENT = 1_000.0
"""Largest percentage (optimism bias)."""
MAX_CONTACTS = 1_000.0
"""Most contacts a crisis episode may draw on one service, on average (the most frequent
attender in ../shared/reference/ LM05 made 79 A&E attendances in a year)."""
MAX_DISPERSION = 1_000_000.0
"""Largest dispersion (negative-binomial size) of a count; far beyond it a count is Poisson."""


def max_file_bytes() -> int:
    """The largest input file in bytes: ``PLACESIM_MAX_FILE_MB`` megabytes, default 5.

    Raises
    ------
    PlacesimError
        If the variable is set to something other than a positive number.
    """
    raw = os.environ.get(MAX_FILE_MB_VARIABLE, "").strip()
    if not raw:
        return int(DEFAULT_MAX_FILE_MB * 1e6)
    try:
        mb = float(raw)
    except ValueError:
        mb = math.nan
    if not (math.isfinite(mb) and 0 < mb <= 1e6):
        raise PlacesimError(f"{MAX_FILE_MB_VARIABLE}={raw!r}: expected a number of megabytes above 0 (e.g. 5 or 20)")
    return int(mb * 1e6)


def megabytes(n: float) -> str:
    """``5000000`` -> ``'5 MB'``; ``52953125`` -> ``'53 MB'``."""
    mb = n / 1e6
    return f"{mb:.3g} MB" if mb < 10 else f"{mb:,.0f} MB"
