"""Long runs that survive (issue 12, item 2): every finished replication kept in a
checkpoint folder as it arrives, and a stopped run resumed from it.

* A run stopped part-way (KeyboardInterrupt after k tasks, or the command killed with
  SIGKILL after k task files exist) and resumed runs only the missing tasks and gives the
  dataset, and the output file, of a run never stopped: for simulate, compare, the command
  line and an options file (its comparison, reinvesting years and break-even search).
* A folder of another run (another seed, scenario, replications, engine; an options
  folder for a run), a folder that is no checkpoint, and ``--resume`` of nothing are
  refused with what differs or what was expected.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import xarray as xr
from click.testing import CliRunner
from stopping import Counting, StopAfter

import placesim as ps
from placesim.cli import main
from placesim.errors import CheckpointError, PlacesimError
from placesim.run.checkpoint import MANIFEST

ROOT = Path(__file__).resolve().parents[1]
TOY = ROOT / "tests" / "scenarios"


def _toy(name: str = "toy_siloed.yaml", days: float = 120.0) -> ps.Scenario:
    return ps.load_scenario(TOY / name).with_overrides(
        {"time": {"horizon_days": days, "warmup_days": 30, "report_every_days": 30}})


def _task_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.nc"))


# ----------------------------------------------------------------------------- resumed = never stopped
def test_a_stopped_run_resumes_to_the_same_dataset(tmp_path):
    sc = _toy()
    folder = tmp_path / "ck"
    reference = ps.simulate(sc, 5, seed=3, warmup_check=False)
    with pytest.raises(KeyboardInterrupt):
        ps.simulate(sc, 5, seed=3, executor=StopAfter(2), checkpoint=folder, warmup_check=False)
    assert len(_task_files(folder)) == 2 and (folder / MANIFEST).is_file()
    counting = Counting()
    resumed = ps.simulate(sc, 5, executor=counting, checkpoint=folder, resume=True, warmup_check=False)
    assert counting.given == [3]  # only the missing replications ran
    assert resumed.seed == 3  # the folder's seed, none being given
    xr.testing.assert_identical(reference.ds, resumed.ds)
    assert len(_task_files(folder)) == 5
    again = Counting()
    xr.testing.assert_identical(reference.ds, ps.simulate(sc, 5, seed=3, executor=again, checkpoint=folder,
                                                          warmup_check=False).ds)
    assert again.given == [0]


def test_a_stopped_comparison_resumes_to_the_same_dataset(tmp_path):
    scenarios = {"siloed": _toy(), "int": _toy("toy_int.yaml")}
    folder = tmp_path / "ck"
    reference = ps.compare(scenarios, 3, seed=4)
    with pytest.raises(KeyboardInterrupt):
        ps.compare(scenarios, 3, seed=4, executor=StopAfter(4), checkpoint=folder)
    assert len(_task_files(folder)) == 4  # all of the baseline's, one of the option's
    counting = Counting()
    resumed = ps.compare(scenarios, 3, seed=4, executor=counting, checkpoint=folder)
    assert counting.given == [2]
    xr.testing.assert_identical(reference.ds, resumed.ds)


LONG_TOY = """placesim: 1
extends: {toy}
name: toy siloed, one year
time: {{horizon_days: 365, warmup_days: 180, report_every_days: 30}}
"""

REPLICATIONS = 8


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_killed_command_resumes_to_the_same_file(tmp_path):
    """``placesim run --checkpoint DIR`` killed with SIGKILL after two task files exist;
    ``--resume DIR`` writes the same output file, byte for byte, as a run never killed."""
    toy = tmp_path / "toy.yaml"
    toy.write_text(LONG_TOY.format(toy=TOY / "toy_siloed.yaml"))
    folder = tmp_path / "ck"
    args = ["run", str(toy), "-r", str(REPLICATIONS), "--seed", "9", "--executor", "serial", "--no-progress",
            "--no-warmup-check"]
    proc = subprocess.Popen([sys.executable, "-m", "placesim.cli", *args, "--checkpoint", str(folder),
                             "-o", str(tmp_path / "killed.nc")], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while len(_task_files(folder)) < 2 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    kept = len(_task_files(folder))
    assert 2 <= kept < REPLICATIONS, f"{kept} task files: the run was not killed part-way"
    assert not (tmp_path / "killed.nc").exists()
    resumed = CliRunner().invoke(main, [*args, "--resume", str(folder), "-o", str(tmp_path / "resumed.nc")])
    assert resumed.exit_code == 0, resumed.output
    whole = CliRunner().invoke(main, [*args, "-o", str(tmp_path / "whole.nc")])
    assert whole.exit_code == 0, whole.output
    assert (tmp_path / "resumed.nc").read_bytes() == (tmp_path / "whole.nc").read_bytes()
    assert not list(folder.glob(".*.part")), "temporary files left in the checkpoint folder"


OPTIONS = """\
placesim_options: 1
name: Toy sweep
base:
  scenario: toy_siloed.yaml
  overrides:
    time: {horizon_days: 730, warmup_days: 120}
