"""How placesim's time and memory grow with the number of residents, against issue 12's targets.

Three parts, each in fresh Python subprocesses (which import the placesim this script
imports), each reported against its target:

1. **Scaling** (targets: log-log slope of CPU time <= 1.05 from 10,000 to 160,000
   residents). Runs the resident-level scenario ``benchmarks/scenarios/residents.yaml`` (10,000 residents
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
smallest size, run in the same invocation.

2. **Memory at five years** (target: at most 3 KB a resident). The same scenario at
   ``--memory-size`` residents (default 40,000) over 1,825 reported days: "run MB" per
   resident.

3. **A whole borough** (target: a peak under 1 GB). ``scenarios/brent/siloed.yaml`` with
   its cohort sizes times ``--borough-factor`` (default 3: 115,500 households), 1,825
   reported days after the file's own warm-up (``--borough-warmup`` to change it), one
   replication: the peak resident set size of the whole process (getrusage).

This is a report, not a test: exit status 0.

Run:  python benchmarks/bench_residents.py [--sizes 10000 20000 40000 80000 160000] [--horizon 730]
          [--repeats 2] [--memory-size 40000] [--borough-factor 3] [--borough-warmup DAYS]
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
BOROUGH = HERE.parent / "scenarios" / "brent" / "siloed.yaml"
SIZES = (10000, 20000, 40000, 80000, 160000)
SEED = 1
FIVE_YEARS = 1825.0
TARGET_SLOPE = 1.05      # log-log slope of CPU time against residents, 10,000 to 160,000
TARGET_KB = 3.0          # KB a resident at five years
TARGET_PEAK_MB = 1024.0  # peak of the whole-borough run (1 GB)


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


def borough_scenario(factor: float = 3.0, horizon: float = FIVE_YEARS, warmup: float | None = None,
                     path: Path = BOROUGH):
    """Brent (siloed) with every cohort's sizes times ``factor``, ``horizon`` reported days
    (and ``warmup`` days before them, if given; else the file's own)."""
    import placesim as ps

    raw = yaml.safe_load(path.read_text())
    over: dict = {"cohorts": {c: {"size": {nb: round(v * factor) for nb, v in co["size"].items()}}
                              for c, co in raw["cohorts"].items()},
                  "time": {"horizon_days": horizon}}
    if warmup is not None:
        over["time"]["warmup_days"] = warmup
    return ps.load_scenario(path).with_overrides(over, name=f"{raw.get('name', 'brent')} cohorts x {factor:g}")


# ----------------------------------------------------------------------------- one size (child)
def measure(n: int, horizon: float | None = None, scale_services: bool = True, seed: int = SEED,
            borough: tuple[float, float | None] | None = None) -> dict:
    """Run one replication at ``n`` residents in this process (or of the borough, if
    ``borough`` is ``(factor, warmup)``); time, peak RSS and work done."""
    import resource
    import time

    from placesim.run import run_one as run_replication

    if borough is not None:
        sc = borough_scenario(borough[0], FIVE_YEARS if horizon is None else horizon, borough[1])
        n = sum(sum(c.size.values()) for c in sc.cohorts.values())
    else:
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
                          seed: int = SEED, borough: tuple[float, float | None] | None = None) -> dict:
    """``measure`` in a fresh Python process (so peak memory is this size's alone) that
    imports the same placesim as this one."""
    import placesim

    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", str(n), "--seed", str(seed)]
    if horizon is not None:
        cmd += ["--horizon", repr(float(horizon))]
    if not scale_services:
        cmd.append("--fixed-services")
    if borough is not None:
        cmd += ["--borough-factor", repr(float(borough[0]))]
        if borough[1] is not None:
            cmd += ["--borough-warmup", repr(float(borough[1]))]
    where = str(Path(placesim.__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (where, os.environ.get("PYTHONPATH")) if p)}
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"benchmark child for {n} residents failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------- benchmark
def run(sizes=SIZES, horizon: float | None = 730.0, repeats: int = 3, scale_services: bool = True,
        seed: int = SEED) -> dict:
    """Measure every size ``repeats`` times (fresh process each; sizes interleaved); best time kept.

    Returns ``{"rows": [...], "time_slope": s, "cpu_slope": s, "memory_slope": s}``; each
    row has residents, seconds, cpu_seconds, us_per_resident, peak_rss_mb, run_mb,
    kb_per_resident, time_ratio, cpu_ratio and memory_ratio (to the previous size; nan for
    the first), size_ratio, and the work done. The slopes are of wall time, CPU time and
    run memory; CPU time is the one to read on a busy machine.
    """
    sizes = [int(s) for s in sizes]
    load = os.getloadavg()[0]
    runs: dict[int, list[dict]] = {n: [] for n in sizes}
    for _ in range(max(1, repeats)):
        for n in sizes:
            runs[n].append(measure_in_subprocess(n, horizon, scale_services, seed))
    best = {}
    for n, ms in runs.items():  # fastest time; largest memory seen (same seed, so near-identical)
        best[n] = {**min(ms, key=lambda m: m["seconds"]), "cpu_seconds": min(m["cpu_seconds"] for m in ms),
                   "peak_rss_mb": max(m["peak_rss_mb"] for m in ms), "run_mb": max(m["run_mb"] for m in ms)}
    rows, prev = [], None
    for n in sizes:
        r = dict(best[n])
        r["us_per_resident"] = r["seconds"] / n * 1e6
        r["kb_per_resident"] = r["run_mb"] * 1024 / n
        r["events_per_resident"] = (r["service_arrivals"] + r["crises"] + r["help_seeking"]) / n
        if prev is None:
            r["size_ratio"] = r["time_ratio"] = r["cpu_ratio"] = r["memory_ratio"] = math.nan
        else:
            r["size_ratio"] = n / prev["residents"]
            r["time_ratio"] = r["seconds"] / prev["seconds"]
            r["cpu_ratio"] = r["cpu_seconds"] / prev["cpu_seconds"]
            r["memory_ratio"] = r["run_mb"] / prev["run_mb"] if prev["run_mb"] > 0 else math.nan
        rows.append(r)
        prev = r
    return {"rows": rows, "time_slope": _slope(rows, "seconds"), "cpu_slope": _slope(rows, "cpu_seconds"),
            "memory_slope": _slope(rows, "run_mb"), "scale_services": scale_services,
            "load": (load, os.getloadavg()[0])}


