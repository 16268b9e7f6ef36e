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

import math
import re
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from scipy.stats import norm

from ..errors import PlacesimError
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


def section_from_calibration(path: str | Path, level: float = 0.9) -> str:
    """An ``uncertainty:`` section from a calibration's ``parameters.csv``: each fitted
    parameter (its paths and mode) with a distribution matching its estimate and interval.

    A parameter whose bounds are above zero gets a lognormal with median the estimate and
    the log-scale spread of the interval (``ln(upper / lower) / (2 z)``), else a normal with
    sd ``(upper - lower) / (2 z)``; both truncated to the fit's bounds. ``level`` is the
    interval's coverage (the set-up's ``interval``, 0.9 by default; ``calibrated.yaml`` says
    which). An approximation of the fit's uncertainty, to check before relying on it.
    """
    p = Path(path)
    table = pd.read_csv(p)
    missing = {"name", "estimate", "lower", "upper", "bound_lower", "bound_upper", "mode", "paths"} - set(table)
    if missing:
        raise PlacesimError(f"{p} is not a calibration's parameters.csv: no column {', '.join(sorted(missing))}")
    z = float(norm.ppf((1 + level) / 2))
    lines = [f"# An uncertainty section from the calibration's {p.name} ({level:.0%} intervals): check each",
             "# distribution before relying on it.", "uncertainty:", "  samples: 1024", "  engine: sd", "  parameters:"]
    for r in table.itertuples():
        est, lo, hi, blo, bhi = (float(v) for v in (r.estimate, r.lower, r.upper, r.bound_lower, r.bound_upper))
        if blo > 0 and lo > 0:
            s = math.log(hi / lo) / (2 * z)
            mean, sd = est * math.exp(s * s / 2), est * math.exp(s * s / 2) * math.sqrt(math.expm1(s * s))
            kind = "lognormal"
        else:
            mean, sd, kind = est, (hi - lo) / (2 * z), "normal"
        paths = str(r.paths).split(";")
        lines += [f"    {r.name}:", f"      path: {paths[0] if len(paths) == 1 else paths}", f"      mode: {r.mode}",
                  f"      distribution: {{kind: {kind}, mean: {mean:.6g}, sd: {max(sd, 1e-12):.6g}, "
                  f"bounds: [{blo:g}, {bhi:g}]}}",
                  f"      source: '{p.name}: estimate {est:.6g}, {level:.0%} interval [{lo:.6g}, {hi:.6g}]'"]
    return "\n".join(lines) + "\n"
