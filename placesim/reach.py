"""Who is reached: measures by household attribute value (a scenario with ``attributes:``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from .display import readable_frame
from .errors import PlacesimError
from .plan.clock import DAYS_PER_YEAR
from .stats import Interval, mean_interval, ratio

REACH_MEASURES = {
    "residents": "residents",
    "resident-years in need": "years",
    "share reached by the INT": "share of residents",
    "INT episodes started per 1,000 residents": "episodes",
    "INT outreach contacts per 1,000 residents": "contacts",
    "found by case-finding per 1,000 residents": "people",
    "crises per resident-year": "crises",
    "assessments per resident-year in need": "assessments",
    "help-seeking per resident-year in need": "presentations",
}
"""The measures of :meth:`Results.reach_summary`, with their units."""


def reach_per_replication(ds: xr.Dataset) -> dict[str, np.ndarray]:
    """Measures by attribute value over the reported horizon and every neighbourhood, each
    ``(replication, attribute_value)``; ``crises`` (a count) is added for differences."""
    if "crises_by_attribute" not in ds:
        raise PlacesimError("these results have no household attributes: give the scenario an attributes "
                            "section and each cohort its shares (see docs/conceptual-model.md, 'Who is reached')")
    tot = ds[[v for v in ds.data_vars if str(v).endswith("_by_attribute")]].sum(("time", "neighbourhood"),
                                                                              skipna=False)
    residents = ds["residents_by_attribute"].isel(time=0).sum("neighbourhood").values
    years = float(ds["bin_days"].sum()) / DAYS_PER_YEAR
    need = tot["need_days_by_attribute"].values / DAYS_PER_YEAR
    per_k = 1000.0 / np.where(residents > 0, residents, np.nan)
    return {
        "residents": residents,
        "resident-years in need": need,
        "share reached by the INT": ratio(tot["int_reached_by_attribute"].values, residents),
        "INT episodes started per 1,000 residents": tot["int_started_by_attribute"].values * per_k,
        "INT outreach contacts per 1,000 residents": tot["int_contacts_by_attribute"].values * per_k,
        "found by case-finding per 1,000 residents": tot["int_found_by_attribute"].values * per_k,
        "crises per resident-year": ratio(tot["crises_by_attribute"].values, residents * years),
        "assessments per resident-year in need": ratio(tot["assessments_by_attribute"].values, need),
        "help-seeking per resident-year in need": ratio(tot["help_seeking_by_attribute"].values, need),
        "crises": tot["crises_by_attribute"].values,
    }


def reach_frame(ds: xr.Dataset, measures: dict[str, np.ndarray], level: float, interval: Interval,
                index: list[tuple[str, ...]] | None = None) -> pd.DataFrame:
    """Measures ``(replication, attribute_value)`` summarised per attribute value: a DataFrame
    indexed by (attribute, value) with columns ``(measure, stat)``."""
    rows = []
    for j in range(ds.sizes["attribute_value"]):
        row: dict[tuple[str, str], Any] = {}
        for name, arr in measures.items():
            row[(name, "mean")], row[(name, "lower")], row[(name, "upper")] = mean_interval(arr[:, j], level, interval)
        rows.append(pd.Series(row, name=(str(ds["attribute"].values[j]), str(ds["value"].values[j]))))
    frame = pd.DataFrame(rows)
    frame.columns = pd.MultiIndex.from_tuples(frame.columns)
    frame.index = pd.MultiIndex.from_tuples(frame.index, names=["attribute", "value"])
    frame.attrs["units"] = {**REACH_MEASURES, "crises averted": "crises",
                            "crises averted per 1,000 residents": "crises"}
    return readable_frame(frame)
