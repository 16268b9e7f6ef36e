"""Interrupts and crashes (issue 11, item 4): the executor contract of
``placesim/run/executors.py`` (docs/decisions.md, "Faults and interrupts"), for the
processes executor and the dask executor on a LocalCluster it starts (issue 12; a cluster
given by address is tested in ``tests/test_dask.py``).

* An interrupted ``map`` cancels the queued tasks, stops the running ones and re-raises,
  in seconds (a task error too); workers ignore SIGINT.
* Workers end when their parent dies, even by SIGKILL (the kernel's parent-death signal on
  Linux, and the watch thread that is the portable fallback, each tested alone).
* The command line, interrupted by Ctrl-C (SIGINT to its process group, as a terminal
  sends it), SIGINT to it alone, or SIGTERM, exits within seconds with one line and a
  conventional status (130, 143), leaves no worker and no file in the output folder. The
  Python API, interrupted, raises KeyboardInterrupt with its workers gone.

Timings were measured on a loaded two-core machine: stopping takes under a second (before
this issue a Ctrl-C waited for every replication: 35 s for 8 Brent replications, 149 s
for 20) and orphaned workers end within 0.1 s (0.5 s by the watch thread alone; before,
they were still alive minutes later). The limits below are several times those figures
and far below what the run would take to finish.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from processes import LINUX, Terminal, children, kill_all, stat, wait_gone

from placesim.run import DaskExecutor, ProcessExecutor, SerialExecutor

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable

STOP_LIMIT = 10.0
"""Seconds an interrupted run may take to end (measured: under 1 s)."""
ORPHAN_LIMIT = 5.0
"""Seconds orphaned workers may live on (measured: 0.1 s; 0.5 s by the watch thread alone)."""
CLUSTER_START_LIMIT = 60.0
"""Seconds a LocalCluster may take to start on a loaded machine (measured: 1-8 s)."""

SCRIPT_ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
"""A script run from a temporary folder imports this checkout's placesim."""

needs_proc = pytest.mark.skipif(not LINUX, reason="reads processes from /proc (Linux)")

POOLS = {"processes": ProcessExecutor, "dask": DaskExecutor}
"""The executors with workers of their own: each keeps the contract (dask: a LocalCluster it starts)."""


# ----------------------------------------------------------------------------- tasks run by workers
def _sleeper(task: tuple[str, int, float]) -> int:
    """Record that the task started (a file named by its index holding the worker's pid), then sleep."""
    folder, index, seconds = task
    Path(folder, f"{index}.started").write_text(str(os.getpid()))
    time.sleep(seconds)
    return index


def _fails(task: tuple[int, float]) -> int:
    index, seconds = task
    if index == 0:
        raise ValueError("task 0 failed")
    time.sleep(seconds)
    return index


def _interrupts_itself(task: int) -> int:
    """SIGINT to the worker running it, as a Ctrl-C at a terminal sends to every process."""
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(0.2)
    return task * 10


def _sleeps_less_later(task: int) -> int:
    """Later tasks finish sooner, so they complete out of order."""
    time.sleep(0.05 * (6 - task))
    return task * task


def _started(folder: Path) -> dict[int, int]:
    """Started tasks: index -> pid of the worker that ran it."""
    return {int(p.stem): int(p.read_text() or 0) for p in folder.glob("*.started")}


# ----------------------------------------------------------------------------- the executor itself
@pytest.mark.parametrize("pool", list(POOLS))
def test_interrupted_map_cancels_queued_tasks_and_ends_its_workers(tmp_path, pool):
    """KeyboardInterrupt in the caller (here raised by on_done after the first result) stops
    a map in seconds: queued tasks never start, running ones are stopped, the workers end
    (dask: the LocalCluster is closed). Timed from the interrupt, not from the start of a
    cluster."""
    tasks = [(str(tmp_path), 0, 0.1)] + [(str(tmp_path), i, 60.0) for i in range(1, 20)]
    interrupted: list[float] = []

    def interrupt() -> None:
        interrupted.append(time.monotonic())
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        POOLS[pool](workers=2).map(_sleeper, tasks, interrupt)
    elapsed = time.monotonic() - interrupted[0]
    assert elapsed < STOP_LIMIT, f"stopping took {elapsed:.1f} s; the tasks sleep 60 s"
    started = _started(tmp_path)
    # two workers: tasks 0 and 1, then task 2 on the worker that finished task 0; no more
    assert 0 in started and len(started) <= 3, sorted(started)
    assert multiprocessing.active_children() == []
    if LINUX:  # each worker that ran a task has ended (a pid now absent, or reused by another process)
        for pid in set(started.values()):
            st = stat(pid)
            assert st is None or st[1] != os.getpid() or st[0] == "Z", f"worker {pid} still running"


@pytest.mark.parametrize("pool", list(POOLS))
def test_a_task_error_stops_the_other_tasks(pool):
    failed: list[float] = []
    t0 = time.monotonic()
    with pytest.raises(ValueError, match="task 0 failed"):
        POOLS[pool](workers=2).map(_fails, [(i, 60.0) for i in range(6)], lambda: failed.append(1))
    assert time.monotonic() - t0 < STOP_LIMIT + (CLUSTER_START_LIMIT if pool == "dask" else 0)
    assert multiprocessing.active_children() == []


