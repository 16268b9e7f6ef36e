"""``placesim uncertainty init``: a starter ``uncertainty:`` section from a file's
"# assumption ... range a-b" comments.

Every number whose trailing comment marks it an assumption and gives a range ``a-b``
becomes a parameter with a triangular distribution from ``a`` to ``b`` peaking at the
file's value, its source the file and line the range was read from; a value outside its
range (the range is of something else the comment names) is listed as skipped. Lists and
ranges not in plain numbers ("3 months-2 years") are left out. For an options file, the
scenario files it names (and the files they extend) are read too, and its own overrides
and economics.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from ..scenario.files import read_text
from ..scenario.sources import text_comments
from ..scenario.yamlio import Path_, dotted, read_yaml_file

RANGE = re.compile(r"\bassum\w*\b.*?\brange\s+(-?[\d,]*\.?\d+)\s*(?:-|–|to)\s*(-?[\d,]*\.?\d+)"
                   r"(?![\d.]*\s*(?:months?|years?|days?|weeks?)\b)", re.IGNORECASE)
"""An assumption's range in its comment: "assumption, range 0.5-1.0" (the numbers are group 1 and 2)."""


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _leaves(data: Any, path: Path_ = ()) -> list[tuple[Path_, Any]]:
    if isinstance(data, dict):
        return [leaf for k, v in data.items() for leaf in _leaves(v, path + (k,))]
    return [(path, data)]


def _scenario_path(file_kind: str, path: Path_) -> Path_ | None:
    """Where a field of an options file lands in the scenarios (None: not a scenario field)."""
    if file_kind == "scenario":
        return path
    if path[:1] == ("economics",):
        return path
    if path[:2] == ("base", "overrides"):
        return path[2:]
    if path[:1] == ("options",) and len(path) > 3 and path[2] == "overrides":
        return path[3:]
    return None


def _ranges(file: Path, kind: str) -> list[dict[str, Any]]:
    """The ranged assumptions of one file: path, value, low, high, line, comment."""
    data, marks, text = read_yaml_file(file)
    comments = text_comments(text)
    out = []
    for path, value in _leaves(data):
        comment = comments.get(path, "")
        m = RANGE.search(comment)
        if m is None or isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        target = _scenario_path(kind, path)
        if target is None:
            continue
        low, high = sorted((_number(m.group(1)), _number(m.group(2))))
        if not low < high:
            continue
        line = marks.get(path, (None, None))[1]
        out.append({"path": dotted(target), "value": float(value), "low": low, "high": high,
                    "source": f"{file.name} line {line}: {comment.strip()}"})
    return out


def _files(path: Path) -> list[tuple[Path, str]]:
    """The file and, for an options file, the scenario files it names and those they extend."""
    text = read_text(path)
    if not re.search(r"^placesim_options\s*:", text, re.M):
        files = [(path, "scenario")]
    else:
        data = yaml.safe_load(text) or {}
        names = [data.get("base", {}).get("scenario")]
        names += [o.get("scenario") for o in (data.get("options") or {}).values() if isinstance(o, dict)]
        files = [(path, "options")] + [(path.parent / n, "scenario") for n in dict.fromkeys(names) if n]
    seen: list[tuple[Path, str]] = []
    queue = list(files)
    while queue:
        f, kind = queue.pop(0)
        if (f, kind) in seen or not f.is_file():
            continue
        seen.append((f, kind))
        if kind == "scenario":
            parent = (yaml.safe_load(read_text(f)) or {}).get("extends")
            if isinstance(parent, str):
                queue.append((f.parent / parent, "scenario"))
    return seen


def _name(path: str, taken: set[str]) -> str:
    parts = [p for p in re.split(r"[.\[\]]+", path) if p and not p.isdigit()]
    name = "_".join(parts[-2:]) if len(parts) > 1 else parts[0]
    name = re.sub(r"\W+", "_", name)
    out, i = name, 2
    while out in taken:
        out, i = f"{name}_{i}", i + 1
    taken.add(out)
    return out


def starter_section(path: str | Path) -> str:
    """A starter ``uncertainty:`` section (YAML text) from the ranged assumptions of a
    scenario or options file and the files it names, citing each line."""
    p = Path(path)
    found: dict[str, dict[str, Any]] = {}
    for f, kind in _files(p):
        for r in _ranges(f, kind):
            found.setdefault(r["path"], r)  # the first file read that states it
    lines = ["# A starter uncertainty section from the assumptions' stated ranges: check each distribution",
             "# (triangular from the range's ends, peaking at the file's value) before relying on it.",
             "uncertainty:", "  samples: 1024", "  engine: sd", "  parameters:"]
    if not found:
        lines.append("    {}   # no '# assumption ... range a-b' comment was found: add parameters by hand")
    taken: set[str] = set()
    skipped = []
    for path, r in found.items():
        lo, v, hi = r["low"], r["value"], r["high"]
        if not lo <= v <= hi:
            skipped.append(f"#   {path}: its value {v:g} is outside the range {lo:g}-{hi:g} ({r['source']})")
            continue
        dist = f"{{kind: triangular, low: {lo:g}, mode: {v:g}, high: {hi:g}}}"
        lines += [f"    {_name(path, taken)}:", f"      path: {path}", f"      distribution: {dist}",
                  f"      source: {yaml.safe_dump(r['source'], width=1000).strip().removesuffix('...').strip()}"]
    if skipped:
        lines += ["# Skipped (the range in the comment is of something else):", *skipped]
    return "\n".join(lines) + "\n"
