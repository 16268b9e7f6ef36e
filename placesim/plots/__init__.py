"""Figures of results and comparisons: time series with interval bands, paired differences
and journey bar charts (see :mod:`.figures`), and the ``.plot_...()`` methods of results
and comparisons (:mod:`.mixins`).

matplotlib is imported only when a figure is drawn, and pyplot's backend is never changed
(inline in a notebook, Agg without a display).
"""

from .figures import (
                      DAYS_PER_MONTH,
                      JOURNEY_MEASURES,
                      STOCKS,
                      band,
                      costs_figure,
                      crises_figure,
                      differences_figure,
                      journey_ratios,
                      journeys_figure,
                      measure_figure,
                      months,
                      time_series,
)
from .mixins import ComparisonPlots, ResultsPlots

__all__ = [
    "DAYS_PER_MONTH", "JOURNEY_MEASURES", "STOCKS", "ComparisonPlots", "ResultsPlots", "band", "costs_figure",
    "crises_figure", "differences_figure", "journey_ratios", "journeys_figure", "measure_figure", "months",
    "time_series",
]
