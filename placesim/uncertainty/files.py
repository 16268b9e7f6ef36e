"""Reading an uncertainty section and resolving it against the scenarios it changes.

The section is read from an options file's ``uncertainty:`` or from a standalone file::

    placesim_uncertainty: 1
    name: Harlesden pilot under uncertainty
    scenario: int_pilot.yaml        # one option ...
    baseline: siloed.yaml           # ... against its baseline (or options_file: options.yaml)
    samples: 512
    parameters: {...}               # the section's fields, as in an options file

Every parameter's paths are resolved in every scenario of the run (baseline and options)
with the calibration's :func:`~placesim.calibration.parameters.resolve_path`; a path a
scenario does not have leaves that scenario alone (the siloed baseline has no INT), a
path no scenario has is an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field

from ..calibration.parameters import NotInScenario, resolve_path
from ..errors import Problem, ScenarioError
from ..options import OptionsFile, load_options
from ..scenario.base import Name
from ..scenario.files import not_there, read_text, shown
from ..scenario.messages import read_model_file, suggest
from ..scenario.scenario import Scenario, load_scenario
from ..scenario.yamlio import Marks, dotted, locate, read_yaml_file
from .adaptive import Adaptive
from .spec import UncertaintySection

SUBJECT = "the uncertainty section"


class UncertaintyFile(UncertaintySection):
    """A standalone uncertainty file: the section's fields and what they apply to."""

    placesim_uncertainty: Literal[1] = Field(description="File format version; always 1.")
    name: str = Field(min_length=1, description="Name of the analysis.")
    description: str = Field("", description="Free text.")
    options_file: Name | None = Field(None, description="An options file (relative to this file) to run.")
    scenario: Name | None = Field(None, description="Or one scenario file, the option, run against `baseline`.")
    baseline: Name | None = Field(None, description="The baseline scenario file of `scenario`.")


Target = tuple[tuple[Any, ...], Any]
"""A resolved path and the number(s) the scenario holds there."""


