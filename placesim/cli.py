"""The ``placesim`` command line: validate, run and compare scenario files; calibrate;
appraise scale-up options and write their report."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import click
from rich.console import Console
from rich.markup import escape

from ._version import __version__
from .calibration import calibrate as run_calibration
from .compare import compare as compare_scenarios
from .errors import PlacesimError, PlacesimWarning
from .io import check_writable, os_reason
from .options import OptionsRun, run_options
from .plan import compile_plan
from .psa_cli import psa_for_options
from .psa_cli import uncertainty as uncertainty_command
from .report import report_from_netcdf
from .report.headline import HEADLINE, headline_frame
from .report.messages import key_messages
from .run import EXECUTORS, simulate
from .scenario.limits import MAX_FILE_MB_VARIABLE, MAX_REPLICATIONS
from .scenario.scenario import Scenario, load_scenario
from .starter import write_starter
from .tables import calibration_table, comparison_table, headline_table, service_table, summary_table
from .warmup import WarmupCheck

# Piped output (CI logs, files) gets a wide table instead of rich's 80-column default.
console = Console(width=None if sys.stdout.isatty() else 140)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 140)

EXECUTOR_NAMES = list(EXECUTORS)
"""Executors the command line offers: serial, processes, dask."""

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 128 + signal.SIGINT
"""Exit status after Ctrl-C (SIGINT): 130, as a shell reports a command stopped by it."""
EXIT_TERMINATED = 128 + signal.SIGTERM
"""Exit status after SIGTERM: 143."""


CHECKPOINT_KEY = "placesim.checkpoint"
"""Where a command records its checkpoint folder (``ctx.meta``), for the interrupt message."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so a run stops as it does on Ctrl-C: queued
    replications cancelled, workers ended, no output file half-written."""


@contextlib.contextmanager
def _sigterm_stops() -> Iterator[None]:
    """While a command runs, SIGTERM raises :class:`Terminated` (the main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: object) -> None:
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def _warnings_on_stderr() -> Iterator[None]:
    """While a command runs, placesim's warnings are printed on stderr as ``warning: ...``,
    each text once; other warnings are shown as Python shows them."""
    shown: set[str] = set()
    python_shows = warnings.showwarning

    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
             file: TextIO | None = None, line: str | None = None) -> None:
        if not issubclass(category, PlacesimWarning):
            python_shows(message, category, filename, lineno, file, line)
        elif str(message) not in shown:
            shown.add(str(message))
            err.print(f"[bold yellow]warning:[/] {escape(str(message))}", markup=True, highlight=False,
                      soft_wrap=True)

    with warnings.catch_warnings():
        warnings.simplefilter("always", PlacesimWarning)  # every one reaches show(), which prints each text once
        warnings.showwarning = show
        yield


class _Commands(click.Group):
    """The command group: placesim's warnings go to stderr (:func:`_warnings_on_stderr`); an
    interrupted command prints one line and exits with 130 (SIGINT) or 143 (SIGTERM), with
    no traceback."""

    def invoke(self, ctx: click.Context) -> object:
        with _sigterm_stops(), _warnings_on_stderr():
            try:
                return super().invoke(ctx)
            except KeyboardInterrupt as exc:
                terminated = isinstance(exc, Terminated)
                what = "terminated (SIGTERM)" if terminated else "interrupted (Ctrl-C)"
                kept = ctx.meta.get(CHECKPOINT_KEY)
                note = (f"; the finished replications are kept in {escape(str(kept))} "
                        f"(continue with --resume {escape(str(kept))})" if kept is not None else "")
                err.print(f"[bold red]{what}:[/] the run was stopped and its workers ended; "
                          f"no output file was left half-written{note}", markup=True, highlight=False, soft_wrap=True)
                sys.exit(EXIT_TERMINATED if terminated else EXIT_INTERRUPTED)


def _fail(exc: Exception) -> None:
    if isinstance(exc, OSError):  # an error of the operating system (reading, writing): in words, no traceback
        where = f"{exc.filename}: " if exc.filename else ""
        exc = PlacesimError(f"{where}{os_reason(exc)}")
    err.print(f"[bold red]error:[/] {escape(str(exc))}", markup=True, highlight=False, soft_wrap=True)
    sys.exit(EXIT_BAD_INPUT)


