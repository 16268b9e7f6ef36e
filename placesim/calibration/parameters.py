"""Fitted parameters: where they go in a scenario, and the unbounded scale they are searched on."""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import expit, logit
from scipy.stats import norm

from ..errors import ScenarioError
from ..scenario.paths import get_path, parse_path, set_path
from ..scenario.scenario import Scenario
from .setup import ParameterSpec, Setup


class NotInScenario(LookupError):
    """A parameter's path names no field of the scenario."""


def _numbers(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    return isinstance(value, list) and bool(value) and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                            for v in value)


@dataclass(frozen=True)
class Parameter:
    """A fitted parameter resolved against a scenario.

    ``base`` holds the scenario's value at each path (used by multipliers).
    """

    name: str
    spec: ParameterSpec
    paths: tuple[tuple[Any, ...], ...]
    base: tuple[Any, ...]

    @property
    def lower(self) -> float:
        return self.spec.bounds[0]

    @property
    def upper(self) -> float:
        return self.spec.bounds[1]

    @property
    def start(self) -> float:
        if self.spec.start is not None:
            return self.spec.start
        if self.spec.mode == "multiplier":
            return 1.0
        first = self.base[0]
        return float(first if not isinstance(first, list) else first[0])

    # ---------------------------------------------------------------- search scale
    def _unit(self, x: float) -> float:
        lo, hi = self.lower, self.upper
        if self.spec.log_scale:
            return (math.log(x) - math.log(lo)) / (math.log(hi) - math.log(lo))
        return (x - lo) / (hi - lo)

    def to_z(self, x: float) -> float:
        """Bounded value -> unbounded search coordinate (logit of its place in the bounds)."""
        u = min(max(self._unit(x), 1e-12), 1 - 1e-12)
        return float(logit(u))

    def from_z(self, z: float) -> float:
        u = float(expit(z))
        lo, hi = self.lower, self.upper
        if self.spec.log_scale:
            return math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo)))
        return lo + u * (hi - lo)

    def log_prior(self, x: float) -> float:
        p = self.spec.prior
        if p is None:
            return 0.0
        if p.distribution == "normal":
            return float(norm.logpdf(x, p.mean, p.sd))
        return float(norm.logpdf(math.log(x), p.mean, p.sd) - math.log(x))

    # ---------------------------------------------------------------- scenario values
    def values_at(self, x: float) -> list[Any]:
        """The value to write at each path for parameter value ``x``."""
        return [value_at(self.spec.mode, base, x) for base in self.base]


def value_at(mode: str, base: Any, x: float) -> Any:
    """The value written at a path holding ``base`` for parameter value ``x``: ``x`` itself
    (``mode='value'``; every element of a list) or ``base`` times ``x`` (``'multiplier'``)."""
    if mode == "value":
        return [x] * len(base) if isinstance(base, list) else x
    return [b * x for b in base] if isinstance(base, list) else base * x


def resolve_path(text: str, mode: str, data: dict[str, Any], scenario_name: str) -> tuple[tuple[Any, ...], Any]:
    """The parsed path ``text`` and the number(s) the scenario ``data`` holds there.

    Raises
    ------
    NotInScenario
        The path names no field of the scenario.
    ValueError
        The path cannot be read, or holds something a parameter cannot set (the message
        says what).
    """
    path = parse_path(text)
    try:
        value = get_path(data, path)
    except (KeyError, IndexError, TypeError):
        raise NotInScenario(f"{text!r} is not a field of the scenario {scenario_name!r} "
                            "(check the names and list positions)") from None
    if not _numbers(value):
        raise ValueError(f"{text!r} holds {value!r}; a parameter must be a number or a list of numbers")
    if mode == "value" and isinstance(value, list) and len(set(value)) > 1:
        raise ValueError(f"{text!r} is a list of different values {value}; set one element ({text}[0]) or use "
                         "mode: multiplier")
    return path, copy.deepcopy(value)


def resolve_parameters(setup: Setup, scenario: Scenario) -> list[Parameter]:
    """Check every parameter's paths against the scenario (numbers must be there)."""
    data = scenario.to_dict()
    out: list[Parameter] = []
    problems = []
    for name, spec in setup.model.parameters.items():
        paths, bases = [], []
        for j, text in enumerate(spec.paths):
            where = ("parameters", name, "path") + ((j,) if not isinstance(spec.path, str) else ())
            try:
                path, value = resolve_path(text, spec.mode, data, scenario.name)
            except (ValueError, NotInScenario) as exc:
                problems.append(setup.problem(str(exc).replace("a parameter must", "a fitted parameter must")
                                              .replace("set one element", "fit one element"), where))
                continue
            paths.append(path)
            bases.append(value)
        if len(paths) == len(spec.paths):
            out.append(Parameter(name, spec, tuple(paths), tuple(bases)))
    if problems:
        raise ScenarioError(problems, "the calibration set-up")
    return out


def apply(scenario_data: dict[str, Any], params: list[Parameter], x: np.ndarray) -> dict[str, Any]:
    """A copy of ``scenario_data`` with every parameter set to ``x``."""
    data = copy.deepcopy(scenario_data)
    for p, value in zip(params, x):
        for path, v in zip(p.paths, p.values_at(float(value))):
            set_path(data, path, v)
    return data


def overrides_for(scenario_data: dict[str, Any], params: list[Parameter], x: np.ndarray) -> dict[str, Any]:
    """The smallest overrides mapping that sets the fitted values (lists are replaced whole)."""
    full = apply(scenario_data, params, x)
    out: dict[str, Any] = {}
    for p in params:
        for path in p.paths:
            cut = next((i for i, part in enumerate(path) if isinstance(part, int)), len(path))
            keys = path[:cut]
            node = out
            for k in keys[:-1]:
                node = node.setdefault(k, {})
            node[keys[-1]] = copy.deepcopy(get_path(full, keys))
    return out
