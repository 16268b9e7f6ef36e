"""What a calibration writes: calibrated.yaml, parameters.csv, fitted.csv and the diagnostics."""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import yaml

from .._version import __version__
from ..errors import PlacesimError
from ..io import write_bytes_atomic

if TYPE_CHECKING:  # pragma: no cover
    from .calibrate import Calibration

FILES = ("calibrated.yaml", "parameters.csv", "fitted.csv", "diagnostics.png", "diagnostics.html")


def calibrated_yaml(cal: Calibration, folder: Path) -> str:
    """A scenario file that extends the set-up's scenario and overrides the fitted values."""
    st = cal.setup
    scenario_path = (st.folder / st.model.scenario).resolve()
    rel = os.path.relpath(scenario_path, folder.resolve())
    lines = [
        f"# Calibrated by placesim {__version__} on {dt.date.today().isoformat()}",
        f"# set-up: {st.path}",
        f"# observed data: {st.folder / st.model.observed}",
        f"# likelihood: {st.model.likelihood.family}"
        + (f" (size {cal.size:.4g})" if cal.size is not None else ""),
        f"# DES check: {st.model.des.replications} replications, seed {st.model.des.seed}, "
        f"{st.model.des.rounds} refinement round(s)",
        f"# {int(st.model.interval * 100)} % intervals (see parameters.csv):",
    ]
    for r in cal.parameters.itertuples():
        lines.append(f"#   {r.name} = {r.estimate:.6g} [{r.lower:.6g}, {r.upper:.6g}] ({r.mode} of {r.paths})")
    body = {"placesim": 1, "extends": rel, "name": cal.scenario.name, **cal.overrides}
    return "\n".join(lines) + "\n" + yaml.safe_dump(body, sort_keys=False, allow_unicode=True)


def plot_fit(cal: Calibration):
    """One panel per series: observed points, fitted line with its interval bands, and the
    fitting / held-out boundary."""
    import matplotlib.pyplot as plt  # the session's backend: inline in a notebook, Agg without a display

    f = cal.fitted.copy()
    start = cal.scenario.time.start_date
    if start is not None:  # calendar dates on the x axis
        f["period_start"] = np.datetime64(start, "D") + f["period_start"].to_numpy().astype("timedelta64[D]")
    f["series"] = [m if not n else f"{m} ({n})" for m, n in zip(f["measure"], f["neighbourhood"])]
    series = list(dict.fromkeys(f["series"]))
    ncol = 2 if len(series) > 1 else 1
    nrow = int(np.ceil(len(series) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(6.2 * ncol, 3.0 * nrow), squeeze=False, layout="constrained")
    for ax, s in zip(axes.flat, series):
        d = f[f["series"] == s].sort_values("period_start")
        t = d["period_start"].to_numpy()
        ax.fill_between(t, d["predicted_lower"], d["predicted_upper"], step="mid", color="tab:blue", alpha=0.15,
                        label="interval of an observation")
        ax.fill_between(t, d["fitted_lower"], d["fitted_upper"], color="tab:blue", alpha=0.35,
                        label="interval of the fitted value")
        ax.plot(t, d["fitted"], color="tab:blue", lw=1.5, label="fitted")
        if d["des_mean"].notna().any():
            ax.plot(t, d["des_mean"], color="tab:orange", lw=1, ls="--", label="DES mean at the estimate")
        for name, marker in (("fit", "o"), ("holdout", "s")):
            e = d[d["set"] == name]
            ax.plot(e["period_start"], e["observed"], marker, ms=3.5, color="black" if name == "fit" else "tab:red",
                    ls="none", label="observed (fitted)" if name == "fit" else "observed (held out)")
        hold = d[d["set"] == "holdout"]
        if len(hold):
            ax.axvline(hold["period_start"].min(), color="grey", lw=0.8, ls=":")
        ax.set_title(s, fontsize=10)
        if start is None:
            ax.set_xlabel("day from the end of the warm-up")
        else:
            ax.tick_params(axis="x", labelrotation=30, labelsize=8)
        ax.set_ylim(bottom=0)
    for ax in list(axes.flat)[len(series):]:
        ax.set_visible(False)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=3, fontsize=8, frameon=False)
    fig.suptitle(f"{cal.setup.model.name}: observed and fitted ({int(cal.setup.model.interval * 100)} % intervals)",
                 fontsize=11)
    return fig


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    import matplotlib.pyplot as plt
    plt.close(fig)
    return buf.getvalue()