@pytest.mark.parametrize("pool", list(POOLS))
def test_workers_ignore_sigint(pool):
    """A SIGINT reaching the workers (Ctrl-C signals the whole process group) is theirs to
    ignore: the tasks finish and the results come back."""
    assert POOLS[pool](workers=2).map(_interrupts_itself, [1, 2, 3]) == [10, 20, 30]


def test_results_and_on_result_follow_task_order_on_dask():
    """Results in task order whatever order tasks finish in; on_result gets each with its index."""
    seen: dict[int, int] = {}
    out = DaskExecutor(workers=2).map(_sleeps_less_later, list(range(6)), on_result=seen.__setitem__)
    assert out == [i * i for i in range(6)]
    assert seen == {i: i * i for i in range(6)}


def test_serial_map_stops_where_it_is_interrupted():
    calls = []

    def interrupt() -> None:
        calls.append(1)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        SerialExecutor().map(lambda t: t, [1, 2, 3], interrupt)
    assert len(calls) == 1


ORPHAN_SCRIPT = """
import sys, time
from placesim.run import ProcessExecutor
import placesim.run.workers as workers

def task(i):
    time.sleep(120)
    return i

if __name__ == "__main__":
    if sys.argv[1] == "watch-only":  # the portable fallback alone: no parent-death signal
        workers._die_with_parent = lambda: None
    ProcessExecutor(workers=2).map(task, list(range(4)))
"""


