"""Scale-up options files: a base scenario, named options that override it, and the
economics every option is valued with.

An options file is YAML beside the scenario files it names (paths are relative to it)::

    placesim_options: 1
    name: Brent INT scale-up options
    base:
      scenario: siloed.yaml
      overrides: {time: {horizon_days: 1096}}
    economics: {price_year: 2023/24, ...}
    options:
      harlesden_1day:
        description: The pilot as agreed, one day a week in Harlesden
        scenario: int_pilot.yaml
      harlesden_5day:
        scenario: int_pilot.yaml
        overrides: {int: {days_per_week: 5}}
    run: {replications: 10, seed: 1}
    review: {option: harlesden_1day, months: 6}

Every option is the base (or its own ``scenario`` file) with the base's overrides, then
its own, deep-merged as ``extends`` does, and the file's ``economics`` section. Every
field is documented in ``docs/budget-planners-guide.md``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, ValidationError, field_validator, model_validator

from .adaptive import Decision, decide
from .appraisal import Appraisal, appraise
from .break_even import BreakEven, break_even
from .compare import Comparison, compare
from .display import readable_frame
from .errors import PlacesimError, Problem, ScenarioError
from .io import atomic_path
from .reinvest import Reinvestment, reinvest
from .report import write_report
from .report.addition import ReportAddition
from .review import ReviewSettings, review_power
from .run import Checkpoint, Executor, make_executor
from .scenario.base import Days, FileModel, Money, Months, Name, Replications, Seed
from .scenario.files import not_there, read_text, refer, shown
from .scenario.loader import deep_merge, merge_marks, read_scenario_data
from .scenario.messages import problems_from_validation
from .scenario.scenario import Scenario
from .scenario.sources import leaf_paths, merged_sources, text_comments
from .scenario.yamlio import Marks, dotted, read_yaml_file
from .stats import mean_interval
from .uncertainty.spec import UncertaintySection

BASELINE = "baseline"
SUBJECT = "the options file"
"""What the problems of an options file are in (the heading of a list of them)."""


class _Model(FileModel):
    """The options file's models: :class:`FileModel` (hardened numbers)."""


class BaseSpec(_Model):
    """The baseline every option is compared with."""

    scenario: Name = Field(description="Scenario file of the baseline (relative to the options file).")
    label: Name = Field(BASELINE, min_length=1, description="Its label in tables and results.")
    name: str | None = Field(None, min_length=1, description="Its name in the report and the command's tables (default: its scenario's name).")
    overrides: dict[str, Any] = Field(default_factory=dict, description="Scenario fields set for the baseline and every option (e.g. time).")


class AdaptiveSpec(_Model):
    """A pilot whose own review decides what comes next (see docs/budget-planners-guide.md)."""

    if_fall: str = Field(description="The option taken where the pilot's review finds crises falling (e.g. the roll-out continuing from the pilot).")
    if_not: str = Field(description="The option taken otherwise (e.g. the pilot stopping at its review). Until the review, both must be the same scenario.")
    months: Months = Field(6.0, gt=0, description="Months before and after the pilot's start that its review compares.")
    alpha: float = Field(0.05, gt=0, lt=1, description="One-sided significance level of the review's test.")


class ReinvestSpec(_Model):
    """Shift upstream: a share of each year's cashable savings buys places at a service the next year."""

    share: float = Field(gt=0, le=1, description="Share of each year's cashable savings (costs avoided against the baseline, net of the places already bought) spent on places from the next year.")
    into: Name = Field(description="The siloed service that gets the places (e.g. a voluntary-sector service); not one with unlimited places.")
    cost_gbp_per_place_per_year: Money = Field(gt=0, description="Cost of one place a year at the appraisal's price year (economics.price_year), e.g. an adviser's employment cost / caseload.")
    organisations: list[Name] | None = Field(None, description="Organisations whose cashable savings are pooled (default: all).")
    delay_days: Days = Field(0.0, ge=0, description="Days after a year ends before its money opens places (budget setting, recruiting).")


