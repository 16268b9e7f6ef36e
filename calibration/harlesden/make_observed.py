"""Make calibration/harlesden/observed_synthetic.csv: SYNTHETIC data from known parameters.

One DES replication of scenario.yaml with the parameters of setup.yaml set to the values in
truth.yaml: the counts carry the model's own randomness and nothing else. Run from anywhere:

    python calibration/harlesden/make_observed.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

import placesim as ps
from placesim.calibration.parameters import apply, resolve_parameters
from placesim.calibration.setup import load_setup

HERE = Path(__file__).resolve().parent
MEASURES = [
    ("crises", "housing", "Harlesden"),
    ("crises", "money", "Harlesden"),
    ("arrivals", "debt_advice", ""),
    ("arrivals", "housing_options", ""),
]


def main() -> Path:
    setup = load_setup(HERE / "setup.yaml")
    truth = yaml.safe_load((HERE / "truth.yaml").read_text())
    scenario = ps.load_scenario(HERE / setup.model.scenario)
    params = resolve_parameters(setup, scenario)
    x = np.array([truth["values"][p.name] for p in params])
    true_scenario = ps.Scenario.from_dict(apply(scenario.to_dict(), params, x), source="truth")
    ds = ps.simulate(true_scenario, 1, seed=truth["seed"]).ds.isel(replication=0)
    rows = []
    for t, date in zip(ds["time"].values, ds["date"].values):
        day = str(np.datetime_as_string(date, unit="D"))
        for kind, target, hood in MEASURES:
            if kind == "crises":
                v = ds["crises"].sel(time=t, neighbourhood=hood, domain=target).sum().item()
            else:
                v = ds[kind].sel(time=t, service=target).item()
            rows.append(f"{day},{kind}:{target},{hood},{int(round(v))}")
    out = HERE / "observed_synthetic.csv"
    head = ["# SYNTHETIC DATA: not observed anywhere. Made by make_observed.py: one DES replication",
            f"# (seed {truth['seed']}) of scenario.yaml with the parameter values in truth.yaml.",
            "period_start,measure,neighbourhood,value"]
    out.write_text("\n".join(head + rows) + "\n")
    return out


if __name__ == "__main__":
    print(f"wrote {main()}")
