"""The answer first: key messages a finance lead can read in a minute, each backed by a figure.

Which option, if any, pays back within the period; how many crises each averts (claimed only
where the interval excludes zero); the chance that the pilot's review sees its effect; and
what would have to be true to break even. The report opens with them
(:func:`key_messages_section`) and the ``options`` command prints them before its table.
See docs/decisions.md, 'The answer first'.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..appraisal.valuation import DAYS_PER_MONTH
from ..formatting import (
    averted_words,
    fmt,
    is_missing,
    level_text,
    money,
    month_text,
    pct,
    range_text,
    settled,
    significant,
)
from ..scenario.paths import get_path, parse_path
from .page import esc, section

if TYPE_CHECKING:
    from ..appraisal import Appraisal
    from ..compare import Comparison
    from ..review import ReviewPower

TITLE = "The answer first: key messages"


@dataclass(frozen=True)
class KeyMessage:
    """One key message.

    Attributes
    ----------
    id
        Its id in the report (``message-<id>``).
    figure, caption
        The figure that backs it (e.g. ``-£73,240``) and what that figure is.
    text
        The message in plain English.
    points
        Further lines, one per option (may be empty).
    """

    id: str
    figure: str
    caption: str
    text: str
    points: list[str] = field(default_factory=list)


def _replications(appraisal: Appraisal) -> int:
    flows = next(iter(appraisal.flows.values()), None)
    return int(flows.int_cost.shape[0]) if flows is not None else 0


def payback_message(appraisal: Appraisal, names: Mapping[str, str]) -> KeyMessage:
    """Which option pays back within the period: net present value above zero with an
    interval clear of zero; one whose interval includes zero might; the rest do not."""
    s = appraisal.summary()
    months = appraisal.period.days / DAYS_PER_MONTH
    level = level_text(appraisal.level)
    period = f"the {months:.0f} months"
    lo, hi = s["npv_gbp_lower"], s["npv_gbp_upper"]
    pays = [o for o in s.index if s.at[o, "npv_gbp"] > 0 and settled(lo[o], hi[o])]
    might = [o for o in s.index if not settled(lo[o], hi[o])]
    if pays:
        best = max(pays, key=lambda o: s.at[o, "npv_gbp"])
        r = s.loc[best]
        text = (f"{names[best]} pays back within {period}: its net present value is {money(r['npv_gbp'])} "
                f"({level} interval {range_text(lo[best], hi[best], 'GBP')})")
        if not is_missing(r["payback_month"]):
            text += (" and it pays back in "
                     + month_text(r["payback_month"], r["payback_month_lower"], r["payback_month_upper"]))
        text += "."
        others = [names[o] for o in pays if o != best]
        if others:
            text += f" So {'does' if len(others) == 1 else 'do'} {_and(others)}."
        rest = len(s) - len(pays)
        if rest:
            text += f" The other {_options(rest)} {'does' if rest == 1 else 'do'} not, or not for certain."
        return KeyMessage("payback", money(r["npv_gbp"]), "net present value of the best option", text)
    if might:
        best = max(might, key=lambda o: s.at[o, "npv_gbp"])
        r = s.loc[best]
        text = (f"No option is sure to pay back within {period}. {names[best]} might: its net present value, "
                f"{money(r['npv_gbp'])}, has a {level} interval from {range_text(lo[best], hi[best], 'GBP')}, "
                f"which includes zero.")
        if len(might) > 1:
            text += f" So might {_and([names[o] for o in might if o != best])}."
        rest = len(s) - len(might)
        if rest:
            text += (f" The other {_options(rest)} {'does' if rest == 1 else 'do'} not pay back: "
                     f"even the top of {'its' if rest == 1 else 'each'} interval is below zero.")
        return KeyMessage("payback", money(r["npv_gbp"]), "net present value of the best option", text)
    best = max(s.index, key=lambda o: s.at[o, "npv_gbp"])
    r = s.loc[best]
    every = "its" if len(s) == 1 else "every option's"
    text = (f"No option pays back within {period}: {every} net present value is below zero, even at the top "
            f"of its {level} interval. The nearest, {names[best]}, has a net present value of "
            f"{money(r['npv_gbp'])} ({level} interval {range_text(lo[best], hi[best], 'GBP')})"
            + (f"; it avoids {_pence(r['bcr'])} of costs for each £1 it costs." if not is_missing(r["bcr"]) else "."))
    return KeyMessage("payback", money(r["npv_gbp"]), "net present value of the best option", text)


def crises_message(appraisal: Appraisal, names: Mapping[str, str]) -> KeyMessage:
    """Crises averted by each option over the period, claimed only where the interval excludes zero."""
    s = appraisal.summary()
    n = _replications(appraisal)
    months = appraisal.period.days / DAYS_PER_MONTH
    order = sorted(s.index, key=lambda o: -s.at[o, "crises_averted"])
    points = [f"{names[o]} " + averted_words(s.at[o, "crises_averted"], s.at[o, "crises_averted_lower"],
                                             s.at[o, "crises_averted_upper"], n, appraisal.level) + "."
              for o in order]
    detected = [o for o in order if s.at[o, "crises_averted"] > 0
                and settled(s.at[o, "crises_averted_lower"], s.at[o, "crises_averted_upper"])]
    if detected:
        top = detected[0]
        text = (f"Over the {months:.0f} months, {names[top]} averts the most crises: "
                f"{fmt(s.at[top, 'crises_averted'], 'crises')} across the borough.")
        none = [o for o in order if not settled(s.at[o, "crises_averted_lower"], s.at[o, "crises_averted_upper"])]
        if none:
            text += (f" For {_and([names[o] for o in none])} no effect on crises is detectable with {n} "
                     "replications: an effect is claimed only when its interval excludes zero.")
        return KeyMessage("crises", fmt(s.at[top, "crises_averted"], "crises"), "crises averted, the most of any "
                          "option", text, points)
    text = (f"No option averts a number of crises detectable with {n} replications over the {months:.0f} months: "
            "every interval of crises averted includes zero (or lies below it).")
    return KeyMessage("crises", "none", "crises averted, detectably", text, points)


def review_message(review: ReviewPower | None, names: Mapping[str, str], note: str = "") -> KeyMessage:
    """The chance that the pilot's review sees its effect (its power), and what that means."""
    if review is None:
        why = note.removeprefix("not available: ") or "it was not computed for these results"
        return KeyMessage("review", MISSING_FIGURE, "chance that the review sees the pilot's effect",
                          f"The chance that the pilot's review sees its effect is not available: {why}.")
    months = _months(review.months)
    name = names.get(review.option, review.option)
    where = ", ".join(review.neighbourhoods)
    lo, hi = review.power_interval
    text = (f"A {months}-month review of {name}, comparing crises in {where} before and after the team started, "
            f"would see a significant fall in {pct(review.power)} of simulated worlds ({level_text(0.9)} interval "
            f"{pct(lo)} to {pct(hi)}).")
    rlo, rhi = review.true_reduction_interval
    if review.true_reduction > 0 and settled(rlo, rhi):
        text += (f" The pilot does avert crises there ({fmt(review.true_reduction, 'crises')} in those {months} "
                 f"months, {level_text(0.9)} interval {range_text(rlo, rhi, 'crises')}), so a review that finds "
                 f"nothing would be wrong {pct(1 - review.power)} of the time.")
    else:
        text += (f" In {where} over those {months} months the pilot "
                 f"{averted_words(review.true_reduction, rlo, rhi, review.replications)}, so the review cannot "
                 "be expected to see it.")
    if review.false_alarm > review.alpha:
        text += f" Without the pilot it would still report a fall {pct(review.false_alarm)} of the time."
    return KeyMessage("review", pct(review.power), "chance that the review sees the pilot's effect", text)