class OptionSpec(_Model):
    """One scale-up option."""

    name: str | None = Field(None, min_length=1, description="The option's name in the report and the command's tables, e.g. 'Harlesden pilot, 1 day a week' (default: its scenario's name; the label, e.g. harlesden_1day, stays the option's id in options.csv and results.nc).")
    description: str = Field("", description="What the option is, in a sentence.")
    scenario: Name | None = Field(None, description="Scenario file the option starts from (default: the base's).")
    overrides: dict[str, Any] = Field(default_factory=dict, description="Scenario fields the option changes.")
    adaptive: AdaptiveSpec | None = Field(None, description="Makes this a 'pilot, then decide' option built from two other options (then give no scenario or overrides): in each simulated world the pilot's review chooses which goes on. Needs the des engine.")
    reinvest: ReinvestSpec | None = Field(None, description="Reinvests a share of the option's cashable savings each year in places at a service from the next year (the option is run once per year of the appraisal).")

    @model_validator(mode="after")
    def _adaptive_alone(self) -> OptionSpec:
        if self.adaptive is not None and (self.scenario is not None or self.overrides):
            raise ValueError("an adaptive option is built from its two continuations: give no scenario or overrides")
        if self.adaptive is not None and self.reinvest is not None:
            raise ValueError("an adaptive option cannot reinvest; give reinvest on one of its continuations")
        return self


class RunSettings(_Model):
    """How many worlds to simulate."""

    replications: Replications = Field(10, ge=2, description="Replications of every scenario (common random numbers).")
    seed: Seed = Field(1, description="Seed of the run.")


class BreakEvenSpec(_Model):
    """A break-even search: the parameter value at which an option's NPV reaches zero."""

    option: str = Field(description="The option to vary.")
    parameter: str = Field(description="Dotted field path in the option's scenario, e.g. int.effect.escalation_multiplier.")
    bounds: tuple[float, float] = Field(description="Range searched [lower, upper]; NPV must change sign across it.")
    replications: Replications | None = Field(None, ge=2, description="Replications per evaluation (default: run.replications).")
    engine: Literal["des", "sd"] = Field("des", description="des: simulation with common random numbers; sd: the deterministic twin (fast).")

    @field_validator("bounds")
    @classmethod
    def _bounds(cls, v: tuple[float, float]) -> tuple[float, float]:
        if not v[0] < v[1]:
            raise ValueError(f"bounds must be [lower, upper] with lower < upper, got {list(v)}")
        return v


class OptionsModel(_Model):
    """An options file."""

    placesim_options: Literal[1] = Field(description="File format version; always 1.")
    name: str = Field(min_length=1, description="Name of the appraisal, shown on the report.")
    description: str = Field("", description="Free text.")
    base: BaseSpec = Field(description="The baseline scenario.")
    economics: dict[str, Any] = Field(description="The economics section (price year, deflator, discounting, optimism bias, cashable shares) given to every scenario; fields as in the scenario reference.")
    options: dict[str, OptionSpec] = Field(min_length=1, description="Named options.")
    run: RunSettings = Field(default_factory=RunSettings, description="Replications and seed.")
    review: ReviewSettings | None = Field(None, description="Six-month review power of a pilot option.")
    break_even: list[BreakEvenSpec] = Field(default_factory=list, description="Break-even searches.")
    uncertainty: UncertaintySection | None = Field(None, description=(
        "Uncertain parameters and their distributions, for `placesim uncertainty` (see docs/uncertainty.md)."))


def _under(marks: Marks, prefix: tuple[Any, ...]) -> Marks:
    """Marks of the fields under ``prefix``, re-rooted there."""
    n = len(prefix)
    return {p[n:]: m for p, m in marks.items() if p[:n] == prefix and len(p) > n}


