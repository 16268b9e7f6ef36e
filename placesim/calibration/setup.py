"""The calibration set-up file: what to fit, to which data, and how.

A set-up is a small YAML file beside its data (paths are relative to it)::

    placesim_calibration: 1
    name: Harlesden (synthetic data)
    scenario: scenario.yaml
    observed: observed_synthetic.csv
    parameters:
      housing_escalation:
        path: cohorts.homelessness_risk.hazards.housing.escalation_per_year
        mode: multiplier
        bounds: [0.5, 2.0]
    periods:
      fit: {from: 2025-05-01, to: 2027-04-30}
    likelihood: {family: negative_binomial}

Every field is documented in ``docs/calibration.md``.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from ..errors import Problem, ScenarioError
from ..scenario.base import Days, FileModel, Name, Replications, Seed
from ..scenario.messages import read_model_file
from ..scenario.yamlio import dotted, locate

SUBJECT = "the calibration set-up"
"""What the problems of a set-up file are in (the heading of a list of them)."""


class _Model(FileModel):
    """The set-up's models: :class:`FileModel` (hardened numbers)."""


class Prior(_Model):
    """A prior on a parameter's value (the fit maximises likelihood x prior)."""

    distribution: Literal["normal", "lognormal"] = Field(
        description="normal: on the value; lognormal: on its logarithm (mean and sd of the value's log).")
    mean: float = Field(description="Mean (of the log, for lognormal).")
    sd: float = Field(gt=0, description="Standard deviation (of the log, for lognormal).")


class ParameterPath(_Model):
    """Where a parameter goes in a scenario: the form calibration set-ups and uncertainty
    sections share (one dotted path or a list sharing one value; a value or a multiplier)."""

    path: str | list[str] = Field(description=(
        "Dotted field path(s) in the scenario, e.g. cohorts.homelessness_risk.hazards.housing."
        "escalation_per_year or ...escalation_per_year[0]; several paths share one value."))
    mode: Literal["value", "multiplier"] = Field("value", description=(
        "value: the parameter is the field's value; multiplier: it multiplies the field's value "
        "in the scenario (every element, for a list)."))

    @field_validator("path")
    @classmethod
    def _paths_nonempty(cls, v: str | list[str]) -> str | list[str]:
        paths = [v] if isinstance(v, str) else v
        if not paths or any(not p.strip() for p in paths):
            raise ValueError("expected a dotted field path (or a list of them), e.g. cohorts.c.hazards.d.onset_per_year")
        return v

    @property
    def paths(self) -> list[str]:
        return [self.path] if isinstance(self.path, str) else list(self.path)


class ParameterSpec(ParameterPath):
    """One fitted parameter: where it goes in the scenario, its bounds and prior."""

    bounds: tuple[float, float] = Field(description="Lowest and highest value allowed [lower, upper].")
    start: float | None = Field(None, description=(
        "Starting value of the search (default: the scenario's value, or 1 for a multiplier)."))
    scale: Literal["log", "linear"] | None = Field(None, description=(
        "Scale the search and the interval work on (default: log when the lower bound is above 0)."))
    prior: Prior | None = Field(None, description="Optional prior (default: flat within the bounds).")

    @model_validator(mode="after")
    def _check(self) -> ParameterSpec:
        lo, hi = self.bounds
        if not (math.isfinite(lo) and math.isfinite(hi)) or lo >= hi:
            raise ValueError(f"bounds must be two finite numbers with lower < upper, got [{lo}, {hi}]")
        if self.scale == "log" and lo <= 0:
            raise ValueError(f"scale log needs a lower bound above 0, got {lo}")
        if self.start is not None and not lo < self.start < hi:
            raise ValueError(f"start {self.start} must lie strictly inside the bounds [{lo}, {hi}]")
        return self

    @property
    def log_scale(self) -> bool:
        return self.scale == "log" or (self.scale is None and self.bounds[0] > 0)