def memory_at_five_years(n: int = 40000, seed: int = SEED) -> dict:
    """One replication of ``n`` residents over five reported years, in a fresh process:
    ``measure``'s row plus ``kb_per_resident`` (the run's growth of the peak RSS)."""
    m = measure_in_subprocess(n, FIVE_YEARS, True, seed)
    return {**m, "kb_per_resident": m["run_mb"] * 1024 / n}


def borough_peak(factor: float = 3.0, warmup: float | None = None, horizon: float = FIVE_YEARS,
                 seed: int = SEED) -> dict:
    """One replication of the whole borough (cohorts times ``factor``) in a fresh process:
    ``measure``'s row, its ``peak_rss_mb`` the whole process's peak."""
    return measure_in_subprocess(0, horizon, True, seed, borough=(factor, warmup))


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
    hdr = (f"{'residents':>9} {'seconds':>8} {'cpu s':>7} {'us/res':>7} {'x time':>7} {'x cpu':>6} {'peak MB':>8} "
           f"{'run MB':>7} {'KB/res':>7} {'x mem':>6} {'x size':>6} {'events/res':>10}")
    lines += [hdr, "-" * len(hdr)]
    for r in rows:
        lines.append(f"{r['residents']:>9d} {r['seconds']:>8.3f} {r['cpu_seconds']:>7.2f} {r['us_per_resident']:>7.1f} "
                     f"{_f(r['time_ratio'])} {_f(r['cpu_ratio'], 6)} {r['peak_rss_mb']:>8.1f} {r['run_mb']:>7.1f} "
                     f"{r['kb_per_resident']:>7.2f} {_f(r['memory_ratio'], 6)} {_f(r['size_ratio'], 6)} "
                     f"{r['events_per_resident']:>10.2f}")
    lines += [
        "",
        "seconds: wall time of run_replication (us/res from it); cpu s: its CPU time;",
        "x time / x cpu / x mem / x size: ratio to the previous size (about equal for linear growth);",
        "events/res: (service arrivals + crises + help-seeking) per resident in the reported horizon.",
        f"log-log slope: CPU time {res['cpu_slope']:.3f}, wall time {res['time_slope']:.3f}, "
        f"run memory {res['memory_slope']:.3f} (1 = linear).",
    ]
    cs = res["cpu_slope"]
    if math.isfinite(cs):
        span = f"{rows[0]['residents']:,} to {rows[-1]['residents']:,} residents"
        lines.append(f"CPU-time slope {cs:.3f} from {span}: {cs / TARGET_SLOPE:.2f} x the target of "
                     f"<= {TARGET_SLOPE} ({_met(cs <= TARGET_SLOPE)}).")
    ms = res["memory_slope"]
    if math.isfinite(ms):
        lines.append("Memory grows linearly (or slower)." if ms <= 1.1
                     else f"Memory grows faster than linearly (slope {ms:.2f}).")
    return "\n".join(lines)