@dataclass
class OptionsFile:
    """A validated options file and the scenario of every option.

    Attributes
    ----------
    model
        The file's fields.
    path
        Where it was read from.
    scenarios
        Baseline first, then each option, by label.
    """

    model: OptionsModel
    path: Path
    scenarios: dict[str, Scenario] = field(default_factory=dict)
    text: str = ""

    @property
    def baseline(self) -> str:
        return self.model.base.label


def load_options(path: str | Path) -> OptionsFile:
    """Read an options file and build (and validate) every option's scenario.

    Raises
    ------
    ScenarioError
        With the file, field path and line of every problem, in the options file or in
        the scenario files it names.
    """
    p = Path(path)
    try:
        data, marks, text = read_yaml_file(p)
    except ScenarioError as exc:
        raise ScenarioError(exc.problems, SUBJECT) from None
    if not isinstance(data, dict):
        raise ScenarioError([Problem("expected a mapping of fields (placesim_options: 1, name: ...)", "", str(p), 1)])
    try:
        model = OptionsModel.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(problems_from_validation(exc, OptionsModel, marks, str(p)), SUBJECT) from None
    problems = []
    if model.base.label in model.options:
        at = marks.get(("options", model.base.label))
        problems.append(Problem(f"option {model.base.label!r} has the baseline's label; rename it or set base.label",
                                f"options.{model.base.label}", str(p), at[1] if at else None))
    named: list[tuple[tuple[Any, ...], str]] = []
    if model.review is not None:
        named.append((("review", "option"), model.review.option))
    named += [(("break_even", i, "option"), b.option) for i, b in enumerate(model.break_even)]
    for label, spec in model.options.items():
        if spec.adaptive is not None:
            named += [(("options", label, "adaptive", k), getattr(spec.adaptive, k)) for k in ("if_fall", "if_not")]
    simulated = [label for label, spec in model.options.items() if spec.adaptive is None]
    for where, name in named:
        allowed = simulated if "adaptive" in where or where[0] == "break_even" else list(model.options)
        if name not in allowed:
            problems.append(Problem(f"unknown option {name!r}; options: {', '.join(allowed)}",
                                    dotted(where), str(p), marks.get(where, (None, None))[1]))
    if problems:
        raise ScenarioError(problems, SUBJECT)
    out = OptionsFile(model, p, text=text)
    out.scenarios[model.base.label] = _build(p, marks, model.base.scenario, ("base", "scenario"),
                                             [(("base", "overrides"), model.base.overrides)], model,
                                             (("base", "name"), model.base.name))
    for label, option in model.options.items():
        if option.adaptive is not None:
            continue  # built from two other options' runs
        layers = [(("base", "overrides"), model.base.overrides), (("options", label, "overrides"), option.overrides)]
        file = option.scenario or model.base.scenario
        field_at = ("options", label, "scenario") if option.scenario else ("base", "scenario")
        out.scenarios[label] = _build(p, marks, file, field_at, layers, model, (("options", label, "name"), option.name))
        if option.reinvest is not None:
            _check_reinvest(out.scenarios[label], option.reinvest, ("options", label, "reinvest", "into"), marks, p)
    return out


def _check_reinvest(scenario: Scenario, spec: ReinvestSpec, where: tuple[Any, ...], marks: Marks, path: Path) -> None:
    services = scenario.model.services
    line = marks.get(where, (None, None))[1]
    if spec.into not in services:
        raise ScenarioError([Problem(f"unknown service {spec.into!r}; services of the option's scenario: "
                                     f"{', '.join(services)}", dotted(where), str(path), line)], SUBJECT)
    if services[spec.into].servers == "unlimited":
        raise ScenarioError([Problem(f"service {spec.into!r} has unlimited places: name a service with places "
                                     "(servers, or staff and caseload)", dotted(where), str(path), line)], SUBJECT)
    known = {s.organisation for s in services.values()}
    it = scenario.model.int_team
    if it is not None:
        known |= {it.organisation, *(it.funding_shares or {})}
    for i, org in enumerate(spec.organisations or []):
        if org not in known:
            at = where[:-1] + ("organisations", i)
            raise ScenarioError([Problem(f"unknown organisation {org!r}; organisations: {', '.join(sorted(known))}",
                                         dotted(at), str(path), marks.get(at, (None, line))[1])], SUBJECT)


