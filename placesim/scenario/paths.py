"""Field paths into scenario data: ``'cohorts.c.hazards.d.escalation_per_year[0]'``.

Calibration parameters, break-even searches and uncertain parameters all name the scenario
fields they change this way.
"""

from __future__ import annotations

import re
from typing import Any

_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def parse_path(text: str) -> tuple[Any, ...]:
    """``'cohorts.c.hazards.d.escalation_per_year[0]'`` -> ``('cohorts', 'c', ..., 0)``."""
    out: list[Any] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        if text[pos] == ".":
            pos += 1
            continue
        m = _PART.match(text, pos)
        if m is None:
            raise ValueError(f"cannot read the field path {text!r} at {text[pos:]!r}")
        out.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
        pos = m.end()
    if not out:
        raise ValueError("empty field path")
    return tuple(out)


def get_path(data: Any, path: tuple[Any, ...]) -> Any:
    """The value at ``path`` in nested mappings and lists (KeyError, IndexError or TypeError if absent)."""
    for part in path:
        data = data[part]
    return data


def set_path(data: Any, path: tuple[Any, ...], value: Any) -> None:
    """Set the value at ``path`` in nested mappings and lists (its parent must exist)."""
    for part in path[:-1]:
        data = data[part]
    data[path[-1]] = value
