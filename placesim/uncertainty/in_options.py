"""The PSA in the options report: its key message and its section
(:class:`~placesim.report.addition.ReportAddition`, which :class:`~.result.Uncertainty`
implements through these functions)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import pandas as pd

from ..formatting import money, pct
from ..report.messages import KeyMessage
from ..report.page import esc, paragraph
from .report import parts

if TYPE_CHECKING:
    from .result import Uncertainty

SECTION = ("uncertainty", "Decisions under uncertainty")
"""The options report's section of the PSA: id and heading."""


def key_message(u: Uncertainty, names: Mapping[str, str], evppi: pd.DataFrame) -> KeyMessage:
    """The chance each option pays back when its uncertain assumptions are drawn together,
    and what finding out more is worth."""
    d = pd.DataFrame(u.decision())
    a = u.ds.attrs
    n, k = int(a.get("samples", len(u.ds["draw"]))), len(u.parameters)
    p = d.loc[u.options, "p_npv_positive"]
    likeliest = str(p.idxmax())
    name = names.get(likeliest, likeliest)
    drawn = f"{n:,} draws of {k} uncertain assumptions"
    if p.max() == 0:
        name = "any option"
        text = (f"Drawn together over {drawn}, no option pays back in any draw: the ranges given for these "
                f"assumptions do not turn the answer.")
    else:
        text = (f"{name} pays back in {pct(p.max())} of {drawn} (expected NPV "
                f"{money(d.loc[likeliest, 'expected_npv_gbp'])}).")
    total = float(evppi.loc[evppi["parameter"] == "all", "evppi_gbp"].iloc[0])
    if total > 0:
        rows = evppi[evppi["kind"] == "parameter"].dropna(subset=["evppi_gbp"]).sort_values(
            "evppi_gbp", ascending=False)
        text += f" Removing all that uncertainty before choosing would be worth {money(total)} per decision"
        text += (f"; the assumption most worth measuring is {rows.iloc[0]['parameter']} "
                 f"({money(rows.iloc[0]['evppi_gbp'])})." if not rows.empty else ".")
    else:
        text += " Finding out more about them would not change the choice (the value of perfect information is £0)."
    text += " The chance is only as good as the ranges, which are assumptions (see the section below)."
    if a.get("engine") == "sd":
        text += (" The draws run on the system-dynamics twin, whose NPVs can differ from the DES figures above "
                 "(docs/system-dynamics.md); where they disagree, a PSA on the DES is the reference (placesim "
                 "uncertainty --engine des).")
    points = [f"{names.get(o, o)}: pays back in {pct(d.loc[o, 'p_npv_positive'])} of draws, best in "
              f"{pct(d.loc[o, 'p_best'])}; expected NPV {money(d.loc[o, 'expected_npv_gbp'])} "
              f"({pct(u.level)} of draws {money(d.loc[o, 'npv_lower_gbp'])} to {money(d.loc[o, 'npv_upper_gbp'])})"
              for o in u.options]
    return KeyMessage("uncertainty", pct(p.max()), f"chance {name} pays back, over {n:,} draws of the assumptions",
                      text, points)


def sections(u: Uncertainty, evppi: pd.DataFrame) -> list[tuple[str, str, str]]:
    """One section holding the PSA report's blocks, each under its own heading."""
    intro = paragraph(
        "The figures above hold every assumption at its central value and show only the simulation's noise. Here "
        "the assumptions with ranges are drawn together, every option run and appraised at each draw: the chance "
        "an option pays back, where the answer turns, and what is worth finding out before scaling up "
        "(placesim uncertainty; docs/uncertainty.md).")
    body = intro + "".join(f"<h3 id='psa-{esc(i)}'>{esc(h)}</h3>{b}" for i, h, b in parts(u, evppi))
    return [(SECTION[0], SECTION[1], body)]