def _build(path: Path, marks: Marks, file: str, where: tuple[Any, ...], layers: list[tuple[tuple[Any, ...], dict]],
           model: OptionsModel, name: tuple[tuple[Any, ...], str | None]) -> Scenario:
    target = path.parent / file
    why = not_there(target)
    if why is not None:
        raise ScenarioError([Problem(f"scenario file {shown(file)!r} {why} (looked for {shown(str(target), 160)})",
                                     ".".join(map(str, where)), str(path), marks.get(where, (None, None))[1])])
    try:
        data, smarks = read_scenario_data(target)
    except ScenarioError as exc:
        at = Problem("", dotted(where), str(path), marks.get(where, (None, None))[1])
        raise refer(exc, str(target), f"scenario file {file!r}", at) from None
    for prefix, overrides in layers + [(("economics",), {"economics": model.economics})]:
        if not overrides:
            continue
        if prefix == ("economics",):
            omarks = {("economics",) + k: v for k, v in _under(marks, ("economics",)).items()}
            omarks[("economics",)] = marks.get(("economics",), (str(path), None))
            data.pop("economics", None)
        else:
            omarks = _under(marks, prefix)
        smarks = merge_marks(smarks, overrides, omarks)
        data = deep_merge(data, overrides)
    name_at, new_name = name
    if new_name is not None:  # the option's name is its scenario's name
        data["name"] = new_name
        smarks[("name",)] = (str(path), marks.get(name_at, (None, None))[1])
    scenario = Scenario.from_dict(data, source=str(target), marks=smarks)
    scenario._sources = _sources(data, smarks, path, layers)
    if new_name is not None:
        scenario._sources["name"] = text_comments(read_text(path)).get(name_at, "")
    return scenario


def _sources(data: dict[str, Any], marks: Marks, path: Path, layers: list[tuple[tuple[Any, ...], dict]]
             ) -> dict[str, str]:
    """Source comments of an option's scenario: from the scenario files for what they
    wrote, from the options file for what its overrides and economics wrote."""
    out = merged_sources(data, marks)
    comments = text_comments(read_text(path))
    for prefix, overrides in layers:
        for leaf in leaf_paths(overrides):
            out[dotted(leaf)] = comments.get(prefix + leaf, "")
    return out