def _writable(path: Path | None) -> None:
    """Check that the output file can be written before any work is done."""
    if path is not None:
        check_writable(path)


_common = [
    click.option("--replications", "-r", type=click.IntRange(min=1, max=MAX_REPLICATIONS), default=10,
                 show_default=True, help="Independent replications."),
    click.option("--seed", "-s", type=click.IntRange(min=0, max=2**63 - 1), default=None,
                 help="Seed (default: a random one, printed and stored in the results)."),
    click.option("--executor", type=click.Choice(EXECUTOR_NAMES), default="processes", show_default=True,
                 help="Run replications in local processes, one after another, or on a dask cluster "
                      "(--scheduler, else a LocalCluster)."),
    click.option("--workers", type=click.IntRange(min=1), default=None,
                 help="Processes to use (default: CPUs); with --executor dask, the LocalCluster's workers."),
    click.option("--scheduler", metavar="ADDR", default=None,
                 help="With --executor dask: the address of a running dask scheduler, e.g. tcp://host:8786."),
    click.option("--out", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
                 help="Write the results to this NetCDF file (atomically)."),
    click.option("--checkpoint", type=click.Path(file_okay=False, path_type=Path), default=None,
                 help="Keep each finished replication in this folder as it arrives; run again with the same folder "
                      "(or --resume) to skip the replications already there."),
    click.option("--resume", type=click.Path(file_okay=False, path_type=Path), default=None,
                 help="Continue the run kept in this checkpoint folder (it must hold one)."),
    click.option("--progress/--no-progress", default=True, show_default=True, help="Show a progress bar."),
    click.option("--engine", type=click.Choice(["des", "sd"]), default="des", show_default=True,
                 help="des: discrete-event replications; sd: one deterministic system-dynamics run "
                      "(replications ignored)."),
]


def common(f):
    for option in reversed(_common):
        f = option(f)
    return f


def _cluster(executor: str, scheduler: str | None) -> None:
    """Refuse a --scheduler without --executor dask (before any work)."""
    if scheduler is not None and executor != "dask":
        raise PlacesimError(f"--scheduler is the address of a dask scheduler: use it with --executor dask "
                            f"(got --executor {executor})")


def _checkpoint(checkpoint: Path | None, resume: Path | None) -> tuple[Path | None, bool]:
    """The checkpoint folder of --checkpoint or --resume (not both), and whether to resume only."""
    if checkpoint is not None and resume is not None:
        raise PlacesimError("give --checkpoint DIR (start or continue) or --resume DIR (continue), not both")
    folder = resume if resume is not None else checkpoint
    if folder is not None:
        click.get_current_context().meta[CHECKPOINT_KEY] = folder
    return folder, resume is not None


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="placesim")
@click.option("--max-file-mb", type=click.FloatRange(min=0, min_open=True, max=1e6), default=None,
              help=f"Largest input file read, in MB (default 5, or the {MAX_FILE_MB_VARIABLE} environment variable).")
def main(max_file_mb: float | None) -> None:
    """Simulate siloed services and Integrated Neighbourhood Teams from scenario files."""
    if max_file_mb is not None:
        os.environ[MAX_FILE_MB_VARIABLE] = f"{max_file_mb:g}"  # read by every file read, workers included


def _other_file(path: Path) -> str | None:
    """Validate a file that is not a scenario (an options file, a validation file, a calibration
    set-up, told apart by their version key) and say what it holds; None for a scenario."""
    import re

    try:
        head = path.read_text(encoding="utf-8", errors="replace")[:20000]
    except OSError:
        return None  # load_scenario reports it
    key = re.search(r"^(placesim_options|placesim_validation|placesim_calibration|placesim_uncertainty)\s*:", head,
                    re.M)
    if key is None:
        return None
    if key.group(1) == "placesim_uncertainty" or (key.group(1) == "placesim_options"
                                                  and re.search(r"^uncertainty\s*:", head, re.M)):
        from .uncertainty.files import load_uncertainty

        u = load_uncertainty(path)
        return (f"{'options' if u.options_file is not None else 'uncertainty'} file {u.name!r}, "
                f"{len(u.section.parameters)} uncertain parameter(s) over {len(u.options)} option(s)")
    if key.group(1) == "placesim_options":
        from .options import load_options

        o = load_options(path)
        return f"options file {o.model.name!r}, {len(o.model.options)} option(s) against {o.model.base.label!r}"
    if key.group(1) == "placesim_validation":
        from .validation import load_validation

        v = load_validation(path)
        return f"validation file {v.model.name!r}, {len(v.model.checks)} check(s) of {v.model.scenario}"
    from .calibration.setup import load_setup

    c = load_setup(path)
    return f"calibration set-up {c.model.name!r}, {len(c.model.parameters)} parameter(s)"


