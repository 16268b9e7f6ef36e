"""The package's shape: layers that only point down, no import cycles, no private names
used across packages, no module over 500 lines (see docs/architecture.md).

Imports are read from the source: every ``import`` and ``from`` statement, at module level
and inside functions alike, so a cycle hidden behind a function-level import is found too.
Imports under ``if TYPE_CHECKING:`` (annotations only, never executed) must point down the
layers like any other, but are left out of the cycle check: two classes of one package
that refer to each other in their annotations are not a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "placesim"
MAX_LINES = 500

LAYERS: list[tuple[str, ...]] = [
    ("placesim._version", "placesim.errors", "placesim.io", "placesim.stats", "placesim.formatting"),
    ("placesim.scenario",),
    ("placesim.plan",),
    ("placesim.engines",),
    ("placesim.kinds",),
    ("placesim.plots",),
    ("placesim.results", "placesim.variables", "placesim.warmup", "placesim.display", "placesim.cautions",
     "placesim.reach"),
    ("placesim.run",),
    ("placesim.appraisal", "placesim.review", "placesim.calibration", "placesim.validation",
     "placesim.uncertainty.spec"),
    ("placesim.compare",),
    ("placesim.break_even", "placesim.tables", "placesim.adaptive", "placesim.reinvest"),
    ("placesim.report", "placesim.options", "placesim.options_reference", "placesim.starter"),
    ("placesim.uncertainty",),
    ("placesim.cli", "placesim.psa_cli", "placesim.__init__"),
]
"""From the bottom up: a module may import from its own layer or any layer below it."""

INDEPENDENT = [("placesim.engines.des", "placesim.engines.sd")]
"""Sibling packages that must not import each other."""


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__" and len(parts) > 1 and parts != ["placesim", "__init__"]:
        parts = parts[:-1]
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def resolve(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = importer.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            for inner in node.body:
                for sub in ast.walk(inner):
                    if hasattr(sub, "lineno"):
                        lines.add(sub.lineno)
    return lines


def imports_of(name: str, path: Path, known: set[str]) -> list[tuple[str, str, int, bool]]:
    """``(imported module, imported name or '', line, for annotations only)`` of every
    placesim import in a module."""
    tree = ast.parse(path.read_text(), filename=str(path))
    typing_only = _type_checking_lines(tree)
    is_package = path.name == "__init__.py"
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("placesim"):
                    out.append((alias.name, "", node.lineno, node.lineno in typing_only))
        elif isinstance(node, ast.ImportFrom):
            target = resolve(name, is_package, node)
            if not target.startswith("placesim"):
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                out.append((sub if sub in known else target, alias.name, node.lineno, node.lineno in typing_only))
    return out


def layer_of(name: str) -> int:
    best, rank = -1, None
    for i, layer in enumerate(LAYERS):
        for prefix in layer:
            if (name == prefix or name.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), i
    if rank is None:
        raise AssertionError(f"{name} is in no layer: add it to LAYERS in {__file__}")
    return rank


def graph() -> tuple[nx.DiGraph, list[tuple[str, str, str, int]]]:
    """The run-time import graph, and every import (run time and annotations) as
    ``(importer, imported module, imported name, line)``."""
    mods = modules()
    known = set(mods)
    g = nx.DiGraph()
    edges = []
    for name, path in mods.items():
        g.add_node(name)
        for target, imported, line, typing_only in imports_of(name, path, known):
            if target == name:
                continue
            if not typing_only:
                g.add_edge(name, target)
            edges.append((name, target, imported, line))
    return g, edges


def package_of(name: str) -> str:
    parts = name.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else name


def test_every_module_is_in_a_layer():
    for name in modules():
        layer_of(name)


def test_layers_only_point_down():
    _, edges = graph()
    up = [f"{a}:{line} imports {b} ({LAYERS[layer_of(b)][0]} is above {LAYERS[layer_of(a)][0]})"
          for a, b, _, line in edges if layer_of(b) > layer_of(a)]
    assert not up, "imports that point up a layer:\n  " + "\n  ".join(up)


def test_independent_packages_do_not_import_each_other():
    _, edges = graph()
    bad = []
    for a, b, _, line in edges:
        for x, y in INDEPENDENT:
            for p, q in ((x, y), (y, x)):
                if (a == p or a.startswith(p + ".")) and (b == q or b.startswith(q + ".")):
                    bad.append(f"{a}:{line} imports {b}")
    assert not bad, "\n".join(bad)


def test_no_import_cycles():
    g, _ = graph()
    cycles = [c for c in nx.simple_cycles(g)]
    assert not cycles, "import cycles:\n  " + "\n  ".join(" -> ".join(c + [c[0]]) for c in cycles[:20])


def test_no_private_names_across_packages():
    _, edges = graph()
    bad = [f"{a}:{line} imports {imported} from {b}" for a, b, imported, line in edges
           if imported.startswith("_") and not imported.startswith("__") and package_of(a) != package_of(b)]
    assert not bad, "private names used across packages:\n  " + "\n  ".join(bad)


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_is_over_500_lines(path):
    n = len(path.read_text().splitlines())
    assert n <= MAX_LINES, f"{path.relative_to(PACKAGE.parent)} has {n} lines (at most {MAX_LINES})"
