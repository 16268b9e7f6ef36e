"""Summary tables that show their figures as people read them, at the prompt and in a notebook.

A :class:`ReadableFrame` is an ordinary ``pandas.DataFrame`` of floats (select, compute and
save it as any other); only its display differs: every figure is written by
:mod:`placesim.formatting` (thousands separators, no scientific notation, pounds without
pennies, crises as whole numbers), in the unit of its row or column.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import pandas as pd

from .formatting import decimals, fmt, is_missing

STATS = ("mean", "lower", "upper")
"""Columns (or last column levels) that hold a mean and its interval."""


def _group(column: Hashable) -> Hashable:
    """The figure a column belongs to: its first level, or its name without ``_lower``/``_upper``."""
    if isinstance(column, tuple):
        return column[0]
    if column in STATS:
        return ""
    name = str(column)
    for suffix in ("_lower", "_upper"):
        if name.endswith(suffix):
            return name.removesuffix(suffix)
    return column


def _unit_column(frame: pd.DataFrame) -> Hashable | None:
    for c in frame.columns:
        if c == "unit" or (isinstance(c, tuple) and c[0] == "unit"):
            return c
    return None


def readable(frame: pd.DataFrame, units: dict[str, str] | None = None) -> pd.DataFrame:
    """``frame`` with every number written as text in the unit of its row or column.

    The unit of a cell is its row's ``unit`` column if there is one, else ``units`` (default
    ``frame.attrs['units']``) by column (or first column level, or name without
    ``_lower``/``_upper``). A mean and its bounds share the decimals of the largest.
    """
    units = dict(frame.attrs.get("units", {}) if units is None else units)
    ucol = _unit_column(frame)
    groups: dict[Hashable, list[Hashable]] = {}
    for c in frame.columns:
        if c != ucol:
            groups.setdefault(_group(c), []).append(c)
    out = frame.astype(object).copy()
    for i in range(len(frame)):
        row = frame.iloc[i]
        row_unit = str(row[ucol]) if ucol is not None else None
        for group, cols in groups.items():
            unit = row_unit if row_unit is not None else str(units.get(str(group), ""))
            values = [row[c] for c in cols]
            numbers = [abs(float(v)) for v in values if _is_number(v) and not is_missing(v)]
            finite = [v for v in numbers if v != float("inf")]
            places = decimals(max(finite), unit) if finite else None
            for c, v in zip(cols, values):
                out.iat[i, frame.columns.get_loc(c)] = fmt(v, unit, places) if _is_number(v) else v
    return pd.DataFrame(out)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) or hasattr(v, "dtype") and v.dtype.kind in "fiu"


class ReadableFrame(pd.DataFrame):
    """A DataFrame of figures that displays them readably (see :func:`readable`).

    Its values are the floats; a frame taken from it (``.loc[...]``, a copy) displays the
    same way, with the units it still has (a column of one figure is a plain Series).
    ``pd.DataFrame(frame)`` gives a plain DataFrame.
    """

    @property
    def _constructor(self):
        return ReadableFrame

    def readable(self) -> pd.DataFrame:
        """The figures as text (what the frame displays)."""
        return readable(self)

    def __repr__(self) -> str:
        return repr(readable(self))

    def _repr_html_(self) -> str:
        return readable(self).to_html()


def readable_frame(frame: pd.DataFrame) -> ReadableFrame:
    """``frame`` (and its ``attrs``) as a :class:`ReadableFrame`."""
    out = ReadableFrame(frame)
    out.attrs = dict(frame.attrs)
    return out
