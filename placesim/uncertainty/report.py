"""The PSA's report page: decision, figures and plain-English readings.

Sections: the chance each option pays back and is best (with its reading), the
cost-effectiveness plane, the acceptability curve, who pays and who saves with intervals
that include parameter uncertainty, the tornado, the value of information, and the
parameters with their sources. Built from the report's blocks (:mod:`placesim.report.page`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..formatting import count, money, pct
from ..io import atomic_path
from ..report.page import esc, figure, page, paragraph, section, table
from . import plots

if TYPE_CHECKING:
    from .result import Uncertainty


def _name(u: Uncertainty, option: str) -> str:
    return json.loads(u.ds.attrs.get("option_names", "{}")).get(option, option)


def decision_reading(u: Uncertainty) -> str:
    """The chance each option pays back and is best, in words."""
    d = pd.DataFrame(u.decision())
    parts = []
    for o in u.options:
        parts.append(f"{_name(u, o)} pays back in {pct(d.loc[o, 'p_npv_positive'])} of the draws and is the best "
                     f"choice in {pct(d.loc[o, 'p_best'])} (expected NPV {money(d.loc[o, 'expected_npv_gbp'])}, "
                     f"{pct(u.level)} of draws between {money(d.loc[o, 'npv_lower_gbp'])} and "
                     f"{money(d.loc[o, 'npv_upper_gbp'])}).")
    base = d.loc[u.baseline, "p_best"]
    parts.append(f"Keeping {_name(u, u.baseline)} is the best choice in {pct(base)} of the draws.")
    if "p_scale" in u.ds:
        went = json.loads(u.ds["p_scale"].attrs.get("continuations", "{}"))
        for o in u.ds["adaptive"].values:
            fall, not_ = went.get(str(o), ("", ""))
            parts.append(f"{_name(u, str(o))}: its review saw crises fall, and went on as {_name(u, fall)}, in "
                         f"{pct(float(u.ds['p_scale'].sel(adaptive=o).mean()))} of the draws' worlds; otherwise "
                         f"{_name(u, not_)}.")
    return " ".join(parts)


def ceac_reading(u: Uncertainty) -> str:
    """Where, along the value of a crisis averted, each option becomes the most likely best choice."""
    curve = u.ceac()
    leader = curve.idxmax(axis=1)
    first = leader.iloc[0]
    text = (f"Valuing a crisis averted at nothing beyond its costs to services, {_name(u, first)} is the most likely "
            f"best choice ({pct(curve.iloc[0][first])} of draws).")
    changes = leader[leader != leader.shift()].iloc[1:]
    for value, who in changes.items():
        text += (f" From about {money(value)} a crisis averted, {_name(u, who)} is the most likely best choice "
                 f"({pct(curve.loc[value, who])}).")
    if changes.empty:
        text += f" That stays so up to {money(curve.index[-1])} a crisis averted."
    return text


def tornado_reading(table_: pd.DataFrame, u: Uncertainty, option: str) -> str:
    t = table_[(table_["method"] == "tornado") & (table_["option"] == option) & (table_["measure"] == "npv_gbp")]
    swing = t[t["index"] == "swing"].set_index("parameter")
    if swing.empty:
        return ""
    top = swing["value"].abs().idxmax()
    low = t[(t["index"] == "at_low") & (t["parameter"] == top)]["value"].iloc[0]
    high = t[(t["index"] == "at_high") & (t["parameter"] == top)]["value"].iloc[0]
    r = swing.loc[top]
    return (f"For {_name(u, option)}, {top} moves the NPV most: {money(low)} at {r['lower']:.3g} and {money(high)} "
            f"at {r['upper']:.3g}, the other parameters at their medians.")


def evsi_reading(evppi: pd.DataFrame) -> str:
    """What the six-month review's evidence is worth, in words ('' without a review)."""
    rows = evppi[evppi["kind"] == "evsi"]
    if rows.empty:
        return ""
    r = rows.iloc[0]
    if not np.isfinite(r["evppi_gbp"]):
        return f"The value of the pilot's review could not be computed: {r['note']}."
    cost = float(r.get("cost_gbp", np.nan))
    priced = (f" It costs {money(cost)} (review.cost_gbp): "
              + ("more than its evidence is worth to this decision; it is worth running only for what it measures "
                 "beyond that count." if cost > r["evppi_population_gbp"] else
                 "less than its evidence is worth, so it is worth running.")) if np.isfinite(cost) else (
        " No cost is given for it (review.cost_gbp), so this is the most its evaluation is worth.")
    if r["evppi_gbp"] <= 0:
        return (f"The pilot's review ({r['note']}) is worth nothing as evidence for this decision: what its "
                "before-after count of crises could show would not change the choice, so deciding after it is no "
                "better than deciding now (its expected value of sample information is zero)." + priced)
    return (f"Deciding after the pilot's review ({r['note']}) rather than now is worth {money(r['evppi_gbp'])} per "
            f"decision (the expected value of its sample information)." + priced)


