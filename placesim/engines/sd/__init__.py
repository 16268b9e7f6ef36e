"""The system-dynamics engine: the scenario as stocks and flows, integrated with scipy.

The deterministic mean-field ("fluid") twin of the DES; see docs/system-dynamics.md.
"""

from .run import SdRun, run_sd

__all__ = ["SdRun", "run_sd"]
