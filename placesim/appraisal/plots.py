"""Figures of an appraisal (matplotlib; never switches the backend)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .appraisal import Appraisal


def _axes(ax: Any, size: tuple[float, float] = (7.5, 4.0)):
    import matplotlib.pyplot as plt
    if ax is None:
        fig, ax = plt.subplots(figsize=size, layout="constrained")
        return fig, ax
    return ax.figure, ax


def plot_cumulative(appraisal: Appraisal, ax: Any = None):
    """Cumulative discounted net benefit per option with interval bands; payback is where
    a curve crosses zero."""
    fig, ax = _axes(ax)
    cum = appraisal.cumulative()
    for option, g in cum.groupby("option", sort=False):
        line, = ax.plot(g["month"], g["mean"] / 1e3, label=option)
        ax.fill_between(g["month"], g["lower"] / 1e3, g["upper"] / 1e3, color=line.get_color(), alpha=0.2)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xlabel("months from the first reported day")
    ax.set_ylabel(f"£ thousand ({appraisal.economics.price_year} prices, discounted)")
    ax.set_title(f"Cumulative net benefit against {appraisal.baseline} "
                 f"({int(round(appraisal.level * 100))} % intervals)")
    ax.legend(frameon=False)
    return fig


def plot_organisations(appraisal: Appraisal, option: str | None = None, ax: Any = None):
    """INT cost paid (negative) and costs avoided, cashable and not, by organisation."""
    option = option or appraisal.options[-1]
    fig, ax = _axes(ax)
    t = appraisal.by_organisation().loc[option]
    x = np.arange(len(t))
    ax.bar(x, -t["int_cost_gbp"] / 1e3, color="#b2182b", label="INT cost paid")
    ax.bar(x, t["cashable_gbp"] / 1e3, color="#2166ac", label="costs avoided: cashable")
    ax.bar(x, t["non_cashable_gbp"] / 1e3, bottom=t["cashable_gbp"] / 1e3, color="#92c5de",
           label="costs avoided: not cashable")
    net = -t["net_cost_gbp"] / 1e3
    err = np.vstack([net - (-t["net_cost_gbp_upper"] / 1e3), (-t["net_cost_gbp_lower"] / 1e3) - net])
    ax.errorbar(x, net, yerr=np.abs(err), fmt="o", color="black", label="net (interval)")
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(x, list(t.index))
    ax.set_ylabel(f"£ thousand ({appraisal.economics.price_year} prices, undiscounted)")
    ax.set_title(f"Who pays, who saves: {option}")
    ax.legend(frameon=False, fontsize="small")
    return fig


def plot_npv(appraisal: Appraisal, ax: Any = None):
    """NPV of each option with its interval."""
    fig, ax = _axes(ax, (6.0, 3.5))
    s = appraisal.summary()
    y = np.arange(len(s))
    err = np.vstack([s["npv_gbp"] - s["npv_gbp_lower"], s["npv_gbp_upper"] - s["npv_gbp"]]) / 1e3
    ax.errorbar(s["npv_gbp"] / 1e3, y, xerr=err, fmt="o", capsize=4)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(y, list(s.index))
    ax.set_xlabel(f"NPV, £ thousand ({appraisal.economics.price_year} prices)")
    ax.set_title("Net present value against " + appraisal.baseline)
    return fig
