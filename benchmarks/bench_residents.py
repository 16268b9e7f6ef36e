"""How placesim's time and memory grow with the number of residents.

Runs the resident-level scenario ``benchmarks/scenarios/residents.yaml`` (10,000 residents
as written) scaled to each size in ``--sizes``: cohort sizes, neighbourhood populations,
service capacities (servers, staff) and background arrival rates are all multiplied by
size / 10,000, so the place is the same, only bigger, and the work per resident stays
constant. (With ``--fixed-services`` only the cohorts and populations grow, so services
get overloaded as the size grows: a different model at each size.)

Each size runs one replication (``run_replication``) in a fresh Python subprocess, so
sizes cannot share memory or warm caches. The child measures:

* time: wall time of ``run_replication`` (building the population and nodes, and the
  run; not the imports or loading the YAML);
* memory: peak resident set size of the child, ``resource.getrusage(RUSAGE_SELF).ru_maxrss``,
  read once before ``run_replication`` (the baseline: Python, numpy, pandas, xarray,
  the scenario) and once after; "run MB" is the growth of the peak during the run.

The horizon is ``--horizon`` days (default 730) after the scenario's own 365-day warm-up,
which is simulated too (1,095 simulated days at the default). Linear growth shows as
ratios between successive sizes close to the size ratio (2 for doubling), constant time
and memory per resident, and a log-log slope close to 1. The comparison is with the
smallest size, run in the same invocation. This is a report, not a test: exit status 0.

Run:  python benchmarks/bench_residents.py [--sizes 10000 20000 40000] [--horizon 730] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np
import yaml

HERE = Path(__file__).resolve().parent
SCENARIO = HERE / "scenarios" / "residents.yaml"
SIZES = (10000, 20000, 40000)
SEED = 1


# ----------------------------------------------------------------------------- scaling
def scale_overrides(raw: dict, n: int, scale_services: bool = True) -> dict:
    """``with_overrides`` mapping that makes the scenario ``raw`` have ``n`` residents in all."""
    cohorts = raw["cohorts"]
    base = sum(sum(c["size"].values()) for c in cohorts.values())
    k = n / base
    out: dict = {"cohorts": {}, "neighbourhoods": {}}
    # cohort sizes: scaled and rounded so they add up to exactly n
    cells = [(c, nb, v) for c, co in cohorts.items() for nb, v in co["size"].items()]
    sizes = [int(v * k) for _, _, v in cells]
    order = sorted(range(len(cells)), key=lambda i: -(cells[i][2] * k - sizes[i]))
    for i in order[: n - sum(sizes)]:
        sizes[i] += 1
    for (c, nb, _), s in zip(cells, sizes):
        out["cohorts"].setdefault(c, {"size": {}})["size"][nb] = s
    for nb, spec in (raw.get("neighbourhoods") or {}).items():
        if isinstance(spec, dict) and spec.get("population") is not None:
            out["neighbourhoods"][nb] = {"population": max(round(spec["population"] * k), 0)}
    if scale_services:
        services: dict = {}
        for name, svc in raw.get("services", {}).items():
            o: dict = {}
            if isinstance(svc.get("servers"), int):
                o["servers"] = max(1, round(svc["servers"] * k))
            if svc.get("staff") is not None:
                o["staff"] = max(svc["staff"] * k, 1.0 / svc.get("caseload", 1))  # at least one case
            arr = svc.get("arrivals") or {}
            if arr.get("rate_per_day") is not None:
                o["arrivals"] = {"rate_per_day": arr["rate_per_day"] * k}
            if arr.get("schedule"):
                o["arrivals"] = {"schedule": [{**s, "rate_per_day": s["rate_per_day"] * k} for s in arr["schedule"]]}
            if o:
                services[name] = o
        out["services"] = services
    return out


def scaled_scenario(n: int, horizon: float | None = None, scale_services: bool = True, path: Path = SCENARIO):
    """The benchmark scenario with ``n`` residents (and ``horizon`` reported days, if given)."""
    import placesim as ps

    raw = yaml.safe_load(path.read_text())
    over = scale_overrides(raw, n, scale_services)
    if horizon is not None:
        every = raw["time"].get("report_every_days", 30)
        over["time"] = {"horizon_days": horizon, "report_every_days": min(every, horizon)}
    return ps.load_scenario(path).with_overrides(over, name=f"{raw.get('name', 'residents')} x {n}")


# ----------------------------------------------------------------------------- one size (child)
def measure(n: int, horizon: float | None = None, scale_services: bool = True, seed: int = SEED) -> dict:
    """Run one replication at ``n`` residents in this process; time, peak RSS and work done."""
    import resource
    import time

    from placesim.run import run_one as run_replication

    sc = scaled_scenario(n, horizon, scale_services)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    c0 = time.process_time()
    t0 = time.perf_counter()
    out, _ = run_replication(sc, seed, 0)
    seconds = time.perf_counter() - t0
    cpu_seconds = time.process_time() - c0
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "residents": n,
        "horizon_days": sc.time.horizon_days,
        "warmup_days": sc.time.warmup_days,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "peak_rss_mb": rss1 / 1024,
        "baseline_rss_mb": rss0 / 1024,
        "run_mb": (rss1 - rss0) / 1024,
        "service_arrivals": int(out["arrivals"].sum()),
        "crises": int(out["crises"].sum()),
        "help_seeking": int(out["help_seeking"].sum()),
    }


def measure_in_subprocess(n: int, horizon: float | None = None, scale_services: bool = True,
                          seed: int = SEED) -> dict:
    """``measure`` in a fresh Python process (so peak memory is this size's alone)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", str(n), "--seed", str(seed)]
    if horizon is not None:
        cmd += ["--horizon", repr(float(horizon))]
    if not scale_services:
        cmd.append("--fixed-services")
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"benchmark child for {n} residents failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------- benchmark
def run(sizes=SIZES, horizon: float | None = 730.0, repeats: int = 3, scale_services: bool = True,
        seed: int = SEED) -> dict:
    """Measure every size ``repeats`` times (fresh process each; sizes interleaved); best time kept.

    Returns ``{"rows": [...], "time_slope": s, "memory_slope": s}``; each row has residents,
    seconds, us_per_resident, peak_rss_mb, run_mb, kb_per_resident, time_ratio and
    memory_ratio (to the previous size; nan for the first), size_ratio, and the work done.
    """
    sizes = [int(s) for s in sizes]
    load = os.getloadavg()[0]
    runs: dict[int, list[dict]] = {n: [] for n in sizes}
    for _ in range(max(1, repeats)):
        for n in sizes:
            runs[n].append(measure_in_subprocess(n, horizon, scale_services, seed))
    best = {}
    for n, ms in runs.items():  # fastest time; largest memory seen (same seed, so near-identical)
        best[n] = {**min(ms, key=lambda m: m["seconds"]),
                   "peak_rss_mb": max(m["peak_rss_mb"] for m in ms), "run_mb": max(m["run_mb"] for m in ms)}
    rows, prev = [], None
    for n in sizes:
        r = dict(best[n])
        r["us_per_resident"] = r["seconds"] / n * 1e6
        r["kb_per_resident"] = r["run_mb"] * 1024 / n
        r["events_per_resident"] = (r["service_arrivals"] + r["crises"] + r["help_seeking"]) / n
        if prev is None:
            r["size_ratio"] = r["time_ratio"] = r["memory_ratio"] = math.nan
        else:
            r["size_ratio"] = n / prev["residents"]
            r["time_ratio"] = r["seconds"] / prev["seconds"]
            r["memory_ratio"] = r["run_mb"] / prev["run_mb"] if prev["run_mb"] > 0 else math.nan
        rows.append(r)
        prev = r
    return {"rows": rows, "time_slope": _slope(rows, "seconds"), "memory_slope": _slope(rows, "run_mb"),
            "scale_services": scale_services, "load": (load, os.getloadavg()[0])}


def _slope(rows: list[dict], key: str) -> float:
    """Least-squares slope of log(key) against log(residents) (1 = linear growth)."""
    pts = [(r["residents"], r[key]) for r in rows if r[key] > 0]
    if len(pts) < 2 or len({n for n, _ in pts}) < 2:
        return math.nan
    x = np.log([n for n, _ in pts])
    y = np.log([v for _, v in pts])
    return float(np.polyfit(x, y, 1)[0])


def report(res: dict, repeats: int) -> str:
    rows = res["rows"]
    h, w = rows[0]["horizon_days"], rows[0]["warmup_days"]
    lines = [
        f"placesim resident scaling: one replication, {h:g} reported days after a {w:g}-day warm-up "
        f"(simulated too), best of {repeats} fresh processes per size",
        f"services {'scaled with residents' if res['scale_services'] else 'FIXED (overloaded at larger sizes)'}; "
        f"memory = peak RSS of the child (getrusage RUSAGE_SELF ru_maxrss); "
        f"run MB = growth of the peak during run_replication",
        f"python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores, "
        f"load average {res['load'][0]:.2f} before / {res['load'][1]:.2f} after",
        "",
    ]
    hdr = (f"{'residents':>9} {'seconds':>8} {'cpu s':>6} {'us/res':>7} {'x time':>7} {'peak MB':>8} {'run MB':>7} "
           f"{'KB/res':>7} {'x mem':>6} {'x size':>6} {'events/res':>10}")
    lines += [hdr, "-" * len(hdr)]
    for r in rows:
        lines.append(f"{r['residents']:>9d} {r['seconds']:>8.3f} {r['cpu_seconds']:>6.2f} {r['us_per_resident']:>7.1f} {_f(r['time_ratio'])} "
                     f"{r['peak_rss_mb']:>8.1f} {r['run_mb']:>7.1f} {r['kb_per_resident']:>7.2f} "
                     f"{_f(r['memory_ratio'], 6)} {_f(r['size_ratio'], 6)} {r['events_per_resident']:>10.2f}")
    lines += [
        "",
        "seconds: wall time of run_replication (us/res from it); cpu s: CPU time of the child;",
        "x time / x mem / x size: ratio to the previous size (about equal for linear growth);",
        "events/res: (service arrivals + crises + help-seeking) per resident in the reported horizon.",
        f"log-log slope: time {res['time_slope']:.3f}, run memory {res['memory_slope']:.3f} (1 = linear).",
    ]
    ts = res["time_slope"]
    if math.isfinite(ts):
        lines.append("Time grows linearly." if ts <= 1.1 else f"Time grows faster than linearly (slope {ts:.2f}).")
    ms = res["memory_slope"]
    if math.isfinite(ms):
        lines.append("Memory grows linearly (or slower)." if ms <= 1.1
                     else f"Memory grows faster than linearly (slope {ms:.2f}).")
    return "\n".join(lines)


def _f(x: float, width: int = 7) -> str:
    return f"{'-':>{width}}" if not math.isfinite(x) else f"{x:>{width}.2f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="resident counts (default 10000 20000 40000)")
    ap.add_argument("--horizon", type=float, default=730.0, help="reported days after the warm-up (default 730)")
    ap.add_argument("--repeats", type=int, default=3, help="fresh-process runs per size; best time kept (default 3)")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--fixed-services", action="store_true", help="scale the residents only, not the services")
    ap.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child is not None:
        print(json.dumps(measure(a.child, a.horizon, not a.fixed_services, a.seed)))
        return 0
    res = run(a.sizes, a.horizon, a.repeats, not a.fixed_services, a.seed)
    print(report(res, a.repeats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
