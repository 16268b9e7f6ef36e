"""Scenario files: typed models, YAML loading with line numbers, ``extends``, checks."""

from .distributions import Distribution, Empirical, Exponential, Fixed, Gamma, Lognormal
from .model import LEVEL_NAMES, LEVELS, WEEKDAYS, ScenarioModel
from .network import build_service_graph, team_name
from .scenario import Scenario, load_scenario

__all__ = [
    "Distribution", "Empirical", "Exponential", "Fixed", "Gamma", "Lognormal",
    "LEVELS", "LEVEL_NAMES", "WEEKDAYS", "Scenario", "ScenarioModel",
    "build_service_graph", "load_scenario", "team_name",
]
