"""Fuzzing the front door: the shipped scenario, options and set-up files, mutated by
Hypothesis, are either accepted or refused with a :class:`~placesim.PlacesimError` and a
message naming the file, never a traceback and never a hang (issue 11).

Mutations mimic careless and hostile edits: a line replaced by or joined with a hostile
snippet (tags, aliases, bombs, control characters, deep brackets, huge numbers, booleans,
empty names), numbers replaced, lines deleted, repeated, swapped, a character changed,
the file cut short. Every example only validates (loads) the file: nothing is run. A hard
alarm turns a hang into a failure.
"""

from __future__ import annotations

import re
import shutil
import signal
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import placesim as ps
from placesim import PlacesimError

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ["scenarios/brent/siloed.yaml", "scenarios/brent/int_pilot.yaml", "scenarios/brent/int_full.yaml",
             "scenarios/validation/mmc.yaml", "scenarios/validation/jackson.yaml", "tests/scenarios/toy_int.yaml",
             "calibration/harlesden/scenario.yaml"]
OTHERS = ["scenarios/brent/options.yaml", "calibration/harlesden/setup.yaml"]
HANG_SECONDS = 20
"""Longest any one example may take before it counts as a hang."""

SNIPPETS = [
    "!!python/object/apply:os.system ['echo hi']", "!foo {a: 1}", "!!str 5", "! x", "&a [*a]", "*nowhere",
    "&b [1, 2]\nx: *b", "<<: *a", "[" * 200, "{" * 60 + "}" * 60, "\x00", "\x1b[31m", "\ufeff", "\t",
    "1e308", "1.0e+308", "-1.0e+308", ".inf", "-.inf", ".nan", "10000000000000000000000000000000", "0x7fffffffffff",
    "true", "false", "yes", "~", "''", "'   '", "\"\"", "-", ": :", "? [a]", "- - -", "|", ">-", "%YAML 1.1",
    "---", "...", "@x", "`x`", "'unclosed", "\"unclosed", "key: value: more", "a\x85b", "\ud800", "x" * 5000,
]
NUMBERS = ["1e308", "1.0e+308", "10000000000000000000000000000000", "true", "false", "-1", "0", ".nan", ".inf",
           "''", "null", "[]", "{}", "1_000_000_000_000", "0o777777777777", "-0.0", "1.0e-320"]
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w.])")


@st.composite
def mutated(draw: st.DrawFn, text: str) -> str:
    """``text`` with one to three careless or hostile edits."""
    lines = text.split("\n")
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["replace", "insert", "append", "number", "delete", "repeat", "swap", "char",
                                   "truncate"]))
        i = draw(st.integers(0, max(len(lines) - 1, 0)))
        line = lines[i] if lines else ""
        indent = line[: len(line) - len(line.lstrip(" "))]
        if op == "replace":
            key = line.split(":", 1)[0] if ":" in line else line.rstrip()
            lines[i] = f"{key}: {draw(st.sampled_from(SNIPPETS))}" if ":" in line else draw(st.sampled_from(SNIPPETS))
        elif op == "insert":
            lines.insert(i, indent + draw(st.sampled_from(SNIPPETS)))
        elif op == "append":
            lines[i] = line + " " + draw(st.sampled_from(SNIPPETS))
        elif op == "number":
            numbers = list(_NUMBER.finditer(line))
            if numbers:
                m = numbers[draw(st.integers(0, len(numbers) - 1))]
                lines[i] = line[: m.start()] + draw(st.sampled_from(NUMBERS)) + line[m.end():]
        elif op == "delete" and lines:
            del lines[i]
        elif op == "repeat":
            lines.insert(i, line)
        elif op == "swap":
            j = draw(st.integers(0, max(len(lines) - 1, 0)))
            if lines:
                lines[i], lines[j] = lines[j], lines[i]
        elif op == "char" and line:
            k = draw(st.integers(0, len(line) - 1))
            ch = draw(st.sampled_from(["\x00", "\x07", "\t", ":", "-", "[", "{", "&", "*", "!", "'", '"', "#", " ", "é",
                                       "\u2028"]))
            lines[i] = line[:k] + ch + line[k + 1:]
        elif op == "truncate":
            lines = lines[: i + 1]
            lines[-1] = line[: draw(st.integers(0, len(line)))]
    return "\n".join(lines)


@pytest.fixture(scope="module")
def copies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped files (and what they name) copied into one folder tree."""
    root = tmp_path_factory.mktemp("shipped")
    for folder in ("scenarios", "tests/scenarios", "calibration/harlesden"):
        shutil.copytree(ROOT / folder, root / folder, dirs_exist_ok=True)
    return root


@contextmanager
def alarm(seconds: int):
    """Fail (instead of hanging) if the block takes longer than ``seconds``."""
    if not hasattr(signal, "SIGALRM"):  # pragma: no cover - not on Windows
        yield
        return

    def hung(signum, frame):
        raise TimeoutError(f"no answer within {seconds} s: a hang")

    old = signal.signal(signal.SIGALRM, hung)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def load(path: Path) -> None:
    """Validate a file the way the command line does (nothing is run)."""
    from placesim.calibration.calibrate import prepare
    from placesim.calibration.setup import load_setup

    if path.name == "options.yaml":
        ps.load_options(path)
    elif path.name == "setup.yaml":
        prepare(load_setup(path))
    else:
        ps.load_scenario(path)


def check_one(copies: Path, relative: str, text: str) -> None:
    target = copies / relative
    original = target.read_bytes()
    target.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        start = time.perf_counter()
        with alarm(HANG_SECONDS):
            try:
                load(target)
            except PlacesimError as exc:
                message = str(exc)
                assert message and "Traceback" not in message
                assert not isinstance(exc, ps.ScenarioError) or all(p.message for p in exc.problems)
        assert time.perf_counter() - start < HANG_SECONDS
    finally:
        target.write_bytes(original)


FILES = SCENARIOS + OTHERS


@st.composite
def cases(draw: st.DrawFn) -> tuple[str, str]:
    relative = draw(st.sampled_from(FILES))
    return relative, draw(mutated((ROOT / relative).read_text(encoding="utf-8")))


COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
              database=None)


@settings(max_examples=40, derandomize=True, **COMMON)
@given(case=cases())
def test_mutated_shipped_files_fast(copies: Path, case: tuple[str, str]) -> None:
    """A fixed sample of mutations, for the fast tier."""
    check_one(copies, *case)


@pytest.mark.slow
@settings(max_examples=200, **COMMON)
@given(case=cases())
def test_mutated_shipped_files(copies: Path, case: tuple[str, str]) -> None:
    """Fresh random mutations at every run."""
    check_one(copies, *case)


def test_the_shipped_files_load(copies: Path) -> None:
    """Unmutated, every fuzzed file loads (so that the mutations are what is refused)."""
    for relative in FILES:
        load(copies / relative)