main.add_command(uncertainty_command)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate(files: tuple[Path, ...]) -> None:
    """Check FILES (scenarios, options files, uncertainty, validation and calibration files: each by its
    version key); print what each describes, or every problem with its line."""
    bad = 0
    for f in files:
        try:
            other = _other_file(f)
            if other is not None:
                console.print(f"[green]ok[/] {escape(str(f))}: {escape(other)}", highlight=False, soft_wrap=True)
                continue
            s = load_scenario(f)
        except (PlacesimError, OSError) as exc:
            err.print(f"[bold red]error:[/] {escape(str(exc))}", markup=True, highlight=False, soft_wrap=True)
            bad += 1
            continue
        facts = (f"{s.name!r}, {s.n_residents:,} residents, {len(s.services)} services"
                 + (f", INT in {len(s.int_team.neighbourhoods)} neighbourhood(s)" if s.int_team else ""))
        console.print(f"[green]ok[/] {escape(str(f))}: {escape(facts)}", highlight=False, soft_wrap=True)
        for problem in s.warnings():
            warnings.warn(str(problem), PlacesimWarning, stacklevel=1)
    if bad:
        sys.exit(EXIT_BAD_INPUT)


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@common
@click.option("--warmup-check/--no-warmup-check", default=True, show_default=True,
              help="After the run, warn (on stderr) if the main outputs are still trending when reporting starts, "
                   "with a suggested warm-up.")
def run(file: Path, replications: int, seed: int | None, executor: str, workers: int | None, scheduler: str | None,
        out: Path | None, checkpoint: Path | None, resume: Path | None, progress: bool, engine: str,
        warmup_check: bool) -> None:
    """Run replications of the scenario FILE and print its summary tables."""
    try:
        _writable(out)
        _cluster(executor, scheduler)
        folder, only_resume = _checkpoint(checkpoint, resume)
        scenario = load_scenario(file)
        results = simulate(scenario, replications, seed, executor=executor, workers=workers, progress=progress,
                           engine=engine, warmup_check=False, scheduler=scheduler, checkpoint=folder,
                           resume=only_resume)
        if out is not None:
            results.to_netcdf(out)
    except (PlacesimError, OSError) as exc:
        _fail(exc)
        return
    console.print(summary_table(results.summary(), f"{scenario.name}: {_runs(results.replications, engine)}"
                                                            f"{_seed(results.seed, engine)}"))
    console.print(service_table(results.service_summary(), "Services"))
    if out is not None:
        console.print(f"results written to {out}")
    if warmup_check:
        _report_warmup(results.warmup_check(compile_plan(scenario)))


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--labels", default=None, help="Comma-separated column labels (default: the file names without .yaml).")
@common
def compare(files: tuple[Path, ...], labels: str | None, replications: int, seed: int | None, executor: str,
            workers: int | None, scheduler: str | None, out: Path | None, checkpoint: Path | None,
            resume: Path | None, progress: bool, engine: str) -> None:
    """Compare scenario FILES with common random numbers; the first is the baseline."""
    try:
        _writable(out)
        _cluster(executor, scheduler)
        folder, only_resume = _checkpoint(checkpoint, resume)
        scenarios = [load_scenario(f) for f in files]
        names = _labels(scenarios, files, labels)
        comparison = compare_scenarios(dict(zip(names, scenarios)), replications, seed, executor=executor,
                                       workers=workers, progress=progress, engine=engine, scheduler=scheduler,
                                       checkpoint=folder, resume=only_resume)
        if out is not None:
            comparison.to_netcdf(out)
    except (PlacesimError, OSError) as exc:
        _fail(exc)
        return
    r = next(iter(comparison.results.values()))
    legend = "; ".join(f"{label} = {s.name}" for label, s in zip(comparison.labels, scenarios))
    console.print(comparison_table(comparison.summary(),
                                   f"Comparison: {_runs(r.replications, engine)}{_seed(r.seed, engine)}; "
                                   f"differences are paired (common random numbers)\n{legend}"))
    if out is not None:
        console.print(f"results written to {out}")