def diagnostics_html(cal: Calibration, png: bytes) -> str:
    """A self-contained page: the figure, the estimates, goodness of fit and the searches."""
    st = cal.setup.model
    esc = html.escape
    fmt = {"estimate": "{:.4g}".format, "lower": "{:.4g}".format, "upper": "{:.4g}".format}
    params = cal.parameters.to_html(index=False, formatters=fmt, classes="t")
    gof = cal.goodness.round(4).to_html(classes="t")
    rounds = cal.rounds.round(5).to_html(index=False, classes="t")
    note = ("" if cal.covariance_ok else
            "<p class=warn>The Hessian is not positive definite: the data do not pin down every parameter; "
            "intervals are shown as the bounds.</p>")
    timings = ", ".join(f"{k} {v:.1f} s" for k, v in cal.timings.items())
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(st.name)}: calibration diagnostics</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 70rem; margin: 2rem auto; padding: 0 1rem; color: #222; }}
table.t {{ border-collapse: collapse; font-size: 0.85rem; margin: 0.5rem 0 1.5rem; }}
table.t td, table.t th {{ border: 1px solid #ccc; padding: 0.2rem 0.5rem; text-align: right; }}
.warn {{ color: #a00; }} img {{ max-width: 100%; }} dt {{ font-weight: bold; }}
</style></head><body>
<h1>{esc(st.name)}</h1>
<p>{esc(st.description or '')}</p>
<p>Scenario <code>{esc(st.scenario)}</code>, data <code>{esc(st.observed)}</code>, likelihood
{esc(st.likelihood.family)}{'' if cal.size is None else f' (size {cal.size:.4g})'}; DES check with
{st.des.replications} replications (seed {st.des.seed}), {st.des.rounds} refinement round(s);
placesim {esc(__version__)}. Run time: {esc(timings)}.</p>
<h2>Observed and fitted</h2>
<img alt="observed against fitted values with intervals" src="data:image/png;base64,{base64.b64encode(png).decode()}">
<h2>Parameters ({int(st.interval * 100)} % intervals)</h2>
{note}{params}
<h2>Goodness of fit</h2>
{gof}
<dl>
<dt>fitted</dt><dd>the SD engine at the estimate, corrected by the DES/SD ratio of each series;</dd>
<dt>des</dt><dd>the mean of the DES check at the estimate;</dd>
<dt>pearson_chi2_per_df</dt><dd>about 1 when observations spread as the likelihood assumes; well above 1 means
more noise (or misfit) than assumed;</dd>
<dt>coverage</dt><dd>the share of observations inside their interval (expected about {st.interval:g});</dd>
<dt>bias_pct</dt><dd>total fitted minus total observed, as a percentage of observed.</dd>
</dl>
<h2>Searches</h2>
{rounds}
</body></html>
"""


def write_outputs(cal: Calibration, out: Path) -> dict[str, Path]:
    """Write every output file into ``out`` (created if missing; each file written atomically)."""
    if out.exists() and not out.is_dir():
        raise PlacesimError(f"cannot write the calibration to {out}: it is a file, not a folder")
    out.mkdir(parents=True, exist_ok=True)
    png = _png(plot_fit(cal))
    contents = {
        "calibrated.yaml": calibrated_yaml(cal, out).encode(),
        "parameters.csv": cal.parameters[["name", "estimate", "lower", "upper", "start", "bound_lower",
                                          "bound_upper", "mode", "paths"]].to_csv(index=False).encode(),
        "fitted.csv": cal.fitted.to_csv(index=False).encode(),
        "diagnostics.png": png,
        "diagnostics.html": diagnostics_html(cal, png).encode(),
    }
    return {name: write_bytes_atomic(data, out / name) for name, data in contents.items()}
