"""The runs the back-tests pin: scenario, engine, replications and seed of each.

A back-test runs each case and compares every variable, coordinate and attribute of the
results with the dataset pinned in ``tests/backtests/pins/<case>.nc``, so that a change
that moves a random draw (or a cost, or a counter) cannot pass silently while the
statistics still hold. DES results must match exactly; the SD engine's within a relative
1e-9 (its float sums may differ in the last bits between CPUs).

Re-pin when a change is *meant* to move the numbers (say why in the commit)::

    python -m tests.backtests.pin            # every case
    python -m tests.backtests.pin brent_pilot_des
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PINS = Path(__file__).resolve().parent / "pins"
SEED = 20261129


@dataclass(frozen=True)
class Case:
    """One pinned run."""

    scenario: str                  # path from the repository root
    engine: str = "des"
    replications: int = 1
    overrides: dict = field(default_factory=dict)
    trace: bool = False
    slow: bool = False

    @property
    def path(self) -> Path:
        return ROOT / self.scenario


PHASED = {"Harlesden": {"start_day": 0}, "Willesden": {"start_day": 120}, "Wembley": {"start_day": 240},
          "Kilburn": {"start_day": 360}, "Kingsbury & Kenton": {"start_day": 480}}

CASES: dict[str, Case] = {
    # the Brent borough, as the README's main job runs it (one replication each: ~7 s)
    "brent_siloed_des": Case("scenarios/brent/siloed.yaml"),
    "brent_pilot_des": Case("scenarios/brent/int_pilot.yaml"),
    "brent_full_des": Case("scenarios/brent/int_full.yaml", replications=2, slow=True),
    # the system-dynamics twin of each
    "brent_siloed_sd": Case("scenarios/brent/siloed.yaml", engine="sd"),
    "brent_pilot_sd": Case("scenarios/brent/int_pilot.yaml", engine="sd"),
    "brent_full_sd": Case("scenarios/brent/int_full.yaml", engine="sd"),
    # a phased roll-out: five teams starting at different times
    "brent_phased_des": Case("scenarios/brent/int_full.yaml", overrides={"int": {"neighbourhoods": PHASED}}),
    "brent_phased_sd": Case("scenarios/brent/int_full.yaml", engine="sd", overrides={"int": {"neighbourhoods": PHASED}}),
    # queueing validation models: background arrivals, queues, referrals
    "mmc_des": Case("scenarios/validation/mmc.yaml", replications=3,
                    overrides={"time": {"horizon_days": 2000, "warmup_days": 100}}),
    "jackson_des": Case("scenarios/validation/jackson.yaml", replications=3,
                        overrides={"time": {"horizon_days": 2000, "warmup_days": 100}}),
    # a smaller place with its full event trace (the order of every event)
    "harlesden_trace_des": Case("calibration/harlesden/scenario.yaml", replications=2, trace=True,
                                overrides={"time": {"horizon_days": 360, "warmup_days": 90}}),
}