@needs_proc
@pytest.mark.parametrize("mechanism", ["default", "watch-only"])
def test_workers_end_when_their_parent_is_killed(tmp_path, mechanism):
    """kill -9 of the caller: its workers end by themselves within seconds."""
    script = tmp_path / "orphans.py"
    script.write_text(ORPHAN_SCRIPT)
    proc = subprocess.Popen([PYTHON, str(script), mechanism], cwd=ROOT, env=SCRIPT_ENV, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers = []
    try:
        deadline = time.monotonic() + 60
        while len(workers) < 2 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
            workers = children(proc.pid)
        assert len(workers) == 2, "the pool did not start"
        time.sleep(0.5)  # the workers have run their initializer and are in their tasks
        proc.kill()
        proc.wait()
        left = wait_gone(workers, ORPHAN_LIMIT)
        assert left == [], f"workers still alive {ORPHAN_LIMIT} s after their parent was killed"
    finally:
        kill_all(workers)
        if proc.poll() is None:
            proc.kill()
            proc.wait()


DASK_ORPHAN_SCRIPT = """
import os, sys, time
from pathlib import Path
from placesim.run import DaskExecutor

def task(i):
    Path(sys.argv[1], f"{i}.started").write_text(str(os.getpid()))
    time.sleep(120)
    return i

if __name__ == "__main__":
    DaskExecutor(workers=2).map(task, list(range(4)))
"""


@needs_proc
def test_dask_local_cluster_workers_end_when_their_parent_is_killed(tmp_path):
    """kill -9 of a caller running a LocalCluster: its worker processes (and whatever
    else it started) end by themselves within seconds."""
    script = tmp_path / "dask_orphans.py"
    script.write_text(DASK_ORPHAN_SCRIPT)
    folder = tmp_path / "started"
    folder.mkdir()
    proc = subprocess.Popen([PYTHON, str(script), str(folder)], cwd=ROOT, env=SCRIPT_ENV, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    spawned: list = []
    try:
        deadline = time.monotonic() + CLUSTER_START_LIMIT
        while len(_started(folder)) < 2 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        assert len(_started(folder)) == 2, "the cluster did not start two tasks"
        spawned = children(proc.pid)
        assert {pid for pid, _ in spawned} >= set(_started(folder).values()), "the tasks run outside its children"
        proc.kill()
        proc.wait()
        left = wait_gone(spawned, ORPHAN_LIMIT)
        assert left == [], f"processes still alive {ORPHAN_LIMIT} s after their parent was killed"
    finally:
        kill_all(spawned)
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# ----------------------------------------------------------------------------- the command line
LONG_TOY = """placesim: 1
extends: {toy}
name: toy siloed, five years
time: {{horizon_days: 1825, warmup_days: 365, report_every_days: 30}}
"""
"""The toy place over five years: a replication takes a few seconds, so 24 of them on two
workers take about a minute, and an interrupt after the first is well before the end."""

REPLICATIONS = 24


def _long_toy(tmp_path: Path) -> Path:
    path = tmp_path / "long_toy.yaml"
    path.write_text(LONG_TOY.format(toy=ROOT / "tests/scenarios/toy_siloed.yaml"))
    return path


def _interrupt_cli(tmp_path: Path, how: str, executor: str = "processes") -> tuple[Terminal, float, list, Path]:
    """Start ``placesim run`` with processes (or a dask LocalCluster) in a terminal, wait for
    its first finished replication, signal it; its terminal, the seconds it took to end,
    its workers and the output folder."""
    out = tmp_path / "out"
    out.mkdir()
    term = Terminal([PYTHON, "-m", "placesim.cli", "run", str(_long_toy(tmp_path)), "-r", str(REPLICATIONS),
                     "--seed", "1", "--executor", executor, "--workers", "2", "--out", str(out / "results.nc")],
                    ROOT, env={"PYTHONPATH": str(ROOT)})
    workers: list = []
    try:
        term.wait_for(rf"\b[1-9]\d*/{REPLICATIONS}\b", 120)
        workers = children(term.proc.pid)
        assert workers, "no worker processes"
        t0 = time.monotonic()
        if how == "kill":
            term.proc.send_signal(signal.SIGKILL)
        elif how == "term":
            term.proc.send_signal(signal.SIGTERM)
        elif how == "int-parent":
            term.proc.send_signal(signal.SIGINT)
        else:  # Ctrl-C at a terminal: SIGINT to the whole process group
            os.killpg(term.proc.pid, signal.SIGINT)
        try:
            term.proc.wait(60)
        except subprocess.TimeoutExpired:
            pass
        elapsed = time.monotonic() - t0
        left = wait_gone(workers, ORPHAN_LIMIT)
    finally:
        term.close()
        kill_all(workers)
    assert left == [], f"workers still alive {ORPHAN_LIMIT} s after the command ended"
    return term, elapsed, workers, out


def _assert_stopped_cleanly(term: Terminal, elapsed: float, out: Path, status: int, word: str) -> None:
    assert elapsed < STOP_LIMIT, f"the command took {elapsed:.1f} s to stop"
    assert term.proc.returncode == status, term.output
    tail = term.output.rsplit(f"/{REPLICATIONS}", 1)[-1]  # what follows the progress bar
    lines = [ln for ln in tail.splitlines() if ln.strip() and not re.fullmatch(r"\s*\d+:\d\d:\d\d\s*", ln)]
    assert len(lines) == 1 and lines[0].startswith(word), tail
    assert "Traceback" not in term.output
    assert list(out.iterdir()) == [], "a file was left in the output folder"


@needs_proc
@pytest.mark.parametrize("executor", ["processes", "dask"])
def test_ctrl_c_stops_the_cli_in_seconds(tmp_path, executor):
    """Ctrl-C reaches the command and its workers (dask: a LocalCluster's worker processes):
    one line, status 130, no worker left, nothing written."""
    term, elapsed, _, out = _interrupt_cli(tmp_path, "ctrl-c", executor)
    _assert_stopped_cleanly(term, elapsed, out, 130, "interrupted (Ctrl-C)")


@needs_proc
@pytest.mark.slow
@pytest.mark.parametrize("how, status, word", [("int-parent", 130, "interrupted (Ctrl-C)"),
                                               ("term", 143, "terminated (SIGTERM)")])
def test_sigint_or_sigterm_to_the_cli_alone_stops_it(tmp_path, how, status, word):
    term, elapsed, _, out = _interrupt_cli(tmp_path, how)
    _assert_stopped_cleanly(term, elapsed, out, status, word)


@needs_proc
@pytest.mark.slow
@pytest.mark.parametrize("executor", ["processes", "dask"])
def test_cli_killed_leaves_no_workers(tmp_path, executor):
    """kill -9 of the command: no chance to clean up, yet its workers end (asserted by
    :func:`_interrupt_cli`) and no results file appears."""
    term, _, _, out = _interrupt_cli(tmp_path, "kill", executor)
    assert term.proc.returncode == -signal.SIGKILL
    assert not (out / "results.nc").exists()


API_SCRIPT = """
import multiprocessing, sys, time
import placesim as ps

try:
    ps.simulate(sys.argv[1], {reps}, seed=1, executor="processes", workers=2, progress=True)
except KeyboardInterrupt:
    print("KeyboardInterrupt; children:", len(multiprocessing.active_children()), flush=True)
    sys.exit(3)
"""


@needs_proc
@pytest.mark.slow
def test_keyboard_interrupt_in_the_python_api(tmp_path):
    """``simulate(executor='processes')`` interrupted raises KeyboardInterrupt in seconds,
    with its workers gone."""
    script = tmp_path / "api.py"
    script.write_text(API_SCRIPT.format(reps=REPLICATIONS))
    term = Terminal([PYTHON, str(script), str(_long_toy(tmp_path))], ROOT, env={"PYTHONPATH": str(ROOT)})
    workers: list = []
    try:
        term.wait_for(rf"\b[1-9]\d*/{REPLICATIONS}\b", 120)
        workers = children(term.proc.pid)
        t0 = time.monotonic()
        os.killpg(term.proc.pid, signal.SIGINT)
        term.proc.wait(60)
        elapsed = time.monotonic() - t0
        left = wait_gone(workers, ORPHAN_LIMIT)
    finally:
        term.close()
        kill_all(workers)
    assert elapsed < STOP_LIMIT
    assert term.proc.returncode == 3, term.output
    assert "KeyboardInterrupt; children: 0" in term.output
    assert left == []
