"""Running scenarios: one pipeline, pluggable executors (see :mod:`.pipeline`, :mod:`.executors`,
:mod:`.cluster`), checkpoints of long runs (:mod:`.checkpoint`)."""

from .checkpoint import Checkpoint
from .choose import EXECUTORS, make_executor
from .cluster import DaskExecutor
from .executors import Executor, ProcessExecutor, SerialExecutor
from .pipeline import as_scenario, check_run, resolve_seed, run_scenarios, simulate
from .tasks import ENGINES, Task, run_one, run_task, tasks_for

__all__ = [
    "ENGINES", "EXECUTORS", "Checkpoint", "DaskExecutor", "Executor", "ProcessExecutor", "SerialExecutor", "Task",
    "as_scenario", "check_run", "make_executor", "resolve_seed", "run_one", "run_scenarios", "run_task", "simulate",
    "tasks_for",
]