@dataclass
class OptionsRun:
    """The outputs of running an options file."""

    options: OptionsFile
    comparison: Comparison
    appraisal: Appraisal
    review: Any = None
    review_note: str = ""
    break_evens: list[BreakEven] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    reinvestments: list[Reinvestment] = field(default_factory=list)
    uncertainty: ReportAddition | None = None
    """A probabilistic sensitivity analysis of these options (:class:`placesim.Uncertainty`),
    shown in the report and its key messages when set."""

    @property
    def additions(self) -> list[ReportAddition]:
        """What the report adds to the options' own figures (the PSA, if any)."""
        return [] if self.uncertainty is None else [self.uncertainty]

    def table(self) -> pd.DataFrame:
        """The options table (``options.csv``): the appraisal's figures per option, then the
        review power and false-alarm rate (for the reviewed option) and break-even values
        (for the options searched), NaN elsewhere. It holds the floats and displays readably
        (a :class:`~placesim.display.ReadableFrame`)."""
        table = self.appraisal.summary()
        units = dict(table.attrs.get("units", {}))
        r = self.review
        for name, value, (lo, hi) in (() if r is None else (
                ("review_power", r.power, r.power_interval),
                ("review_false_alarm", r.false_alarm, r.false_alarm_interval))):
            table[name] = table[f"{name}_lower"] = table[f"{name}_upper"] = np.nan
            table.loc[r.option, [name, f"{name}_lower", f"{name}_upper"]] = [value, lo, hi]
            units[name] = "share of replications"
        if self.reinvestments:
            for name in ("reinvested_gbp", "reinvestment_npv_gain_gbp", "reinvestment_crises_averted"):
                for suffix in ("", "_lower", "_upper"):
                    table[name + suffix] = np.nan
            for rv in self.reinvestments:
                table.loc[rv.option, "reinvested_gbp"] = rv.years["reinvested_gbp"].sum()
                for name, values in (("reinvestment_npv_gain_gbp", rv.npv_gain),
                                     ("reinvestment_crises_averted", rv.averted_gain)):
                    table.loc[rv.option, [name, f"{name}_lower", f"{name}_upper"]] = mean_interval(values, rv.level)
            units.update({"reinvested_gbp": "GBP", "reinvestment_npv_gain_gbp": "GBP",
                          "reinvestment_crises_averted": "crises"})
        if self.decisions:
            table["p_scale"] = np.nan
            units["p_scale"] = "share of replications"
            for d in self.decisions:
                table.loc[d.option, "p_scale"] = d.p_scale
        for b in self.break_evens:
            key = f"break_even: {b.parameter}"
            if key not in table:
                table[key] = np.nan
            table.loc[b.option, key] = np.nan if b.value is None else b.value
        table.attrs["units"] = units
        return readable_frame(table)

    def write(self, out: str | Path) -> dict[str, Path]:
        """Write ``options.csv`` (:meth:`table`), ``organisations.csv``, ``appraisal.xlsx`` (the GMCA CBA
        layout), ``results.nc`` and ``report.html`` (and ``reinvestment.csv``, one row per reinvesting option and year, if any option reinvests)
        into folder ``out`` (created if missing), each atomically."""
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        paths = {"options.csv": folder / "options.csv", "organisations.csv": folder / "organisations.csv",
                 "appraisal.xlsx": folder / "appraisal.xlsx", "results.nc": folder / "results.nc",
                 "report.html": folder / "report.html"}
        with atomic_path(paths["options.csv"]) as tmp:
            self.table().to_csv(tmp)
        with atomic_path(paths["organisations.csv"]) as tmp:
            self.appraisal.by_organisation().to_csv(tmp)
        self.appraisal.to_workbook(paths["appraisal.xlsx"])
        if self.reinvestments:
            paths["reinvestment.csv"] = folder / "reinvestment.csv"
            frame = pd.concat([rv.years.assign(option=rv.option, into=rv.into) for rv in self.reinvestments])
            with atomic_path(paths["reinvestment.csv"]) as tmp:
                frame.set_index(["option", "year"]).to_csv(tmp)
        ds = self.comparison.ds
        ds.attrs["options_name"] = self.options.model.name
        ds.attrs["options_yaml"] = self.options.text
        if self.options.model.review is not None:
            ds.attrs["review"] = json.dumps(self.options.model.review.model_dump())
        self.comparison.to_netcdf(paths["results.nc"])
        write_report(paths["report.html"], self.comparison, self.appraisal, self.review,
                     title=self.options.model.name, review_note=self.review_note, break_evens=self.break_evens,
                     decisions=self.decisions, reinvestments=self.reinvestments, additions=self.additions)
        return paths


