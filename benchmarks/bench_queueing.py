"""placesim against a minimal hand-written SimPy model of the same queueing systems.

Two models, both from ``scenarios/validation``:

* M/M/c: one desk, Poisson arrivals at lambda = 9 a day, c = 10 servers, exponential
  service with mean 1 day (utilisation 0.9).
* Jackson network: three M/M/c services with external Poisson arrivals at two of them
  and probabilistic referrals, including feedback (specialist -> front, follow_up -> itself).

The reference is what a modeller would write with SimPy: a ``simpy.Resource`` per
service, one process per customer, a numpy ``Generator`` draw per call, and a list of the
waits of customers who start service after the warm-up. placesim runs one replication
(``run_replication``, the engine's unit of work; ``simulate(replications=1)`` is timed
as well, for the cost of the user-facing call). Both run the same horizon and warm-up,
in this process, alternating, ``--repeats`` times; the table gives best-of-N times and
their ratio. Target: placesim <= 1.25 x the reference (aim <= 1.0).

Both implementations' mean waits are printed next to queueing theory (Erlang C and the
traffic equations), with batch-means standard errors, so the reader can see that both do
the same work. This is a report, not a test: the exit status is 0 whatever the ratios.

Run:  python benchmarks/bench_queueing.py [--horizon 20000] [--warmup 500] [--repeats 3]
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import simpy

import placesim as ps
from placesim.run import run_one as run_replication

ROOT = Path(__file__).resolve().parent.parent
VALIDATION = ROOT / "scenarios" / "validation"

TARGET = 1.25
AIM = 1.0
N_BATCHES = 20

# ----------------------------------------------------------------------------- the models
# Written out by hand (not read from placesim) so the reference is independent of
# placesim's scenario code; check_scenarios() confirms they match the YAML files.
MMC = {"desk": {"servers": 10, "arrival_rate": 9.0, "mean_service": 1.0, "routes": []}}

JACKSON = {
    "front": {"servers": 4, "arrival_rate": 3.0, "mean_service": 1.0,
              "routes": [("specialist", 0.4), ("follow_up", 0.3)]},
    "specialist": {"servers": 4, "arrival_rate": 1.0, "mean_service": 1.5,
                   "routes": [("follow_up", 0.3), ("front", 0.1)]},
    "follow_up": {"servers": 3, "arrival_rate": 0.0, "mean_service": 0.8,
                  "routes": [("follow_up", 0.2)]},
}

MODELS = {"M/M/c": ("mmc.yaml", MMC), "Jackson": ("jackson.yaml", JACKSON)}


# ----------------------------------------------------------------------------- reference
def reference_run(network: dict, horizon: float, warmup: float, seed: int) -> dict:
    """Hand-written SimPy model of an open network of M/M/c services.

    Returns ``{"waits": {service: [wait, ...]}, "network": [time in network, ...]}`` for
    customers who start service (waits) or leave the network (time in network) after
    the warm-up, in the order they did so.
    """
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    desks = {name: simpy.Resource(env, capacity=s["servers"]) for name, s in network.items()}
    waits: dict[str, list[float]] = {name: [] for name in network}
    in_network: list[float] = []

    def customer(first):
        entered = env.now
        name = first
        while name is not None:
            service = network[name]
            arrived = env.now
            with desks[name].request() as req:
                yield req
                if env.now >= warmup:
                    waits[name].append(env.now - arrived)
                yield env.timeout(rng.exponential(service["mean_service"]))
            # route onward: one uniform draw over the referral probabilities
            u = rng.random()
            name, acc = None, 0.0
            for to, p in service["routes"]:
                acc += p
                if u < acc:
                    name = to
                    break
        if env.now >= warmup:
            in_network.append(env.now - entered)

    def arrivals(name, rate):
        while True:
            yield env.timeout(rng.exponential(1.0 / rate))
            env.process(customer(name))

    for name, service in network.items():
        if service["arrival_rate"] > 0:
            env.process(arrivals(name, service["arrival_rate"]))
    env.run(until=warmup + horizon)
    return {"waits": waits, "network": in_network}


def reference_estimates(out: dict) -> dict[str, tuple[float, float]]:
    """Mean and batch-means standard error of each wait and of the time in network."""
    est = {}
    for name, w in out["waits"].items():
        est[f"wait {name}"] = batch_mean(np.asarray(w), np.ones(len(w)))
    t = out["network"]
    est["time in network"] = batch_mean(np.asarray(t), np.ones(len(t)))
    return est


# ----------------------------------------------------------------------------- placesim
def placesim_scenario(model: str, horizon: float, warmup: float) -> ps.Scenario:
    """The validation scenario of ``model`` on the given horizon and warm-up (200 bins)."""
    sc = ps.load_scenario(VALIDATION / MODELS[model][0])
    return sc.with_overrides({"time": {"horizon_days": horizon, "warmup_days": warmup,
                                       "report_every_days": horizon / 200}})


def placesim_estimates(sc: ps.Scenario, out: dict[str, np.ndarray]) -> dict[str, tuple[float, float]]:
    """Mean and batch-means standard error from placesim's binned arrays (bins = time order)."""
    est = {}
    for j, name in enumerate(sc.services):
        est[f"wait {name}"] = batch_mean(out["wait_days_sum"][:, j], out["started"][:, j])
    est["time in network"] = batch_mean(out["system_days_sum"].sum(1), out["exits"].sum(1))
    return est


