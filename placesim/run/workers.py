"""What a worker process of an executor does first: leave Ctrl-C to its parent and end
when its parent does.

:func:`start_worker` is the initializer of :class:`~placesim.run.ProcessExecutor`'s
worker processes. A worker ignores SIGINT: a Ctrl-C at a terminal signals the whole
process group, and the parent alone decides what to do (cancel the queued tasks, stop
the running ones, report it once). A worker also watches its parent: on Linux the kernel
kills it when its parent dies (``prctl(PR_SET_PDEATHSIG, SIGKILL)``), and everywhere a
daemon thread checks every :data:`POLL_SECONDS` whether it has been re-parented (its
parent died) and ends it. So a parent killed without the chance to clean up (SIGKILL, a
crash) leaves no worker behind for more than about :data:`POLL_SECONDS`.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time

POLL_SECONDS = 0.5
"""How often a worker checks that its parent is alive (where the kernel cannot tell it)."""

ORPHANED = 70
"""Exit status of a worker that ended because its parent died (EX_SOFTWARE)."""

PR_SET_PDEATHSIG = 1
"""Linux prctl option: the signal a process gets when its parent dies (linux/prctl.h)."""


def start_worker(parent: int, start_method: str) -> None:
    """Set up a worker process: ignore SIGINT, end at once on SIGTERM, end when the parent ends.

    Parameters
    ----------
    parent
        Process id of the process that started the pool (the executor's caller).
    start_method
        The pool's multiprocessing start method. With ``'forkserver'`` the worker's
        parent is the fork server, which itself ends when the caller does; the worker
        then watches the fork server.

    Notes
    -----
    SIGTERM gets its default action back (end the process): a worker forked from a
    process whose SIGTERM handler raises an exception (the command line's) would otherwise
    report the exception as its task's result and take the next task.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a forked worker may inherit a handler that raises
    expected = os.getppid() if start_method == "forkserver" else parent
    _die_with_parent()
    if os.getppid() != expected:  # the parent died before the watch was set up
        os._exit(ORPHANED)
    threading.Thread(target=_watch, args=(expected,), name="placesim-parent-watch", daemon=True).start()


def _watch(parent: int) -> None:
    """End this process once it is no longer a child of ``parent`` (the parent died)."""
    while os.getppid() == parent:
        time.sleep(POLL_SECONDS)
    os._exit(ORPHANED)


def _die_with_parent() -> None:
    """On Linux, ask the kernel to kill this process when its parent dies (no-op elsewhere)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - an unusual libc: the watch thread remains
        pass
