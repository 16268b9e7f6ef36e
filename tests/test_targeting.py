"""Case-finding's target band (``int.case_finding.target_levels``): who a screen looks for."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import placesim as ps

TOY = Path(__file__).resolve().parent / "scenarios"
SHORT = {"time": {"horizon_days": 240, "warmup_days": 60, "report_every_days": 30}}


def _toy(band: list[int] | None, acceptance: float = 0.6, cap: int | None = 40) -> ps.Scenario:
    cf: dict = {"acceptance": acceptance, "max_contacts_per_screen": cap, "sensitivity": 0.9, "coverage": 1.0}
    if band is not None:
        cf["target_levels"] = band
    return ps.load_scenario(TOY / "toy_int.yaml").with_overrides({**SHORT, "int": {"case_finding": cf}})


def test_default_band_is_every_level_in_need():
    assert _toy(None).model.int_team.case_finding.target_levels == (1, 3)


@pytest.mark.parametrize("band", [[0, 2], [2, 1], [1, 4], [1]])
def test_a_band_outside_the_levels_is_refused_with_its_field(band):
    with pytest.raises(ps.ScenarioError, match=r"int\.case_finding\.target_levels"):
        _toy(band)


def test_the_wobbling_band_never_contacts_anyone_in_crisis():
    """Traced contacts carry the resident's highest covered level: with [1, 2] none is at 3,
    while the default band does contact households held in crisis in the same place."""
    def levels(band):
        trace = ps.simulate(_toy(band), replications=2, seed=4, trace=True).trace
        return trace.loc[trace["event"] == "contact", "level"].to_numpy()

    wobbling, every = levels([1, 2]), levels([1, 3])
    assert len(wobbling) > 0 and set(np.unique(wobbling)) <= {0, 1, 2}
    assert (every == 3).any()


@pytest.mark.parametrize("engine", ["des", "sd"])
def test_contacts_add_up_across_bands_when_nobody_accepts(engine):
    """With no one accepting (so case-finding changes no one's state) and no cap, a screen's
    contacts are its false positives plus the flagged residents in the band: the contacts of
    bands [1, 2] and [3, 3] add up to those of [1, 3] plus one set of false positives, draw for
    draw in the DES (common random numbers) and to solver precision in the SD."""
    def totals(band):
        ds = ps.simulate(_toy(band, acceptance=0.0, cap=None), replications=2, seed=5, engine=engine).ds
        team = ds.sel(service="int:A")
        return (team["outreach_contacts"].sum("time").values, team["false_positive_contacts"].sum("time").values,
                team["case_found"].sum().item())

    low, fp_low, found_low = totals([1, 2])
    high, fp_high, _ = totals([3, 3])
    every, fp_every, _ = totals([1, 3])
    assert found_low == 0
    assert (high > 0).all() and (low > high).all()
    np.testing.assert_allclose(fp_low, fp_every, rtol=1e-9)
    np.testing.assert_allclose(fp_high, fp_every, rtol=1e-9)
    np.testing.assert_allclose(low + high, every + fp_every, rtol=1e-6 if engine == "sd" else 0)
