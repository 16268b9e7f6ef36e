"""Composing YAML with limits: nesting depth, number of values, aliases, explicit tags.

PyYAML's safe loader never runs code, but it will follow a file as deep and as wide as it
goes: 20,000 nested brackets end in a RecursionError, and a "billion laughs" file (aliases
of aliases, each repeating the one before nine times) expands to a billion values when the
nodes are turned into data. :class:`LimitedLoader` counts as it composes and stops at the
first value past a limit (:data:`~placesim.scenario.limits.MAX_DEPTH` levels,
:data:`~placesim.scenario.limits.MAX_VALUES` values), refuses an alias to the list or
mapping it is inside, and marks every node written with an explicit tag (``!!str``,
``!foo``, ``!!python/object/apply:...``) so that the builder refuses it wherever it is:
on a scalar, a list or a mapping. :func:`expansion_problem` then measures what the
aliases would expand to, before anything is expanded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from .limits import MAX_DEPTH, MAX_VALUES

TAG_ATTRIBUTE = "placesim_tag"
"""Attribute set on a node written with an explicit tag (the tag as written)."""


@dataclass
class LimitExceeded(Exception):
    """A limit was passed while composing: what, where (1-based line) and the field path."""

    message: str
    line: int
    path: tuple[Any, ...]


class LimitedLoader(yaml.SafeLoader):
    """A safe loader whose composer stops at the limits (see the module's docstring)."""

    def __init__(self, text: str):
        super().__init__(text)
        self.depth = 0
        self.values = 0
        self.keys: list[Any] = []                 # field path of the node being composed
        self.open_anchors: set[str] = set()       # anchors of the collections being composed
        self.aliases: list[tuple[yaml.Node, str, int, tuple[Any, ...]]] = []  # (node named, anchor, line, path)

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        event = self.peek_event()
        line = event.start_mark.line + 1
        named = index is not None  # a mapping's key is composed with index None: it is no field of its own
        if named:
            self.keys.append(index.value if isinstance(index, yaml.ScalarNode) else index
                             if isinstance(index, int) else "?")
        collection = isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent))
        try:
            if isinstance(event, yaml.AliasEvent):
                if event.anchor in self.open_anchors:
                    raise LimitExceeded(f"the alias *{event.anchor} names the list or mapping it is inside (a "
                                        f"structure that contains itself); write the values out instead",
                                        line, tuple(self.keys))
                node = super().compose_node(parent, index)
                self.aliases.append((node, str(event.anchor), line, tuple(self.keys)))
                return node
            self.values += 1
            if self.values > MAX_VALUES:
                raise LimitExceeded(f"the file holds more than {MAX_VALUES:,} values; a scenario holds a few "
                                    f"thousand", line, tuple(self.keys))
            self.depth += collection
            if self.depth > MAX_DEPTH:
                raise LimitExceeded(f"mappings and lists nested more than {MAX_DEPTH} levels deep; a scenario "
                                    f"nests fewer than ten", line, tuple(self.keys[:MAX_DEPTH]))
            anchor = getattr(event, "anchor", None)
            if anchor is not None:
                self.open_anchors.add(anchor)
            try:
                node = super().compose_node(parent, index)
            finally:
                self.depth -= collection
                self.open_anchors.discard(anchor)
            tag = getattr(event, "tag", None)
            if tag is not None:
                setattr(node, TAG_ATTRIBUTE, tag)
            return node
        finally:
            if named:
                self.keys.pop()


def explicit_tag(node: yaml.Node) -> str | None:
    """The tag written on ``node`` (``'!foo'``, ``'tag:yaml.org,2002:str'``), or None."""
    return getattr(node, TAG_ATTRIBUTE, None)


def shown_tag(tag: str) -> str:
    """A tag as it was written: ``tag:yaml.org,2002:str`` -> ``!!str``."""
    prefix = "tag:yaml.org,2002:"
    return "!!" + tag[len(prefix):] if tag.startswith(prefix) else tag


def expansion_problem(loader: LimitedLoader, root: yaml.Node) -> LimitExceeded | None:
    """Whether the aliases of a composed file would expand it past the limits.

    Measures, without expanding anything, how many values and how many levels each node
    stands for once every alias is replaced by what it names (YAML merge keys, ``<<``,
    included). Returns the problem at the line of the alias that repeats the most, or None.
    """
    if not loader.aliases:
        return None
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in size:
            continue
        children = _children(node)
        if not children_done:
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in size)
            continue
        size[key] = 1 + sum(size[id(c)] for c in children)
        depth[key] = (not isinstance(node, yaml.ScalarNode)) + max((depth[id(c)] for c in children), default=0)
    total, deepest = size[id(root)], depth[id(root)]
    if total <= MAX_VALUES and deepest <= MAX_DEPTH:
        return None
    node, anchor, line, path = max(loader.aliases, key=lambda a: (size[id(a[0])], depth[id(a[0])]))
    if total > MAX_VALUES:
        what = (f"the aliases expand the file to {total:,} values, more than the limit of {MAX_VALUES:,}; "
                f"this alias *{anchor} alone repeats {size[id(node)]:,}")
    else:
        what = (f"the aliases nest the file {deepest} levels deep, more than the limit of {MAX_DEPTH}; this "
                f"alias *{anchor} alone adds {depth[id(node)]}")
    return LimitExceeded(what + " (aliases of aliases: a 'billion laughs' file?)", line, path)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []
