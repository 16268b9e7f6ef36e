"""Observed data: a tidy CSV of counts per period, and the model's value for each row.

The file has a header and one row per observation::

    period_start,measure,neighbourhood,value
    2025-05-01,crises:housing,Harlesden,31
    2025-05-01,arrivals:housing_options,,64

Lines starting with ``#`` are comments. ``period_start`` is a date (the scenario needs a
``time.start_date``) or a day number counted from the end of the warm-up; each period lasts
the set-up's ``period_days``. ``neighbourhood`` may be empty (the whole place); it applies
only to resident measures (crises, help-seeking). Measures are listed in :data:`MEASURES`.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import Problem, ScenarioError
from ..scenario.files import read_text
from ..scenario.messages import suggest
from ..scenario.model import ScenarioModel

RESIDENT_MEASURES = {
    "crises": "Crisis events (all domains, or crises:<domain>).",
    "help_seeking": "Presentations at a front door (help_seeking:<domain>).",
}
SERVICE_MEASURES = {
    "arrivals": "Arrivals (presentations) at a service: arrivals:<service>.",
    "assessments": "Assessments done by a service.",
    "turned_away": "People turned away by a service's eligibility rule.",
    "started": "People starting support at a service.",
    "completed": "People completing support at a service.",
    "abandoned": "People who gave up waiting at a service.",
    "referrals": "Onward referrals made from a service.",
    "in_system": "People at a service at the end of the period (a stock, e.g. households in temporary accommodation).",
}
MEASURES = {**RESIDENT_MEASURES, **SERVICE_MEASURES}
STOCKS = frozenset({"in_system"})
"""Measures that are a level at the period's end rather than a count over the period."""

COLUMNS = ("period_start", "measure", "neighbourhood", "value")
SUBJECT = "the observed data"
"""What the problems of an observed-data file are in (the heading of a list of them)."""


@dataclass
class Observed:
    """Observed rows, resolved against a scenario.

    Attributes
    ----------
    period_start
        Day each row's period starts (from the end of the warm-up).
    period
        Index of the row's period (0 = the first ``period_days`` after the warm-up).
    measure, neighbourhood
        As written ('' for the whole place).
    value
        Observed count.
    line
        Line of each row in the CSV.
    """

    path: Path
    period_start: np.ndarray
    period: np.ndarray
    measure: list[str]
    neighbourhood: list[str]
    value: np.ndarray
    line: np.ndarray
    dates: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.value)

    @property
    def series(self) -> list[str]:
        """A label per row: the measure, with its neighbourhood when given."""
        return [m if not n else f"{m} ({n})" for m, n in zip(self.measure, self.neighbourhood)]

    def is_stock(self) -> np.ndarray:
        return np.array([m.split(":")[0] in STOCKS for m in self.measure])


def _problem(path: Path, line: int | None, message: str, column: str = "") -> Problem:
    return Problem(message, column, str(path), line)


