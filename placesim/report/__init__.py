"""The budget planner's report: one self-contained HTML page comparing scale-up options.

>>> from placesim.report import write_report
>>> write_report("report.html", comparison, appraise(comparison), review)   # doctest: +SKIP
"""

from .build import SECTIONS, build_report, write_report
from .netcdf import report_from_netcdf

__all__ = ["SECTIONS", "build_report", "report_from_netcdf", "write_report"]
