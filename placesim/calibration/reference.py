"""The set-up file's field tables in docs/calibration.md, generated from the models.

Run ``python -m placesim.calibration.reference`` and paste the output between the
``<!-- setup-fields -->`` markers of docs/calibration.md; a test checks they agree.
"""

from __future__ import annotations

from ..scenario.reference import field_table
from .setup import CalibrationSetup, DesCheck, Likelihood, ParameterSpec, Periods, Prior, Window

SECTIONS = [
    ("Set-up (top level)", CalibrationSetup),
    ("parameters.NAME", ParameterSpec),
    ("parameters.NAME.prior", Prior),
    ("periods", Periods),
    ("periods.fit, periods.holdout", Window),
    ("likelihood", Likelihood),
    ("des", DesCheck),
]


def render() -> str:
    out: list[str] = []
    for title, model in SECTIONS:
        out.append(f"### `{title}`\n")
        out += field_table(model)
    return "\n".join(out)


if __name__ == "__main__":  # pragma: no cover
    print(render(), end="")
