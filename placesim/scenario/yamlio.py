"""Safe YAML loading that remembers where every value was written.

PyYAML's safe composer gives nodes with marks; we build plain Python data from them and a
map from field path (a tuple of keys and list indices) to ``(file, line)``. Duplicate keys,
which PyYAML would silently collapse, are errors.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ..errors import Problem, ScenarioError

Path_ = tuple[Any, ...]
Marks = dict[Path_, tuple[str, int]]


class _Loader(yaml.SafeLoader):
    """Safe loader used only to compose nodes and construct scalars."""


def parse_yaml(text: str, filename: str) -> tuple[Any, Marks]:
    """Parse YAML text safely into data and a path -> (file, line) map.

    Raises
    ------
    ScenarioError
        On a syntax error (with its line), a duplicate key, or a non-text key.
    """
    loader = _Loader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark is not None else None
            what = exc.problem or str(exc)
            if exc.context:
                what = f"{exc.context}, {what}"
            raise ScenarioError([Problem(f"YAML syntax error: {what}", "", filename, line)]) from None
        except yaml.YAMLError as exc:
            raise ScenarioError([Problem(f"YAML error: {exc}", "", filename, None)]) from None
        marks: Marks = {}
        if node is None:
            return None, marks
        data = _build(loader, node, (), filename, marks)
        return data, marks
    finally:
        loader.dispose()


def _build(loader: _Loader, node: yaml.Node, path: Path_, filename: str, marks: Marks) -> Any:
    marks[path] = (filename, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # resolves YAML merge keys (<<)
        out: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if not isinstance(key, (str, int, float)) or isinstance(key, bool):
                raise ScenarioError([Problem(
                    f"keys must be names, got {key!r}", _dotted(path), filename, line)])
            key = str(key)
            if key in out:
                raise ScenarioError([Problem(
                    f"duplicate key {key!r} (first written on line {first_line[key]})",
                    _dotted(path + (key,)), filename, line)])
            first_line[key] = line
            out[key] = _build(loader, value_node, path + (key,), filename, marks)
            marks[path + (key,)] = (filename, line)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, item, path + (i,), filename, marks) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def read_yaml_file(path: Path) -> tuple[Any, Marks, str]:
    """Read and parse one YAML file; returns data, marks and the text."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError([Problem("file not found", "", name, None)]) from None
    except IsADirectoryError:
        raise ScenarioError([Problem("is a directory, expected a YAML file", "", name, None)]) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError([Problem(f"not UTF-8 text ({exc.reason})", "", name, None)]) from None
    data, marks = parse_yaml(text, name)
    return data, marks, text


def _dotted(path: Path_) -> str:
    return dotted(path)


def dotted(path: Path_) -> str:
    """Format a field path: ``('services', 'desk', 'referrals', 0, 'to')`` ->
    ``services.desk.referrals[0].to``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def locate(marks: Marks, path: Path_) -> tuple[str | None, int | None]:
    """File and line of the longest prefix of ``path`` that was written somewhere."""
    p = tuple(path)
    while True:
        if p in marks:
            return marks[p]
        if not p:
            return None, None
        p = p[:-1]
