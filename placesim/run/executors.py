"""Executors: where the tasks of a run are carried out (one pluggable interface).

An :class:`Executor` takes a function and a list of tasks and returns the function's
result for each task, in task order, calling ``on_result`` and ``on_done`` as each
finishes. This module holds the interface and the local executors (serial, processes); the
dask executor is in :mod:`.cluster`, and :func:`~placesim.run.choose.make_executor` picks
one by name. Results do not depend on the executor: every task carries its own seed and replication index. What an
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
from typing import Any, ClassVar, Self, TypeVar

from .workers import start_worker

T = TypeVar("T")
R = TypeVar("R")

STOP_SECONDS = 5.0
"""How long stopping may take: workers asked to end (SIGTERM) that are still alive after
this are killed (SIGKILL)."""


class Executor(ABC):
    """Runs tasks and hands back their results in task order.

    Every executor (serial, local processes, a dask cluster) keeps this contract; the
    tests in ``tests/test_faults.py`` check it for each one.

    1. **Results.** ``map(fn, tasks, on_done, on_result)`` returns ``[fn(task) for task
       in tasks]`` in task order and, once per finished task, in the calling thread and
       as it finishes, calls ``on_result(i, result)`` (``i`` its index in ``tasks``) and
       then ``on_done()``. Results never depend on the executor.
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

    The dask executor (:class:`~placesim.run.cluster.DaskExecutor`) meets 2 by cancelling
    its futures (``client.cancel``) and stopping the cluster it started in a ``finally``,
    and 3 and 4 for the workers it starts itself; the workers of a cluster it was given
    (a scheduler address, a client) are the cluster's, not its own (see its docstring).

    An executor is also a context manager: ``with executor: ...`` lets one that has
    something costly to start (a dask cluster) keep it for several ``map`` calls, and
    release it at the end of the block. The others need nothing and do nothing.
    """

    name: ClassVar[str]

    @abstractmethod
    def map(self, fn: Callable[[T], R], tasks: Sequence[T], on_done: Callable[[], None] | None = None,
            on_result: Callable[[int, R], None] | None = None) -> list[R]:
        """``[fn(task) for task in tasks]``, however the executor carries them out (see the
        contract in the class docstring)."""

    def concurrency(self, n_tasks: int) -> int:
        """Tasks this executor runs at once on this machine (for the memory check)."""
        return 1

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        return None


class SerialExecutor(Executor):
    """One task after another in this process (an interrupt stops it where it is)."""

    name = "serial"

    def map(self, fn: Callable[[T], R], tasks: Sequence[T], on_done: Callable[[], None] | None = None,
            on_result: Callable[[int, R], None] | None = None) -> list[R]:
        out = []
        for i, task in enumerate(tasks):
            out.append(fn(task))
            if on_result:
                on_result(i, out[-1])
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

    def map(self, fn: Callable[[T], R], tasks: Sequence[T], on_done: Callable[[], None] | None = None,
            on_result: Callable[[int, R], None] | None = None) -> list[R]:
        if len(tasks) <= 1:
            return SerialExecutor().map(fn, tasks, on_done, on_result)
        results: list[Any] = [None] * len(tasks)
        n = self.workers or min(len(tasks), os.cpu_count() or 1)
        context = multiprocessing.get_context()
        pool = ProcessPoolExecutor(max_workers=n, mp_context=context, initializer=start_worker,
                                   initargs=(os.getpid(), context.get_start_method()))
        try:
            futures = {pool.submit(fn, task): i for i, task in enumerate(tasks)}
            for fut in as_completed(futures):
                i = futures[fut]
                results[i] = fut.result()
                if on_result:
                    on_result(i, results[i])
                if on_done:
                    on_done()
        except BaseException:
            stop_pool(pool)
            raise
        pool.shutdown(wait=True)
        return results

    def concurrency(self, n_tasks: int) -> int:
        return max(1, min(n_tasks, self.workers or os.cpu_count() or 1))


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
