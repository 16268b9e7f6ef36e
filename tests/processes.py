"""Helpers for the fault tests: which processes are alive, read from /proc (Linux only).

A process is named by ``(pid, start time)``, so a pid reused by a new process after the
old one ended is not mistaken for it; a zombie (ended, not yet reaped) counts as ended.
"""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

LINUX = sys.platform.startswith("linux") and Path("/proc/self/stat").exists()

Proc = tuple[int, int]
"""A process: its pid and its start time (clock ticks after boot)."""


def stat(pid: int) -> tuple[str, int, int] | None:
    """``(state, parent pid, start time)`` of a process, or None if there is none."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = text[text.rindex(")") + 2:].split()
    return fields[0], int(fields[1]), int(fields[19])


def children(pid: int) -> list[Proc]:
    """The live child processes of ``pid``."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = stat(int(entry))
            if st is not None and st[1] == pid and st[0] != "Z":
                out.append((int(entry), st[2]))
    return out


def alive(proc: Proc) -> bool:
    """Whether a process is still running (not ended, not a zombie)."""
    st = stat(proc[0])
    return st is not None and st[2] == proc[1] and st[0] != "Z"


def wait_gone(procs: list[Proc], timeout: float) -> list[Proc]:
    """Wait up to ``timeout`` seconds for ``procs`` to end; those still alive."""
    deadline = time.monotonic() + timeout
    while True:
        left = [p for p in procs if alive(p)]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def kill_all(procs: list[Proc]) -> None:
    """Clean up after a failed test: SIGKILL whatever of ``procs`` is still running."""
    for p in procs:
        if alive(p):
            try:
                os.kill(p[0], 9)
            except ProcessLookupError:
                pass


class Terminal:
    """A command run in a pseudo-terminal of its own session, as a user runs it: its
    progress bar is drawn, and a Ctrl-C can be sent to its process group.

    ``output`` is everything written to the terminal so far (stdout and stderr).
    """

    def __init__(self, argv: list[str], cwd: Path, env: dict[str, str] | None = None):
        master, slave = pty.openpty()
        self.proc = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave,
                                     start_new_session=True, env={**os.environ, "TERM": "xterm", "COLUMNS": "120",
                                                                  **(env or {})})
        os.close(slave)
        self.master = master
        self.chunks: list[bytes] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 4096)
            except OSError:
                return
            if not data:
                return
            self.chunks.append(data)

    @property
    def output(self) -> str:
        text = b"".join(self.chunks).decode(errors="replace")
        return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)

    def wait_for(self, pattern: str, timeout: float) -> re.Match[str]:
        """Wait until the output matches ``pattern``; fail after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = re.search(pattern, self.output)
            if m:
                return m
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"no {pattern!r} within {timeout} s; output:\n{self.output}")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.reader.join(5)
        os.close(self.master)
