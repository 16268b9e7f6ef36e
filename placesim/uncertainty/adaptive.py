""""Pilot, then decide" options in the PSA: at each draw, the pilot's review decides.

An adaptive option has no run of its own (:mod:`placesim.adaptive`): its continuations
``if_fall`` and ``if_not`` are the same scenario until the review, and in each world it is
the one its review chose. In the PSA both continuations are run at every draw, so the
adaptive option's figures at a draw are those of the continuation the review took there.
With the DES each replication is a world with its own review. The SD engine's run is the
expected path, not a world: the review then sees Poisson counts drawn around the expected
crises in its two windows (seeded by the draw), so the review's chance of being wrong
(stopping a pilot that works, scaling one that does not) stays in the figures, as in the EVSI
of the review (:mod:`.voi`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import xarray as xr

from ..review import int_start_days, pilot_area, reduction_found, review_windows
from ..scenario.scenario import Scenario


class Adaptive(NamedTuple):
    """An adaptive option's continuations and its review's months and level."""

    if_fall: str
    if_not: str
    months: float
    alpha: float


def review_evidence(ds: xr.Dataset, option: str, scenario: Scenario,
                    months: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Crises in the pilot area in the review's windows before and after the team starts, per
    replication of ``option`` (whole counts from the DES, expected counts from the SD), and
    the post window's share of the two windows' days."""
    hoods, start = pilot_area(ds, option, int_start_days(scenario, option), None)
    crises = ds["crises"].sel(scenario=option, neighbourhood=list(hoods)).sum(("neighbourhood", "cohort", "domain"))
    windows = review_windows(ds, start, months)
    pre, post = (crises.isel(time=w).sum("time").transpose("replication").values.astype(float) for w in windows)
    w_pre, w_post = (float(ds["bin_days"].values[w].sum()) for w in windows)
    return pre, post, w_post / (w_pre + w_post)


def decided(ds: xr.Dataset, spec: Adaptive, scenario: Scenario, sd: bool,
            rng: np.random.Generator) -> np.ndarray:
    """Per replication, whether the review of ``spec.if_not`` (the pilot, identical to
    ``if_fall`` until then) finds a fall: ``if_fall`` is taken there. ``sd``: the counts are
    expected values, and the review sees Poisson counts drawn around them with ``rng``."""
    pre, post, share = review_evidence(ds, spec.if_not, scenario, spec.months)
    if sd:
        pre, post = rng.poisson(np.maximum(pre, 0.0)), rng.poisson(np.maximum(post, 0.0))
    return reduction_found(np.round(pre), np.round(post), share, spec.alpha)
