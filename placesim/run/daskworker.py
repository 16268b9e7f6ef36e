"""What a dask worker started by :class:`~placesim.run.cluster.DaskExecutor` does first:
leave Ctrl-C to the process that started it.

This module is the workers' ``preload`` (dask imports it in each worker process and calls
:func:`dask_setup` as the worker starts). A Ctrl-C at a terminal signals the whole process
group, the LocalCluster's worker processes included; without this each worker would stop
with a traceback of its own, and the caller could not report the interrupt once (rule 4
of the executor contract, :class:`~placesim.run.Executor`).
"""

from __future__ import annotations

import signal
import threading
from typing import Any


def dask_setup(worker: Any = None) -> None:
    """Ignore SIGINT in this worker process (dask's preload hook; ``worker`` is unused).

    Signal handlers can only be set from the main thread; in a worker process started by
    a nanny the worker's event loop, which runs this hook, is the main thread.
    """
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