def break_even_message(appraisal: Appraisal, names: Mapping[str, str], break_evens: Sequence[Any] = (),
                       comparison: Comparison | None = None) -> KeyMessage:
    """What would have to be true to break even: for the option nearest to it (or, if every
    option pays back, the one with least to spare), how far costs avoided or the INT's cost
    would have to move; and each break-even value searched."""
    s = appraisal.summary()
    bcr = s["bcr"].dropna()
    points = [_break_even_point(b, names, comparison) for b in break_evens]
    if bcr.empty:
        return KeyMessage("break-even", MISSING_FIGURE, "benefit-cost ratio",
                          "No option has a benefit-cost ratio (no INT cost against the baseline).", points)
    losing = bcr[bcr < 1]
    if not losing.empty:
        o = losing.idxmax()
        r = s.loc[o]
        need = 1 / bcr[o] if bcr[o] > 0 else math.inf
        text = (f"For {names[o]}, the nearest to breaking even, to pay for itself the costs it avoids would have "
                f"to be {_times(need)} what is simulated ({money(r['pv_int_cost_gbp'])} instead of "
                f"{money(r['pv_costs_avoided_gbp'])}, discounted), or its INT would have to cost "
                f"{pct(1 - max(bcr[o], 0))} less.")
        return KeyMessage("break-even", _times(need), "the costs avoided needed to break even, as a multiple of "
                          "those simulated", text, points)
    o = bcr.idxmin()
    r = s.loc[o]
    text = (f"Every option pays for itself on average. {names[o]}, with least to spare, would stop if the costs "
            f"it avoids fell by {pct(1 - 1 / bcr[o])} ({money(r['pv_costs_avoided_gbp'])} to "
            f"{money(r['pv_int_cost_gbp'])}, discounted).")
    return KeyMessage("break-even", pct(1 - 1 / bcr[o]), "fall in costs avoided the weakest option can bear", text,
                      points)


