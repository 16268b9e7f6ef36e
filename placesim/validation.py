"""Checking a baseline against public figures it was not fitted to: a validation table.

A validation file names a scenario, how to run it, and checks: each a public figure (its
reference rows and the range they give) and the simulated measure it is compared with::

    placesim_validation: 1
    name: Brent siloed baseline against public volumes
    scenario: siloed.yaml
    run: {replications: 5, seed: 1}
    checks:
      ae_attendances:
        label: A&E attendances a year
        measure: {variable: arrivals, service: a_and_e, per: year}
        range: [93900, 139000]
        source: BX04 (England rate x Brent), NH15 (London type 1), NH06 (NCC)

``per: year`` turns a count over the reported period into a yearly rate; ``per: mean``
takes a stock's mean over the reporting bins (people in a service at the bins' ends). A
check passes when the simulated mean lies in the range; the interval is shown beside it.
``python -m placesim.validation FILE`` prints the table as Markdown.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from .errors import Problem, ScenarioError
from .results import Results
from .run import simulate
from .scenario import load_scenario
from .scenario.base import FileModel, Name, Replications, Seed
from .scenario.messages import read_model_file
from .scenario.yamlio import dotted, locate
from .stats import mean_interval

SUBJECT = "the validation file"
DAYS_PER_YEAR = 365.25


class Measure(FileModel):
    """What is simulated: a results variable at one service (or summed over the place)."""

    variable: Name = Field(description="Results variable (e.g. arrivals, started, in_system, crises).")
    service: Name | None = Field(None, description=(
        "Service on the variable's service axis (None: summed over every axis but time)."))
    per: Literal["year", "mean"] = Field("year", description=(
        "'year': the total over the reported period per year; 'mean': the mean over reporting bins (a stock)."))
    cohorts_own: list[Name] | None = Field(None, description=(
        "Variables at the same service that are the modelled cohorts' own part of the measure (e.g. "
        "[crisis_contacts, repeat_contacts] at a crisis service whose arrivals are mostly background "
        "demand); reported beside the total."))


class Check(FileModel):
    """One public figure and the measure it checks."""

    label: str = Field(min_length=1, description="What the figure is, in words.")
    measure: Measure = Field(description="The simulated measure.")
    range: tuple[float, float] = Field(description="Lowest and highest value the public figures support.")
    source: str = Field(min_length=1, description=(
        "Reference rows (scenarios/reference/figures.csv ids) and how the range is read from them."))

    @model_validator(mode="after")
    def _ordered(self) -> Check:
        lo, hi = self.range
        if not (np.isfinite(lo) and np.isfinite(hi) and lo <= hi):
            raise ValueError(f"range must be [lowest, highest] with lowest <= highest, got {list(self.range)}")
        return self


class RunSettings(FileModel):
    replications: Replications = Field(5, ge=2, description="Replications of the DES.")
    seed: Seed = Field(1, description="Seed of the run.")


class ValidationFile(FileModel):
    """A validation file."""

    placesim_validation: Literal[1] = Field(description="Format version (1).")
    name: Name = Field(description="Name of the validation.")
    scenario: Name = Field(description="Scenario file, relative to this file.")
    run: RunSettings = Field(default_factory=RunSettings, description="How the scenario is run.")
    checks: dict[str, Check] = Field(min_length=1, description="The checks, by name.")


@dataclass
class Validation:
    """A loaded validation file."""

    model: ValidationFile
    path: Path
    marks: dict

    def error(self, message: str, field_path: tuple[Any, ...]) -> ScenarioError:
        f, line = locate(self.marks, field_path)
        return ScenarioError([Problem(message, dotted(field_path), f or str(self.path), line)], SUBJECT)


def load_validation(path: str | Path) -> Validation:
    """Read and validate a validation file (file, field and line of every problem)."""
    model, marks = read_model_file(path, ValidationFile, SUBJECT, "placesim_validation: 1, name: ...")
    return Validation(model, Path(path), marks)


def measure(results: Results, check: Check, name: str = "", validation: Validation | None = None) -> np.ndarray:
    """The check's measure per replication."""
    ds = results.ds
    m = check.measure

    def fail(msg: str, field: str) -> ScenarioError:
        where = ("checks", name, "measure", field)
        return validation.error(msg, where) if validation else ScenarioError([Problem(msg, dotted(where), "", None)])

    return _measured(ds, m.variable, m, fail, "variable")


