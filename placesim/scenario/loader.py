"""Reading scenario files: ``extends`` chains, deep merge, line tracking."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from ..errors import Problem, ScenarioError
from .yamlio import Marks, read_yaml_file


def deep_merge(base: Any, override: Any) -> Any:
    """Merge ``override`` into ``base``: mappings merge key by key (so services,
    neighbourhoods and cohorts are keyed by name); anything else is replaced."""
    if isinstance(base, dict) and isinstance(override, dict):
        out = {k: copy.deepcopy(v) for k, v in base.items()}
        for k, v in override.items():
            out[k] = deep_merge(out[k], v) if k in out else copy.deepcopy(v)
        return out
    return copy.deepcopy(override)


def read_scenario_data(path: str | Path) -> tuple[dict[str, Any], Marks]:
    """Read a scenario file and everything it ``extends``, merged.

    Returns
    -------
    data, marks
        The merged data (without ``extends``) and where each field was written.

    Raises
    ------
    ScenarioError
        Missing file, YAML error, a root that is not a mapping, a bad or circular
        ``extends``.
    """
    return _read_chain(Path(path), [])


def _read_chain(path: Path, chain: list[Path]) -> tuple[dict[str, Any], Marks]:
    resolved = path.resolve()
    if resolved in chain:
        loop = " -> ".join(str(p) for p in chain[chain.index(resolved):] + [resolved])
        raise ScenarioError([Problem(f"circular extends: {loop}", "extends", str(chain[-1]), None)])
    data, marks, _ = read_yaml_file(path)
    name = str(path)
    if data is None:
        raise ScenarioError([Problem("the file is empty; expected a scenario mapping (placesim: 1, name: ...)", "", name, 1)])
    if not isinstance(data, dict):
        raise ScenarioError([Problem(f"expected a mapping of fields at the top of the file, got {type(data).__name__}",
                                     "", name, 1)])
    parent = data.pop("extends", None)
    if parent is None:
        return data, marks
    line = marks.get(("extends",), (name, None))[1]
    if not isinstance(parent, str) or not parent.strip():
        raise ScenarioError([Problem(f"extends must be the path of another scenario file, got {parent!r}",
                                     "extends", name, line)])
    base_path = (path.parent / parent)
    if not base_path.exists():
        raise ScenarioError([Problem(f"extends {parent!r}, but {base_path} does not exist", "extends", name, line)])
    base, base_marks = _read_chain(base_path, chain + [resolved])
    marks.pop(("extends",), None)
    merged = deep_merge(base, data)
    all_marks = dict(base_marks)
    all_marks.update(marks)
    return merged, all_marks
