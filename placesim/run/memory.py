"""The memory a run will need, estimated from its scenarios before anything is built, and
the check that refuses a run that cannot fit in the memory the machine has free.

The estimate is a lower bound, made from what the discrete-event engine is known to hold
(``engines/des/population.py``, ``recorder.py``) and what the pipeline keeps:

* every resident of a replication being run is a Python object with its own lists, the
  first blocks of its random streams (as arrays of doubles) and its clock's wake-up: about
  :data:`RESIDENT_BYTES` plus :data:`RESIDENT_BYTES_PER_DOMAIN` per domain (below the peak
  Python allocations traced in runs of 40,000 residents with 2 and 6 domains, about 1,000
  and 1,165 bytes a resident; a resident drawing more random numbers later holds more);
* the recorder's counters (one list slot of 8 bytes per bin, counter and service, group or
  neighbourhood) and its snapshot of residents' levels;
* the output arrays of every replication (8 bytes per value), held twice by the process
  that assembles the results.

Replications run at once (one per worker process) each hold their residents and recorder.
A run whose lower bound is more than the memory available is refused before it starts;
where the free memory cannot be found out (no ``/proc/meminfo`` and no ``sysconf``), the
run is not checked.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import PlacesimError
from ..plan.counters import COUNTERS, GROUP, NEIGHBOURHOOD, SERVICE
from ..scenario.scenario import Scenario

RESIDENT_BYTES = 850
"""Bytes a resident of the DES holds at the start of a run, besides its domains."""
RESIDENT_BYTES_PER_DOMAIN = 40
"""Bytes a resident holds for each domain."""
SLOT_BYTES = 8
"""Bytes of one counter slot of the recorder (a list item) and of one output value (float64)."""
COPIES_OF_OUTPUTS = 2
"""Copies of the replications' outputs held while the results are assembled."""


@dataclass(frozen=True)
class Estimate:
    """The memory a run needs at least, and what it is made of (bytes)."""

    residents: int
    recorders: int
    outputs: int
    concurrent: int
    replications: int
    n_residents: int

    @property
    def total(self) -> int:
        return self.concurrent * (self.residents + self.recorders) + self.outputs

    def __str__(self) -> str:
        return (f"{size(self.total)}: {self.n_residents:,} residents ({size(self.residents)}) and the counters "
                f"({size(self.recorders)}) in each of {self.concurrent} replication(s) run at once, and the "
                f"results of {self.replications} replication(s) ({size(self.outputs)})")


def estimate(scenarios: Mapping[str, Scenario], replications: int, engine: str, concurrent: int) -> Estimate:
    """A lower bound of the memory a run of ``scenarios`` needs (see the module's docstring).

    Parameters
    ----------
    scenarios
        The scenarios run (with common random numbers, one after another or together).
    replications
        Replications of each (the sd engine makes one).
    engine
        ``'des'`` or ``'sd'`` (the sd engine holds no residents).
    concurrent
        Replications run at once (worker processes).
    """
    reps = 1 if engine == "sd" else replications
    residents = recorders = outputs = 0
    n_residents = 0
    for sc in scenarios.values():
        m = sc.model
        n_bins = m.time.n_bins
        teams = len(m.int_team.neighbourhoods) if m.int_team is not None else 0
        widths = {SERVICE: len(m.services) + teams, NEIGHBOURHOOD: max(len(m.neighbourhoods), 1),
                  GROUP: max(len(m.neighbourhoods), 1) * max(len(m.cohorts), 1) * max(len(m.domains), 1)}
        levels = widths[GROUP] * 4  # residents at each level, kept at the end of every bin
        per_bin = sum(widths.get(c.dims, 1) for c in COUNTERS.values()) + levels
        counted = sum(widths.get(c.dims, 1) for c in COUNTERS.values() if c.accumulated) + levels
        if engine == "des":
            n_residents = max(n_residents, sc.n_residents)
            residents = max(residents, sc.n_residents * (RESIDENT_BYTES + RESIDENT_BYTES_PER_DOMAIN * len(m.domains)))
            recorders = max(recorders, (n_bins + 1) * counted * SLOT_BYTES)
        outputs += COPIES_OF_OUTPUTS * reps * n_bins * per_bin * SLOT_BYTES
    return Estimate(residents, recorders, outputs, max(1, min(concurrent, reps)), reps, n_residents)


def available_bytes() -> int | None:
    """Memory this process may still use: the machine's available memory (``MemAvailable``
    of ``/proc/meminfo``, else free pages from ``sysconf``), less if a control group's limit
    is lower; None when it cannot be found out."""
    free: int | None = None
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                free = int(line.split()[1]) * 1024
                break
    if free is None:
        with contextlib.suppress(AttributeError, OSError, ValueError):
            free = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    with contextlib.suppress(OSError, ValueError):
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        used = Path("/sys/fs/cgroup/memory.current").read_text().strip()
        if limit != "max":
            room = int(limit) - int(used)
            free = room if free is None else min(free, room)
    return free if free is None or free > 0 else 0


def check_memory(scenarios: Mapping[str, Scenario], replications: int, engine: str, concurrent: int,
                 available: int | None = None) -> Estimate:
    """Refuse a run that needs more memory than is available (see :func:`estimate`).

    Parameters
    ----------
    available
        Bytes available (default: :func:`available_bytes`).

    Raises
    ------
    PlacesimError
        With the estimate, what it is made of, and what is available.
    """
    need = estimate(scenarios, replications, engine, concurrent)
    free = available_bytes() if available is None else available
    if free is not None and need.total > free:
        raise PlacesimError(
            f"this run needs at least {need}, more than the {size(free)} of memory available; run fewer "
            f"residents (cohorts' size), replications or workers, longer reporting bins, or the sd engine")
    return need


def size(n: float) -> str:
    """Bytes in words: ``1.2 GiB``, ``1.14 PiB``."""
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024:
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.3g} {unit}"
        n /= 1024
    return f"{n:,.3g} PiB"
