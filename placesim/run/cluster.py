"""The dask executor: the tasks of a run on a ``dask.distributed`` cluster.

Where the tasks go, in this order (:meth:`DaskExecutor.open`):

1. ``scheduler="tcp://host:8786"`` given: a client of that scheduler (its own, closed after
   the run; the cluster is left running);
2. else a dask client already current in this process (``Client.current()``: the one a
   notebook made with ``Client(...)``, or ``with client.as_current():``), used as it is
   and left open;
3. else a LocalCluster started for the run: worker processes, one thread each, as many as
   the cores this process may use (``workers=`` to choose), stopped when the run ends.

An explicit address wins over a client that happens to exist, so that
``--scheduler ADDR`` always means that cluster. Tasks carry their own seeds, and results
come back in task order, so a run gives the same dataset bit for bit on any executor.

``distributed`` is imported when a dask executor is first used, not with placesim.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Self, TypeVar

from ..errors import ClusterError
from ..io import os_reason
from .executors import Executor

T = TypeVar("T")
R = TypeVar("R")

CONNECT_SECONDS = 10.0
"""How long to wait for a scheduler to answer before giving up."""

STOP_WORKER_SECONDS = 0.5
"""After an interrupt, how long a LocalCluster's workers get to stop before they are killed
(a running task cannot be stopped otherwise: it runs in a thread of the worker)."""

PRELOAD = "placesim.run.daskworker"
"""Module every worker of a LocalCluster imports as it starts (ignores SIGINT)."""


def usable_cores() -> int:
    """CPUs this process may run on (its affinity, where the platform tells; else all)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def distributed_module() -> Any:
    """``dask.distributed``, or a :class:`ClusterError` saying how to install it."""
    try:
        import distributed
    except ImportError as exc:  # pragma: no cover - a dependency of placesim
        raise ClusterError(f"executor='dask' needs dask.distributed ({exc}); "
                           "install it with: pip install 'dask[distributed]'") from None
    return distributed


def wait_for_scheduler(address: str, timeout: float) -> None:
    """Wait until something listens at a scheduler's address (a TCP connection succeeds),
    retrying for ``timeout`` seconds, as a scheduler being started may need.

    Raises
    ------
    ClusterError
        The address is not one of a scheduler, or nothing answered in time.
    """
    from distributed.comm.addressing import get_address_host_port

    try:
        host, port = get_address_host_port(address)
    except ValueError as exc:
        raise ClusterError(f"scheduler {address!r} is not the address of a dask scheduler ({exc}); "
                           "expected e.g. tcp://host:8786") from None
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection((host, port), timeout=max(0.1, min(1.0, deadline - time.monotonic()))).close()
            return
        except OSError as exc:
            if time.monotonic() >= deadline:
                raise ClusterError(f"could not connect to the dask scheduler at {address!r}: no answer within "
                                   f"{timeout:g} s ({os_reason(exc)}); expected the address of a running "
                                   "scheduler, e.g. tcp://host:8786 (start one with `dask scheduler`)") from None
        time.sleep(0.2)


@dataclass
class Session:
    """A client to run tasks on, and what was started for it (closed by :meth:`close`).

    Attributes
    ----------
    client
        The ``distributed.Client`` tasks are sent to.
    cluster
        The LocalCluster started for the run, or None (an existing cluster).
    own_client
        Whether ``client`` was made here (and is closed with the session).
    where
        The cluster in words, for messages: ``'a LocalCluster of 2 workers'``...
    """

    client: Any
    cluster: Any
    own_client: bool
    where: str

    def close(self, interrupted: bool = False) -> None:
        """Close what was started for this session; after an interrupt first stop the
        LocalCluster's workers at once (their running tasks with them). A cluster given
        (a scheduler, a client) is left running."""
        try:
            if interrupted and self.cluster is not None:
                with contextlib.suppress(Exception):
                    self.cluster.sync(_stop_workers, list(self.cluster.workers.values()))
        finally:
            try:
                if self.own_client:
                    self.client.close()
            finally:
                if self.cluster is not None:
                    self.cluster.close()


async def _stop_workers(nannies: list[Any]) -> None:
    """Stop a LocalCluster's workers together, each killed if still alive after
    :data:`STOP_WORKER_SECONDS` (``LocalCluster.close`` alone waits 4 s for a running task)."""
    await asyncio.gather(*(n.close(timeout=STOP_WORKER_SECONDS, reason="placesim-interrupted") for n in nannies),
                         return_exceptions=True)


