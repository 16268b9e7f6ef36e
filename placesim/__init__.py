"""placesim: what happens to crises and costs when residents are supported by an
Integrated Neighbourhood Team instead of being passed between siloed services.

>>> import placesim as ps
>>> scenario = ps.load_scenario("scenarios/validation/mmc.yaml")
>>> results = ps.simulate(scenario, replications=5, seed=1)
>>> results.service_summary()          # doctest: +SKIP
"""

from ._version import __version__
from .calibration import Calibration, calibrate
from .compare import Comparison, compare, open_results
from .errors import PlacesimError, Problem, ScenarioError
from .results import Results
from .run import simulate
from .scenario import Scenario, load_scenario

__all__ = [
    "__version__", "Calibration", "Comparison", "PlacesimError", "Problem", "Results", "Scenario", "ScenarioError",
    "calibrate", "compare", "load_scenario", "open_results", "simulate",
]
