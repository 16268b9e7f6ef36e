"""The outputs of a PSA: the draws, the decision table, the value of information.

:class:`Uncertainty` wraps the PSA's Dataset (``.ds``: draw x option x measure) and the
set-up it came from; every table is computed from the Dataset, so a PSA read back from
``psa.nc`` (:meth:`Uncertainty.open`) gives the same tables.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr

from ..display import readable_frame
from ..errors import PlacesimError
from ..formatting import money, pct
from ..io import atomic_path, write_netcdf
from .in_options import key_message, sections
from .report import write_report
from .sensitivity import morris, sobol, tornado
from .voi import evpi, evppi_table, evsi_review

if TYPE_CHECKING:
    from ..report.messages import KeyMessage
    from .files import UncertaintySetup

MEASURES = {
    "npv_gbp": "GBP",
    "bcr": "ratio",
    "int_cost_gbp": "GBP",
    "pv_int_cost_gbp": "GBP",
    "costs_avoided_gbp": "GBP",
    "pv_costs_avoided_gbp": "GBP",
    "crises_averted": "crises",
    "npv_with_carry_forward_gbp": "GBP",
    "public_value_npv_gbp": "GBP",
}
"""Per-draw figures of each option (the appraisal's, see docs/budget-planners-guide.md) and their units."""


class Uncertainty:
    """A probabilistic sensitivity analysis: every option at every draw of the parameters.

    Attributes
    ----------
    ds
        ``value`` (draw x option x measure, :data:`MEASURES`), its Monte Carlo standard
        error ``mc_se`` (DES with replications), who pays and who saves by organisation,
        and the draws (``parameter_value``, ``parameter_quantile``).
    setup
        The section and scenarios (None for a PSA read from a file).
    """

    def __init__(self, ds: xr.Dataset, setup: UncertaintySetup | None = None,
                 runner: Callable[..., np.ndarray] | None = None):
        self.ds = ds
        self.setup = setup
        self.runner = runner
        """Runs parameter values (row x parameter) to figures (row x option x measure), with
        the PSA's engine and executor options as keywords (None for a PSA read from a file)."""
        self.sensitivity_table: pd.DataFrame | None = None
        self._evppi: pd.DataFrame | None = None

    # ------------------------------------------------------------------ basics
    @property
    def section(self) -> dict[str, Any]:
        return json.loads(self.ds.attrs["section"])

    @property
    def options(self) -> list[str]:
        return [str(o) for o in self.ds["option"].values]

    @property
    def parameters(self) -> list[str]:
        return [str(p) for p in self.ds["parameter"].values]

    @property
    def level(self) -> float:
        return float(self.section.get("level", 0.9))

    @property
    def baseline(self) -> str:
        return str(self.ds.attrs["baseline"])

    def measure(self, name: str) -> pd.DataFrame:
        """One measure, draw x option."""
        return self.ds["value"].sel(measure=name).to_pandas()

    def net_benefit(self, value_per_crisis_gbp: float = 0.0) -> np.ndarray:
        """Net benefit, draw x (baseline, options): NPV plus ``value_per_crisis_gbp`` per
        crisis averted; the baseline's is zero."""
        v = self.ds["value"]
        nb = v.sel(measure="npv_gbp").values + value_per_crisis_gbp * v.sel(measure="crises_averted").values
        return np.column_stack([np.zeros(len(nb)), nb])

    # ------------------------------------------------------------------ decision
    def decision(self, value_per_crisis_gbp: float = 0.0) -> pd.DataFrame:
        """One row per decision (the baseline, then each option): the chance it pays back
        (NPV > 0), the chance it is best (highest net benefit, the baseline's being zero),
        expected NPV with an interval over the draws (the central ``level`` share),
        expected loss (what choosing it forgoes, on average, against the best at each
        draw), crises averted and BCR with intervals (``decision.csv``). With
        ``value_per_crisis_gbp``, ``expected_npv_gbp`` and its interval, ``p_best`` and the
        expected loss are of the net benefit (NPV plus that value per crisis averted);
        ``p_npv_positive`` stays the chance the NPV itself is positive."""
        nb = self.net_benefit(value_per_crisis_gbp)
        npv = self.net_benefit(0.0)
        best = nb.argmax(axis=1)
        loss = nb.max(axis=1)[:, None] - nb
        lo_q, hi_q = (1 - self.level) / 2, (1 + self.level) / 2
        rows = []
        for j, option in enumerate([self.baseline, *self.options]):
            row: dict[str, Any] = {"option": option, "p_npv_positive": float((npv[:, j] > 0).mean()) if j else np.nan,
                                   "p_best": float((best == j).mean()), "expected_npv_gbp": float(nb[:, j].mean()),
                                   "npv_lower_gbp": float(np.quantile(nb[:, j], lo_q)),
                                   "npv_upper_gbp": float(np.quantile(nb[:, j], hi_q)),
                                   "expected_loss_gbp": float(loss[:, j].mean())}
            for m, unit in (("crises_averted", ""), ("bcr", ""), ("pv_int_cost_gbp", "_gbp"),
                            ("pv_costs_avoided_gbp", "_gbp")):
                stem = m.removesuffix("_gbp")
                if j == 0:
                    row[f"expected_{stem}{unit}"] = row[f"{stem}_lower{unit}"] = row[f"{stem}_upper{unit}"] = 0.0
                    continue
                v = self.ds["value"].sel(option=option, measure=m).values
                v = v[np.isfinite(v)]
                row[f"expected_{stem}{unit}"] = float(v.mean()) if v.size else np.nan
                row[f"{stem}_lower{unit}"] = float(np.quantile(v, lo_q)) if v.size else np.nan
                row[f"{stem}_upper{unit}"] = float(np.quantile(v, hi_q)) if v.size else np.nan
            if j and np.isfinite(self.ds["mc_se"].sel(option=option, measure="npv_gbp").values).any():
                se = self.ds["mc_se"].sel(option=option, measure="npv_gbp").values
                row["npv_mc_se_gbp"] = float(np.sqrt(np.nanmean(se ** 2) / len(se)))
            rows.append(row)
        frame = pd.DataFrame(rows).set_index("option")
        frame.attrs["units"] = {c: ("GBP" if c.endswith("_gbp") else "share" if c.startswith("p_") else "")
                                for c in frame.columns}
        return readable_frame(frame)

    def ceac(self, values: np.ndarray | None = None) -> pd.DataFrame:
        """The cost-effectiveness acceptability curve: the chance each decision is best at
        each value per crisis averted (beyond the service costs already in the NPV)."""
        if values is None:
            lo, hi = self.section.get("value_per_crisis_gbp", (0.0, 50_000.0))
            values = np.linspace(lo, hi, 51)
        rows = {}
        for lam in values:
            best = self.net_benefit(float(lam)).argmax(axis=1)
            rows[float(lam)] = [(best == j).mean() for j in range(len(self.options) + 1)]
        frame = pd.DataFrame.from_dict(rows, orient="index", columns=[self.baseline, *self.options])
        frame.index.name = "value_per_crisis_gbp"
        return frame

    def by_organisation(self) -> pd.DataFrame:
        """Who pays and who saves, with intervals over the draws (parameter uncertainty):
        one row per (option, organisation)."""
        lo_q, hi_q = (1 - self.level) / 2, (1 + self.level) / 2
        rows = []
        for option in self.options:
            for org in self.ds["organisation"].values:
                row: dict[str, Any] = {"option": option, "organisation": str(org)}
                for var in ("int_cost_by_org", "costs_avoided_by_org", "npv_by_org"):
                    v = self.ds[var].sel(option=option, organisation=org).values
                    stem = var.replace("_by_org", "_gbp")
                    row[stem], row[f"{stem}_lower"], row[f"{stem}_upper"] = (
                        float(v.mean()), float(np.quantile(v, lo_q)), float(np.quantile(v, hi_q)))
                rows.append(row)
        return readable_frame(pd.DataFrame(rows).set_index(["option", "organisation"]))

    # ------------------------------------------------------------------ value of information
    def evpi(self, value_per_crisis_gbp: float = 0.0) -> float:
        """Expected value of perfect information per decision (GBP)."""
        return evpi(self.net_benefit(value_per_crisis_gbp))

    def evppi(self, value_per_crisis_gbp: float = 0.0, seed: int = 0, strict: bool = False) -> pd.DataFrame:
        """EVPPI of every parameter and group, and EVPI as the row ``all`` (``evppi.csv``);
        see :func:`~placesim.uncertainty.voi.evppi_table` (``strict``: refuse a set with
        too few draws, rather than leave its row NaN with a note)."""
        sec = self.section
        scale = float(self.ds.attrs["population_scale"])
        table = evppi_table(self.net_benefit(value_per_crisis_gbp), self.ds["parameter_quantile"].values,
                            self.parameters, sec.get("groups") or {}, scale, seed, strict=strict)
        if "review_evidence" in self.ds:
            ev = self.ds["review_evidence"]
            try:
                value: float = self.evsi(value_per_crisis_gbp, seed) or 0.0
                note = f"EVSI of the {ev.attrs.get('months', 6):g}-month review of {ev.attrs.get('option')}"
            except PlacesimError as exc:
                value, note = np.nan, str(exc)
            total = float(table.loc[table["parameter"] == "all", "evppi_gbp"].iloc[0])
            row = {"parameter": "six_month_review", "kind": "evsi", "members": str(ev.attrs.get("option")),
                   "evppi_gbp": value, "evppi_population_gbp": value * scale,
                   "share_of_evpi": value / total if total > 0 else 0.0, "metamodel_r2": np.nan, "note": note,
                   "cost_gbp": float(ev.attrs.get("cost_gbp", np.nan))}
            table = pd.concat([table.iloc[:-1], pd.DataFrame([row]), table.iloc[-1:]], ignore_index=True)
        return table

    def evsi(self, value_per_crisis_gbp: float = 0.0, seed: int = 0) -> float | None:
        """EVSI of the six-month review of the options file's ``review.option`` (GBP per
        decision; see :func:`~placesim.uncertainty.voi.evsi_review`), or None without one."""
        if "review_evidence" not in self.ds:
            return None
        ev = self.ds["review_evidence"]
        return evsi_review(self.net_benefit(value_per_crisis_gbp), ev.sel(window="before").values,
                           ev.sel(window="after").values, self.ds.attrs["engine"] == "sd", seed)

    # ------------------------------------------------------------------ what drives the answer
    def sensitivity(self, methods: Sequence[str] = ("tornado", "morris", "sobol"), *, trajectories: int = 10,
                    sobol_base: int = 512, **run: Any) -> pd.DataFrame:
        """Tornado, Morris and Sobol (:mod:`~placesim.uncertainty.sensitivity`) on NPV and
        crises averted, each running its own design of the options (``run``: ``executor``,
        ``workers``, ``progress`` ... as for :func:`placesim.uncertainty`). Kept as
        ``sensitivity_table`` (``sensitivity.csv``)."""
        if self.setup is None or self.runner is None:
            raise PlacesimError("a PSA read from a file cannot run more designs; run placesim.uncertainty again")
        runner = self.runner
        sec = self.setup.section

        def run_design(x: np.ndarray) -> np.ndarray:
            return runner(x, **run)

        unknown = [m for m in methods if m not in ("tornado", "morris", "sobol")]
        if unknown:
            raise PlacesimError(f"unknown method(s) {', '.join(unknown)}; methods: tornado, morris, sobol")
        args = (sec, run_design, self.options, list(MEASURES))
        frames = []
        if "tornado" in methods:
            frames.append(tornado(*args))
        if "morris" in methods:
            frames.append(morris(*args, trajectories=trajectories, seed=int(self.ds.attrs["seed"])))
        if "sobol" in methods:
            frames.append(sobol(*args, base=sobol_base, seed=int(self.ds.attrs["seed"])))
        self.sensitivity_table = pd.concat(frames, ignore_index=True)
        return self.sensitivity_table

    # ------------------------------------------------------------------ output
    def summary(self) -> pd.DataFrame:
        return self.decision()

    def evppi_kept(self) -> pd.DataFrame:
        """:meth:`evppi` of the NPV alone, computed once (the report and key message share it)."""
        if self._evppi is None:
            self._evppi = self.evppi()
        return self._evppi

    def key_messages(self, names: Mapping[str, str]) -> list[KeyMessage]:
        """The options report's key message of this PSA (:mod:`.in_options`)."""
        return [key_message(self, names, self.evppi_kept())]

    def report_sections(self) -> list[tuple[str, str, str]]:
        """The options report's section of this PSA (:mod:`.in_options`)."""
        return sections(self, self.evppi_kept())

    def write(self, out: str | Path, report: bool = True, value_per_crisis_gbp: float = 0.0) -> dict[str, Path]:
        """Write ``psa.nc``, ``decision.csv``, ``evppi.csv``, ``sensitivity.csv`` (when
        computed) and ``report.html`` into folder ``out``, each atomically. The decision
        table and the value of information are of net benefit: NPV plus
        ``value_per_crisis_gbp`` per crisis averted (default: the NPV alone)."""
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        paths = {"psa.nc": folder / "psa.nc", "decision.csv": folder / "decision.csv",
                 "evppi.csv": folder / "evppi.csv"}
        write_netcdf(self.ds, paths["psa.nc"])
        with atomic_path(paths["decision.csv"]) as tmp:
            pd.DataFrame(self.decision(value_per_crisis_gbp)).to_csv(tmp)
        evppi = self.evppi_kept() if value_per_crisis_gbp == 0 else self.evppi(value_per_crisis_gbp)
        with atomic_path(paths["evppi.csv"]) as tmp:
            evppi.to_csv(tmp, index=False)
        if self.sensitivity_table is not None:
            paths["sensitivity.csv"] = folder / "sensitivity.csv"
            with atomic_path(paths["sensitivity.csv"]) as tmp:
                self.sensitivity_table.to_csv(tmp, index=False)
        if report:
            paths["report.html"] = folder / "report.html"
            write_report(paths["report.html"], self, evppi)
        return paths

    @classmethod
    def open(cls, path: str | Path) -> Uncertainty:
        """A PSA read back from its ``psa.nc``, or from the folder ``placesim uncertainty``
        wrote (its ``psa.nc``, and its ``sensitivity.csv`` where there is one)."""
        path = Path(path)
        nc = path / "psa.nc" if path.is_dir() else path
        if not nc.is_file():
            raise PlacesimError(f"no PSA at {path}: expected psa.nc or the folder placesim uncertainty wrote it to")
        try:
            with xr.open_dataset(nc) as ds:
                u = cls(ds.load())
            if "value" not in u.ds or "section" not in u.ds.attrs:
                raise ValueError("it holds no PSA draws")
        except (OSError, ValueError) as exc:
            raise PlacesimError(f"{nc} is not a PSA written by placesim uncertainty: {exc}") from None
        sens = nc.parent / "sensitivity.csv"
        if sens.is_file():
            u.sensitivity_table = pd.read_csv(sens)
        return u

    def __repr__(self) -> str:
        a = self.ds.attrs
        return (f"<Uncertainty {a.get('name')!r}: {a.get('samples')} draws x {len(self.options)} options, "
                f"{len(self.parameters)} parameters, {a.get('engine')} engine>")

    def _repr_html_(self) -> str:
        d = pd.DataFrame(self.decision())
        lines = [f"<p><b>{html.escape(str(self.ds.attrs.get('name')))}</b>: probabilistic sensitivity analysis, "
                 f"{self.ds.attrs.get('samples')} draws of {len(self.parameters)} parameters "
                 f"({html.escape(str(self.ds.attrs.get('engine')))} engine). "
                 f"EVPI {money(self.evpi())} per decision.</p>",
                 "<ul>"]
        for option in self.options:
            lines.append(f"<li>{html.escape(option)}: pays back in {pct(d.loc[option, 'p_npv_positive'])} of draws, "
                         f"best in {pct(d.loc[option, 'p_best'])}</li>")
        lines.append("</ul>")
        return "".join(lines) + self.decision()._repr_html_()
