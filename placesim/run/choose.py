"""Choosing an executor by name: the one function every entry point uses
(``simulate``, ``compare``, options files, calibration's DES check, the command line)."""

from __future__ import annotations

from ..errors import ClusterError, PlacesimError
from .cluster import DaskExecutor
from .executors import Executor, ProcessExecutor, SerialExecutor

EXECUTORS: dict[str, type[Executor]] = {e.name: e for e in (SerialExecutor, ProcessExecutor, DaskExecutor)}
"""Executors by the name ``executor=`` takes."""


def make_executor(executor: str | Executor, workers: int | None = None, scheduler: str | None = None) -> Executor:
    """An executor from its name, or an :class:`Executor` itself (returned as it is).

    Parameters
    ----------
    executor
        ``'serial'``, ``'processes'`` or ``'dask'``, or an :class:`Executor`.
    workers
        Worker processes of ``'processes'``, or of the LocalCluster ``'dask'`` starts when
        it is given no scheduler and finds no client (default: the CPUs).
    scheduler
        ``'dask'`` only: the address of a running dask scheduler, e.g. ``'tcp://host:8786'``
        (see :class:`~placesim.run.cluster.DaskExecutor`).

    Raises
    ------
    PlacesimError
        An unknown name, a bad ``workers``, or a ``scheduler`` without ``executor='dask'``.
    """
    if scheduler is not None and not (executor == "dask" or isinstance(executor, DaskExecutor)):
        raise ClusterError(f"scheduler= is the address of a dask scheduler, for executor='dask'; "
                           f"got executor={executor!r}")
    if isinstance(executor, Executor):
        if scheduler is not None:
            raise ClusterError("scheduler= goes with executor='dask'; a DaskExecutor given carries its own "
                               "(DaskExecutor(scheduler=...))")
        return executor
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise PlacesimError(f"workers must be a whole number >= 1, got {workers!r}")
    cls = EXECUTORS.get(executor) if isinstance(executor, str) else None
    if cls is None:
        names = ", ".join(repr(n) for n in EXECUTORS)
        raise PlacesimError(f"executor must be one of {names} (or an Executor), got {executor!r}")
    if cls is DaskExecutor:
        return DaskExecutor(workers, scheduler)
    return cls(workers) if cls is ProcessExecutor else cls()