class Window(_Model):
    """A range of observed periods, by the date (or day number) each period starts."""

    from_: dt.date | int = Field(alias="from", description="First period start included.")
    to: dt.date | int = Field(description="Last period start included.")

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if type(self.from_) is type(self.to) and self.from_ > self.to:  # type: ignore[operator]
            raise ValueError(f"from ({self.from_}) is after to ({self.to}); give the earlier period first")
        return self


class Periods(_Model):
    """Which observed periods are fitted and which are held out."""

    fit: Window | None = Field(None, description="Periods used for fitting (default: all).")
    holdout: Window | None = Field(None, description="Periods held out (default: all those not fitted).")


class Likelihood(_Model):
    """The distribution of an observed count around the model's expected value."""

    family: Literal["poisson", "negative_binomial"] = Field(
        "poisson", description="poisson, or negative_binomial (variance mu + mu^2 / size).")
    size: float | Literal["fit"] = Field("fit", description=(
        "Negative binomial size (dispersion); 'fit' estimates it with the parameters."))

    @field_validator("size")
    @classmethod
    def _size(cls, v: float | str) -> float | str:
        if not isinstance(v, str) and not (v > 0 and math.isfinite(v)):
            raise ValueError(f"size must be a positive number or 'fit', got {v}")
        return v


class DesCheck(_Model):
    """The check and refinement of the SD fit against the discrete-event engine."""

    replications: Replications = Field(10, ge=0, description="DES replications per check (0: skip the DES stage).")
    seed: Seed = Field(2026, description="Seed of the DES check (the same one at every round: common random numbers).")
    rounds: int = Field(2, ge=0, le=10, description=(
        "Refinement rounds: each runs the DES at the current estimate, corrects the SD's expected "
        "values by the DES/SD ratio of each observation and refits."))


class CalibrationSetup(_Model):
    """A calibration set-up file."""

    placesim_calibration: Literal[1] = Field(description="Set-up format version (1).")
    name: Name = Field(description="Name of the calibration.")
    description: str | None = Field(None, description="What is fitted, to what, and why.")
    scenario: Name = Field(description="Scenario file, relative to the set-up file.")
    overrides: dict[str, Any] = Field(default_factory=dict, description=(
        "Changes to the scenario before fitting (kept in calibrated.yaml)."))
    observed: Name = Field(description="Observed data CSV (period_start, measure, neighbourhood, value), relative to the set-up file.")
    period_days: Days | None = Field(None, gt=0, description=(
        "Length of each observed period in days (default: the scenario's report_every_days); "
        "the fit reports the model in periods of this length."))
    parameters: dict[str, ParameterSpec] = Field(min_length=1, description="The parameters to fit, by name.")
    periods: Periods = Field(default_factory=Periods, description="Fitting and held-out periods.")
    likelihood: Likelihood = Field(default_factory=Likelihood, description="Likelihood of the observed counts.")
    interval: float = Field(0.9, gt=0, lt=1, description="Level of the intervals on parameters and fitted values.")
    des: DesCheck = Field(default_factory=DesCheck, description="Check and refinement against the DES.")
    max_evaluations: Replications = Field(400, ge=10, description="Most SD runs the search may make per fit.")


class Setup:
    """A loaded calibration set-up: the validated model and where it came from."""

    def __init__(self, model: CalibrationSetup, path: Path, marks: dict | None = None):
        self.model = model
        self.path = path
        self.marks = marks or {}

    @property
    def folder(self) -> Path:
        return self.path.parent

    def problem(self, message: str, field_path: tuple[Any, ...]) -> Problem:
        """A problem located at ``field_path`` of the set-up file."""
        f, line = locate(self.marks, field_path)
        return Problem(message, dotted(field_path), f or str(self.path), line)

    def error(self, message: str, field_path: tuple[Any, ...]) -> ScenarioError:
        return ScenarioError([self.problem(message, field_path)], SUBJECT)


def load_setup(path: str | Path) -> Setup:
    """Read and validate a calibration set-up file.

    Raises
    ------
    ScenarioError
        With the file, field path and line of every problem.
    """
    model, marks = read_model_file(path, CalibrationSetup, SUBJECT, "placesim_calibration: 1, name: ...")
    return Setup(model, Path(path), marks)
