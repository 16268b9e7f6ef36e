"""Test helpers: a folder with the toy scenarios and an options file, and line numbers in a text."""

from __future__ import annotations

from pathlib import Path

SCENARIOS = Path(__file__).resolve().parent / "scenarios"


def toy_options_folder(folder: Path, options_text: str) -> Path:
    """``folder`` with the toy siloed and INT scenarios and an ``options.yaml`` of ``options_text``."""
    for name in ("toy_siloed.yaml", "toy_int.yaml"):
        (folder / name).write_bytes((SCENARIOS / name).read_bytes())
    (folder / "options.yaml").write_text(options_text)
    return folder


def line_of(text: str, needle: str) -> int:
    """Number of the first line of ``text`` that contains ``needle``."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)
