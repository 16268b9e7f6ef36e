"""Shift upstream: a share of each year's cashable savings buys places at a service the next year.

An option that reinvests is run year by year. Its first run has no reinvestment; the
cashable costs it avoids against the baseline in year ``y`` (the mean over replications,
for the organisations named) set the money for the next year: ``share`` of it, if
positive, buys places at the receiving service (e.g. a voluntary-sector advice agency) from
the start of year ``y + 1`` (plus a delay) to the end of the run, at a stated cost per place
a year. The option is then run again with those places, and so on for every year of the
appraisal. Places bought stay funded: each year's savings are net of what the places
already bought cost, so the shift grows only while it keeps paying.

Because a run cannot see the future (common random numbers; a change from day ``d`` leaves
every day before it as it was), year ``y`` is the same in every later run, and the last run
is the option with all its reinvestment. Its own figures (NPV, crises averted) against the
option without reinvestment show whether, and when, the shift pays for itself.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .appraisal import appraise
from .appraisal.valuation import service_uprating
from .compare import Comparison
from .errors import PlacesimError
from .formatting import averted_words, money, pct, range_text
from .plan.clock import DAYS_PER_YEAR
from .results import Results
from .run import Checkpoint, Executor
from .run.pipeline import run_scenarios
from .scenario.scenario import Scenario
from .stats import mean_interval


@dataclass
class Reinvestment:
    """What an option's reinvestment did, year by year.

    Attributes
    ----------
    option
        The option's label.
    into
        The service that received the places.
    years
        One row per appraisal year: ``year`` (0 the first), ``cashable_savings_gbp`` (mean
        cashable costs avoided that year by the organisations named, net of the places
        already bought), ``reinvested_gbp`` (the share of it spent in the next year),
        ``places_added`` (bought from the next year), ``places`` (reinvested places open
        during the year).
    npv_gain
        Per replication: the option's NPV with reinvestment minus its NPV without.
    averted_gain
        Per replication: crises averted with reinvestment minus without.
    without
        The option's results without reinvestment (its first run).
    """

    option: str
    into: str
    share: float
    years: pd.DataFrame
    npv_gain: np.ndarray
    averted_gain: np.ndarray
    without: Results
    level: float = 0.9

    @property
    def places(self) -> int:
        """Places bought over the run."""
        return int(self.years["places_added"].sum())

    def reading(self, names: Mapping[str, str] | None = None) -> str:
        """The shift in plain words; ``names`` gives the option's name (default: its label)."""
        name = (names or {}).get(self.option, self.option)
        npv, lo, hi = mean_interval(self.npv_gain, self.level)
        cr, clo, chi = mean_interval(self.averted_gain, self.level)
        if not self.places:
            return (f"{name}: no year's cashable savings were positive enough to buy a place at "
                    f"{self.into}, so nothing was reinvested.")
        spent = self.years["reinvested_gbp"].sum()
        if self.npv_gain.size < 2:  # one deterministic run (the sd engine): exact differences
            lo = hi = npv
            value = money(npv)
        else:
            value = f"{money(npv)} ({range_text(lo, hi, 'GBP')})"
        crises = averted_words(cr, clo, chi, int(self.averted_gain.size), self.level)
        verdict = ("pays for itself" if lo > 0 else "does not pay for itself" if hi < 0
                   else "cannot be told from paying for itself or not")
        return (f"{name}: reinvesting {pct(self.share)} of each year's cashable savings bought "
                f"{self.places:,} places at {self.into} ({money(spent)} over the run). Against the same option "
                f"without reinvestment the shift {crises} and changes the NPV by {value}: within the "
                f"period it {verdict}.")

    def rows(self) -> list[list[str]]:
        """The years as table rows (year, savings, reinvested next year, places added, places open)."""
        return [[f"{int(r.year) + 1}", money(r.cashable_savings_gbp), money(r.reinvested_gbp),
                 f"{int(r.places_added):,}", f"{int(r.places):,}"] for r in self.years.itertuples()]

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{h}</th>" for h in HEADERS)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in row) + "</tr>" for row in self.rows())
        return f"<p>{html.escape(self.reading())}</p><table><tr>{head}</tr>{body}</table>"


HEADERS = ("Year", "Cashable savings", "Reinvested next year", "Places added next year", "Reinvested places open")