@main.command()
@click.argument("setup", type=click.Path(path_type=Path))
@click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for calibrated.yaml, parameters.csv, fitted.csv and the diagnostics (created if missing).")
@click.option("--executor", type=click.Choice(EXECUTOR_NAMES), default="processes", show_default=True,
              help="How the DES check runs its replications.")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Processes to use (default: CPUs).")
@click.option("--scheduler", metavar="ADDR", default=None,
              help="With --executor dask: the address of a running dask scheduler, e.g. tcp://host:8786.")
@click.option("--progress/--no-progress", default=True, show_default=True, help="Print each stage.")
def calibrate(setup: Path, out: Path, executor: str, workers: int | None, scheduler: str | None,
              progress: bool) -> None:
    """Fit the parameters of calibration SETUP to its observed data; write the results to --out."""
    try:
        if out.exists() and not out.is_dir():
            raise PlacesimError(f"--out {out} is a file; expected a folder")
        if not out.parent.exists():
            raise PlacesimError(f"cannot write to {out}: folder {out.parent} does not exist")
        check_writable(out, folder=True)
        _cluster(executor, scheduler)
        cal = run_calibration(setup, executor=executor, workers=workers, scheduler=scheduler,
                              progress=(lambda line: err.print(escape(line), highlight=False)) if progress else None)
        paths = cal.write(out)
    except (PlacesimError, OSError) as exc:
        _fail(exc)
        return
    console.print(calibration_table(cal))
    console.print(f"written to {out}: " + ", ".join(p.name for p in paths.values()))


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for options.csv, organisations.csv, results.nc and report.html (created if missing).")
@click.option("--replications", "-r", type=click.IntRange(min=2), default=None,
              help="Replications of every scenario (default: the file's run.replications).")
@click.option("--seed", "-s", type=click.IntRange(min=0, max=2**63 - 1), default=None,
              help="Seed (default: the file's run.seed).")
@click.option("--executor", type=click.Choice(EXECUTOR_NAMES), default="processes", show_default=True,
              help="Run replications in worker processes, in this process, or on a dask cluster.")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Processes to use (default: CPUs).")
@click.option("--scheduler", metavar="ADDR", default=None,
              help="With --executor dask: the address of a running dask scheduler, e.g. tcp://host:8786.")
@click.option("--checkpoint", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Keep every finished replication of every run in this folder; run again with it (or --resume) "
                   "to skip what is there.")
