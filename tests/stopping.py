"""Executors for tests of stopped runs: one that stops a run as Ctrl-C would, one that
counts the tasks it is given."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from placesim.run import Executor, SerialExecutor


class StopAfter(Executor):
    """An executor that stops the run as a Ctrl-C would (KeyboardInterrupt in ``on_done``)
    once ``k`` tasks have finished, counting across its maps."""

    name = "stop-after"

    def __init__(self, k: int, inner: Executor | None = None):
        self.k = k
        self.inner = inner or SerialExecutor()
        self.finished = 0

    def map(self, fn: Callable, tasks: Sequence, on_done: Callable[[], None] | None = None,
            on_result: Callable[[int, Any], None] | None = None) -> list:
        def done() -> None:
            if on_done:
                on_done()
            self.finished += 1
            if self.finished >= self.k:
                raise KeyboardInterrupt

        return self.inner.map(fn, tasks, done, on_result)


class Counting(SerialExecutor):
    """A serial executor that records how many tasks each map is given."""

    def __init__(self) -> None:
        self.given: list[int] = []

    def map(self, fn: Callable, tasks: Sequence, on_done: Callable[[], None] | None = None,
            on_result: Callable[[int, Any], None] | None = None) -> list:
        self.given.append(len(tasks))
        return super().map(fn, tasks, on_done, on_result)