@dataclass
class UncertaintySetup:
    """A validated section and the scenarios it changes.

    Attributes
    ----------
    section
        The section's fields.
    path
        The file it was read from.
    name
        The analysis' name (the options file's, or the standalone file's).
    scenarios
        Baseline first, then the options run, by label.
    baseline
        The baseline's label.
    skipped
        Options of the file not run, and why.
    targets
        For each parameter, for each label, the paths it sets there and the values found.
    options_file
        The options file, when the section came from (or names) one.
    """

    section: UncertaintySection
    path: Path
    name: str
    scenarios: dict[str, Scenario]
    baseline: str
    skipped: dict[str, str] = field(default_factory=dict)
    targets: dict[str, dict[str, list[Target]]] = field(default_factory=dict)
    options_file: OptionsFile | None = None
    review: tuple[str, float] | None = None
    """The option whose six-month review the EVSI values, and the review's months."""
    review_cost: float | None = None
    """What the review's evaluation costs (GBP; the options file's ``review.cost_gbp``)."""
    reinvest: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Options that reinvest their savings (label -> the options file's ``reinvest:``): each
    draw runs them again year by year (:func:`placesim.reinvest.reinvest`)."""
    adaptive: dict[str, Adaptive] = field(default_factory=dict)
    """"Pilot, then decide" options: no run of their own; at each draw each takes the figures
    of the continuation its review chose (:mod:`.adaptive`)."""

    @property
    def options(self) -> list[str]:
        """The options of the PSA: those run, then the "pilot, then decide" options."""
        return [k for k in self.scenarios if k != self.baseline] + list(self.adaptive)

    def scenario_data(self) -> dict[str, dict[str, Any]]:
        """Each scenario as plain data (what a draw changes)."""
        return {k: sc.to_dict() for k, sc in self.scenarios.items()}


_HEAD = re.compile(r"^(placesim_options|placesim_uncertainty)\s*:", re.M)


def load_uncertainty(path: str | Path, section: UncertaintySection | None = None) -> UncertaintySetup:
    """Read an options file's ``uncertainty:`` section, or a standalone uncertainty file, and
    resolve every parameter against the scenarios it changes.

    Parameters
    ----------
    path
        An options file (with an ``uncertainty:`` section unless ``section`` is given) or an
        uncertainty file (``placesim_uncertainty: 1``).
    section
        A section to use instead of the file's own (an options file only).

    Raises
    ------
    ScenarioError
        With the file, field path, line (and a "did you mean") of every problem.
    """
    p = Path(path)
    head = _HEAD.search(read_text(p)[:20_000])
    if head is None:
        raise ScenarioError([Problem("expected an options file (placesim_options: 1) with an uncertainty: section, "
                                     "or an uncertainty file (placesim_uncertainty: 1)", "", str(p), 1)], SUBJECT)
    if head.group(1) == "placesim_options":
        of = load_options(p)
        _, marks, _ = read_yaml_file(p)
        sec = section or of.model.uncertainty
        if sec is None:
            raise ScenarioError([Problem("the options file has no uncertainty: section; add one (placesim uncertainty "
                                         "init writes a starter from the scenarios' assumption ranges)",
                                         "uncertainty", str(p), None)], SUBJECT)
        return _from_options(of, sec, p, marks, ("uncertainty",))
    model, marks = read_model_file(p, UncertaintyFile, SUBJECT, "placesim_uncertainty: 1, name: ...")
    sec = UncertaintySection.model_validate({k: getattr(model, k) for k in UncertaintySection.model_fields})
    if model.options_file is not None:
        if model.scenario is not None or model.baseline is not None:
            raise _error("give options_file, or scenario and baseline, not both", ("options_file",), marks, p)
        target = p.parent / model.options_file
        why = not_there(target)
        if why is not None:
            raise _error(f"options file {shown(model.options_file)!r} {why} (looked for {shown(str(target), 160)})",
                         ("options_file",), marks, p)
        setup = _from_options(load_options(target), sec, p, marks, ())
        setup.name = model.name
        return setup
    if model.scenario is None or model.baseline is None:
        raise _error("name the scenarios: options_file (an options file), or scenario and baseline (one option "
                     "against its baseline)", ("scenario" if model.scenario is None else "baseline",), marks, p)
    scenarios = {}
    for key in ("baseline", "scenario"):
        file = p.parent / getattr(model, key)
        why = not_there(file)
        if why is not None:
            raise _error(f"scenario file {shown(getattr(model, key))!r} {why} (looked for {shown(str(file), 160)})",
                         (key,), marks, p)
        scenarios[key] = load_scenario(file)
    labels = {"baseline": "baseline", "scenario": "option" if scenarios["scenario"].name == "baseline"
              else scenarios["scenario"].name}
    setup = UncertaintySetup(sec, p, model.name, {labels[k]: v for k, v in scenarios.items()}, "baseline")
    _resolve(setup, marks, ())
    return setup


def _error(message: str, where: tuple[Any, ...], marks: Marks, p: Path) -> ScenarioError:
    return ScenarioError([_problem(message, where, marks, p)], SUBJECT)


def _problem(message: str, where: tuple[Any, ...], marks: Marks, p: Path) -> Problem:
    f, line = locate(marks, where)
    return Problem(message, dotted(where), f or str(p), line)


def _from_options(of: OptionsFile, sec: UncertaintySection, p: Path, marks: Marks,
                  prefix: tuple[Any, ...]) -> UncertaintySetup:
    # every option can be drawn: a "pilot, then decide" one from its continuations' runs, a
    # reinvesting one run again each year at each draw
    ok, skipped = list(of.model.options), {}
    problems = []
    if sec.options is not None:
        chosen = []
        for i, label in enumerate(sec.options):
            where = prefix + ("options", i)
            if label not in ok:
                problems.append(_problem(f"unknown option {label!r}{suggest(label, ok)}; options: {', '.join(ok)}",
                                         where, marks, p))
            else:
                chosen.append(label)
        skipped.update({k: "not in the section's options list" for k in ok if k not in chosen})
        ok = chosen
    adaptive = {}
    for label in [k for k in ok if of.model.options[k].adaptive is not None]:
        a = of.model.options[label].adaptive
        assert a is not None
        missing = [c for c in (a.if_fall, a.if_not) if c not in ok]
        if missing:  # only where the section lists its options
            assert sec.options is not None
            problems.append(_problem(
                f"option {label!r} decides between {a.if_fall!r} and {a.if_not!r} at its review; add "
                f"{' and '.join(map(repr, missing))} to the section's options (their runs give its figures)",
                prefix + ("options", sec.options.index(label)), marks, p))
        else:
            adaptive[label] = Adaptive(a.if_fall, a.if_not, float(a.months), float(a.alpha))
    ok = [k for k in ok if of.model.options[k].adaptive is None]
    if problems:
        raise ScenarioError(problems, SUBJECT)
    scenarios = {of.baseline: of.scenarios[of.baseline], **{k: of.scenarios[k] for k in ok}}
    setup = UncertaintySetup(sec, p, of.model.name, scenarios, of.baseline, skipped, options_file=of,
                             adaptive=adaptive)
    setup.reinvest = {k: of.model.options[k].reinvest.model_dump() for k in ok  # type: ignore[union-attr]
                      if of.model.options[k].reinvest is not None}
    r = of.model.review
    if r is not None and r.option in ok:
        setup.review = (r.option, float(r.months))
        setup.review_cost = r.cost_gbp
    _resolve(setup, marks, prefix)
    return setup


def _resolve(setup: UncertaintySetup, marks: Marks, prefix: tuple[Any, ...]) -> None:
    """Resolve every parameter's paths in every scenario; check correlations and groups."""
    sec, p = setup.section, setup.path
    data = setup.scenario_data()
    problems = []
    for name, spec in sec.parameters.items():
        found: dict[str, list[Target]] = {}
        for j, text in enumerate(spec.paths):
            where = prefix + ("parameters", name, "path") + ((j,) if not isinstance(spec.path, str) else ())
            hits = 0
            for label, d in data.items():
                try:
                    target = resolve_path(text, spec.mode, d, setup.scenarios[label].name)
                except NotInScenario:
                    continue
                except ValueError as exc:
                    problems.append(_problem(f"{exc} (in {label!r})", where, marks, p))
                    hits = -1
                    break
                found.setdefault(label, []).append(target)
                hits += 1
            if hits == 0:
                problems.append(_problem(f"{text!r} is not a field of any scenario of the run ({', '.join(data)}); "
                                         "check the names and list positions", where, marks, p))
        setup.targets[name] = found
    names = sec.names
    for i, c in enumerate(sec.correlations):
        for k, n in enumerate(c.between):
            if n not in names:
                problems.append(_problem(f"unknown parameter {n!r}{suggest(n, names)}; parameters: {', '.join(names)}",
                                         prefix + ("correlations", i, "between", k), marks, p))
        if c.between[0] == c.between[1]:
            problems.append(_problem("a correlation is between two different parameters",
                                     prefix + ("correlations", i, "between"), marks, p))
    for g, members in sec.groups.items():
        if g in names:
            problems.append(_problem(f"group {g!r} has a parameter's name; rename it", prefix + ("groups", g),
                                     marks, p))
        if not members:
            problems.append(_problem("a group needs at least one parameter", prefix + ("groups", g), marks, p))
        for k, n in enumerate(members):
            if n not in names:
                problems.append(_problem(f"unknown parameter {n!r}{suggest(n, names)}; parameters: {', '.join(names)}",
                                         prefix + ("groups", g, k), marks, p))
    if not problems and sec.correlations:
        try:
            correlation_matrix(sec)
        except ValueError as exc:
            problems.append(_problem(str(exc), prefix + ("correlations",), marks, p))
    if problems:
        raise ScenarioError(problems, SUBJECT)


def correlation_matrix(sec: UncertaintySection) -> np.ndarray:
    """The target rank-correlation matrix of the parameters (identity where none is given).

    Raises
    ------
    ValueError
        Two correlations of one pair, or correlations that cannot hold together (the
        matrix is not positive definite).
    """
    names = sec.names
    c = np.eye(len(names))
    for corr in sec.correlations:
        i, j = names.index(corr.between[0]), names.index(corr.between[1])
        if c[i, j] != 0:
            raise ValueError(f"the correlation of {names[i]} and {names[j]} is given twice")
        c[i, j] = c[j, i] = corr.rank
    if np.linalg.eigvalsh(c).min() <= 1e-9:
        raise ValueError("these correlations cannot hold together (their matrix is not positive definite); "
                         "make them weaker")
    return c