def reinvest(comparison: Comparison, option: str, scenario: Scenario, *, into: str, share: float,
             cost_gbp_per_place_per_year: float, organisations: Sequence[str] | None = None, delay_days: float = 0.0,
             baseline: str | None = None, replications: int, seed: int, executor: str | Executor = "serial",
             workers: int | None = None, progress: bool = False,
             checkpoint: Checkpoint | None = None) -> tuple[Results, Reinvestment]:
    """Run an option that reinvests a share of its cashable savings, year by year.

    Parameters
    ----------
    comparison
        A comparison holding the baseline and the option without reinvestment.
    option
        The option's label in ``comparison``.
    scenario
        The option's scenario (without reinvestment).
    into
        The siloed service that receives the places (not one with unlimited places).
    share
        Share of each year's cashable savings reinvested (0 to 1).
    cost_gbp_per_place_per_year
        Cost of one place a year at the appraisal's price year (``economics.price_year``); the
        scenario's ``added_places`` carry it at the service's own price year.
    organisations
        Organisations whose cashable savings are pooled (default: all).
    delay_days
        Days after a year ends before its money opens places.
    baseline, replications, seed, executor, workers, progress
        The baseline's label (default the comparison's) and how the option is run again
        (the comparison's replications and seed, so that the runs share random numbers).
    checkpoint
        An open :class:`~placesim.run.Checkpoint` (an options file's) keeping each year's
        replications.

    Returns
    -------
    The option's :class:`Results` with every year's reinvestment, and the :class:`Reinvestment`.
    """
    base = baseline or comparison.baseline
    if into not in scenario.model.services:
        raise PlacesimError(f"{option}: reinvest.into {into!r} is not a service of its scenario; services: "
                            f"{', '.join(scenario.model.services)}")
    if math.isinf(scenario.model.services[into].capacity):
        raise PlacesimError(f"{option}: reinvest.into {into!r} has unlimited places; name a service with places")
    if not 0 < share <= 1 or not cost_gbp_per_place_per_year > 0:
        raise PlacesimError(f"{option}: reinvest needs 0 < share <= 1 and a cost per place above 0")
    first = appraise(Comparison({base: comparison.results[base], option: comparison.results[option]}, base),
                     baseline=base)
    orgs = first.organisations
    chosen = list(orgs) if organisations is None else list(organisations)
    unknown = [o for o in chosen if o not in orgs]
    if unknown:
        raise PlacesimError(f"{option}: reinvest.organisations {', '.join(map(repr, unknown))} are not "
                            f"organisations of the comparison; organisations: {', '.join(orgs)}")
    economics = first.economics
    engine = str(comparison.results[option].ds.attrs.get("engine", "des"))
    price = cost_gbp_per_place_per_year
    at_service_prices = price / float(service_uprating(scenario.model, [into], economics)[0])
    years = sorted(set(first.period.year.tolist()))
    added = [a.model_dump() for a in scenario.model.services[into].added_places]
    results, appraisal, current = comparison.results[option], first, scenario
    rows = []
    places_open = 0
    for y in years:
        f = appraisal.flows[option]
        in_year = first.period.year == y
        saved = float(f.cashable_by_org[:, in_year][:, :, [orgs.index(o) for o in chosen]].sum(axis=(1, 2)).mean())
        pot = share * saved if saved > 0 and y != years[-1] else 0.0
        n = int(pot // price)
        rows.append({"year": y, "cashable_savings_gbp": saved, "reinvested_gbp": n * price, "places_added": n,
                     "places": places_open})
        places_open += n
        if n == 0:
            continue
        added.append({"from_day": (y + 1) * DAYS_PER_YEAR + delay_days, "places": n,
                      "cost_gbp_per_place_per_year": at_service_prices,
                      "note": f"reinvested: {share:.0%} of year {y + 1}'s cashable savings"})
        current = scenario.with_overrides({"services": {into: {"added_places": list(added)}}})
        results = run_scenarios({option: current}, replications, seed, executor=executor, workers=workers,
                                progress=progress, engine=engine, label=f"{option}: reinvesting year {y + 1}",
                                checkpoint=checkpoint)[option]
        appraisal = appraise(Comparison({base: comparison.results[base], option: results}, base), baseline=base)
    with_ = appraisal.per_replication(option)
    without = first.per_replication(option)
    table = pd.DataFrame(rows)
    table.attrs["units"] = {"cashable_savings_gbp": "GBP", "reinvested_gbp": "GBP", "places_added": "places",
                            "places": "places"}
    return results, Reinvestment(option, into, share, table, (with_["npv_gbp"] - without["npv_gbp"]).to_numpy(),
                                 (with_["crises_averted"] - without["crises_averted"]).to_numpy(),
                                 comparison.results[option], first.level)
