"""The report of a comparison saved as NetCDF (what ``placesim report`` runs)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import xarray as xr

from ..appraisal import appraise
from ..compare import Comparison
from ..errors import PlacesimError
from ..io import os_reason
from ..review import ReviewSettings, review_power
from .build import write_report

DEFAULT_MONTHS: float = ReviewSettings.model_fields["months"].default
DEFAULT_ALPHA: float = ReviewSettings.model_fields["alpha"].default


def review_settings(comparison: Comparison, attrs: Mapping[str, Any]) -> tuple[dict[str, Any] | None, str]:
    """Review settings stored in the results file's ``attrs['review']`` (JSON ``{"option",
    "months", "alpha"}``), else the first option with an INT, 6 months, alpha 0.05.

    Parameters
    ----------
    comparison
        The comparison read from the file.
    attrs
        The file's global attributes (a re-combined ``comparison.ds`` does not keep them).

    Returns
    -------
    (settings, note)
        ``settings`` is None when no review can be asked for; ``note`` then says why.
    """
    stored = attrs.get("review")
    if stored:
        try:
            settings = json.loads(str(stored))
        except json.JSONDecodeError as exc:
            return None, f"not available: the results' review settings are not valid JSON ({exc})"
        if not isinstance(settings, dict) or "option" not in settings:
            return None, "not available: the results' review settings name no option"
        return {"option": str(settings["option"]), "months": float(settings.get("months", DEFAULT_MONTHS)),
                "alpha": float(settings.get("alpha", DEFAULT_ALPHA))}, ""
    for label in comparison.labels:
        if label != comparison.baseline and comparison.results[label].scenario().model.int_team is not None:
            return {"option": label, "months": DEFAULT_MONTHS, "alpha": DEFAULT_ALPHA}, ""
    return None, "not available: no option has an Integrated Neighbourhood Team to review"


def report_from_netcdf(results_path: str | Path, out_path: str | Path, *, level: float = 0.9) -> Path:
    """Write the HTML report of a comparison saved as NetCDF.

    The options are appraised with the baseline scenario's ``economics:`` section; the
    review power uses the settings stored with the results (see :func:`review_settings`)
    and is shown as 'not available: <reason>' when its windows do not fit; assumptions are
    the tables stored with the results.

    Parameters
    ----------
    results_path
        A comparison written by :meth:`placesim.Comparison.to_netcdf` (or an options run's
        ``results.nc``).
    out_path
        The HTML file to write (atomically).
    level
        Coverage of the intervals.

    Raises
    ------
    PlacesimError
        If the file is missing, holds a single run rather than a comparison, or its
        baseline has no economics.
    """

    path = Path(results_path)
    if not path.is_file():
        raise PlacesimError(f"no results file at {path}")
    try:
        with xr.open_dataset(path) as ds:
            is_comparison = "scenario" in ds.dims
            attrs = dict(ds.attrs)
    except (ValueError, OSError) as exc:  # not NetCDF, or unreadable: a message, not a traceback
        why = os_reason(exc) if isinstance(exc, OSError) else "not NetCDF"
        raise PlacesimError(f"{path} is not a results file written by placesim ({why})") from None
    if not is_comparison:
        raise PlacesimError(f"{path} holds a single run, not a comparison: a report appraises options against a "
                            "baseline. Run `placesim compare BASELINE OPTION ... --out FILE.nc` (or "
                            "`placesim options`) and report on that file")
    comparison = Comparison.open(path)
    base = comparison.baseline
    if len(comparison.labels) < 2:
        raise PlacesimError(f"{path} holds only the baseline {base!r}: there is no option to appraise")
    if comparison.results[base].scenario().model.economics is None:
        raise PlacesimError(f"{path}: the baseline scenario {base!r} has no economics: section (price year, deflator, "
                            "discounting), so the options cannot be valued; add one to the baseline scenario and run "
                            "the comparison again")
    appraisal = appraise(comparison, level=level)
    settings, note = review_settings(comparison, attrs)
    review = None
    if settings is not None:
        try:
            review = review_power(comparison, settings["option"], months=settings["months"], alpha=settings["alpha"])
        except PlacesimError as exc:
            note = f"not available: {exc}"
    title = str(attrs.get("options_name", "")) or None
    return write_report(out_path, comparison, appraisal, review, title=title, review_note=note)
