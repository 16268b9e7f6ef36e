"""Tasks of a run: one replication of one plan on one engine."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..engines.des import run_replication
from ..engines.sd import run_sd
from ..kinds import des_nodes, sd_flows
from ..plan import Plan, compile_plan
from ..plan.attributes import fold
from ..scenario.scenario import Scenario

ENGINES = ("des", "sd")
"""Engines a run can use: the discrete-event reference and the system-dynamics twin."""


@dataclass(frozen=True)
class Task:
    """One unit of work: replication ``replication`` of ``plan`` on ``engine`` (picklable)."""

    plan: Plan
    seed: int
    replication: int
    engine: str = "des"
    trace: bool = False


def tasks_for(plan: Plan, seed: int, replications: int, engine: str, trace: bool = False) -> list[Task]:
    """The tasks of one scenario: its replications (des), or its one deterministic run (sd)."""
    if engine == "sd":
        return [Task(plan, seed, 0, "sd")]
    return [Task(plan, seed, r, "des", trace) for r in range(int(replications))]


def run_task(task: Task) -> tuple[dict[str, np.ndarray], list | None]:
    """Carry out a task: its arrays and, for a traced DES replication, its event trace. With
    household attributes the engines' sub-cohorts are folded back into the scenario's cohorts
    and the breakdowns by attribute value added (:func:`placesim.plan.attributes.fold`)."""
    if task.engine == "sd":
        return fold(task.plan.attributes, run_sd(task.plan, sd_flows())), None
    arrays, trace = run_replication(task.plan, task.seed, task.replication, des_nodes(), task.trace)
    return fold(task.plan.attributes, arrays), trace


def run_one(scenario: Scenario | Plan, seed: int, replication: int = 0, *, engine: str = "des",
            trace: bool = False) -> tuple[dict[str, np.ndarray], list | None]:
    """One replication of a scenario (or of its plan), without building a results Dataset:
    the engine's unit of work, as benchmarks time it. Returns its arrays and, if asked,
    its event trace."""
    plan = scenario if isinstance(scenario, Plan) else compile_plan(scenario)
    return run_task(Task(plan, int(seed), int(replication), engine, trace))