@click.option("--resume", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Continue the run kept in this checkpoint folder (it must hold one).")
@click.option("--break-even/--no-break-even", default=True, show_default=True,
              help="Run the file's break-even searches (each runs the option many times).")
@click.option("--psa", metavar="N|PATH", default=None,
              help="Add decisions under uncertainty: N draws of the file's uncertainty: section (files in "
                   "OUT/uncertainty), or the folder of a placesim uncertainty run of this file.")
@click.option("--progress/--no-progress", default=True, show_default=True, help="Show a progress bar.")
def options(file: Path, out: Path, replications: int | None, seed: int | None, executor: str,
            workers: int | None, scheduler: str | None, checkpoint: Path | None, resume: Path | None,
            break_even: bool, psa: str | None, progress: bool) -> None:
    """Run the scale-up options of options FILE against its baseline; write the appraisal and report to --out."""
    try:
        if out.exists() and not out.is_dir():
            raise PlacesimError(f"--out {out} is a file; expected a folder")
        if not out.parent.exists():
            raise PlacesimError(f"cannot write to {out}: folder {out.parent} does not exist")
        check_writable(out, folder=True)
        _cluster(executor, scheduler)
        folder, only_resume = _checkpoint(checkpoint, resume)
        run = run_options(file, replications=replications, seed=seed, executor=executor, workers=workers,
                          progress=progress, break_evens=break_even, scheduler=scheduler, checkpoint=folder,
                          resume=only_resume)
        if psa is not None:
            run.uncertainty = psa_for_options(file, psa, out, executor=executor, workers=workers,
                                              scheduler=scheduler, progress=progress)
        paths = run.write(out)
    except (PlacesimError, OSError) as exc:
        _fail(exc)
        return
    _print_options(run)
    console.print(f"written to {out}: " + ", ".join(p.name for p in paths.values()))


def _print_options(run: OptionsRun) -> None:
    """The answer first: the key messages, then one row per option (every figure: options.csv)."""
    a = run.appraisal
    names = run.comparison.names
    r = next(iter(run.comparison.results.values()))
    console.print(f"[bold]{escape(run.options.model.name)}: key messages[/] (against "
                  f"{escape(names[a.baseline])}; {r.replications} replications, seed {r.seed})", highlight=False)
    messages = key_messages(a, names, run.review, run.review_note, run.break_evens, run.comparison, run.additions)
    for m in messages:
        console.print(f"[bold]{escape(m.figure)}[/]  {escape(m.caption)}: {escape(m.text)}", highlight=False)
        for point in m.points:
            console.print(f"    - {escape(point)}", highlight=False)
    headings = {**HEADLINE, "bcr": "BCR", "npv_gbp": "NPV"}  # narrow columns: the terminal's abbreviations
    if a.economics.values:  # economic and social values given: the public value BCR beside the fiscal one
        at = list(headings).index("bcr") + 1
        items = list(headings.items())
        headings = dict(items[:at] + [("public_value_bcr", "Public value BCR")] + items[at:])
    console.print(headline_table(headline_frame(a, list(headings)), headings, names,
                                 f"Each option against {names[a.baseline]}: £ at {a.economics.price_year} "
                                 "prices; mean and 90 % interval (paired, common random numbers); every figure "
                                 "is in options.csv"))


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--name", default="My place (starter)", show_default=True, help="The scenario's name.")
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
def new(file: Path, name: str, force: bool) -> None:
    """Write a complete, commented starter scenario to FILE, to adapt to your place."""
    try:
        write_starter(file, name=name, overwrite=force)
    except (PlacesimError, OSError) as exc:
        _fail(exc)
        return
    console.print(f"wrote {escape(str(file))}: a starter scenario (every figure an example to replace); check it "
                  f"with `placesim validate {escape(str(file))}`, run it with `placesim run {escape(str(file))}`",
                  highlight=False, soft_wrap=True)


@main.command()
@click.argument("results", type=click.Path(path_type=Path))
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="HTML file to write (self-contained).")
def report(results: Path, output: Path) -> None:
    """Write the budget planner's report (HTML) for a comparison RESULTS file (.nc)."""
    try:
        _writable(output)
        if not results.exists():
            raise PlacesimError(f"{results}: file not found")
        report_from_netcdf(results, output)
    except (PlacesimError, OSError) as exc:
        _fail(exc)
        return
    console.print(f"report written to {output}")


def _report_warmup(check: WarmupCheck) -> None:
    """The warm-up check on stderr: a warning if an output is still trending, a note if it could not run."""
    if check.skipped:
        err.print(f"note: {escape(check.message())}", highlight=False, soft_wrap=True)
    elif not check.ok:
        err.print(f"[bold yellow]warning:[/] {escape(check.message())}", markup=True, highlight=False,
                  soft_wrap=True)


def _seed(seed: int, engine: str) -> str:
    """', seed S' for the DES; nothing for the SD, which draws no random numbers."""
    return "" if engine == "sd" else f", seed {seed}"


def _runs(replications: int, engine: str) -> str:
    if engine == "sd":
        return "system dynamics (one deterministic run)"
    return f"{replications} replications"


def _labels(scenarios: list[Scenario], files: tuple[Path, ...], labels: str | None) -> list[str]:
    """Column labels: --labels, else the file names without .yaml (short, and unique in a folder)."""
    if labels is not None:
        names = [x.strip() for x in labels.split(",")]
        if len(names) != len(files):
            raise PlacesimError(f"--labels gives {len(names)} label(s) for {len(files)} file(s)")
    else:
        names = [f.stem for f in files]
    if len(set(names)) != len(names):
        names = [f"{i + 1}: {n}" for i, n in enumerate(names)]
    return names


if __name__ == "__main__":  # pragma: no cover
    main()
