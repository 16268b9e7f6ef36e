"""Figures of a PSA: the cost-effectiveness plane, the acceptability curve, the chance each
option pays back, the tornado and the EVPPI bars. Each takes an
:class:`~placesim.uncertainty.result.Uncertainty` (or its tables) and returns a matplotlib
figure; matplotlib is imported inside each (it is only needed to draw)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from .result import Uncertainty


def _names(u: Uncertainty) -> dict[str, str]:
    return json.loads(u.ds.attrs.get("option_names", "{}"))


def ce_plane(u: Uncertainty, ax: Any = None):
    """Incremental net cost (PV INT cost minus PV costs avoided, i.e. minus the NPV) against
    crises averted, one point per draw and option; below the axis an option pays back."""
    import matplotlib.pyplot as plt

    fig, ax = (plt.subplots(figsize=(7.5, 4.5), layout="constrained") if ax is None else (ax.figure, ax))
    names = _names(u)
    for option in u.options:
        x = u.ds["value"].sel(option=option, measure="crises_averted").values
        y = -u.ds["value"].sel(option=option, measure="npv_gbp").values / 1e3
        ax.scatter(x, y, s=6, alpha=0.35, label=names.get(option, option))
    ax.axhline(0, color="black", lw=0.8)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel("crises averted against the baseline")
    ax.set_ylabel("net cost (PV), £ thousand")
    ax.set_title("Cost-effectiveness plane: one point per draw")
    ax.legend(frameon=False, fontsize="small", markerscale=3)
    return fig


def ceac(u: Uncertainty, ax: Any = None):
    """The chance each decision is best against the value put on a crisis averted."""
    import matplotlib.pyplot as plt

    fig, ax = (plt.subplots(figsize=(7.5, 4), layout="constrained") if ax is None else (ax.figure, ax))
    curve = u.ceac()
    names = _names(u)
    for col in curve.columns:
        ax.plot(curve.index / 1e3, curve[col], label=names.get(col, col))
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("value of a crisis averted beyond its service costs, £ thousand")
    ax.set_ylabel("chance it is the best choice")
    ax.set_title("Cost-effectiveness acceptability curve")
    ax.legend(frameon=False, fontsize="small")
    return fig


def pays_back(u: Uncertainty, ax: Any = None):
    """The chance each option pays back (NPV above zero) over the draws."""
    import matplotlib.pyplot as plt

    fig, ax = (plt.subplots(figsize=(7.5, 0.5 + 0.45 * len(u.options)), layout="constrained") if ax is None
               else (ax.figure, ax))
    d = pd.DataFrame(u.decision()).loc[u.options]
    names = _names(u)
    ax.barh([names.get(o, o) for o in u.options], 100 * d["p_npv_positive"], color="#1d4f91")
    ax.set_xlim(0, 100)
    ax.invert_yaxis()
    ax.set_xlabel("% of draws in which the option pays back (NPV > 0)")
    return fig


def tornado(table: pd.DataFrame, option: str, measure: str = "npv_gbp", ax: Any = None):
    """One option's tornado: the figure with each parameter at the low and high end of its range."""
    import matplotlib.pyplot as plt

    t = table[(table["method"] == "tornado") & (table["option"] == option) & (table["measure"] == measure)]
    mid = float(t.loc[t["index"] == "at_median", "value"].iloc[0])
    low = t[t["index"] == "at_low"].set_index("parameter")["value"]
    high = t[t["index"] == "at_high"].set_index("parameter")["value"]
    order = (high - low).abs().sort_values().index
    fig, ax = (plt.subplots(figsize=(7.5, 0.6 + 0.4 * len(order)), layout="constrained") if ax is None
               else (ax.figure, ax))
    scale = 1e3 if measure.endswith("_gbp") else 1.0
    y = np.arange(len(order))
    ax.barh(y, (low[order] - mid) / scale, left=mid / scale, color="#c0504d", label="parameter at its low end")
    ax.barh(y, (high[order] - mid) / scale, left=mid / scale, color="#1d4f91", label="parameter at its high end")
    ax.set_yticks(y, list(order))
    ax.axvline(mid / scale, color="black", lw=0.8)
    ax.set_xlabel("NPV, £ thousand" if measure == "npv_gbp" else measure.replace("_", " "))
    ax.set_title(f"Tornado: {option}")
    ax.legend(frameon=False, fontsize="small")
    return fig


def evppi_bars(evppi: pd.DataFrame, ax: Any = None):
    """EVPPI of each parameter and group beside EVPI (GBP per decision)."""
    import matplotlib.pyplot as plt

    t = evppi.dropna(subset=["evppi_gbp"])
    fig, ax = (plt.subplots(figsize=(7.5, 0.6 + 0.35 * len(t)), layout="constrained") if ax is None
               else (ax.figure, ax))
    colours = ["#7f7f7f" if k == "all" else "#1d4f91" if k == "group" else "#c0504d" if k == "evsi" else "#4f81bd"
               for k in t["kind"]]
    ax.barh(t["parameter"], t["evppi_gbp"] / 1e3, color=colours)
    ax.invert_yaxis()
    ax.set_xlabel("expected value of (partial) perfect information, £ thousand per decision")
    return fig
