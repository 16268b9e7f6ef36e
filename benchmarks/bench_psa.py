"""The PSA's draws: runs that share what the draws leave unchanged against runs made alone,
and the whole PSA on worker processes against the five-minute target, in one run.

The draws of an options file's ``uncertainty:`` section (default: ``scenarios/brent/options.yaml``,
its four Harlesden options and nine parameters, SD engine, seed 1) are run

* **alone** (the reference): each draw's scenarios run and appraised with nothing shared;
* **shared**: as the PSA runs them (:func:`placesim.uncertainty.psa.run_draws`): the
  baseline's run kept, each option's state on the day its team opens kept
  (:mod:`placesim.engines.sd.reuse`);

both serially in this process, and their figures are checked to be identical. Then the PSA
itself (:func:`placesim.uncertainty.psa.evaluate`) runs ``--samples`` draws on ``--workers``
processes; its time per draw is projected to 1,000 draws against the target (issue 13: at
most 5 minutes on two cores). This is a report, not a test: the exit status is 0 whatever
the figures.

Run:  python benchmarks/bench_psa.py [--options scenarios/brent/options.yaml] [--draws 16] [--samples 128] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np

import placesim as ps
from placesim.uncertainty import psa
from placesim.uncertainty.files import load_uncertainty
from placesim.uncertainty.sample import draw

ROOT = Path(__file__).resolve().parent.parent
OPTIONS = "scenarios/brent/options.yaml"
TARGET_S = 300.0
TARGET_DRAWS = 1000


def run(options: str = OPTIONS, draws: int = 16, samples: int = 128, workers: int = 2, seed: int = 1) -> dict:
    """Time the draws alone and shared (serial), check they agree, and time the PSA on processes."""
    setup = load_uncertainty(ROOT / options if not Path(options).is_absolute() else options)
    _, x = draw(setup.section, max(draws, samples, 8), seed, None)
    task = psa.make_tasks(setup, x[:draws], "sd", 1, seed, draws)[0]
    psa.run_draws(psa.make_tasks(setup, x[:1], "sd", 1, seed, 1)[0])  # numba's compiled code loaded outside the timings
    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    alone = [psa.run_draw(task, i, v) for i, v in zip(task.draws, task.values)]
    t_alone = time.perf_counter() - t0
    t0 = time.perf_counter()
    shared = psa.run_draws(task)
    t_shared = time.perf_counter() - t0
    same = all(np.array_equal(a[k], s[k], equal_nan=True) for a, s in zip(alone, shared) for k in ("value", "mc_se"))
    t0 = time.perf_counter()
    psa.evaluate(setup, x[:samples], executor="processes", workers=workers, seed=seed)
    t_psa = time.perf_counter() - t0
    return {"options": options, "draws": draws, "samples": samples, "workers": workers, "scenarios": len(setup.scenarios),
            "alone_s": t_alone / draws, "shared_s": t_shared / draws, "identical": same,
            "psa_s": t_psa / samples, "projected_s": t_psa / samples * TARGET_DRAWS,
            "load": (load_before, os.getloadavg()[0])}


def report(res: dict) -> str:
    ratio = res["alone_s"] / res["shared_s"]
    met = res["projected_s"] <= TARGET_S
    psa_label = f"the PSA, {res['workers']} processes, {res['samples']} draws"
    lines = [
        f"PSA draws: {res['options']}, {res['scenarios']} scenarios a draw (SD engine)",
        f"python {platform.python_version()}, placesim {ps.__version__}, {platform.machine()}, {os.cpu_count()} cores, "
        f"load average {res['load'][0]:.2f} before / {res['load'][1]:.2f} after",
        "",
        f"{'':<44} {'s a draw':>9}",
        f"{'alone (reference), serial':<44} {res['alone_s']:>9.3f}",
        f"{'shared (the PSA), serial':<44} {res['shared_s']:>9.3f}   {ratio:.2f} x faster; figures identical: "
        f"{'yes' if res['identical'] else 'NO'}",
        f"{psa_label:<44} {res['psa_s']:>9.3f}   "
        f"{TARGET_DRAWS:,} draws in {res['projected_s']:.0f} s",
        "",
        f"Target: {TARGET_DRAWS:,} draws in at most {TARGET_S:.0f} s on two cores: {'MET' if met else 'NOT MET'} "
        f"(projected from {res['samples']} draws; each task pays its own first warm-up, so fewer draws project high).",
    ]
    if max(res["load"]) > 0.5 + res["workers"]:
        lines.append(f"The machine was busy (load average up to {max(res['load']):.2f}): the times are high.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--options", default=OPTIONS, help="options file with an uncertainty: section")
    ap.add_argument("--draws", type=int, default=16, help="draws timed alone and shared, serially (default 16)")
    ap.add_argument("--samples", type=int, default=128, help="draws of the PSA on processes (default 128)")
    ap.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    args = ap.parse_args(argv)
    print(report(run(args.options, args.draws, args.samples, args.workers)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
