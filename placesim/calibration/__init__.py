"""Calibration: fit a scenario's parameters to a place's own observed data.

>>> cal = ps.calibrate("calibration/harlesden/setup.yaml")   # doctest: +SKIP
>>> cal.write("out/harlesden")                                # doctest: +SKIP
"""

from .calibrate import Calibration, calibrate
from .observed import MEASURES, read_observed
from .setup import CalibrationSetup, Setup, load_setup

__all__ = ["Calibration", "CalibrationSetup", "MEASURES", "Setup", "calibrate", "load_setup", "read_observed"]
