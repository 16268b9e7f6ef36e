"""``.plot_...()`` methods for results and comparisons (mixins over the figure functions)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import xarray as xr

from ..stats import Interval
from .figures import costs_figure, crises_figure, differences_figure, journeys_figure, measure_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


class ResultsPlots:
    """``.plot_...()`` methods for a class holding one run's Dataset as ``self.ds``."""

    ds: xr.Dataset

    def plot_crises(self, by: str | None = "domain", *, neighbourhood: str | None = None, level: float = 0.9,
                    interval: Interval = "confidence", ax: Axes | None = None) -> Figure:
        """Crises per month with a ``level`` band across replications.

        Parameters
        ----------
        by
            ``'domain'``, ``'neighbourhood'``, ``'cohort'`` or None (the total).
        neighbourhood
            Plot one neighbourhood only.
        level, interval
            Band coverage (default 90 %) and kind: ``'confidence'`` (t-interval of the
            mean) or ``'spread'`` (central range of the replications).
        ax
            Axes to draw into (default: a new figure).
        """
        return crises_figure(self.ds, by, neighbourhood=neighbourhood, level=level, interval=interval, ax=ax)

    def plot_costs(self, by: str | None = "organisation", *, cumulative: bool = False, level: float = 0.9,
                   interval: Interval = "confidence", ax: Axes | None = None) -> Figure:
        """Cost per month (or cumulative) by ``'organisation'``, ``'service'`` or in total (None)."""
        return costs_figure(self.ds, by, cumulative=cumulative, level=level, interval=interval, ax=ax)

    def plot_journeys(self, measures: Sequence[str] | None = None, *, level: float = 0.9,
                      interval: Interval = "confidence", ax: Axes | Sequence[Axes] | None = None) -> Figure:
        """Times told my story, hand-offs and days to first support per neighbourhood, with intervals."""
        return journeys_figure(self.ds, measures, level=level, interval=interval, ax=ax)

    def plot_measure(self, measure: str, by: str | None = None, *, neighbourhood: str | None = None,
                     cumulative: bool = False, level: float = 0.9, interval: Interval = "confidence",
                     ax: Axes | None = None) -> Figure:
        """Any variable over time (e.g. ``'help_seeking'``, ``'started'``, ``'in_system'``);
        see :func:`measure_figure`."""
        return measure_figure(self.ds, measure, by, neighbourhood=neighbourhood, cumulative=cumulative,
                              level=level, interval=interval, ax=ax)


class ComparisonPlots:
    """``.plot_...()`` methods for a class holding a comparison's Dataset as ``self.ds``
    (leading ``scenario`` dimension) and its ``labels`` and ``baseline``."""

    if TYPE_CHECKING:
        @property
        def ds(self) -> xr.Dataset: ...

        @property
        def labels(self) -> list[str]: ...

        baseline: str

    def _ordered(self) -> xr.Dataset:
        ds = self.ds
        return ds.sel(scenario=list(self.labels)) if list(ds["scenario"].values) != list(self.labels) else ds

    def plot_crises(self, neighbourhood: str | None = None, *, by: str | None = None, level: float = 0.9,
                    interval: Interval = "confidence", ax: Axes | None = None) -> Figure:
        """Crises per month, one line per scenario with its band (optionally one neighbourhood)."""
        return crises_figure(self._ordered(), by, neighbourhood=neighbourhood, level=level, interval=interval, ax=ax)

    def plot_differences(self, measure: str = "crises", *, baseline: str | None = None, by: str | None = None,
                         neighbourhood: str | None = None, cumulative: bool = False, level: float = 0.9,
                         interval: Interval = "confidence", ax: Axes | None = None) -> Figure:
        """Each scenario minus the baseline per bin, paired by replication, with its band.

        Parameters
        ----------
        measure
            ``'crises'``, ``'help_seeking'``, ``'cost_gbp'`` or any variable over time.
        baseline
            Default: the comparison's baseline.
        by, neighbourhood, cumulative, level, interval, ax
            As for :func:`differences_figure`.
        """
        return differences_figure(self._ordered(), measure, baseline or self.baseline, by=by,
                                  neighbourhood=neighbourhood, cumulative=cumulative, level=level,
                                  interval=interval, ax=ax)

    def plot_costs(self, by: str | None = None, *, cumulative: bool = False, level: float = 0.9,
                   interval: Interval = "confidence", ax: Axes | None = None) -> Figure:
        """Total cost per month (or cumulative) per scenario with its band; ``by='organisation'`` splits it."""
        return costs_figure(self._ordered(), by, cumulative=cumulative, level=level, interval=interval, ax=ax)

    def plot_journeys(self, measures: Sequence[str] | None = None, *, level: float = 0.9,
                      interval: Interval = "confidence", ax: Axes | Sequence[Axes] | None = None) -> Figure:
        """Journey measures per neighbourhood, bars grouped by scenario, with intervals."""
        return journeys_figure(self._ordered(), measures, level=level, interval=interval, ax=ax)

    def plot_measure(self, measure: str, by: str | None = None, *, neighbourhood: str | None = None,
                     cumulative: bool = False, level: float = 0.9, interval: Interval = "confidence",
                     ax: Axes | None = None) -> Figure:
        """Any variable over time, one line per scenario; see :func:`measure_figure`."""
        return measure_figure(self._ordered(), measure, by, neighbourhood=neighbourhood, cumulative=cumulative,
                              level=level, interval=interval, ax=ax)
