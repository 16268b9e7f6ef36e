"""``placesim uncertainty``: the PSA command (registered on :data:`placesim.cli.main`).

``placesim uncertainty OPTIONS.yaml --samples N --out DIR`` runs the PSA of an options
file's ``uncertainty:`` section (or of an uncertainty file) and writes ``psa.nc``,
``decision.csv``, ``evppi.csv``, ``sensitivity.csv`` and ``report.html``;
``placesim uncertainty init FILE`` prints (or ``--out`` writes) a starter section from
FILE's "# assumption ... range a-b" comments.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Any

import click
import pandas as pd
from rich.console import Console
from rich.markup import escape

from .errors import PlacesimError
from .formatting import money, pct
from .io import atomic_path, check_writable
from .run.choose import EXECUTORS
from .uncertainty.psa import uncertainty as run_uncertainty
from .uncertainty.result import Uncertainty
from .uncertainty.starter import section_from_calibration, starter_section
from .uncertainty.voi import SampleSizeWarning

console = Console(width=None if sys.stdout.isatty() else 140)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 140)
EXIT_BAD_INPUT = 2


def _fail(exc: Exception) -> None:
    err.print(f"[bold red]error:[/] {escape(str(exc))}", markup=True, highlight=False, soft_wrap=True)
    sys.exit(EXIT_BAD_INPUT)


@click.command("uncertainty")
@click.argument("file", type=click.Path(path_type=Path))
@click.argument("target", required=False, type=click.Path(path_type=Path))
@click.option("--out", "-o", type=click.Path(path_type=Path), default=None,
              help="Folder for psa.nc, decision.csv, evppi.csv, sensitivity.csv and report.html (required to run); "
                   "with init, the file the starter section is written to (default: printed).")
@click.option("--samples", "-n", type=click.IntRange(min=8, max=1_000_000), default=None,
              help="Draws of the parameters (default: the section's samples).")
@click.option("--seed", "-s", type=click.IntRange(min=0, max=2**63 - 1), default=None,
              help="Seed (default: the section's).")
@click.option("--engine", type=click.Choice(["sd", "des"]), default=None,
              help="sd: the system-dynamics twin (default); des: the discrete-event engine, --replications per draw.")
@click.option("--replications", "-r", type=click.IntRange(min=1), default=None, help="DES replications per draw.")
@click.option("--executor", type=click.Choice(list(EXECUTORS)), default="processes", show_default=True,
              help="Run the draws in worker processes, in this process, or on a dask cluster.")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Processes to use (default: CPUs).")
@click.option("--scheduler", metavar="ADDR", default=None,
              help="With --executor dask: the address of a running dask scheduler.")
@click.option("--tornado/--no-tornado", default=True, show_default=True,
              help="One-way sensitivity: every parameter at each end of its range (2 runs a parameter).")
@click.option("--morris", type=click.IntRange(min=0), default=0, show_default=True,
              help="Morris screening with this many trajectories (0: none; each is parameters + 1 runs).")
@click.option("--sobol", type=click.IntRange(min=0), default=0, show_default=True,
              help="Sobol indices with this base sample (0: none; base x (parameters + 2) runs).")
@click.option("--value-per-crisis", type=click.FloatRange(min=0), default=0.0, show_default=True,
              help="GBP put on a crisis averted beyond its service costs, in decision.csv and evppi.csv "
                   "(0: the NPV alone).")
@click.option("--progress/--no-progress", default=True, show_default=True, help="Show a progress bar (stderr).")
def uncertainty(file: Path, target: Path | None, out: Path | None, samples: int | None, seed: int | None,
                engine: str | None, replications: int | None, executor: str, workers: int | None,
                scheduler: str | None, tornado: bool, morris: int, sobol: int, value_per_crisis: float,
                progress: bool) -> None:
    """Decisions under uncertainty: run the PSA of FILE (an options file with an uncertainty:
    section, or an uncertainty file) and write its tables and report to --out; or
    `placesim uncertainty init FILE` for a starter section from FILE's assumption ranges (or,
    for a calibration's parameters.csv, from its estimates and intervals)."""
    try:
        if str(file) == "init":
            if target is None:
                raise PlacesimError("placesim uncertainty init FILE: name the scenario or options file to read")
            text = (section_from_calibration(target) if target.suffix.lower() == ".csv"
                    else starter_section(target))
            if out is None:
                click.echo(text, nl=False)
            else:
                check_writable(out)
                with atomic_path(out) as tmp:
                    Path(tmp).write_text(text, encoding="utf-8")
                err.print(f"wrote {escape(str(out))}: a starter uncertainty section from {escape(str(target))}",
                          highlight=False)
            return
        if target is not None:
            raise PlacesimError(f"unexpected argument {target}; run placesim uncertainty FILE --out DIR")
        if out is None:
            raise PlacesimError("--out DIR is required: the folder the PSA's tables and report are written to")
        if out.exists() and not out.is_dir():
            raise PlacesimError(f"--out {out} is a file; expected a folder")
        check_writable(out, folder=True)
        u = run_uncertainty(file, samples=samples, seed=seed, engine=engine, replications=replications,
                            executor=executor, workers=workers, scheduler=scheduler, progress=progress)
        methods = [m for m, on in (("tornado", tornado), ("morris", morris), ("sobol", sobol)) if on]
        if methods:
            with warnings.catch_warnings():
                warnings.simplefilter("default", SampleSizeWarning)
                u.sensitivity(methods, trajectories=morris or 10, sobol_base=sobol or 512, executor=executor,
                              workers=workers, scheduler=scheduler, progress=progress)
        paths = u.write(out, value_per_crisis_gbp=value_per_crisis)
    except (PlacesimError, OSError) as exc:
        _fail(exc)
        return
    _print(u)
    console.print(f"written to {escape(str(out))}: " + ", ".join(p.name for p in paths.values()), highlight=False)


def _print(u: Uncertainty) -> None:
    """The answer first: the chance each option pays back and is best, then EVPI."""
    d = pd.DataFrame(u.decision())
    a = u.ds.attrs
    console.print(f"[bold]{escape(str(a['name']))}: decisions under uncertainty[/] ({a['samples']} draws, "
                  f"{a['engine']} engine, {a['seconds']} s)", highlight=False)
    for o in d.index:
        pays = "" if o == u.baseline else f"pays back in {pct(d.loc[o, 'p_npv_positive'])} of draws, "
        console.print(f"  {escape(o)}: {pays}best in {pct(d.loc[o, 'p_best'])}, expected NPV "
                      f"{money(d.loc[o, 'expected_npv_gbp'])} ({money(d.loc[o, 'npv_lower_gbp'])} to "
                      f"{money(d.loc[o, 'npv_upper_gbp'])})", highlight=False)
    console.print(f"  EVPI: {money(u.evpi())} per decision", highlight=False)


def psa_for_options(file: Path, psa: str, out: Path, **run: Any) -> Uncertainty:
    """The PSA ``placesim options --psa`` adds to the options report: ``psa`` draws of FILE's
    ``uncertainty:`` section run now (with the tornado; its own files written to
    ``OUT/uncertainty``), or the folder (or ``psa.nc``) of a finished ``placesim uncertainty``
    run of the same options."""
    if psa.strip().isdigit():
        u = run_uncertainty(file, samples=int(psa), **run)
        u.sensitivity(["tornado"], **run)
        u.write(out / "uncertainty")
        return u
    where = Path(psa)
    if not where.exists():
        raise PlacesimError(f"--psa {psa}: expected a number of draws, or the folder (or psa.nc) a placesim "
                            "uncertainty run wrote; no such file or folder")
    return Uncertainty.open(where)