def cohorts_own(results: Results, check: Check, name: str = "", validation: Validation | None = None
                ) -> np.ndarray | None:
    """The modelled cohorts' own part of the check's measure per replication (None if not asked)."""
    m = check.measure
    if not m.cohorts_own:
        return None

    def fail(msg: str, field: str) -> ScenarioError:
        where = ("checks", name, "measure", field)
        return validation.error(msg, where) if validation else ScenarioError([Problem(msg, dotted(where), "", None)])

    return sum(_measured(results.ds, v, m, fail, "cohorts_own") for v in m.cohorts_own)  # type: ignore[return-value]


def _measured(ds: Any, variable: str, m: Measure, fail: Any, field: str) -> np.ndarray:
    if variable not in ds:
        raise fail(f"unknown results variable {variable!r}", field)
    x = ds[variable]
    if m.service is not None:
        services = [str(s) for s in ds["service"].values]
        if "service" not in x.dims or m.service not in services:
            raise fail(f"{m.service!r} is not a service of {variable!r}; services: {', '.join(services)}", "service")
        x = x.sel(service=m.service)
    x = x.sum([d for d in x.dims if d not in ("replication", "time")])
    if m.per == "mean":
        return x.mean("time").to_numpy()
    days = float(ds["bin_days"].sum())
    return (x.sum("time") * DAYS_PER_YEAR / days).to_numpy()


def validation_table(validation: Validation | str | Path, *, results: Results | None = None,
                     executor: str = "processes", level: float = 0.9) -> pd.DataFrame:
    """Run the file's scenario (unless ``results`` are given) and compare each check.

    Returns
    -------
    pandas.DataFrame
        One row per check: ``label``, ``simulated``, ``lower``, ``upper`` (the interval of
        the mean over replications), ``cohorts_own`` (the modelled cohorts' part, NaN where
        the check does not ask for it), ``range_low``, ``range_high``, ``within`` (the mean in
        the range) and ``source``.
    """
    v = validation if isinstance(validation, Validation) else load_validation(validation)
    if results is None:
        scenario = load_scenario(v.path.parent / v.model.scenario)
        results = simulate(scenario, replications=v.model.run.replications, seed=v.model.run.seed,
                           executor=executor)
    rows = []
    for name, check in v.model.checks.items():
        values = measure(results, check, name, v)
        mean, lo, hi = mean_interval(values, level)
        own = cohorts_own(results, check, name, v)
        low, high = check.range
        rows.append({"check": name, "label": check.label, "simulated": mean, "lower": lo, "upper": hi,
                     "cohorts_own": float(np.mean(own)) if own is not None else float("nan"),
                     "range_low": low, "range_high": high, "within": bool(low <= mean <= high),
                     "source": check.source})
    return pd.DataFrame(rows).set_index("check")


def markdown(table: pd.DataFrame) -> str:
    """The table as Markdown (whole numbers, the interval beside the mean)."""
    lines = ["| figure | simulated (90 % interval) | of which the cohorts' own | public range | within | source |",
             "|---|---|---|---|---|---|"]
    for _, r in table.iterrows():
        own = "–" if np.isnan(r["cohorts_own"]) else f"{r['cohorts_own']:,.0f}"
        lines.append(f"| {r['label']} | {r['simulated']:,.0f} ({r['lower']:,.0f} to {r['upper']:,.0f}) | {own} | "
                     f"{r['range_low']:,.0f} to {r['range_high']:,.0f} | {'yes' if r['within'] else '**no**'} | "
                     f"{r['source']} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """``python -m placesim.validation FILE``: print the validation table as Markdown."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m placesim.validation VALIDATION.yaml", file=sys.stderr)
        return 2
    sys.stdout.write(markdown(validation_table(args[0])))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