def read_observed(path: str | Path, model: ScenarioModel, period_days: float) -> Observed:
    """Read an observed-data CSV and check every row against the scenario.

    Raises
    ------
    ScenarioError
        Listing every bad row with its line and column: unknown measures, services,
        domains or neighbourhoods (with a "did you mean"), dates off the period grid or
        outside the run, values that are not non-negative numbers, duplicate rows.
    """
    p = Path(path)
    try:
        text = read_text(p, "CSV file")
    except ScenarioError as exc:
        if [q.message for q in exc.problems] == ["file not found"]:
            raise ScenarioError([_problem(p, None, "observed data file not found")]) from None
        raise ScenarioError(exc.problems, SUBJECT) from None
    rows = [(i + 1, line) for i, line in enumerate(text.splitlines())
            if line.strip() and not line.lstrip().startswith("#")]
    if not rows:
        raise ScenarioError([_problem(p, None, f"no data: expected a header {','.join(COLUMNS)} and rows")])
    reader = csv.reader([line for _, line in rows])
    lines = [n for n, _ in rows]
    header = [h.strip() for h in next(reader)]
    missing = [c for c in ("period_start", "measure", "value") if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    if missing or unknown:
        what = []
        if missing:
            what.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            what.append("unknown column(s) " + ", ".join(f"{c!r}{suggest(c, COLUMNS)}" for c in unknown))
        raise ScenarioError([_problem(p, lines[0], "; ".join(what) + f"; expected the columns {', '.join(COLUMNS)}")],
                            SUBJECT)
    col = {c: header.index(c) for c in header}

    t = model.time
    n_periods = int(math.floor(t.horizon_days / period_days + 1e-9))
    services = list(model.services)
    domains = list(model.domains)
    hoods = list(model.neighbourhoods)
    problems: list[Problem] = []
    out_start, out_period, out_measure, out_hood, out_value, out_line, out_dates = [], [], [], [], [], [], []
    seen: dict[tuple[int, str, str], int] = {}
    for n, rec in zip(lines[1:], reader):
        rec = [r.strip() for r in rec]
        if len(rec) != len(header):
            problems.append(_problem(p, n, f"expected {len(header)} values ({', '.join(header)}), got {len(rec)}"))
            continue
        get = {c: rec[i] for c, i in col.items()}
        bad = len(problems)
        # --- when
        raw = get["period_start"]
        day: float | None = None
        try:
            day = float(int(raw))
        except ValueError:
            try:
                date = dt.date.fromisoformat(raw)
            except ValueError:
                problems.append(_problem(p, n, f"expected a date (YYYY-MM-DD) or a day number, got {raw!r}",
                                         "period_start"))
            else:
                if t.start_date is None:
                    problems.append(_problem(p, n, "a date needs the scenario's time.start_date; give day numbers "
                                                   "(from the end of the warm-up) or set a start date", "period_start"))
                else:
                    day = float((date - t.start_date).days)
        period = -1
        if day is not None:
            k = day / period_days
            period = int(round(k))
            if abs(k - period) > 1e-6:
                problems.append(_problem(p, n, f"period_start {raw} is not on the {period_days:g}-day period grid "
                                               f"that starts at the end of the warm-up"
                                               + (f" ({t.start_date})" if t.start_date else ""), "period_start"))
            elif not 0 <= period < n_periods:
                problems.append(_problem(p, n, f"period_start {raw} is outside the run's {n_periods} whole periods "
                                               f"of {period_days:g} days", "period_start"))
        # --- what
        measure = get["measure"]
        kind, _, target = measure.partition(":")
        if kind not in MEASURES:
            problems.append(_problem(p, n, f"unknown measure {kind!r}{suggest(kind, MEASURES)}; expected one of "
                                           f"{', '.join(MEASURES)} (e.g. crises:housing, arrivals:<service>)",
                                           "measure"))
        elif kind in SERVICE_MEASURES and target not in services:
            problems.append(_problem(p, n, f"{kind} needs a service, {kind}:<service>; "
                                           f"got {target!r}{suggest(target, services)}" if target else
                                     f"{kind} needs a service: {kind}:<service>, one of {', '.join(services)}",
                                     "measure"))
        elif kind in RESIDENT_MEASURES and target and target not in domains:
            problems.append(_problem(p, n, f"unknown domain {target!r}{suggest(target, domains)} in {measure!r}; "
                                           f"expected one of {', '.join(domains)}", "measure"))
        elif kind == "help_seeking" and not target:
            problems.append(_problem(p, n, "help_seeking needs a domain: help_seeking:<domain>", "measure"))
        hood = get.get("neighbourhood", "")
        if hood:
            if hood not in hoods:
                problems.append(_problem(p, n, f"unknown neighbourhood {hood!r}{suggest(hood, hoods)}; expected one of "
                                               f"{', '.join(hoods)} or empty (the whole place)", "neighbourhood"))
            elif kind in SERVICE_MEASURES:
                problems.append(_problem(p, n, f"{kind} is counted per service, not per neighbourhood; leave "
                                               "neighbourhood empty", "neighbourhood"))
        # --- how many
        try:
            value = float(get["value"])
        except ValueError:
            value = float("nan")
        if not (math.isfinite(value) and value >= 0):
            problems.append(_problem(p, n, f"value must be a non-negative number, got {get['value']!r}", "value"))
        if len(problems) > bad:
            continue
        key = (period, measure, hood)
        if key in seen:
            problems.append(_problem(p, n, f"duplicate of line {seen[key]} (same period, measure and neighbourhood)"))
            continue
        seen[key] = n
        out_start.append(day)
        out_period.append(period)
        out_measure.append(measure)
        out_hood.append(hood)
        out_value.append(value)
        out_line.append(n)
        out_dates.append(raw)
    if problems:
        raise ScenarioError(problems, SUBJECT)
    if not out_value:
        raise ScenarioError([_problem(p, None, "no data rows")])
    return Observed(p, np.array(out_start), np.array(out_period, dtype=int), out_measure, out_hood,
                    np.array(out_value), np.array(out_line, dtype=int), out_dates)


class Extractor:
    """Pick the model's value of every observed row out of run arrays.

    Built once per scenario shape; :meth:`__call__` is the hot path of the fit (numpy only).
    """

    def __init__(self, obs: Observed, model: ScenarioModel):
        self.n = len(obs)
        hoods = list(model.neighbourhoods)
        services = list(model.services)
        domains = list(model.domains)
        self.parts: list[tuple[str, np.ndarray, tuple]] = []
        groups: dict[tuple[str, tuple], list[int]] = {}
        for i, (m, h) in enumerate(zip(obs.measure, obs.neighbourhood)):
            kind, _, target = m.partition(":")
            if kind in SERVICE_MEASURES:
                sel: tuple = (services.index(target),)
            else:
                sel = (hoods.index(h) if h else None, domains.index(target) if target else None)
            groups.setdefault((kind, sel), []).append(i)
        self.groups = [(kind, sel, np.array(rows), obs.period[rows]) for (kind, sel), rows in groups.items()]

    def __call__(self, arrays: Mapping[str, np.ndarray]) -> np.ndarray:
        """Model values, shape (replications, rows), from arrays with a leading replication axis."""
        reps = next(iter(arrays.values())).shape[0]
        out = np.empty((reps, self.n))
        for kind, sel, rows, periods in self.groups:
            a = arrays[kind]
            if kind in SERVICE_MEASURES:
                v = a[:, :, sel[0]]
            else:
                hood, dom = sel
                a = a if hood is None else a[:, :, hood: hood + 1]
                a = a if dom is None else a[..., dom: dom + 1]
                v = a.reshape(a.shape[0], a.shape[1], -1).sum(axis=2)
            out[:, rows] = v[:, periods]
        return out
