"""The assumptions table: every numeric scenario parameter, its value and its cited source.

Sources are the trailing comments of the scenario file (:attr:`Scenario.sources`); row ids
in them (``UC43``, ``BR01``) refer to a reference figures table, ``reference/figures.csv``
in or above the scenario's folder (``scenarios/reference/figures.csv`` for
``scenarios/brent/siloed.yaml``).
"""

from __future__ import annotations

import functools
import json
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import xarray as xr

from .scenario import Scenario
from .sources import leaf_paths
from .yamlio import Path_, dotted

COLUMNS = ["parameter", "value", "status", "source", "references"]
"""Columns of :func:`assumptions_table`."""

DATASET_KEY = "scenario_assumptions"
"""Attribute of a results Dataset (a ``("scenario",)`` variable in a comparison) holding
the table as JSON records."""

ROW_ID = re.compile(r"\b[A-Z]{2}\d{2}\b")
"""A figures-table row id as cited in a comment (``UC23``, ``BR01``, ``GB02``)."""

_ASSUMPTION = re.compile(r"\bassum(?:ptions?|ed)\b", re.IGNORECASE)
_DOCUMENT = re.compile(r"\bHWB minutes\b|\b[\w-]+\.csv\b")
"""Cited sources other than figure rows: the Health and Wellbeing Board minutes, a
reference table shipped beside the figures (e.g. gdp_deflator.csv)."""
_SETTINGS = ("placesim", "time")  # the format version and the run's horizon: not parameters


def find_figures(scenario_source: str | Path | None) -> Path | None:
    """The ``reference/figures.csv`` nearest above a scenario file, or None.

    Looks in the file's folder, then each parent folder up to the filesystem root, for
    ``reference/figures.csv``. None when ``scenario_source`` is not an existing file (e.g.
    ``"<string>"`` for a scenario built from text).
    """
    if not scenario_source:
        return None
    path = Path(scenario_source)
    if not path.is_file():
        return None
    for folder in path.resolve().parents:
        candidate = folder / "reference" / "figures.csv"
        if candidate.is_file():
            return candidate
    return None


def read_figures(path: str | Path) -> pd.DataFrame:
    """A figures table (columns ``id, quantity, value, unit, price_year, ...``), indexed by ``id``."""
    path = Path(path)
    return _read_figures(str(path.resolve()), path.stat().st_mtime_ns).copy()


@functools.lru_cache(maxsize=8)
def _read_figures(path: str, mtime_ns: int) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False).set_index("id")


