"""Executors: where the tasks of a run are carried out (one pluggable interface).

An :class:`Executor` takes a function and a list of tasks and returns the function's
result for each task, in task order, calling ``on_done`` as each finishes. Results do not
depend on the executor: every task carries its own seed and replication index. What an
executor must do when it is interrupted, and what its workers must do when their parent
dies, is the contract in :class:`Executor`'s docstring (and docs/decisions.md, "Faults
and interrupts").
"""

from __future__ import annotations

import multiprocessing
import os
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, ClassVar, TypeVar

from ..errors import PlacesimError
from .workers import start_worker

T = TypeVar("T")
R = TypeVar("R")

STOP_SECONDS = 5.0
"""How long stopping may take: workers asked to end (SIGTERM) that are still alive after
this are killed (SIGKILL)."""


class Executor(ABC):
    """Runs tasks and hands back their results in task order.

    Every executor (local processes today, a cluster later) keeps this contract; the
    tests in ``tests/test_faults.py`` check it for each one.

    1. **Results.** ``map(fn, tasks, on_done)`` returns ``[fn(task) for task in tasks]``
       in task order, and calls ``on_done()`` once per finished task, in the calling
       thread. Results never depend on the executor.
    2. **All or nothing.** If anything interrupts ``map`` (``KeyboardInterrupt``,
       ``SystemExit``, a signal the caller turned into an exception, an error raised by a
       task or by ``on_done``), the executor cancels every task not yet started, stops
       those running, releases its workers and re-raises that exception, all within a
       few seconds (:data:`STOP_SECONDS` plus the time to cancel); no partial result is
       returned. A task's error is raised as the task raised it.
    3. **No orphans.** No worker outlives ``map``. If the caller dies without the chance
       to clean up (SIGKILL, a crash), its workers end by themselves within a few seconds.
    4. **Interrupts belong to the caller.** Workers ignore SIGINT, so a Ctrl-C at a
       terminal (which signals the whole process group) is handled once, by the caller,
       with one message, not a traceback from every worker.

    A distributed executor meets 2 by cancelling its futures (``client.cancel``) and
    closing the cluster it started in a ``finally``, and 3 by its workers' own watch on
    the scheduler (``death_timeout``) or the cluster's lifetime being tied to the caller.
    """

    name: ClassVar[str]

    @abstractmethod
    def map(self, fn: Callable[[T], R], tasks: Sequence[T], on_done: Callable[[], None] | None = None) -> list[R]:
        """``[fn(task) for task in tasks]``, however the executor carries them out (see the
        contract in the class docstring)."""


class SerialExecutor(Executor):
    """One task after another in this process (an interrupt stops it where it is)."""

    name = "serial"

    def map(self, fn: Callable[[T], R], tasks: Sequence[T], on_done: Callable[[], None] | None = None) -> list[R]:
        out = []
        for task in tasks:
            out.append(fn(task))
            if on_done:
                on_done()
        return out


class ProcessExecutor(Executor):
    """Tasks in local worker processes (one task each), at most ``workers`` at a time.

    Workers ignore SIGINT and end when this process does (:mod:`.workers`). If ``map`` is
    interrupted, the queued tasks are cancelled and the running workers are stopped
    (SIGTERM, then SIGKILL after :data:`STOP_SECONDS`) before the exception is re-raised.

    Parameters
    ----------
    workers
        Processes to use (default: the number of CPUs, at most one per task).
    """

    name = "processes"

    def __init__(self, workers: int | None = None):
        self.workers = workers

    def map(self, fn: Callable[[T], R], tasks: Sequence[T], on_done: Callable[[], None] | None = None) -> list[R]:
        if len(tasks) <= 1:
            return SerialExecutor().map(fn, tasks, on_done)
        results: list[Any] = [None] * len(tasks)
        n = self.workers or min(len(tasks), os.cpu_count() or 1)
        context = multiprocessing.get_context()
        pool = ProcessPoolExecutor(max_workers=n, mp_context=context, initializer=start_worker,
                                   initargs=(os.getpid(), context.get_start_method()))
        try:
            futures = {pool.submit(fn, task): i for i, task in enumerate(tasks)}
            for fut in as_completed(futures):
                results[futures[fut]] = fut.result()
                if on_done:
                    on_done()
        except BaseException:
            stop_pool(pool)
            raise
        pool.shutdown(wait=True)
        return results


def stop_pool(pool: ProcessPoolExecutor, timeout: float = STOP_SECONDS) -> None:
    """Cancel a pool's queued tasks and end its workers now, without waiting for running tasks.

    ``shutdown(cancel_futures=True)`` alone cancels the queued tasks but waits for the
    running ones; so the workers are terminated too (SIGTERM, SIGKILL for any still alive
    after ``timeout`` seconds). The workers are read from the pool (CPython's
    ``_processes``; Python 3.14 adds a public ``terminate_workers``, which does not wait).
    """
    processes = list((getattr(pool, "_processes", None) or {}).values())
    manager = getattr(pool, "_executor_manager_thread", None)
    pool.shutdown(wait=False, cancel_futures=True)
    for p in processes:
        p.terminate()
    deadline = time.monotonic() + timeout
    for p in processes:
        p.join(max(0.0, deadline - time.monotonic()))
        if p.is_alive():
            p.kill()
            p.join(1.0)
    if manager is not None:  # it sees the workers gone, fails the futures and closes the queues
        manager.join(max(1.0, deadline - time.monotonic()))


EXECUTORS: dict[str, type[Executor]] = {e.name: e for e in (SerialExecutor, ProcessExecutor)}
"""Executors by the name ``executor=`` takes."""


def make_executor(executor: str | Executor, workers: int | None = None) -> Executor:
    """An executor from its name (``'serial'``, ``'processes'``) or an :class:`Executor` itself."""
    if isinstance(executor, Executor):
        return executor
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise PlacesimError(f"workers must be a whole number >= 1, got {workers!r}")
    cls = EXECUTORS.get(executor) if isinstance(executor, str) else None
    if cls is None:
        names = " or ".join(repr(n) for n in EXECUTORS)
        raise PlacesimError(f"executor must be {names}, got {executor!r}")
    return cls(workers) if cls is ProcessExecutor else cls()