class DaskExecutor(Executor):
    """Tasks on a dask cluster: a scheduler's, the current client's, or a LocalCluster's.

    The contract of :class:`~placesim.run.Executor` holds as follows. Results come back
    in task order; ``on_result`` and ``on_done`` follow the futures as they finish
    (``as_completed``). If ``map`` is interrupted (or a task fails, whose error is
    re-raised as the task raised it), every future is cancelled (``client.cancel``); a
    LocalCluster started for the run has its workers stopped (killed after
    :data:`STOP_WORKER_SECONDS`) and is closed, in a ``finally``. Its workers ignore SIGINT
    (:mod:`.daskworker`) and end when this process ends, even by SIGKILL (dask's nanny
    holds a pipe to each worker process, which exits when the pipe closes). On a cluster
    given by address or client, a task already running when the run is cancelled finishes
    on its worker and its result is dropped; the workers are the cluster's, which end
    by their own ``--death-timeout`` if their scheduler goes.

    Used as a context manager (``with DaskExecutor() as ex: ...``) the executor keeps
    its client (and LocalCluster) for every ``map`` in the block, which saves starting a
    cluster for each run of an options file or a calibration; without one, each ``map``
    opens and closes its own.

    Parameters
    ----------
    workers
        Workers of a LocalCluster started for the run (default: the usable cores, at most
        one per task). Not used with a scheduler or an existing client, whose cluster has
        its own.
    scheduler
        Address of a running scheduler, e.g. ``"tcp://10.0.0.5:8786"``.
    connect_timeout
        Seconds to wait for the scheduler (default :data:`CONNECT_SECONDS`).
    """

    name = "dask"

    def __init__(self, workers: int | None = None, scheduler: str | None = None,
                 connect_timeout: float | None = None):
        if scheduler is not None and (not isinstance(scheduler, str) or not scheduler.strip()):
            raise ClusterError(f"scheduler must be the address of a dask scheduler, e.g. 'tcp://host:8786', "
                               f"got {scheduler!r}")
        self.workers = workers
        self.scheduler = scheduler.strip() if scheduler is not None else None
        self.connect_timeout = connect_timeout
        self._session: Session | None = None
        self._depth = 0

    def __repr__(self) -> str:
        return f"DaskExecutor(workers={self.workers!r}, scheduler={self.scheduler!r})"

    # ------------------------------------------------------------------ sessions
    def open(self, n_tasks: int | None = None) -> Session:
        """A client to run on (see the module's docstring for which); the caller closes it.

        Raises
        ------
        ClusterError
            The scheduler cannot be reached, or the current client is asynchronous.
        """
        distributed = distributed_module()
        if self.scheduler is not None:
            timeout = CONNECT_SECONDS if self.connect_timeout is None else self.connect_timeout
            wait_for_scheduler(self.scheduler, timeout)
            try:
                client = distributed.Client(self.scheduler, timeout=timeout, set_as_default=False)
            except (OSError, TimeoutError, ValueError) as exc:
                raise ClusterError(f"could not connect to the dask scheduler at {self.scheduler!r} ({exc}); "
                                   "expected the address of a running dask scheduler, e.g. tcp://host:8786") from None
            return Session(client, None, True, f"the dask scheduler at {self.scheduler}")
        current = self._current_client(distributed)
        if current is not None:
            return Session(current, None, False, f"the dask client's cluster at {current.scheduler.address}")
        n = max(1, self.workers or usable_cores())
        if n_tasks is not None:
            n = max(1, min(n, n_tasks))
        cluster = distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                                           dashboard_address=":0", silence_logs=logging.ERROR, preload=[PRELOAD])
        try:
            client = distributed.Client(cluster, set_as_default=False)
        except BaseException:
            cluster.close()
            raise
        return Session(client, cluster, True, f"a LocalCluster of {n} worker(s)")

    @staticmethod
    def _current_client(distributed: Any) -> Any:
        try:
            client = distributed.Client.current(allow_global=True)
        except ValueError:
            return None
        if getattr(client, "asynchronous", False):
            raise ClusterError("the current dask client is asynchronous; placesim needs a synchronous client "
                               "(Client(..., asynchronous=False)) or a scheduler address")
        return client

    def __enter__(self) -> Self:
        if self._depth == 0:
            self._session = self.open()
        self._depth += 1
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._depth = max(0, self._depth - 1)
        if self._depth == 0 and self._session is not None:
            session, self._session = self._session, None
            session.close(interrupted=exc_type is not None)

    def concurrency(self, n_tasks: int) -> int:
        """Workers of the LocalCluster this executor would start (1 for a cluster given:
        its workers are its own, perhaps on other machines)."""
        if self._session is not None:
            return len(self._session.cluster.workers) if self._session.cluster is not None else 1
        if self.scheduler is not None or self._current_client(distributed_module()) is not None:
            return 1
        return max(1, min(n_tasks, self.workers or usable_cores()))

    # ------------------------------------------------------------------ running
    def map(self, fn: Callable[[T], R], tasks: Sequence[T], on_done: Callable[[], None] | None = None,
            on_result: Callable[[int, R], None] | None = None) -> list[R]:
        if not tasks:
            return []
        held = self._session
        session = held or self.open(len(tasks))
        finished = False
        try:
            out = self._run(session.client, fn, tasks, on_done, on_result)
            finished = True
            return out
        finally:
            if held is None:
                session.close(interrupted=not finished)
            elif not finished:  # the block's cluster is stopped with its running tasks; a next map opens anew
                self._session = None
                self._depth = 0
                session.close(interrupted=True)

    @staticmethod
    def _run(client: Any, fn: Callable[[T], R], tasks: Sequence[T], on_done: Callable[[], None] | None,
             on_result: Callable[[int, R], None] | None) -> list[R]:
        distributed = distributed_module()
        token = uuid.uuid4().hex[:12]
        name = getattr(fn, "__name__", "task")
        futures = client.map(fn, list(tasks), key=[f"placesim-{name}-{token}-{i}" for i in range(len(tasks))])
        index = {f.key: i for i, f in enumerate(futures)}
        pending = {f.key: f for f in futures}
        finished = distributed.as_completed(futures, loop=client.loop)
        del futures  # a finished task's future is released, so the cluster can forget its result
        results: list[Any] = [None] * len(tasks)
        try:
            for fut in finished:
                i = index[fut.key]
                results[i] = fut.result()
                pending.pop(fut.key, None)  # the cluster may forget it
                fut.release()
                if on_result:
                    on_result(i, results[i])
                if on_done:
                    on_done()
        except BaseException:
            with contextlib.suppress(Exception):
                client.cancel(list(pending.values()), force=True)
            raise
        return results
