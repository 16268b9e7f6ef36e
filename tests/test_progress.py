"""Progress: on standard error, never Jupyter widgets (issue 10 item 6)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import placesim as ps
from placesim.run.progress import progress_console

TOY = Path(__file__).resolve().parent / "scenarios"


def test_progress_is_drawn_on_stderr_without_jupyter_widgets():
    c = progress_console()
    assert c.stderr and not c.is_jupyter


def test_a_run_with_progress_writes_nothing_to_stdout(capfd):
    sc = ps.load_scenario(TOY / "toy_siloed.yaml").with_overrides({"time": {"horizon_days": 60, "warmup_days": 30}})
    ps.simulate(sc, replications=2, seed=1, executor="serial", progress=True, warmup_check=False)
    out, err = capfd.readouterr()
    assert out == "" and "2/2" in err


def test_the_cli_table_alone_reaches_a_redirected_stdout(tmp_path):
    out = subprocess.run([sys.executable, "-m", "placesim.cli", "run", str(ROOT_MMC), "--replications", "2",
                          "--executor", "serial", "--seed", "1"], capture_output=True, text=True, check=True,
                         env={"COLUMNS": "120", "PATH": "", "PYTHONWARNINGS": "ignore"})
    assert "replications" in out.stdout and "━" not in out.stdout.splitlines()[0]
    assert "/2" in out.stderr or "2/2" in out.stderr  # the bar, on stderr


ROOT_MMC = Path(__file__).resolve().parents[1] / "scenarios/validation/mmc.yaml"