economics:
  price_year: 2023/24
  cashable: {ta: 1.0, homeless_app: 1.0, ae: 1.0}
options:
  int:
    scenario: toy_int.yaml
    overrides:
      int:
        days_per_week: 5
        neighbourhoods: {A: {start_day: 30}}
  int_reinvesting:
    scenario: toy_int.yaml
    overrides:
      int:
        days_per_week: 5
        neighbourhoods: {A: {start_day: 30}}
    reinvest: {share: 0.5, into: advice, cost_gbp_per_place_per_year: 2000}
run: {replications: 2, seed: 7}
break_even:
  - {option: int, parameter: int.effect.escalation_multiplier, bounds: [0.05, 0.95], engine: sd}
"""


@pytest.fixture()
def options_file(tmp_path: Path) -> Path:
    for name in ("toy_siloed.yaml", "toy_int.yaml"):
        shutil.copy(TOY / name, tmp_path / name)
    (tmp_path / "options.yaml").write_text(OPTIONS)
    return tmp_path / "options.yaml"


@pytest.mark.filterwarnings("ignore::placesim.WarmupWarning")
def test_a_stopped_options_run_resumes_to_the_same_files(options_file, tmp_path):
    """Stopped after the comparison's six tasks and one more (a reinvesting year's or the
    break-even's), resumed: the same four files as a run never stopped."""
    whole = Counting()
    reference = ps.run_options(options_file, executor=whole, checkpoint=tmp_path / "whole-ck")
    assert len(whole.given) >= 3 and whole.given[0] == 6  # the comparison, then reinvesting and break-even runs
    folder = tmp_path / "ck"
    with pytest.raises(KeyboardInterrupt):
        ps.run_options(options_file, executor=StopAfter(7), checkpoint=folder)
    # int and int_reinvesting are one scenario until places are bought: their tasks share files
    assert len(_task_files(folder)) == 5
    counting = Counting()
    resumed = ps.run_options(options_file, executor=counting, checkpoint=folder, resume=True)
    assert counting.given[0] == 0 and sum(counting.given) == sum(whole.given) - 7
    a, b = reference.write(tmp_path / "a"), resumed.write(tmp_path / "b")
    for name in a:
        assert filecmp.cmp(a[name], b[name], shallow=False), f"{name} differs"


# ----------------------------------------------------------------------------- wrong folders
@pytest.fixture()
def started(tmp_path: Path) -> Path:
    folder = tmp_path / "ck"
    ps.simulate(_toy(), 2, seed=1, checkpoint=folder, warmup_check=False)
    return folder


