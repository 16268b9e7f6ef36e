"""Executors: where the tasks of a run are carried out (one pluggable interface).

An :class:`Executor` takes a function and a list of tasks and returns the function's
result for each task, in task order, calling ``on_done`` as each finishes. Results do not
depend on the executor: every task carries its own seed and replication index.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, ClassVar, TypeVar

from ..errors import PlacesimError

T = TypeVar("T")
R = TypeVar("R")


class Executor(ABC):
    """Runs tasks and hands back their results in task order."""

    name: ClassVar[str]

    @abstractmethod
    def map(self, fn: Callable[[T], R], tasks: Sequence[T], on_done: Callable[[], None] | None = None) -> list[R]:
        """``[fn(task) for task in tasks]``, however the executor carries them out."""


class SerialExecutor(Executor):
    """One task after another in this process."""

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
        with ProcessPoolExecutor(max_workers=n) as pool:
            futures = {pool.submit(fn, task): i for i, task in enumerate(tasks)}
            for fut in as_completed(futures):
                results[futures[fut]] = fut.result()
                if on_done:
                    on_done()
        return results


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
