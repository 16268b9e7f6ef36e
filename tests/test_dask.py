"""The dask executor on a real cluster (issue 12, item 1): a ``dask scheduler`` and two
``dask worker`` processes started on loopback, as a modeller would start them on a
cluster's nodes.

* Runs on the cluster give the serial dataset bit for bit (simulate, compare, the sd
  engine, the command line's output file, a run stopped and resumed from its
  checkpoint), with the results in task order and the progress callbacks following the
  futures.
* The cluster is found as documented: a scheduler address, else the current client (used,
  and left open).
* Faults: a task's error is raised as raised; an interrupted run cancels its futures so
  the scheduler forgets them; an unreachable scheduler, a bad address and ``--scheduler``
  without ``--executor dask`` are refused with a message saying what was expected.

The contract of a LocalCluster the executor starts itself (interrupts, SIGINT, orphans)
is tested in ``tests/test_faults.py`` with the other executors'.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import distributed
import pytest
import xarray as xr
from click.testing import CliRunner
from stopping import StopAfter

import placesim as ps
from placesim.cli import main
from placesim.errors import ClusterError, PlacesimError
from placesim.run import DaskExecutor, make_executor
from placesim.run import cluster as cluster_module

ROOT = Path(__file__).resolve().parents[1]
TOY = ROOT / "tests" / "scenarios"
START_LIMIT = 120.0
"""Seconds the scheduler and both workers may take to start on a loaded machine (measured: 5-10 s)."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stop(procs: list[subprocess.Popen]) -> None:
    """End each process and everything it started (its own process group): SIGTERM, then SIGKILL."""
    for p in procs:
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + 10
    for p in procs:
        try:
            p.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(p.pid, signal.SIGKILL)  # the group: a worker's nanny and its worker process
        except (ProcessLookupError, PermissionError):
            pass
        p.wait()


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory) -> Iterator[str]:
    """The address of a ``dask scheduler`` with two ``dask worker`` processes (one thread
    each) on loopback, all torn down afterwards, even if a test fails."""
    logs = tmp_path_factory.mktemp("dask-logs")
    address = f"tcp://127.0.0.1:{_free_port()}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])}
    dask = [sys.executable, "-m", "dask"]
    procs: list[subprocess.Popen] = []

    def start(args: list[str], log: str) -> None:
        with open(logs / log, "wb") as out:
            procs.append(subprocess.Popen(dask + args, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                          stderr=subprocess.STDOUT, start_new_session=True))

    try:
        start(["scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1], "--no-dashboard"],
              "scheduler.log")
        for i in (1, 2):
            start(["worker", address, "--nthreads", "1", "--nworkers", "1", "--death-timeout", "30",
                   "--no-dashboard", "--name", f"w{i}"], f"worker{i}.log")
        cluster_module.wait_for_scheduler(address, START_LIMIT)
        with distributed.Client(address, timeout=START_LIMIT, set_as_default=False) as client:
            client.wait_for_workers(2, timeout=START_LIMIT)
        yield address
    except BaseException:
        for log in sorted(logs.iterdir()):
            print(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}")
        raise
    finally:
        _stop(procs)


def _toy(name: str = "toy_siloed.yaml", days: float = 120.0) -> ps.Scenario:
    return ps.load_scenario(TOY / name).with_overrides(
        {"time": {"horizon_days": days, "warmup_days": 30, "report_every_days": 30}})


# ----------------------------------------------------------------------------- tasks run by workers
def _square_after(task: tuple[int, float]) -> int:
    index, seconds = task
    time.sleep(seconds)
    return index * index


def _fails(task: int) -> int:
    if task == 1:
        raise ValueError("task 1 failed")
    return task


# ----------------------------------------------------------------------------- same results
def test_a_cluster_gives_the_serial_dataset_bit_for_bit(scheduler):
    sc = _toy()
    serial = ps.simulate(sc, 4, seed=7, warmup_check=False)
    dask = ps.simulate(sc, 4, seed=7, executor="dask", scheduler=scheduler, warmup_check=False)
    processes = ps.simulate(sc, 4, seed=7, executor="processes", workers=2, warmup_check=False)
    xr.testing.assert_identical(serial.ds, dask.ds)
    xr.testing.assert_identical(serial.ds, processes.ds)
    assert serial.ds["crises"].sum() > 0  # the runs did something
    sd = ps.simulate(sc, seed=7, engine="sd", executor="dask", scheduler=scheduler, warmup_check=False)
    xr.testing.assert_identical(ps.simulate(sc, seed=7, engine="sd", warmup_check=False).ds, sd.ds)


def test_a_des_psa_on_a_cluster_gives_the_serial_draws(scheduler, tmp_path):
    """Issue 13, item 7: a DES-based PSA runs on the distributed executor, draw for draw as
    in this process (its Monte Carlo errors too)."""
    import warnings

    from toy_files import UNCERTAIN_OPTIONS, toy_options_folder

    options = toy_options_folder(tmp_path, UNCERTAIN_OPTIONS) / "options.yaml"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        serial = ps.uncertainty(options, samples=8, engine="des", replications=2, executor="serial")
        dask = ps.uncertainty(options, samples=8, engine="des", replications=2, executor="dask",
                              scheduler=scheduler)
    for var in ("value", "mc_se", "npv_by_org", "parameter_value"):
        xr.testing.assert_identical(serial.ds[var], dask.ds[var])
    assert serial.ds["mc_se"].sel(measure="npv_gbp").notnull().all()


def test_compare_on_a_cluster_matches_serial(scheduler):
    scenarios = {"siloed": _toy(), "int": _toy("toy_int.yaml")}
    serial = ps.compare(scenarios, 3, seed=11)
    dask = ps.compare(scenarios, 3, seed=11, executor="dask", scheduler=scheduler)
    xr.testing.assert_identical(serial.ds, dask.ds)


def test_a_des_psa_on_a_cluster_matches_serial(scheduler, tmp_path):
    """Decisions under uncertainty (issue 13): the draws of a DES-based PSA go to the cluster
    as tasks; the figures are those of a serial run."""
    import shutil

    from test_uncertainty import OPTIONS
    for name in ("toy_siloed.yaml", "toy_int.yaml"):
        shutil.copy(TOY / name, tmp_path / name)
    (tmp_path / "options.yaml").write_text(OPTIONS)
    kw = {"samples": 8, "engine": "des", "replications": 2}
    serial = ps.uncertainty(tmp_path / "options.yaml", executor="serial", **kw)
    dask = ps.uncertainty(tmp_path / "options.yaml", executor="dask", scheduler=scheduler, chunk=2, **kw)
    xr.testing.assert_identical(serial.ds.drop_attrs(), dask.ds.drop_attrs())


def test_results_in_task_order_and_callbacks_follow_the_futures(scheduler):
    """Later tasks finish first; results still come back in task order, and each finished
    task is reported once, in the calling thread, as it finishes."""
    tasks = [(i, 0.4 * (4 - i)) for i in range(5)]
    calls: list[tuple[str, int, int]] = []
    me = threading.get_ident()
    out = DaskExecutor(scheduler=scheduler).map(
        _square_after, tasks, on_done=lambda: calls.append(("done", -1, threading.get_ident())),
        on_result=lambda i, r: calls.append(("result", i, threading.get_ident())))
    assert out == [i * i for i, _ in tasks]
    assert [c[0] for c in calls] == ["result", "done"] * 5
    assert {c[2] for c in calls} == {me}
    order = [i for kind, i, _ in calls if kind == "result"]
    assert sorted(order) == list(range(5)) and order != list(range(5)), order  # as they finished, not in order


def test_the_cli_on_a_cluster_writes_the_serial_file(scheduler, tmp_path):
    toy = tmp_path / "toy.yaml"
    toy.write_text(_toy().to_yaml())
    args = ["run", str(toy), "-r", "3", "--seed", "5", "--no-progress", "--no-warmup-check"]
    a = CliRunner().invoke(main, [*args, "--executor", "dask", "--scheduler", scheduler, "-o", str(tmp_path / "a.nc")])
    b = CliRunner().invoke(main, [*args, "--executor", "serial", "-o", str(tmp_path / "b.nc")])
    assert a.exit_code == 0, a.output
    assert b.exit_code == 0, b.output
    assert (tmp_path / "a.nc").read_bytes() == (tmp_path / "b.nc").read_bytes()


def test_a_run_stopped_on_a_cluster_resumes_to_the_serial_dataset(scheduler, tmp_path):
    """Each result is kept by the caller as its future finishes: stopped after two, the
    run resumed on the cluster gives the dataset of a serial run never stopped."""
    sc = _toy()
    folder = tmp_path / "ck"
    with pytest.raises(KeyboardInterrupt):
        ps.simulate(sc, 5, seed=8, executor=StopAfter(2, DaskExecutor(scheduler=scheduler)), checkpoint=folder,
                    warmup_check=False)
    assert len(list(folder.glob("*.nc"))) == 2
    resumed = ps.simulate(sc, 5, executor="dask", scheduler=scheduler, checkpoint=folder, resume=True,
                          warmup_check=False)
    xr.testing.assert_identical(ps.simulate(sc, 5, seed=8, warmup_check=False).ds, resumed.ds)


# ----------------------------------------------------------------------------- which cluster
def test_the_current_client_is_used_and_left_open(scheduler, monkeypatch):
    """With a client current and no address, runs go to its cluster: no LocalCluster is
    started, and the client is still usable afterwards."""

    def no_local_cluster(*args, **kwargs):
        raise AssertionError("a LocalCluster was started although a client exists")

    monkeypatch.setattr(distributed, "LocalCluster", no_local_cluster)
    sc = _toy()
    with distributed.Client(scheduler, timeout=30) as client:  # the default client while open
        res = ps.simulate(sc, 2, seed=3, executor="dask", warmup_check=False)
        assert client.status == "running"
        assert client.submit(_square_after, (3, 0.0)).result() == 9
    xr.testing.assert_identical(res.ds, ps.simulate(sc, 2, seed=3, warmup_check=False).ds)


# ----------------------------------------------------------------------------- faults
def test_a_task_error_is_raised_as_raised(scheduler):
    with pytest.raises(ValueError, match="task 1 failed"):
        DaskExecutor(scheduler=scheduler).map(_fails, [0, 1, 2, 3])


def _placesim_tasks_on(scheduler: str) -> list[str]:
    with distributed.Client(scheduler, timeout=30, set_as_default=False) as c:
        return c.run_on_scheduler(lambda dask_scheduler: [str(k) for k in dask_scheduler.tasks
                                                          if str(k).startswith("placesim-")])


@pytest.mark.parametrize("how", ["address", "current client"])
def test_an_interrupted_run_cancels_its_futures(scheduler, how):
    """KeyboardInterrupt after the first result: map re-raises at once and every future is
    cancelled, so the scheduler forgets the run's tasks (those running finish on their
    worker and are dropped: a thread cannot be stopped). With a client of its own the
    executor also closes it; with the current client (left open, its futures alive in
    the kept traceback) only the cancelling makes the scheduler forget them."""
    tasks = [(0, 0.1)] + [(i, 2.0) for i in range(1, 12)]

    def interrupt() -> None:
        raise KeyboardInterrupt

    with distributed.Client(scheduler, timeout=30, set_as_default=how == "current client") as client:
        t0 = time.monotonic()
        with pytest.raises(KeyboardInterrupt) as info:  # kept: its frames hold the futures, as a caller's may
            DaskExecutor(scheduler=scheduler if how == "address" else None).map(_square_after, tasks, interrupt)
        assert time.monotonic() - t0 < 20  # not the 22 s the tasks would take on two workers
        deadline = time.monotonic() + 15
        while (left := _placesim_tasks_on(scheduler)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert left == [], f"the scheduler still holds {left}"
        assert info.traceback and client.status == "running"


def test_an_unreachable_scheduler_is_refused_in_words(monkeypatch):
    port = _free_port()  # nothing listens there
    monkeypatch.setattr(cluster_module, "CONNECT_SECONDS", 1.0)
    t0 = time.monotonic()
    with pytest.raises(ClusterError, match=rf"could not connect to the dask scheduler at 'tcp://127.0.0.1:{port}'"):
        ps.simulate(_toy(), 2, seed=1, executor="dask", scheduler=f"tcp://127.0.0.1:{port}")
    assert time.monotonic() - t0 < 10
    result = CliRunner().invoke(main, ["run", str(TOY / "toy_siloed.yaml"), "--executor", "dask", "--scheduler",
                                       f"tcp://127.0.0.1:{port}", "--no-progress"])
    assert result.exit_code == 2
    assert "error: could not connect to the dask scheduler" in result.output and "tcp://host:8786" in result.output


@pytest.mark.parametrize("address, message", [("http://127.0.0.1:8786", "unknown address scheme 'http'"),
                                              ("tcp://somewhere", "missing port number"),
                                              ("", "must be the address of a dask scheduler")])
def test_a_bad_scheduler_address_is_refused(address, message):
    with pytest.raises(ClusterError, match=message):
        make_executor("dask", scheduler=address).map(_fails, [0])


def test_scheduler_without_dask_and_unknown_executors_are_refused():
    with pytest.raises(ClusterError, match="for executor='dask'; got executor='processes'"):
        make_executor("processes", scheduler="tcp://127.0.0.1:8786")
    with pytest.raises(PlacesimError, match="executor must be one of 'serial', 'processes', 'dask'"):
        ps.simulate(_toy(), 2, executor="slurm")
    result = CliRunner().invoke(main, ["run", str(TOY / "toy_siloed.yaml"), "--scheduler", "tcp://127.0.0.1:8786"])
    assert result.exit_code == 2
    assert "--scheduler is the address of a dask scheduler: use it with --executor dask" in result.output
