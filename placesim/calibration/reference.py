"""The set-up file's field tables in docs/calibration.md, generated from the models.

Run ``python -m placesim.calibration.reference`` and paste the output between the
``<!-- setup-fields -->`` markers of docs/calibration.md; a test checks they agree.
"""

from __future__ import annotations

from pydantic import BaseModel

from ..scenario.reference import render_sections
from .setup import CalibrationSetup, DesCheck, Likelihood, ParameterSpec, Periods, Prior, Window

SECTIONS: list[tuple[str, type[BaseModel]]] = [
    ("Set-up (top level)", CalibrationSetup),
    ("parameters.NAME", ParameterSpec),
    ("parameters.NAME.prior", Prior),
    ("periods", Periods),
    ("periods.fit, periods.holdout", Window),
    ("likelihood", Likelihood),
    ("des", DesCheck),
]


def render() -> str:
    return render_sections(SECTIONS)


if __name__ == "__main__":  # pragma: no cover
    print(render(), end="")