def report_memory(m: dict) -> str:
    kb = m["kb_per_resident"]
    return (f"memory at five years: {m['residents']:,} residents, {m['horizon_days']:g} reported days after "
            f"{m['warmup_days']:g} of warm-up: run MB {m['run_mb']:.1f} (peak {m['peak_rss_mb']:.1f}, "
            f"baseline {m['baseline_rss_mb']:.1f}), {kb:.2f} KB a resident: {kb / TARGET_KB:.2f} x the target "
            f"of <= {TARGET_KB:g} KB ({_met(kb <= TARGET_KB)}).")


def report_borough(b: dict, factor: float) -> str:
    peak = b["peak_rss_mb"]
    return (f"whole borough: scenarios/brent/siloed.yaml, cohorts x {factor:g} ({b['residents']:,} households), "
            f"{b['horizon_days']:g} reported days after {b['warmup_days']:g} of warm-up, one replication: "
            f"peak RSS {peak:.0f} MB (baseline {b['baseline_rss_mb']:.0f} MB, run {b['run_mb']:.0f} MB), "
            f"{b['cpu_seconds']:.1f} s CPU, {b['seconds']:.1f} s wall: {peak / TARGET_PEAK_MB:.2f} x the target of "
            f"< {TARGET_PEAK_MB:.0f} MB ({_met(peak < TARGET_PEAK_MB)}).")


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def _f(x: float, width: int = 7) -> str:
    return f"{'-':>{width}}" if not math.isfinite(x) else f"{x:>{width}.2f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=list(SIZES),
                    help="resident counts (default 10000 20000 40000 80000 160000)")
    ap.add_argument("--horizon", type=float, default=730.0, help="reported days after the warm-up (default 730)")
    ap.add_argument("--repeats", type=int, default=2, help="fresh-process runs per size; best time kept (default 2)")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--fixed-services", action="store_true", help="scale the residents only, not the services")
    ap.add_argument("--memory-size", type=int, default=40000,
                    help="residents of the five-year memory run (default 40000; 0 skips it)")
    ap.add_argument("--borough-factor", type=float, default=3.0,
                    help="multiplier of Brent's cohort sizes in the whole-borough run (default 3; 0 skips it)")
    ap.add_argument("--borough-warmup", type=float, default=None,
                    help="warm-up days of the whole-borough run (default: the file's own)")
    ap.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child is not None:
        borough = (a.borough_factor, a.borough_warmup) if a.child == 0 else None
        print(json.dumps(measure(a.child, a.horizon, not a.fixed_services, a.seed, borough)))
        return 0
    res = run(a.sizes, a.horizon, a.repeats, not a.fixed_services, a.seed)
    print(report(res, a.repeats))
    if a.memory_size > 0:
        print()
        print(report_memory(memory_at_five_years(a.memory_size, a.seed)))
    if a.borough_factor > 0:
        print()
        print(report_borough(borough_peak(a.borough_factor, a.borough_warmup, seed=a.seed), a.borough_factor))
    return 0


if __name__ == "__main__":
    sys.exit(main())