def run_options(options: OptionsFile | str | Path, *, replications: int | None = None, seed: int | None = None,
                executor: str | Executor = "processes", workers: int | None = None, progress: bool = False,
                break_evens: bool = True, scheduler: str | None = None, checkpoint: str | Path | None = None,
                resume: bool = False) -> OptionsRun:
    """Run every option and the baseline with common random numbers, appraise the options,
    and compute the review power and break-even values the file asks for.

    Parameters
    ----------
    options
        An :class:`OptionsFile` or the path of one.
    replications, seed
        Override the file's ``run`` settings.
    executor, workers, progress, scheduler
        As for :func:`placesim.compare`. One executor serves every run of the file (with
        ``'dask'``, one cluster).
    break_evens
        Run the file's break-even searches (each runs the option many times).
    checkpoint, resume
        A folder keeping every finished replication of every run the file makes (the
        comparison, reinvesting years, break-even evaluations), and whether only to
        continue one; a stopped run resumed with the same folder runs only what is
        missing (see :func:`placesim.simulate`).
    """
    of = options if isinstance(options, OptionsFile) else load_options(options)
    m = of.model
    reps = replications if replications is not None else m.run.replications
    seed_ = seed if seed is not None else m.run.seed
    store = None
    if checkpoint is not None:
        described = {"options": f"{m.name} ({hashlib.sha256(of.text.encode()).hexdigest()[:12]})",
                     "scenarios": {k: f"{sc.name} ({sc.hash[:12]})" for k, sc in of.scenarios.items()},
                     "seed": seed_, "replications": reps}
        store = Checkpoint.open(checkpoint, described, resume=resume)
    elif resume:
        raise PlacesimError("resume=True continues the run kept in a checkpoint folder; give it as checkpoint=")
    with make_executor(executor, workers, scheduler) as runner:
        return _run_options(of, reps, seed_, runner, progress, break_evens, store)


def _run_options(of: OptionsFile, reps: int, seed_: int, executor: Executor, progress: bool, break_evens: bool,
                 store: Checkpoint | None) -> OptionsRun:
    """:func:`run_options` with its executor open and its checkpoint (if any) opened."""
    m = of.model
    comparison = compare(of.scenarios, reps, seed_, executor=executor, progress=progress, checkpoint=store)
    reinvestments = []
    for label, option in m.options.items():
        if option.reinvest is not None:
            rv = option.reinvest
            results, made = reinvest(comparison, label, of.scenarios[label], into=rv.into, share=rv.share,
                                     cost_gbp_per_place_per_year=rv.cost_gbp_per_place_per_year,
                                     organisations=rv.organisations, delay_days=rv.delay_days,
                                     baseline=of.baseline, replications=reps, seed=seed_, executor=executor,
                                     progress=progress, checkpoint=store)
            comparison.results[label] = results
            reinvestments.append(made)
    if reinvestments:
        comparison = Comparison(dict(comparison.results), of.baseline)
    decisions = []
    for label, option in m.options.items():
        if option.adaptive is not None:
            a = option.adaptive
            results, decision = decide(comparison, label, a.if_fall, a.if_not, months=a.months, alpha=a.alpha,
                                       baseline=of.baseline)
            if option.name is not None:
                results.ds.attrs["scenario_name"] = option.name
            comparison.results[label] = results
            decisions.append(decision)
    if decisions:  # in the file's order of options
        comparison = Comparison({k: comparison.results[k] for k in [of.baseline, *m.options]}, of.baseline)
    appraisal = appraise(comparison, baseline=of.baseline)
    run = OptionsRun(of, comparison, appraisal, decisions=decisions, reinvestments=reinvestments)
    if m.review is not None:
        try:
            run.review = review_power(comparison, m.review.option, baseline=of.baseline, months=m.review.months,
                                      alpha=m.review.alpha)
        except PlacesimError as exc:
            run.review_note = f"not available: {exc}"
    if break_evens:
        for spec in m.break_even:
            run.break_evens.append(break_even(
                of.scenarios[of.baseline], of.scenarios[spec.option], spec.parameter, spec.bounds,
                replications=spec.replications or reps, seed=seed_, engine=spec.engine, executor=executor,
                label=spec.option, checkpoint=store))
    return run