def evppi_reading(u: Uncertainty, evppi: pd.DataFrame) -> str:
    total = float(evppi.loc[evppi["parameter"] == "all", "evppi_gbp"].iloc[0])
    scale = float(u.ds.attrs.get("population_scale", 1.0))
    d = pd.DataFrame(u.decision())
    best = d["expected_npv_gbp"].idxmax()
    if total <= 0:
        return (f"No draw changes the decision: within these ranges {_name(u, best)} is the best choice in every "
                "draw, so finding out more about these assumptions would not change it (EVPI is zero). The "
                "acceptability curve shows where that changes with the value put on a crisis averted.")
    text = (f"The expected value of perfect information is {money(total)} per decision"
            + (f" ({money(total * scale)} for the decisions it informs)" if scale != 1 else "")
            + f": the most it is worth paying to remove all the uncertainty in these assumptions before choosing "
              f"(today's best choice on expectation: {_name(u, best)}).")
    rows = evppi[evppi["kind"].isin(["parameter", "group"])].dropna(subset=["evppi_gbp"])
    rows = rows.sort_values("evppi_gbp", ascending=False)
    if not rows.empty:
        top = rows.iloc[0]
        text += (f" Learning {top['parameter']} alone is worth {money(top['evppi_gbp'])} "
                 f"({pct(top['share_of_evpi'])} of it); an evaluation that measures it is worth running if it "
                 "costs less than that.")
    return text


def _decision_table(u: Uncertainty) -> str:
    d = pd.DataFrame(u.decision())
    rows = []
    for o in d.index:
        rows.append([esc(_name(u, o)), "" if o == u.baseline else pct(d.loc[o, "p_npv_positive"]),
                     pct(d.loc[o, "p_best"]), esc(money(d.loc[o, "expected_npv_gbp"])),
                     esc(f"{money(d.loc[o, 'npv_lower_gbp'])} to {money(d.loc[o, 'npv_upper_gbp'])}"),
                     esc(money(d.loc[o, "expected_loss_gbp"])),
                     esc(f"{count(d.loc[o, 'expected_crises_averted'])} ({count(d.loc[o, 'crises_averted_lower'])}"
                         f" to {count(d.loc[o, 'crises_averted_upper'])})")])
    return table(["Decision", "Pays back", "Best", "Expected NPV", f"NPV, {pct(u.level)} of draws", "Expected loss",
                  "Crises averted"], rows, numeric=[False] + [True] * 6, caption="decision.csv")


def _organisations(u: Uncertainty) -> str:
    t = pd.DataFrame(u.by_organisation())
    rows = []
    for (o, org), r in t.iterrows():
        if r["int_cost_gbp"] == 0 and r["costs_avoided_gbp"] == 0:
            continue
        rows.append([esc(_name(u, o)), esc(org),
                     esc(f"{money(r['int_cost_gbp'])} ({money(r['int_cost_gbp_lower'])} to "
                         f"{money(r['int_cost_gbp_upper'])})"),
                     esc(f"{money(r['costs_avoided_gbp'])} ({money(r['costs_avoided_gbp_lower'])} to "
                         f"{money(r['costs_avoided_gbp_upper'])})")])
    return table(["Option", "Organisation", "Pays (INT cost)", "Saves (costs avoided)"], rows,
                 numeric=[False, False, True, True],
                 caption=f"Who pays and who saves: mean over the draws ({pct(u.level)} of draws)")