# ----------------------------------------------------------------------------- theory
def erlang_c_wait(c: int, lam: float, mu: float) -> float:
    """Mean wait in queue of an M/M/c queue (Erlang C)."""
    a = lam / mu
    rho = a / c
    if rho >= 1:
        return math.inf
    term, total = 1.0, 1.0  # a^k / k! for k = 0 .. c-1, summed
    for k in range(1, c):
        term *= a / k
        total += term
    last = term * a / c / (1 - rho)  # a^c / c! / (1 - rho)
    p_wait = last / (total + last)
    return p_wait / (c * mu - lam)


def theory(network: dict) -> dict[str, float]:
    """Traffic equations + Erlang C per service + Little's law for the time in network."""
    names = list(network)
    idx = {n: i for i, n in enumerate(names)}
    gamma = np.array([network[n]["arrival_rate"] for n in names])
    P = np.zeros((len(names), len(names)))
    for n in names:
        for to, p in network[n]["routes"]:
            P[idx[n], idx[to]] += p
    lam = np.linalg.solve(np.eye(len(names)) - P.T, gamma)
    out, total = {}, 0.0
    for i, n in enumerate(names):
        mu = 1.0 / network[n]["mean_service"]
        wq = erlang_c_wait(network[n]["servers"], lam[i], mu)
        out[f"wait {n}"] = wq
        total += lam[i] * (wq + 1.0 / mu)
    out["time in network"] = total / gamma.sum()
    return out


# ----------------------------------------------------------------------------- helpers
def batch_mean(sums: np.ndarray, counts: np.ndarray, k: int = N_BATCHES) -> tuple[float, float]:
    """Ratio estimate sum(sums)/sum(counts) and its batch-means standard error.

    The units (customers or bins) are in time order; they are cut into ``k`` contiguous
    batches and the standard error is the spread of the batch ratios / sqrt(k).
    """
    sums = np.asarray(sums, float)
    counts = np.asarray(counts, float)
    n = counts.sum()
    mean = sums.sum() / n if n else math.nan
    k = min(k, len(sums))
    if k < 2:
        return mean, math.nan
    bs = np.array([s.sum() for s in np.array_split(sums, k)])
    bc = np.array([c.sum() for c in np.array_split(counts, k)])
    if (bc == 0).any():
        return mean, math.nan
    return mean, float(np.std(bs / bc, ddof=1) / math.sqrt(k))


