"""The system-dynamics engine: a plan as stocks and flows, integrated by scipy's BDF compiled with numba.

The deterministic mean-field ("fluid") twin of the DES; see docs/system-dynamics.md. It
runs a :class:`~placesim.plan.Plan` with the flows class of each kind of service given to
it (:mod:`placesim.kinds` supplies them); it never reads a scenario.
"""

from .nodes import ServiceFlows
from .run import SdRun, run_sd

__all__ = ["SdRun", "ServiceFlows", "run_sd"]