def key_messages(appraisal: Appraisal, names: Mapping[str, str] | None = None, review: ReviewPower | None = None,
                 review_note: str = "", break_evens: Sequence[Any] = (),
                 comparison: Comparison | None = None, additions: Sequence[Any] = ()) -> list[KeyMessage]:
    """The key messages, in order: payback, crises, those of any addition (the chance each
    option pays back under parameter uncertainty), the review, break-even.

    Parameters
    ----------
    appraisal
        The options' appraisal.
    names
        Option label -> name (default: the comparison's :attr:`~placesim.Comparison.names`);
        the messages quote them.
    review, review_note
        The pilot's review power, or why it is not available.
    break_evens
        Break-even searches (:class:`placesim.BreakEven`).
    comparison
        The comparison appraised (default: the appraisal's); gives each break-even parameter's
        value in the option.
    additions
        Analyses of the same options adding their own messages
        (:class:`~placesim.report.addition.ReportAddition`).
    """
    comparison = comparison if comparison is not None else appraisal.comparison  # type: ignore[assignment]
    if names is None:
        names = getattr(comparison, "names", {}) or {}
    named = {str(k): str(v) for k, v in names.items()}
    for label in [appraisal.baseline, *appraisal.options]:
        named.setdefault(label, label)
    named = {k: f'"{v}"' for k, v in named.items()}  # names may hold commas: quoted, a list of them reads
    out = [payback_message(appraisal, named), crises_message(appraisal, named)]
    for addition in additions:
        out += addition.key_messages(named)
    if review is not None or review_note:
        out.append(review_message(review, named, review_note))
    out.append(break_even_message(appraisal, named, break_evens, comparison))
    return out


def key_messages_text(messages: Sequence[KeyMessage]) -> list[str]:
    """The messages as plain lines (the terminal): the figure, then the message and its points."""
    lines = []
    for m in messages:
        lines.append(f"{m.figure}  {m.caption}: {m.text}")
        lines += [f"    - {p}" for p in m.points]
    return lines


def key_messages_section(messages: Sequence[KeyMessage], baseline: str) -> str:
    """The report's opening section: each message beside its figure."""
    items = []
    for m in messages:
        points = "".join(f"<li>{esc(p)}</li>" for p in m.points)
        items.append(f"<li class='message' id='message-{esc(m.id)}'>"
                     f"<div class='figure-cell'><span class='headline-number'>{esc(m.figure)}</span>"
                     f"<span class='ci'>{esc(m.caption)}</span></div>"
                     f"<div class='message-text'><p>{esc(m.text)}</p>"
                     + (f"<ul>{points}</ul>" if points else "") + "</div></li>")
    body = (f"<ol class='messages'>{''.join(items)}</ol>"
            f"<p class='note'>Every figure is against {esc(baseline)}; the sections below give the detail.</p>")
    return section("key-messages", TITLE, body)


MISSING_FIGURE = "n/a"
"""The figure of a message whose figure is not available."""


def _and(items: Sequence[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _options(n: int) -> str:
    """What follows 'the other': ``option`` or ``3 options``."""
    return "option" if n == 1 else f"{n} options"


def _pence(bcr: float) -> str:
    """A benefit-cost ratio as money per £1: ``83p`` or ``£1.40``."""
    return f"{100 * bcr:.0f}p" if bcr < 1 else f"£{bcr:.2f}"


def _times(x: float) -> str:
    return "no finite multiple" if not math.isfinite(x) else f"{x:.1f} times" if x < 10 else f"{x:,.0f} times"


def _months(m: float) -> str:
    words = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve")
    return words[int(m) - 1] if float(m).is_integer() and 1 <= m <= 12 else f"{m:g}"


def _break_even_point(b: Any, names: Mapping[str, str], comparison: Comparison | None) -> str:
    """One break-even search in words."""
    option = str(getattr(b, "option", "") or getattr(b, "label", ""))
    name = names.get(option, option)
    value = getattr(b, "value", None)
    parameter = getattr(b, "parameter", None)
    if value is None or parameter is None:
        note = str(getattr(b, "note", "") or b)
        return f"{name}: {note}"
    current = _current(comparison, option, parameter)
    now = f" (the option takes {significant(current)})" if current is not None else ""
    return f"{name} would break even if {parameter} were {significant(value)}{now}."


def _current(comparison: Comparison | None, option: str, parameter: str) -> float | None:
    if comparison is None or option not in comparison.results:
        return None
    try:
        value = get_path(comparison.results[option].scenario().to_dict(), parse_path(parameter))
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
