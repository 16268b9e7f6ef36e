"""The options file's field tables in docs/budget-planners-guide.md, generated from the models.

Run ``python -m placesim.options_reference`` and paste the output between the
``<!-- options-fields -->`` markers of docs/budget-planners-guide.md; a test checks they agree.
"""

from __future__ import annotations

from pydantic import BaseModel

from .options import AdaptiveSpec, BaseSpec, BreakEvenSpec, OptionsModel, OptionSpec, ReinvestSpec, RunSettings
from .review import ReviewSettings
from .scenario.reference import render_sections
from .uncertainty.spec import Correlation, Distribution, Population, UncertainParameter, UncertaintySection

SECTIONS: list[tuple[str, type[BaseModel]]] = [
    ("Options file (top level)", OptionsModel),
    ("base", BaseSpec),
    ("options.NAME", OptionSpec),
    ("options.NAME.adaptive", AdaptiveSpec),
    ("options.NAME.reinvest", ReinvestSpec),
    ("run", RunSettings),
    ("review", ReviewSettings),
    ("break_even[]", BreakEvenSpec),
    ("uncertainty", UncertaintySection),
    ("uncertainty.parameters.NAME", UncertainParameter),
    ("uncertainty.parameters.NAME.distribution", Distribution),
    ("uncertainty.correlations[]", Correlation),
    ("uncertainty.population", Population),
]


def render() -> str:
    return render_sections(SECTIONS)


if __name__ == "__main__":  # pragma: no cover
    print(render(), end="")
