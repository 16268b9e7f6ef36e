"""The PSA's report page (placeholder until the figures are written)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def write_report(path: Path, u: Any, evppi: Any) -> Path:
    Path(path).write_text("<html></html>")
    return Path(path)
