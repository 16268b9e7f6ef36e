"""Safe YAML loading that remembers where every value was written.

PyYAML's safe composer gives nodes with marks; we build plain Python data from them and a
map from field path (a tuple of keys and list indices) to ``(file, line)``. Duplicate keys,
which PyYAML would silently collapse, are errors; so are non-text and empty keys, every
explicit YAML tag (on a scalar, a list or a mapping) and infinite or not-a-number values.
Text with control characters, files nested too deep and aliases that would expand too far
are refused before any data is built (:mod:`placesim.scenario.yamlsafe`,
:mod:`placesim.scenario.limits`). Syntax errors are reported with the line of the mistake
(for an unclosed bracket or quote, the line where it was opened) and the field path of the
mapping or list they are in.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import Problem, ScenarioError
from .files import check_characters, read_text
from .limits import MAX_DEPTH, MAX_FILE_MB_VARIABLE, max_file_bytes, megabytes
from .yamlsafe import LimitedLoader, LimitExceeded, expansion_problem, explicit_tag, shown_tag

Path_ = tuple[Any, ...]
Marks = dict[Path_, tuple[str, int | None]]

_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


def parse_yaml(text: str, filename: str) -> tuple[Any, Marks]:
    """Parse YAML text safely into data and a path -> (file, line) map.

    Raises
    ------
    ScenarioError
        On text over the size limit or with control characters; a syntax error (with its
        line and field path); nesting, values or aliases past the limits; duplicate, empty
        or non-text keys, YAML tags, or infinite / not-a-number values (every such problem
        is listed).
    """
    if len(text) > max_file_bytes():
        raise ScenarioError([Problem(f"the text is {megabytes(len(text))}, more than the limit of "
                                     f"{megabytes(max_file_bytes())} (set {MAX_FILE_MB_VARIABLE} to raise it)",
                                     "", filename, None)])
    check_characters(text, filename)
    loader = LimitedLoader(text)
    try:
        try:
            node = loader.get_single_node()
            too_far = expansion_problem(loader, node) if node is not None else None
        except LimitExceeded as exc:
            too_far = exc
        except yaml.MarkedYAMLError as exc:
            raise ScenarioError([_syntax_problem(exc, text, filename)]) from None
        except yaml.YAMLError as exc:
            raise ScenarioError([Problem(f"YAML error: {exc}", "", filename, None)]) from None
        if too_far is not None:
            raise ScenarioError([Problem(too_far.message, dotted(too_far.path), filename, too_far.line)])
        marks: Marks = {}
        if node is None:
            return None, marks
        problems: list[Problem] = []
        data = _build(loader, node, (), filename, marks, problems)
        if problems:
            raise ScenarioError(problems)
        return data, marks
    finally:
        loader.dispose()


def _build(loader: LimitedLoader, node: yaml.Node, path: Path_, filename: str, marks: Marks,
           problems: list[Problem]) -> Any:
    marks[path] = (filename, node.start_mark.line + 1)
    tag = explicit_tag(node)
    if tag is not None:
        problems.append(_tag_problem(tag, node, path, filename))
        return None
    if isinstance(node, yaml.MappingNode):
        try:
            loader.flatten_mapping(node)  # resolves YAML merge keys (<<)
        except yaml.MarkedYAMLError as exc:
            problems.append(Problem(f"YAML merge key (<<): {exc.problem}", dotted(path), filename,
                                    _line(exc.problem_mark) or node.start_mark.line + 1))
            return {}
        out: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                problems.append(Problem(
                    f"keys must be names, got a {'list' if isinstance(key_node, yaml.SequenceNode) else 'mapping'}",
                    dotted(path), filename, line))
                continue
            tag = explicit_tag(key_node)
            if tag is not None:
                problems.append(_tag_problem(tag, key_node, path, filename, "key"))
                continue
            key = _scalar(loader, key_node, path, filename, problems)
            if isinstance(key, str) and not key.strip():
                problems.append(Problem("keys must be names, got an empty name", dotted(path), filename, line))
                continue
            if key is None or isinstance(key, bool) or not isinstance(key, (str, int, float)):
                problems.append(Problem(f"keys must be names, got {key_node.value or 'an empty key'!r}",
                                        dotted(path), filename, line))
                continue
            key = str(key)
            if key in first_line:
                problems.append(Problem(
                    f"duplicate key {key!r} (first written on line {first_line[key]})",
                    dotted(path + (key,)), filename, line))
                continue
            first_line[key] = line
            out[key] = _build(loader, value_node, path + (key,), filename, marks, problems)
            marks[path + (key,)] = (filename, line)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, item, path + (i,), filename, marks, problems)
                for i, item in enumerate(node.value)]
    return _scalar(loader, node, path, filename, problems)


def _tag_problem(tag: str, node: yaml.Node, path: Path_, filename: str, what: str = "") -> Problem:
    what = what or ("mapping" if isinstance(node, yaml.MappingNode) else "list" if isinstance(node, yaml.SequenceNode)
                    else "value")
    return Problem(f"the YAML tag {shown_tag(tag)!r} on this {what} is not allowed (nothing was run); scenario files "
                   f"use plain values without YAML tags", dotted(path), filename, node.start_mark.line + 1)


def _scalar(loader: LimitedLoader, node: yaml.Node, path: Path_, filename: str, problems: list[Problem]) -> Any:
    line = node.start_mark.line + 1
    try:
        value = loader.construct_object(node, deep=True)
    except yaml.constructor.ConstructorError as exc:
        problems.append(Problem(f"{exc.problem}; scenario files use plain values without YAML tags",
                                dotted(path), filename, line))
        return None
    except (ValueError, TypeError, OverflowError):
        if node.tag == _TIMESTAMP_TAG:
            # e.g. 2025-02-30: looks like a date but is not one; validation reports it.
            return str(node.value)
        problems.append(Problem(f"cannot read the value {node.value!r}", dotted(path), filename, line))
        return None
    if isinstance(value, float) and not math.isfinite(value):
        what = "not-a-number (.nan)" if math.isnan(value) else f"an infinite number ({node.value})"
        problems.append(Problem(f"{what} is not allowed; give a finite number", dotted(path), filename, line))
    return value


def read_yaml_file(path: Path) -> tuple[Any, Marks, str]:
    """Read and parse one YAML file (see :func:`placesim.scenario.files.read_text` for the
    checks made on the file); returns data, marks and the text."""
    text = read_text(path, "YAML file")
    data, marks = parse_yaml(text, str(path))
    return data, marks, text


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
    """File and line of the longest prefix of ``path`` that was written somewhere.

    Lists are replaced whole when scenarios are merged (``extends``, overrides), so a mark
    inside a list item that comes from another file than the list itself is stale and is
    skipped.
    """
    p = tuple(path)
    while True:
        if p in marks and _consistent(marks, p):
            return marks[p]
        if not p:
            return None, None
        p = p[:-1]


def _consistent(marks: Marks, p: Path_) -> bool:
    file = marks[p][0]
    for i, part in enumerate(p):
        if isinstance(part, int) and p[:i] in marks and marks[p[:i]][0] != file:
            return False
    return True


# --------------------------------------------------------------------------- syntax errors


def _line(mark: Any) -> int | None:
    return mark.line + 1 if mark is not None else None


def _syntax_problem(exc: yaml.MarkedYAMLError, text: str, filename: str) -> Problem:
    """A plain-words Problem for a YAML syntax error, at the line of the mistake."""
    problem = (exc.problem or "").strip()
    context = (exc.context or "").strip()
    pline, cline = _line(exc.problem_mark), _line(exc.context_mark)
    pcol = exc.problem_mark.column + 1 if exc.problem_mark is not None else None
    tracker = _track_paths(text)
    line = pline if pline is not None else cline
    path = tracker.path_at(line)
    col = f" (column {pcol})" if pcol is not None else ""

    if "'\\t'" in problem or "\t" in problem:
        what = f"a tab character{col}; indent YAML with spaces, not tabs"
    elif context.startswith(("while parsing a flow mapping", "while parsing a flow sequence")) and cline:
        opening, closing = ("{", "}") if "mapping" in context else ("[", "]")
        what = (f"the {opening!r} opened on this line is never closed with {closing!r} "
                f"(YAML {problem}" + (f" on line {pline})" if pline != cline else ")"))
        line = cline
        path = tracker.collection_at(exc.context_mark) or tracker.path_at(cline)
    elif context.startswith("while scanning a quoted scalar") and cline:
        what = "the quote opened on this line is never closed"
        line = cline
        path = tracker.pending_path() or tracker.path_at(cline)
    elif context.startswith("while scanning a simple key") and cline:
        what = "a key without ':' after it (YAML could not find the expected ':')"
        line = cline
        path = tracker.path_at(cline)
    elif problem.startswith("mapping values are not allowed"):
        what = (f"unexpected ':'{col}; check this line's indentation, or put text that "
                f"contains ': ' in quotes")
        key = _key_before(text, exc.problem_mark)
        if key is not None:
            what = f"a ':' inside the value{col}; put text that contains ': ' in quotes"
            if path[-1:] != (key,):
                path = path + (key,)
    elif context.startswith(("while parsing a block mapping", "while parsing a block collection")):
        what = (f"the indentation of this line (column {pcol}) does not line up with the "
                f"lines above it")
    elif context.startswith("expected a single document"):
        what = "more than one YAML document ('---'); a scenario file holds one"
    else:
        what = f"{context}, {problem}" if context else problem or str(exc)
        what += col
    return Problem(f"YAML syntax error: {what}", dotted(path), filename, line)


def _key_before(text: str, mark: Any) -> str | None:
    """The key of a ``key: value`` line when the stray ':' is in its value
    (``description: Note: ...``), else None."""
    if mark is None:
        return None
    lines = text.splitlines()
    if mark.line >= len(lines):
        return None
    m = re.match(r"\s*([A-Za-z_][\w-]*)\s*:\s", lines[mark.line])
    if m and mark.column >= m.end():
        return m.group(1)
    return None


@dataclass
class _Frame:
    kind: str  # 'map' or 'seq'
    path: Path_
    expect_key: bool = True
    key: Any = None
    key_line: int | None = None
    index: int = 0
    is_key: bool = False


@dataclass
class _Tracker:
    """Field paths seen while parsing events up to a syntax error."""

    stack: list[_Frame] = field(default_factory=list)
    collections: dict[tuple[int, int], Path_] = field(default_factory=dict)

    def _child(self) -> Path_:
        if not self.stack:
            return ()
        f = self.stack[-1]
        if f.kind == "map":
            return f.path + (f.key if not f.expect_key else "?",)
        return f.path + (f.index,)

    def _done(self) -> None:
        if self.stack:
            f = self.stack[-1]
            if f.kind == "map":
                f.expect_key = True
            else:
                f.index += 1

    def feed(self, ev: yaml.Event) -> None:
        top = self.stack[-1] if self.stack else None
        if isinstance(ev, (yaml.ScalarEvent, yaml.AliasEvent)):
            if top is not None and top.kind == "map" and top.expect_key:
                top.key = getattr(ev, "value", "?")
                top.key_line = ev.start_mark.line + 1
                top.expect_key = False
            else:
                self._done()
        elif isinstance(ev, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            as_key = top is not None and top.kind == "map" and top.expect_key
            path = self._child()
            frame = _Frame("map" if isinstance(ev, yaml.MappingStartEvent) else "seq", path, is_key=as_key)
            self.collections[(ev.start_mark.line, ev.start_mark.column)] = path
            self.stack.append(frame)
        elif isinstance(ev, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            frame = self.stack.pop()
            if frame.is_key and self.stack:
                self.stack[-1].key, self.stack[-1].expect_key = "?", False
            else:
                self._done()

    def path_at(self, line: int | None) -> Path_:
        """Path of the innermost open mapping or list, plus its pending key when that key
        is on ``line`` (e.g. ``name: a: b``)."""
        if not self.stack:
            return ()
        f = self.stack[-1]
        if f.kind == "map" and not f.expect_key and f.key_line == line:
            return f.path + (f.key,)
        return f.path

    def pending_path(self) -> Path_ | None:
        if self.stack and self.stack[-1].kind == "map" and not self.stack[-1].expect_key:
            return self.stack[-1].path + (self.stack[-1].key,)
        return None

    def collection_at(self, mark: Any) -> Path_ | None:
        if mark is None:
            return None
        return self.collections.get((mark.line, mark.column))


def _track_paths(text: str) -> _Tracker:
    tracker = _Tracker()
    try:
        for ev in yaml.parse(text, Loader=yaml.SafeLoader):
            tracker.feed(ev)
            if len(tracker.stack) > MAX_DEPTH:
                break  # the composer refuses such a file; paths this deep are no help
    except yaml.YAMLError:
        pass
    return tracker
