"""The :class:`Scenario`: a validated scenario with its source, overrides and provenance."""

from __future__ import annotations

import copy
import hashlib
import html
import json
from pathlib import Path
from typing import Any

import networkx as nx
import yaml
from pydantic import ValidationError

from ..errors import Problem, ScenarioError
from .checks import scenario_warnings, semantic_issues
from .loader import deep_merge, read_scenario_data
from .messages import problems_from_validation
from .model import Int, ScenarioModel
from .network import build_service_graph
from .sources import merged_sources, overridden_sources, sources_from_text
from .yamlio import Marks, dotted, locate, parse_yaml


class Scenario:
    """A validated scenario.

    Build one with :func:`placesim.load_scenario`, :meth:`from_dict` or
    :meth:`from_yaml`; derive variants with :meth:`with_overrides`. The typed fields are
    on :attr:`model` (a :class:`~placesim.scenario.model.ScenarioModel`); the common ones
    are also properties here.
    """

    __slots__ = ("model", "_raw", "_marks", "_source", "_sources")

    def __init__(self, model: ScenarioModel, raw: dict[str, Any], marks: Marks | None = None,
                 source: str | None = None):
        self.model = model
        self._raw = raw
        self._marks = marks or {}
        self._source = source
        self._sources: dict[str, str] = {}

    # ------------------------------------------------------------------ building
    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str | None = None,
                  marks: Marks | None = None) -> Scenario:
        """Validate plain data (as a YAML file would give) into a scenario.

        Raises
        ------
        ScenarioError
            Listing every problem with its field path (and line, when ``marks`` is given).
        """
        marks = marks or {}
        if not isinstance(data, dict):
            raise ScenarioError([Problem(f"expected a mapping of fields, got {type(data).__name__}", "", source, None)])
        if "extends" in data:
            f, line = locate(marks, ("extends",))
            raise ScenarioError([Problem("extends only works in a file; load it with placesim.load_scenario",
                                         "extends", f or source, line)])
        try:
            model = ScenarioModel.model_validate(data)
        except ValidationError as exc:
            raise ScenarioError(problems_from_validation(exc, ScenarioModel, marks, source)) from None
        issues = semantic_issues(model)
        if issues:
            problems = []
            for path, msg in issues:
                f, line = locate(marks, path)
                problems.append(Problem(msg, dotted(path), f or source, line))
            raise ScenarioError(problems)
        return cls(model, copy.deepcopy(data), marks, source)

    @classmethod
    def from_file(cls, path: str | Path) -> Scenario:
        """Load a scenario file, resolving ``extends``."""
        data, marks = read_scenario_data(path)
        scenario = cls.from_dict(data, source=str(path), marks=marks)
        scenario._sources = merged_sources(data, marks)
        return scenario

    @classmethod
    def from_yaml(cls, text: str, *, name: str = "<string>") -> Scenario:
        """Validate a scenario written as YAML text (no ``extends``); trailing comments
        become :attr:`sources`."""
        data, marks = parse_yaml(text, name)
        scenario = cls.from_dict(data, source=name, marks=marks)
        scenario._sources = sources_from_text(text)
        return scenario

    def with_overrides(self, overrides: dict[str, Any], *, name: str | None = None) -> Scenario:
        """A new scenario with ``overrides`` deep-merged into this one.

        Mappings merge key by key (services, neighbourhoods, cohorts by name); other values,
        lists included, are replaced. ``name`` renames the variant. The :attr:`sources` of
        the fields the overrides write become ``"set in Python"``.

        Examples
        --------
        >>> faster = scenario.with_overrides({"services": {"desk": {"servers": 12}}})
        """
        if not isinstance(overrides, dict):
            raise ScenarioError([Problem(f"overrides must be a mapping, got {type(overrides).__name__}",
                                         "", "<overrides>", None)])
        merged = deep_merge(self._raw, overrides)
        if name is not None:
            merged["name"] = name
        marks = dict(self._marks)
        for path in _paths(overrides):
            marks[path] = ("<overrides>", None)
        scenario = Scenario.from_dict(merged, source=self._source, marks=marks)
        written = {**overrides, "name": name} if name is not None else overrides
        scenario._sources = overridden_sources(self.sources, merged, written)
        return scenario

    def warnings(self) -> list[Problem]:
        """What runs but is probably not what was meant (an INT team that opens after the
        horizon, a cohort of no one), each with its field path, file and line. Running the
        scenario issues each as a :class:`~placesim.errors.PlacesimWarning`."""
        out = []
        for path, msg in scenario_warnings(self.model):
            f, line = locate(self._marks, path)
            out.append(Problem(msg, dotted(path), f or self._source, line))
        return out

    # ------------------------------------------------------------------ views
    @property
    def name(self) -> str:
        return self.model.name

    @property
    def source(self) -> str | None:
        """File the scenario was loaded from, if any."""
        return self._source

    @property
    def sources(self) -> dict[str, str]:
        """Source cited beside each leaf field, as its trailing YAML comment.

        Dotted field path -> comment text (``""`` if none; ``"set in Python"`` for fields
        written by :meth:`with_overrides`). Read from the files for scenarios loaded from
        files (a field from an ``extends`` base file has the base file's comment) and from
        the text for :meth:`from_yaml`; empty for :meth:`from_dict`. See
        :mod:`placesim.scenario.sources`.
        """
        return dict(self._sources)

    @property
    def time(self):
        return self.model.time

    @property
    def services(self):
        return self.model.services

    @property
    def cohorts(self):
        return self.model.cohorts

    @property
    def domains(self):
        return self.model.domains

    @property
    def neighbourhoods(self):
        return self.model.neighbourhoods

    @property
    def int_team(self) -> Int | None:
        return self.model.int_team

    @property
    def n_residents(self) -> int:
        return sum(sum(c.size.values()) for c in self.model.cohorts.values())

    def to_dict(self) -> dict[str, Any]:
        """The full scenario with every default filled in (JSON-safe)."""
        return self.model.model_dump(mode="json", by_alias=True)

    def to_yaml(self) -> str:
        """The full scenario as YAML text (provenance: what was actually run)."""
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)

    @property
    def hash(self) -> str:
        """SHA-256 of the full scenario, stable across key order and formatting."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def service_graph(self) -> nx.DiGraph:
        """The service network (see :func:`placesim.scenario.network.build_service_graph`)."""
        return build_service_graph(self.model)

    # ------------------------------------------------------------------ dunder
    def __eq__(self, other: object) -> bool:
        return isinstance(other, Scenario) and other.hash == self.hash

    def __hash__(self) -> int:
        return hash(self.hash)

    def __getstate__(self) -> dict[str, Any]:
        return {"model": self.model, "_raw": self._raw, "_marks": self._marks, "_source": self._source,
                "_sources": self._sources}

    def __setstate__(self, state: dict[str, Any]) -> None:
        object.__setattr__(self, "_sources", {})
        for k, v in state.items():
            object.__setattr__(self, k, v)

    def _facts(self) -> list[tuple[str, str]]:
        t = self.model.time
        facts = [
            ("source", self._source or "(in memory)"),
            ("time", f"{t.horizon_days:g} days reported in {t.n_bins} bins of {t.report_every_days:g}, "
                     f"after {t.warmup_days:g} days warm-up" + (f", from {t.start_date}" if t.start_date else "")),
            ("neighbourhoods", ", ".join(self.model.neighbourhoods) or "-"),
            ("domains", ", ".join(self.model.domains) or "-"),
            ("cohorts", ", ".join(f"{c} ({sum(v.size.values()):,})" for c, v in self.model.cohorts.items()) or "-"),
            ("services", ", ".join(self.model.services)),
        ]
        it = self.model.int_team
        if it is not None:
            teams = ", ".join(f"{nb} from day {v.start_day:g}, {it.team_days_per_week(nb)} d/wk"
                              for nb, v in it.neighbourhoods.items())
            facts.append(("INT", f"{it.name}: {teams}; covers {', '.join(it.covered_domains)}"))
        return facts

    def __repr__(self) -> str:
        lines = [f"Scenario({self.name!r})"] + [f"  {k}: {v}" for k, v in self._facts()]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
                       f"<td style='text-align:left'>{html.escape(v)}</td></tr>" for k, v in self._facts())
        return f"<b>Scenario {html.escape(self.name)}</b><table>{rows}</table>"


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(data, dict):
        for k, v in data.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _paths(v, prefix + (i,))
    return out


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario file (resolving ``extends``).

    Parameters
    ----------
    path
        A YAML scenario file.

    Raises
    ------
    ScenarioError
        With the file, field path and line of every problem.
    """
    return Scenario.from_file(path)