@pytest.mark.parametrize("change, message", [
    ({"seed": 2}, "seed: the folder's 1, this run's 2"),
    ({"replications": 3}, "replications: the folder's 2, this run's 3"),
    ({"engine": "sd"}, "engine: the folder's 'des', this run's 'sd'"),
    ({"scenario": "other"}, "scenarios.toy siloed: the folder's 'toy siloed ("),
])
def test_a_folder_of_another_run_is_refused(started, change, message):
    kwargs: dict[str, Any] = {"replications": 2, "seed": 1, "engine": "des", **change}
    sc = _toy(days=150.0) if kwargs.pop("scenario", None) else _toy()
    before = sorted(p.name for p in started.iterdir())
    with pytest.raises(CheckpointError) as exc:
        ps.simulate(sc, checkpoint=started, warmup_check=False, **kwargs)
    assert f"checkpoint folder {started} belongs to another run" in str(exc.value)
    assert message in str(exc.value)
    assert sorted(p.name for p in started.iterdir()) == before  # nothing written


def test_folders_that_are_no_checkpoint_are_refused(tmp_path, options_file):
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    with pytest.raises(CheckpointError, match="is not empty and holds no placesim-checkpoint.json"):
        ps.simulate(_toy(), 2, seed=1, checkpoint=busy)
    with pytest.raises(CheckpointError, match="nothing to resume in .*: the folder does not exist"):
        ps.simulate(_toy(), 2, seed=1, checkpoint=tmp_path / "none", resume=True)
    with pytest.raises(CheckpointError, match="is a file; expected a folder"):
        ps.simulate(_toy(), 2, seed=1, checkpoint=busy / "notes.txt")
    (tmp_path / "bad" ).mkdir()
    (tmp_path / "bad" / MANIFEST).write_text("{not json")
    with pytest.raises(CheckpointError, match="not a readable checkpoint manifest"):
        ps.simulate(_toy(), 2, seed=1, checkpoint=tmp_path / "bad")
    with pytest.raises(PlacesimError, match="resume=True continues the run kept in a checkpoint folder"):
        ps.simulate(_toy(), 2, seed=1, resume=True)
    with pytest.raises(PlacesimError, match="not their traces"):
        ps.simulate(_toy(), 2, seed=1, trace=True, checkpoint=tmp_path / "traced")
    assert not (tmp_path / "traced").exists()


def test_a_runs_folder_is_refused_for_an_options_file(started, options_file):
    with pytest.raises(CheckpointError, match="belongs to another run: .*options: the folder's none, this run's "
                                              "'Toy sweep \\("):
        ps.run_options(options_file, executor="serial", checkpoint=started, break_evens=False)


def test_a_task_file_of_another_task_is_refused(started):
    files = _task_files(started)
    files[0].write_bytes(files[1].read_bytes())
    with pytest.raises(CheckpointError, match="holds another task than"):
        ps.simulate(_toy(), 2, seed=1, checkpoint=started, warmup_check=False)


def test_the_command_line_checks_its_checkpoint_options(tmp_path, started, monkeypatch):
    toy = str(TOY / "toy_siloed.yaml")
    both = CliRunner().invoke(main, ["run", toy, "--checkpoint", str(tmp_path / "a"), "--resume", str(started)])
    assert both.exit_code == 2 and "not both" in both.output
    nothing = CliRunner().invoke(main, ["run", toy, "--resume", str(tmp_path / "nope"), "--no-progress"])
    assert nothing.exit_code == 2 and "nothing to resume in" in nothing.output
    other = CliRunner().invoke(main, ["run", toy, "--resume", str(started), "--seed", "5", "--no-progress"])
    assert other.exit_code == 2 and "seed: the folder's 1, this run's 5" in other.output

    def interrupted(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("placesim.cli.simulate", interrupted)
    stopped = CliRunner().invoke(main, ["run", toy, "--checkpoint", str(started), "--no-progress"])
    assert stopped.exit_code == 130
    assert f"the finished replications are kept in {started} (continue with --resume {started})" in stopped.output
