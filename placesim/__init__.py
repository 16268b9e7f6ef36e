"""placesim: what happens to crises and costs when residents are supported by an
Integrated Neighbourhood Team instead of being passed between siloed services.

>>> import placesim as ps
>>> scenario = ps.load_scenario("scenarios/validation/mmc.yaml")
>>> results = ps.simulate(scenario, replications=5, seed=1)
>>> results.service_summary()          # doctest: +SKIP
"""

from ._version import __version__
from .adaptive import Decision, decide
from .appraisal import Appraisal, appraise
from .break_even import BreakEven, break_even
from .calibration import Calibration, calibrate
from .compare import Comparison, compare, open_results
from .errors import PlacesimError, PlacesimWarning, Problem, ScenarioError
from .options import load_options, run_options
from .results import Results
from .review import ReviewPower, review_power
from .run import simulate
from .scenario import Scenario, load_scenario
from .scenario.assumptions import assumptions_table
from .uncertainty.files import load_uncertainty
from .uncertainty.psa import uncertainty
from .uncertainty.result import Uncertainty
from .warmup import WarmupCheck, WarmupWarning

__all__ = [
    "__version__", "Appraisal", "BreakEven", "Calibration", "Comparison", "Decision", "PlacesimError",
    "PlacesimWarning", "Problem", "Results",
    "ReviewPower", "Scenario", "ScenarioError", "Uncertainty", "WarmupCheck", "WarmupWarning",
    "appraise", "assumptions_table", "break_even", "calibrate",
    "compare", "decide", "load_options", "load_scenario", "open_results", "review_power", "run_options", "simulate",
    "load_uncertainty", "uncertainty",
]
