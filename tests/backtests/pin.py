"""Re-pin back-test results: ``python -m tests.backtests.pin [CASE ...]``.

Run only when a change is meant to move the numbers, and say why in the commit.
"""

from __future__ import annotations

import sys

from placesim.io import atomic_path

from .cases import CASES, PINS
from .run import pin_path, run_case


def main(argv: list[str]) -> int:
    names = argv or list(CASES)
    unknown = [n for n in names if n not in CASES]
    if unknown:
        print(f"unknown case(s): {', '.join(unknown)}; cases are {', '.join(CASES)}", file=sys.stderr)
        return 2
    PINS.mkdir(exist_ok=True)
    for name in names:
        ds = run_case(CASES[name])
        encoding = {v: {"zlib": True, "complevel": 6} for v in ds.data_vars if ds[v].dtype.kind in "fiu"}
        with atomic_path(pin_path(name)) as tmp:
            ds.to_netcdf(tmp, engine="netcdf4", encoding=encoding)
        print(f"pinned {name}: {pin_path(name).stat().st_size / 1024:.0f} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