def check_scenarios() -> list[str]:
    """Differences between the hand-written models and the validation YAML files."""
    problems = []
    for _model, (fname, network) in MODELS.items():
        sc = ps.load_scenario(VALIDATION / fname)
        if list(sc.services) != list(network):
            problems.append(f"{fname}: services {list(sc.services)} != {list(network)}")
            continue
        for name, svc in sc.services.items():
            ref = network[name]
            rate = svc.arrivals.rate_per_day if svc.arrivals is not None else 0.0
            routes = [(r.to, r.probability) for r in svc.referrals]
            got = (svc.capacity, rate, svc.duration.mean_days, svc.duration.distribution, routes)
            want = (ref["servers"], ref["arrival_rate"], ref["mean_service"], "exponential", ref["routes"])
            if got != want:
                problems.append(f"{fname}: {name} is {got}, the reference uses {want}")
    return problems


def _timed(fn, *args):
    """(wall seconds, CPU seconds of this process, result) of ``fn(*args)``."""
    gc.collect()
    c0 = time.process_time()
    t0 = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t0, time.process_time() - c0, out


# ----------------------------------------------------------------------------- benchmark
def run(horizon: float = 20000.0, warmup: float = 500.0, repeats: int = 3, seed: int = 1,
        with_simulate: bool = True, models: tuple[str, ...] = tuple(MODELS)) -> dict:
    """Run the benchmark; returns ``{"timing": [row...], "waits": [row...], "problems": [...]}``.

    Timing rows: model, reference_s, placesim_s, ratio (best wall times), median_ratio (of
    the per-repeat ratios), cpu_ratio (best CPU times), simulate_s (placesim's
    ``simulate(replications=1)``, or nan), customers (reference, served after warm-up).
    Wait rows: model, measure, theory, reference, reference_se, placesim, placesim_se,
    z (placesim - reference, in standard errors of the difference).
    """
    load = os.getloadavg()[0]
    timing, waits = [], []
    for model in models:
        network = MODELS[model][1]
        sc = placesim_scenario(model, horizon, warmup)
        t_ref, t_ps, t_sim, c_ref, c_ps = [], [], [], [], []
        ref_est, ps_est = [], []
        served = 0
        for r in range(repeats):
            s = seed + r

            def do_ref():
                dt, ct, out = _timed(reference_run, network, horizon, warmup, s)
                t_ref.append(dt)
                c_ref.append(ct)
                ref_est.append(reference_estimates(out))
                return sum(len(w) for w in out["waits"].values())

            def do_ps():
                dt, ct, (out, _) = _timed(run_replication, sc, s, 0)
                t_ps.append(dt)
                c_ps.append(ct)
                ps_est.append(placesim_estimates(sc, out))

            # alternate the order (ABBA) so drift in machine speed cancels
            if r % 2 == 0:
                served = do_ref()
                do_ps()
            else:
                do_ps()
                served = do_ref()
            if with_simulate:
                dt, _, _ = _timed(lambda: ps.simulate(sc, replications=1, seed=s, executor="serial"))
                t_sim.append(dt)
        ratios = [p / q for p, q in zip(t_ps, t_ref)]
        timing.append({
            "model": model, "reference_s": min(t_ref), "placesim_s": min(t_ps),
            "ratio": min(t_ps) / min(t_ref), "median_ratio": statistics.median(ratios),
            "cpu_ratio": min(c_ps) / min(c_ref),
            "simulate_s": min(t_sim) if t_sim else math.nan, "customers": served,
        })
        th = theory(network)
        for measure, value in th.items():
            rm, rse = _pool([e[measure] for e in ref_est])
            pm, pse = _pool([e[measure] for e in ps_est])
            se = math.hypot(rse, pse)
            waits.append({"model": model, "measure": measure, "theory": value,
                          "reference": rm, "reference_se": rse, "placesim": pm, "placesim_se": pse,
                          "z": (pm - rm) / se if se > 0 else math.nan})
    return {"timing": timing, "waits": waits, "problems": check_scenarios(),
            "load": (load, os.getloadavg()[0])}


def _pool(estimates: list[tuple[float, float]]) -> tuple[float, float]:
    """Average of independent estimates (one per repeat, different seeds) and its standard error."""
    means = [m for m, _ in estimates]
    ses = [s for _, s in estimates]
    n = len(estimates)
    return float(np.mean(means)), float(math.sqrt(sum(s * s for s in ses)) / n)


