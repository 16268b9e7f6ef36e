"""Figures as people read them: one way of writing signs, pounds, counts, intervals and
payback months (placesim.formatting), and summary tables that display them so in a notebook
and at the prompt while holding floats (placesim.display)."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from placesim.display import ReadableFrame, readable, readable_frame
from placesim.formatting import (
    NOT_REACHED,
    averted_words,
    count,
    estimate_text,
    fmt,
    money,
    month_text,
    pct,
    range_text,
    settled,
    significant,
)

NAN = math.nan
SCIENTIFIC = re.compile(r"\d[eE][+-]?\d")

figures = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False)
units = st.sampled_from(["", "GBP", "GBP per crisis", "crises", "people", "days", "ratio", "share", "years"])


@given(figures, units)
def test_no_figure_is_written_in_scientific_notation_or_as_minus_zero(x, unit):
    text = fmt(x, unit)
    assert not SCIENTIFIC.search(text), text
    assert not re.fullmatch(r"-£?0(\.0+)?( %)?", text), text


@given(figures)
def test_pounds_are_whole_with_the_sign_before_the_pound(x):
    text = money(x)
    assert re.fullmatch(r"-?£\d{1,3}(,\d{3})*", text), text
    assert text.startswith("-") == (round(x) < 0)
    assert float(text.replace("£", "").replace(",", "")) == pytest.approx(round(x), abs=0.5)


@given(figures, figures, figures, units)
def test_an_interval_is_written_with_the_decimals_of_its_largest_figure(a, b, c, unit):
    mean, lo, hi = sorted([a, b, c])[1], min(a, b, c), max(a, b, c)
    text = estimate_text(mean, lo, hi, unit)
    numbers = re.findall(r"\d[\d,]*(?:\.(\d+))?", text.replace("£", ""))
    assert len({len(d) for d in numbers}) <= 1, text  # every number the same decimals
    assert not SCIENTIFIC.search(text)


def test_the_finance_leads_symptoms_are_gone():
    assert estimate_text(9509.0, 9400.0, 9630.0, "") == "9,509 [9,400, 9,630]"       # not 9.509000e+03
    assert estimate_text(-0.001, -0.003, 0.001, "") == "0.00"                          # not -0.00 ± 0.00
    assert estimate_text(0.024, 0.022, 0.026, "") == "0.02"  # an interval narrower than the last digit: the mean
    assert estimate_text(-0.0, -0.0, 0.0, "GBP") == "£0"
    assert estimate_text(NAN, 12.81, NAN, "month") == f"{NOT_REACHED} (earliest: month 13)"  # not - [12.81, -]
    assert estimate_text(80.1, 61.33, 98.87, "crises") == "80 ± 19"                   # crises as whole numbers
    assert estimate_text(438612.37, 436824.26, 440400.48, "GBP") == "£438,612 ± £1,788"  # no pennies


def test_counts_are_whole_from_ten_and_shares_are_percentages():
    assert fmt(412.3, "crises") == "412" and fmt(8.44, "crises") == "8.4" and fmt(0.354, "crises") == "0.35"
    assert count(1234.6) == "1,235"
    assert pct(0.4567) == "46 %" and pct(0.0) == "0 %" and pct(0.037) == "3.7 %" and pct(1.0) == "100 %"
    assert fmt(NAN) == "-" and fmt(None) == "-"


def test_payback_months_count_from_month_one():
    assert month_text(12.0) == "month 12"            # at the end of the 12th month
    assert month_text(13.4) == "month 14"            # during the 14th
    assert month_text(13.4, 12.2, 17.0) == "month 14 (earliest 13, latest 17)"
    assert month_text(35.48, 28.58, NAN) == f"month 36 (earliest 29, latest: {NOT_REACHED})"
    assert month_text(NAN) == NOT_REACHED
    assert month_text(1096 / (365.25 / 12)) == "month 36"  # the last day of three years, not month 37


def test_an_effect_is_claimed_only_when_its_interval_excludes_zero():
    assert averted_words(30.5, -16.9, 77.9, 10) == ("has no effect on crises detectable with 10 replications "
                                                    "(90 % interval: from 17 more to 78 fewer)")
    assert averted_words(412.0, 388.2, 435.9, 10) == "averts 412 crises (90 % interval 388 to 436)"
    assert averted_words(-12.0, -21.0, -3.0, 10) == "adds 12 crises (90 % interval 3 to 21)"
    assert averted_words(412.0, NAN, NAN, 1) == "averts 412 crises"  # one exact run (the sd engine)
    assert settled(1, 2) and settled(-2, -1) and not settled(-1, 2) and settled(NAN, NAN)
    assert range_text(-60231.2, 73049.4, "GBP") == "-£60,231 to £73,049"


def test_parameter_values_keep_four_significant_figures_without_e_notation():
    assert [significant(x) for x in (20000.0, 0.3149, 1.5, 0.000123456, 123456.7, -2.5, 0.0)] == \
        ["20,000", "0.3149", "1.5", "0.0001235", "123,457", "-2.5", "0"]


# --------------------------------------------------------------------------- tables that display readably
def summary_like() -> pd.DataFrame:
    frame = pd.DataFrame({"unit": ["crises", "GBP", "share", "days"],
                          "mean": [9509.0, 1234567.891, 0.4567, 0.000123],
                          "lower": [9400.0, 1000000.0, 0.4, 0.0],
                          "upper": [9618.0, 1469135.78, 0.51, 0.000246]},
                         index=pd.Index(["crises", "cost: total", "utilisation", "wait"], name="measure"))
    return readable_frame(frame)


def test_a_readable_frame_holds_floats_and_displays_text():
    frame = summary_like()
    assert isinstance(frame, ReadableFrame) and isinstance(frame, pd.DataFrame)
    assert frame.loc["crises", "mean"] == 9509.0 and frame["mean"].dtype == float
    selected = frame.loc[["crises", "cost: total"]]  # a selection keeps the display
    assert isinstance(selected, ReadableFrame) and "£1,234,568" in repr(selected)
    assert type(frame["mean"]) is pd.Series and type(pd.DataFrame(frame)) is pd.DataFrame
    shown = repr(frame) + frame._repr_html_()
    assert not SCIENTIFIC.search(shown), shown
    for text in ("9,509", "£1,234,568", "46 %", "0.00"):
        assert text in shown, text
    assert "£1,234,567.89" not in shown  # no pennies


def test_readable_uses_the_units_of_columns_when_rows_have_none():
    frame = pd.DataFrame({("wait (days)", "mean"): [1234.5], ("wait (days)", "lower"): [np.nan],
                          ("utilisation", "mean"): [0.5]})
    frame.columns = pd.MultiIndex.from_tuples(frame.columns)
    text = readable(frame, {"wait (days)": "days", "utilisation": "share"})
    assert list(text.iloc[0]) == ["1,234", "-", "50 %"]