def _parameters(u: Uncertainty) -> str:
    sec = u.section
    rows = []
    for name, p in sec["parameters"].items():
        dist = {k: v for k, v in p["distribution"].items() if v is not None}
        paths = p["path"] if isinstance(p["path"], list) else [p["path"]]
        rows.append([esc(name), esc(", ".join(paths)), esc(p.get("mode", "value")),
                     esc(", ".join(f"{k} {v}" for k, v in dist.items())), esc(p.get("source", ""))])
    return table(["Parameter", "Path", "Mode", "Distribution", "Source"], rows)


def parts(u: Uncertainty, evppi: pd.DataFrame) -> list[tuple[str, str, str]]:
    """The report's sections as ``(id, heading, HTML body)``, in order: the decision, the
    cost-effectiveness plane, the acceptability curve, who pays and who saves, the tornado
    (when computed), the value of information and the parameters. The options report
    (``placesim options --psa``) shows the same blocks."""
    a = u.ds.attrs
    skipped = json.loads(a.get("skipped", "{}"))
    engine = "the system-dynamics twin" if a.get("engine") == "sd" else f"the DES, {a.get('replications')} replications"
    intro = paragraph(f"{a.get('samples')} draws of {len(u.parameters)} uncertain parameters "
                      f"({a.get('sampler')} design, seed {a.get('seed')}), every option run at each draw with "
                      f"{engine} and appraised as the options report does; {a.get('seconds')} s.")
    if skipped:
        left_out = "; ".join(f"{_name(u, k)}, {v}" for k, v in skipped.items())
        intro += paragraph(f"Not in this analysis: {left_out}.")
    out = [
        ("decision", "The chance each option pays back", intro + paragraph(decision_reading(u)) + _decision_table(u)
         + figure(plots.pays_back(u), id="pays-back", alt="chance each option pays back")),
        ("ce-plane", "Cost-effectiveness plane", figure(
            plots.ce_plane(u), id="ce-plane", alt="net cost against crises averted, one point per draw",
            caption="Each point is one draw of the assumptions. Below the horizontal line an option pays back; to "
                    "the right of the vertical line it averts crises. A cloud that straddles a line is a decision "
                    "the assumptions can turn.")),
        ("ceac", "Acceptability curve", paragraph(ceac_reading(u)) + figure(
            plots.ceac(u), id="ceac", alt="chance each decision is best against the value of a crisis averted",
            caption="The value of a crisis averted is on top of the service costs already in the NPV (e.g. the "
                    "public value of a crisis that does not happen).")),
        ("who-pays", "Who pays and who saves", _organisations(u)),
    ]
    t = u.sensitivity_table
    if t is not None and (t["method"] == "tornado").any():
        best = pd.DataFrame(u.decision()).loc[u.options, "expected_npv_gbp"].idxmax()
        out.append(("tornado", "What drives the answer", paragraph(tornado_reading(t, u, best))
                    + figure(plots.tornado(t, best), id="tornado", alt="tornado chart of NPV")
                    + paragraph("Morris and Sobol indices, where computed, are in sensitivity.csv.")))
    out.append(("voi", "What is worth finding out", paragraph(evppi_reading(u, evppi))
                + (paragraph(evsi_reading(evppi)) if evsi_reading(evppi) else "")
                + figure(plots.evppi_bars(evppi), id="evppi", alt="EVPPI of each parameter and group")))
    out.append(("parameters", "The uncertain parameters", _parameters(u)))
    return out


def build(u: Uncertainty, evppi: pd.DataFrame) -> str:
    """The report's HTML."""
    a = u.ds.attrs
    parts_ = parts(u, evppi)
    return page(f"{a.get('name')}: decisions under uncertainty", "Probabilistic sensitivity analysis, placesim "
                f"{a.get('placesim_version')}", [(i, h) for i, h, _ in parts_],
                [section(i, h, body) for i, h, body in parts_])


def write_report(path: str | Path, u: Uncertainty, evppi: pd.DataFrame) -> Path:
    """Write the report to ``path`` atomically."""
    text = build(u, evppi)
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")
    return Path(path)