def report(res: dict, horizon: float, warmup: float, repeats: int) -> str:
    lines = [f"placesim vs hand-written SimPy: horizon {horizon:g} days after a {warmup:g}-day warm-up, "
             f"best of {repeats} (alternating)",
             f"python {platform.python_version()}, simpy {simpy.__version__}, numpy {np.__version__}, "
             f"placesim {ps.__version__}, {platform.machine()}, {os.cpu_count()} cores, "
             f"load average {res['load'][0]:.2f} before / {res['load'][1]:.2f} after",
             ""]
    for p in res["problems"]:
        lines.append(f"WARNING: reference and scenario differ: {p}")
    hdr = (f"{'model':<9} {'customers':>10} {'reference s':>12} {'placesim s':>11} {'ratio':>6} {'median':>7} "
           f"{'cpu':>6} {'simulate() s':>13}")
    lines += [hdr, "-" * len(hdr)]
    for t in res["timing"]:
        lines.append(f"{t['model']:<9} {t['customers']:>10d} {t['reference_s']:>12.3f} {t['placesim_s']:>11.3f} "
                     f"{t['ratio']:>6.2f} {t['median_ratio']:>7.2f} {t['cpu_ratio']:>6.2f} {t['simulate_s']:>13.3f}")
    lines.append("")
    lines.append("ratio = placesim run_replication wall time / reference wall time (best of N); median = median of")
    lines.append("per-repeat ratios; cpu = the same with CPU time of this process (less sensitive to a busy machine);")
    lines.append("simulate() s = ps.simulate(replications=1, executor='serial'), including results assembly.")
    worst = max(t["ratio"] for t in res["timing"])
    verdict = "MET" if worst <= TARGET else "NOT MET"
    aim = "met" if worst <= AIM else "not met"
    lines.append(f"Target placesim <= {TARGET:g} x reference: {verdict} (worst ratio {worst:.2f}); "
                 f"aim <= {AIM:g}: {aim}.")
    lines.append("")
    hdr = (f"{'model':<9} {'measure':<22} {'theory':>8} {'reference':>16} {'placesim':>16} {'z(ps-ref)':>9}")
    lines += ["Mean waits in queue and time in network (days), +- batch-means standard error:", hdr, "-" * len(hdr)]
    flagged = []
    for w in res["waits"]:
        ref = f"{w['reference']:.4f} +- {w['reference_se']:.4f}"
        pls = f"{w['placesim']:.4f} +- {w['placesim_se']:.4f}"
        lines.append(f"{w['model']:<9} {w['measure']:<22} {w['theory']:>8.4f} {ref:>16} {pls:>16} {w['z']:>9.2f}")
        for who in ("reference", "placesim"):
            se = w[f"{who}_se"]
            if se > 0 and abs(w[who] - w["theory"]) > 3 * se:
                flagged.append(f"{w['model']} {w['measure']}: {who} {w[who]:.4f} vs theory {w['theory']:.4f} "
                               f"({(w[who] - w['theory']) / se:+.1f} SE)")
        if abs(w["z"]) > 3:
            flagged.append(f"{w['model']} {w['measure']}: placesim and reference differ by {w['z']:+.1f} SE")
    if flagged:
        lines.append("Beyond 3 standard errors (check; batch-means SEs are approximate):")
        lines += ["  " + f for f in flagged]
    else:
        lines.append("All estimates agree with theory and with each other within 3 standard errors.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--horizon", type=float, default=20000.0, help="reported days after the warm-up (default 20000)")
    ap.add_argument("--warmup", type=float, default=500.0, help="warm-up days (default 500)")
    ap.add_argument("--repeats", type=int, default=3, help="alternating repeats, best taken (default 3)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the first repeat; repeat r uses seed + r")
    ap.add_argument("--no-simulate", action="store_true", help="do not also time ps.simulate()")
    a = ap.parse_args(argv)
    res = run(a.horizon, a.warmup, a.repeats, a.seed, with_simulate=not a.no_simulate)
    print(report(res, a.horizon, a.warmup, a.repeats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
