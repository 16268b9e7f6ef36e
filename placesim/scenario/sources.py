"""The source written beside each figure of a scenario file, as a trailing YAML comment.

Scenario files cite a source on the line of each figure::

    cost_per_fte_gbp_per_year: 66000   # UC43 x 1,650 h (assumption)
    duration: {distribution: lognormal, mean_days: 90, sd_days: 45}   # assumption

Every *leaf* of a scenario (a scalar value, or a whole list of scalars; lists holding
mappings are walked into, ``referrals[0].probability``) gets the comment text after ``#``
on the line its value is written on (the last line of a multi-line value; the key's line
if that has none), or ``""``. All leaves of a flow mapping share the comment of their
line. A ``#`` inside a quoted string or a plain value (``a#b``) is not a comment: the
comment is found only after the last YAML token on the line.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from .files import read_text
from .loader import read_scenario_data
from .yamlio import Marks, Path_, dotted, locate

OVERRIDDEN = "set in Python"
"""Source of a field changed by :meth:`Scenario.with_overrides`."""

_COMMENT = re.compile(r"(?:^|(?<=\s))#(.*)$")


class _Loader(yaml.SafeLoader):
    """Composes nodes and records, per line, the column where the last token ends."""

    def __init__(self, text: str):
        super().__init__(text)
        self.ends: dict[int, float] = {}

    def get_token(self) -> Any:
        token = super().get_token()
        if token is not None:
            self._record(token)
        return token

    def _record(self, token: Any) -> None:
        sl, el, ec = token.start_mark.line, token.end_mark.line, token.end_mark.column
        if sl == el:
            self.ends[sl] = max(self.ends.get(sl, 0), ec)
            return
        if getattr(token, "style", None) in ("|", ">"):
            # a block scalar: its header line may carry a comment after the indicator
            self.ends[sl] = max(self.ends.get(sl, 0), token.start_mark.column)
        else:
            self.ends[sl] = math.inf
        for line in range(sl + 1, el):
            self.ends[line] = math.inf
        self.ends[el] = max(self.ends.get(el, 0), ec)


def leaf_paths(data: Any, prefix: Path_ = ()) -> Iterator[Path_]:
    """Field paths of the leaves of ``data``: scalars, and lists without mappings or lists
    in them (taken whole)."""
    if isinstance(data, dict):
        for k, v in data.items():
            yield from leaf_paths(v, prefix + (k,))
    elif isinstance(data, list) and any(isinstance(v, (dict, list)) for v in data):
        for i, v in enumerate(data):
            yield from leaf_paths(v, prefix + (i,))
    elif prefix:
        yield prefix


def text_comments(text: str) -> dict[Path_, str]:
    """Trailing comment of every leaf of one YAML text (no ``extends``), by field path.

    Raises
    ------
    yaml.YAMLError
        If the text is not valid YAML (scenario loading reports that better; read a
        text's comments after loading it).
    """
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        lines = text.splitlines()
        out: dict[Path_, str] = {}
        if node is not None:
            _walk(loader, node, (), None, lines, out)
        return out
    finally:
        loader.dispose()


def _walk(loader: _Loader, node: yaml.Node, path: Path_, key_line: int | None, lines: list[str],
          out: dict[Path_, str]) -> None:
    def at(line: int | None) -> str:
        return _comment_at(lines, loader.ends, line)

    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = str(loader.construct_object(key_node, deep=True))
            _walk(loader, value_node, path + (key,), key_node.start_mark.line, lines, out)
    elif isinstance(node, yaml.SequenceNode) and any(
            isinstance(item, (yaml.MappingNode, yaml.SequenceNode)) for item in node.value):
        for i, item in enumerate(node.value):
            _walk(loader, item, path + (i,), item.start_mark.line, lines, out)
    elif isinstance(node, yaml.SequenceNode):
        found = [at(key_line)] + [at(item.end_mark.line) for item in node.value]
        out[path] = "; ".join(dict.fromkeys(c for c in found if c))
    elif path:
        line = node.start_mark.line if getattr(node, "style", None) in ("|", ">") else node.end_mark.line
        comment = at(line)
        if not comment and key_line is not None and key_line != line:
            comment = at(key_line)
        out[path] = comment


def _comment_at(lines: list[str], ends: dict[int, float], line: int | None) -> str:
    if line is None or line >= len(lines):
        return ""
    col = ends.get(line, 0)
    if math.isinf(col):
        return ""
    text = lines[line]
    col = int(col)
    if col and not text[col - 1:col].isspace() and text[col:col + 1] == "#":
        return ""  # 'a]#b' is not a comment
    m = _COMMENT.search(text[col:])
    return m.group(1).strip() if m else ""


def sources_from_text(text: str) -> dict[str, str]:
    """Source comment of every leaf of a YAML text, keyed by dotted path (``""`` if none)."""
    return {dotted(p): c for p, c in text_comments(text).items()}


def merged_sources(data: dict[str, Any], marks: Marks) -> dict[str, str]:
    """Source comments of merged scenario data (see
    :func:`~placesim.scenario.loader.read_scenario_data`): each leaf's comment is read in
    the file that wrote it, which ``marks`` tell."""
    by_file: dict[str, dict[Path_, str]] = {}
    out: dict[str, str] = {}
    for path in leaf_paths(data):
        file, _ = locate(marks, path)
        if file is None or file.startswith("<"):
            out[dotted(path)] = ""
            continue
        if file not in by_file:
            by_file[file] = text_comments(read_text(file))
        out[dotted(path)] = by_file[file].get(path, "")
    return out


def read_sources(path: str | Path) -> dict[str, str]:
    """Source comment of every leaf field of a scenario file, ``extends`` resolved.

    Returns
    -------
    dict
        Dotted field path (as in error messages, ``services.gp.costs.per_case_gbp``) ->
        comment text after ``#`` (``""`` if the line has none). A field inherited from an
        ``extends`` base file has the comment of the base file's line.

    Raises
    ------
    ScenarioError
        As :func:`~placesim.scenario.loader.read_scenario_data`.
    """
    data, marks = read_scenario_data(path)
    return merged_sources(data, marks)


def overridden_sources(sources: dict[str, str], merged: dict[str, Any], overrides: dict[str, Any],
                       note: str = OVERRIDDEN) -> dict[str, str]:
    """Sources after ``overrides`` were merged into a scenario giving ``merged``: leaves the
    overrides wrote get ``note``, the others keep their source (if they had one)."""
    written = set(_all_paths(overrides))
    out: dict[str, str] = {}
    for path in leaf_paths(merged):
        if any(path[:k] in written for k in range(1, len(path) + 1)):
            out[dotted(path)] = note
        elif dotted(path) in sources:
            out[dotted(path)] = sources[dotted(path)]
    return out


def _all_paths(data: Any, prefix: Path_ = ()) -> Iterator[Path_]:
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _all_paths(v, prefix + (k,))
    elif prefix:
        yield prefix