def assumptions_table(scenario: Scenario, figures: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per numeric parameter of a scenario, with its source and status.

    Parameters
    ----------
    scenario
        The scenario; sources are its :attr:`~Scenario.sources` (empty without a file).
    figures
        The reference figures (indexed by ``id``, or with an ``id`` column). Default: the
        table :func:`find_figures` finds for the scenario's file; without one,
        ``references`` lists only the cited ids.

    Returns
    -------
    DataFrame
        Columns ``parameter`` (dotted path), ``value`` (text: ``66000``, ``[0.5, 0.3]``,
        ``lognormal(mean_days=90, sd_days=45)``), ``status``, ``source`` (the comment) and
        ``references`` (``"UC43: <quantity> (<source>, <price year>)"``, ``; ``-separated).

    Notes
    -----
    Rows are the parameters written in the scenario (defaults not written are not listed)
    whose value is a number, a list of numbers, or a distribution (one row for the whole
    ``{distribution: ...}`` mapping, its sources joined). Names, lists of names, booleans,
    text (``servers: unlimited``, ``price_year``), dates, the format version ``placesim``
    and the run settings under ``time`` are left out.

    ``status`` is ``"reference"`` if the source cites a row id that is in ``figures``
    (any id, without a figures table), the HWB minutes or a reference table (``*.csv``);
    ``"assumption"`` if it says assumption (or
    assumed) and cites none; ``"derived"`` if it does both (a reference figure combined
    with an assumption, ``UC43 x 1,650 h (assumption)``); else ``"not stated"`` (also for
    fields set by :meth:`~Scenario.with_overrides`).
    """
    if figures is None:
        figures = _default_figures(scenario.source)
    else:
        figures = figures.set_index("id") if "id" in figures.columns else figures
        figures = figures[~figures.index.duplicated()]
    sources = scenario.sources
    rows = []
    for path, value in _parameters(scenario._raw):
        key = dotted(path)
        if isinstance(value, dict):
            found = (sources.get(dotted(p), "") for p in leaf_paths(value, path))
            source = "; ".join(dict.fromkeys(s for s in found if s))
        else:
            source = sources.get(key, "")
        ids = list(dict.fromkeys(ROW_ID.findall(source)))
        rows.append((key, _format(value), _status(source, ids, figures), source, _references(ids, figures)))
    return pd.DataFrame(rows, columns=COLUMNS)


def _default_figures(source: str | None) -> pd.DataFrame | None:
    path = find_figures(source)
    if path is None:
        return None
    try:
        return read_figures(path)
    except (OSError, ValueError, KeyError) as exc:  # a broken table must not lose a run's results
        warnings.warn(f"cannot read the figures table {path}: {exc}; references list only row ids", stacklevel=3)
        return None


def _parameters(data: Any, path: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    if path[:1] and path[0] in _SETTINGS:
        return
    if isinstance(data, dict) and path and isinstance(data.get("distribution"), str):
        yield path, data
    elif isinstance(data, dict):
        for k, v in data.items():
            yield from _parameters(v, path + (k,))
    elif isinstance(data, list) and any(isinstance(v, (dict, list)) for v in data):
        for i, v in enumerate(data):
            yield from _parameters(v, path + (i,))
    elif _is_number(data) or (isinstance(data, list) and data and all(_is_number(v) for v in data)):
        yield path, data


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _format(value: Any) -> str:
    if isinstance(value, dict):
        rest = ", ".join(f"{k}={_format(v)}" for k, v in value.items() if k != "distribution")
        return f"{value['distribution']}({rest})"
    if isinstance(value, list):
        return "[" + ", ".join(_format(v) for v in value) + "]"
    return repr(value) if isinstance(value, float) else str(value)


def _status(source: str, ids: list[str], figures: pd.DataFrame | None) -> str:
    cites = any(i in figures.index for i in ids) if figures is not None else bool(ids)
    cites = cites or bool(_DOCUMENT.search(source))
    assumed = bool(_ASSUMPTION.search(source))
    if cites:
        return "derived" if assumed else "reference"
    return "assumption" if assumed else "not stated"


def _references(ids: list[str], figures: pd.DataFrame | None) -> str:
    if figures is None:
        return "; ".join(ids)
    out = []
    for i in ids:
        if i not in figures.index:
            out.append(f"{i} (not in the figures table)")
            continue
        row = figures.loc[i]
        where = [w for w in (_short_title(str(row.get("source_title", ""))), str(row.get("price_year", "")))
                 if w and w.lower() != "n/a"]
        out.append(f"{i}: {row.get('quantity', '')}" + (f" ({', '.join(where)})" if where else ""))
    return "; ".join(out)


def _short_title(title: str, width: int = 60) -> str:
    """A source title cut to its publication: ``GMCA (New Economy) Unit Cost Database v1.4
    (March 2015 update) - as transcribed in ...`` -> ``GMCA Unit Cost Database v1.4``."""
    title = title.split(" - ")[0].strip()
    if len(title) > width and ": " in title:
        title = title.split(": ")[0]
    if len(title) > width:
        title = re.sub(r"\s*\([^()]*\)", "", title).strip()
    if len(title) > width:
        title = title[:width].rsplit(" ", 1)[0] + " ..."
    return title


# --------------------------------------------------------------------------- results files


def assumptions_to_json(table: pd.DataFrame) -> str:
    """The table as JSON records (what results files store under :data:`DATASET_KEY`)."""
    return json.dumps(table[COLUMNS].to_dict(orient="records"), ensure_ascii=False)


def assumptions_from_json(text: str) -> pd.DataFrame:
    """Inverse of :func:`assumptions_to_json` (an empty table for ``""``)."""
    return pd.DataFrame.from_records(json.loads(text) if text else [], columns=COLUMNS)


def assumptions_from_dataset(ds: xr.Dataset, scenario: str | None = None) -> pd.DataFrame:
    """The assumptions table stored in a results Dataset.

    Parameters
    ----------
    ds
        A single run's Dataset (``Results.ds``), one scenario of a comparison's Dataset
        (``comparison.ds.sel(scenario="pilot")``), or a comparison's Dataset with
        ``scenario`` naming one of its scenarios.
    scenario
        The scenario label, for a comparison's Dataset.

    Returns
    -------
    DataFrame
        As :func:`assumptions_table`; empty for results written before tables were stored.

    Raises
    ------
    ValueError
        For a comparison's Dataset without ``scenario`` (or with an unknown one).
    """
    if DATASET_KEY in ds.attrs:
        return assumptions_from_json(str(ds.attrs[DATASET_KEY]))
    if DATASET_KEY not in ds.variables:
        return assumptions_from_json("")
    var = ds[DATASET_KEY]
    if "scenario" in var.dims:
        labels = [str(s) for s in ds["scenario"].values]
        if scenario not in labels:
            raise ValueError(f"a comparison holds one table per scenario; give scenario= one of {labels}")
        var = var.sel(scenario=scenario)
    return assumptions_from_json(str(var.values))
