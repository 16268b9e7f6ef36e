"""The budget planner's HTML report: self-contained, every section, atomic writes, and the
page as a real browser shows it (headless Chromium from the system's packages)."""

from __future__ import annotations

import base64
import html
import json
import math
import os
import shutil
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import xarray as xr
import yaml

import placesim as ps
from placesim.appraisal import appraise
from placesim.report import SECTIONS, build_report, report_from_netcdf, write_report
from placesim.report.headline import headline_frame
from placesim.report.messages import break_even_message, key_messages, payback_message, review_message
from placesim.report.provenance import comparison_assumptions
from placesim.review import review_power

ROOT = Path(__file__).resolve().parents[1]
HARLESDEN = ROOT / "calibration/harlesden/scenario.yaml"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
OPTIONS = ["int_5day", "int_1day"]

ECONOMICS = {
    "price_year": "2023/24",
    "deflator": {"series": "UK GDP deflator (2020 = 100), test copy",
                 "source": "scenarios/reference/gdp_deflator.csv",
                 "index": {"2010": 81.5, "2011": 83.3, "2012": 84.6, "2013": 86.4, "2014": 87.5,
                           "2023": 112.8, "2024": 117.3}},
    "optimism_bias_percent": 20,
    "cashable": {"default": 0.2, "temporary_accommodation": 0.8},
}
"""Economics of the test scenarios; the index covers every price year they use."""

INT = {
    "name": "Harlesden INT", "organisation": "council",
    "neighbourhoods": {"Harlesden": {"start_day": 210}},  # seven monthly bins in: a six-month review fits
    "days_per_week": 5, "front_door": False,
    "workers": {
        "debt_adviser": {"fte": 2, "domains": ["money"], "caseload": 25, "cost_per_fte_gbp_per_year": 66000,
                         "organisation": "vcs"},
        "housing_officer": {"fte": 2, "domains": ["housing"], "caseload": 25, "cost_per_fte_gbp_per_year": 66000},
    },
    "assessment": {"cost_gbp": 80},
    "duration": {"distribution": "lognormal", "mean_days": 90, "sd_days": 45},
    "effect": {"escalation_multiplier": 0.2, "recovery_multiplier": 3.0},
    "on_completion": {"resolve_probability": 0.4, "step_down_probability": 0.4},
    "warm_handover": {"loss": 0.05},
    "case_finding": {"screen_every_days": 28, "coverage": 0.6, "sensitivity": 0.6, "specificity": 0.9,
                     "acceptance": 0.6, "contact_cost_gbp": 40, "max_contacts_per_screen": 100},
    "costs": {"premises_gbp_per_year": 10000, "setup_gbp": 5000, "price_year": "2013/14"},
    "funding_shares": {"council": 0.6, "vcs": 0.4},
}


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def comparison() -> ps.Comparison:
    """Harlesden alone, 14 months after a 3-month warm-up: the siloed baseline and two INT options."""
    siloed = ps.load_scenario(HARLESDEN).with_overrides(
        {"time": {"horizon_days": 420, "warmup_days": 90, "report_every_days": 30}, "economics": ECONOMICS},
        name="Harlesden (siloed)")
    five = siloed.with_overrides({"int": INT}, name="Harlesden INT, 5 days a week")
    one = five.with_overrides({"int": {"days_per_week": 1}}, name="Harlesden INT, 1 day a week")
    return ps.compare({"siloed": siloed, "int_5day": five, "int_1day": one}, replications=3, seed=1)


@pytest.fixture(scope="module")
def appraisal(comparison):
    return appraise(comparison)


@pytest.fixture(scope="module")
def review(comparison):
    return review_power(comparison, "int_5day", months=6)


@pytest.fixture(scope="module")
def report(comparison, appraisal, review) -> str:
    return build_report(comparison, appraisal, review, title="Harlesden INT options (test)")


@pytest.fixture(scope="module")
def saved(comparison, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("results") / "comparison.nc"
    comparison.to_netcdf(path)
    return path


class Page(HTMLParser):
    """Ids, attributes of every tag and the rows of the headline table, from HTML text."""

    def __init__(self, text: str):
        super().__init__()
        self.ids: list[str] = []
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.headline_rows = 0
        self._in_headline = False
        self._in_body = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        self.tags.append((tag, a))
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "table" and a.get("id") == "headline-table":
            self._in_headline = True
        elif self._in_headline and tag == "tbody":
            self._in_body = True
        elif self._in_body and tag == "tr":
            self.headline_rows += 1

    def handle_endtag(self, tag):
        if tag == "table":
            self._in_headline = self._in_body = False


# --------------------------------------------------------------------------- the page
def test_report_has_every_section(report):
    ids = Page(report).ids
    for section in SECTIONS:
        assert section in ids, section
    assert len(ids) == len(set(ids)), "ids must be unique"
    assert "break-even" not in ids  # only when break-even values are given


def test_report_is_self_contained(report):
    page = Page(report)
    refs = [a.get(k, "") for _, a in page.tags for k in ("src", "href")]
    assert not [r for r in refs if r.lower().startswith(("http:", "https:", "//", "file:"))]
    assert all(r.startswith(("#", "data:image/png;base64,")) for r in refs if r)
    assert not [t for t, _ in page.tags if t in ("script", "link", "iframe", "object", "embed")]
    assert "@import" not in report and "url(" not in report


def test_every_figure_is_an_inline_png_with_alt_text_and_an_id(report):
    images = [a for t, a in Page(report).tags if t == "img"]
    assert len(images) >= 8  # crises x2, payback, NPV, one per option, journeys, review
    for a in images:
        assert a["id"] and len(a["alt"]) > 20, a.get("id")
        data = base64.b64decode(a["src"].split(",", 1)[1])
        assert data[:8] == b"\x89PNG\r\n\x1a\n"


def test_headline_table_has_a_row_per_option(report, appraisal):
    assert Page(report).headline_rows == len(OPTIONS)
    frame = headline_frame(appraisal)
    assert list(frame.index) == OPTIONS
    for cell in frame.loc["int_5day"]:
        mean = cell.split(" ± ")[0].split(" [")[0]
        assert html.escape(mean) in report, cell


def test_the_headline_cells_can_be_any_figures_of_the_appraisal(appraisal):
    cells = headline_frame(appraisal, ["bcr", "public_value_bcr", "crises_averted"])
    assert list(cells.columns) == ["bcr", "public_value_bcr", "crises_averted"]
    s = appraisal.summary()
    for option in appraisal.options:
        detectable = s.loc[option, "crises_averted_lower"] > 0 or s.loc[option, "crises_averted_upper"] < 0
        assert cells.loc[option, "crises_averted"].startswith("none detectable") != detectable


def test_every_option_has_its_savings_by_organisation(report, appraisal):
    ids = Page(report).ids
    for i in range(len(appraisal.options)):
        assert f"organisations-table-{i}" in ids and f"fig-organisations-{i}" in ids


def test_method_box_states_prices_discounting_and_runs(report, comparison):
    for text in ("2023/24", "UK GDP deflator (2020 = 100), test copy", "3.5 % a year in years 0-30",
                 "20 % added to INT costs", "Seed", str(comparison.ds.attrs["seed"]), ps.__version__,
                 "des (discrete-event"):
        assert text in report, text


def test_review_power_is_shown_with_its_reading(report, review):
    assert "id='review-power'" in report and "id='fig-review'" in report
    assert "before-after evaluation at six months" in report
    assert "Not available" not in report


def test_review_not_available_says_why(comparison, appraisal):
    text = build_report(comparison, appraisal, None, review_note="not available: the windows do not fit")
    assert "Not available: the windows do not fit" in text
    assert "id='fig-review'" not in text


def test_assumptions_list_baseline_parameters_and_option_changes(report):
    assert "id='assumptions-table'" in report
    assert "cohorts.<wbr>financial_hardship.<wbr>size.<wbr>Harlesden" in report
    assert "int.<wbr>days_per_week" in report  # an option's change
    assert "assumption" in report and "set in Python" in report


def test_break_even_values_get_a_section(comparison, appraisal, review):
    class Found:
        label = "int_5day"

        def __str__(self) -> str:
            return "int_5day pays for itself while the INT's effect is at least 0.4"

    text = build_report(comparison, appraisal, review, break_evens=[Found()])
    assert "id='break-even'" in text and "effect is at least 0.4" in text


def test_building_closes_its_figures(comparison, appraisal, review):
    import matplotlib.pyplot as plt

    before = set(plt.get_fignums())
    build_report(comparison, appraisal, review)
    assert set(plt.get_fignums()) == before


# --------------------------------------------------------------------------- writing
def test_write_report_is_atomic(comparison, appraisal, review, tmp_path, monkeypatch):
    out = tmp_path / "report.html"
    assert write_report(out, comparison, appraisal, review) == out
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")

    import placesim.report.build as build

    def broken(*args, **kw):
        raise RuntimeError("figure failed")

    out.write_text("the previous report", encoding="utf-8")
    monkeypatch.setattr(build, "method_section", broken)
    with pytest.raises(RuntimeError, match="figure failed"):
        write_report(out, comparison, appraisal, review)
    assert out.read_text(encoding="utf-8") == "the previous report"
    fresh = tmp_path / "new.html"
    with pytest.raises(RuntimeError):
        write_report(fresh, comparison, appraisal, review)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_report_from_netcdf_round_trip(saved, appraisal, tmp_path):
    out = report_from_netcdf(saved, tmp_path / "report.html")
    text = out.read_text(encoding="utf-8")
    page = Page(text)
    assert all(s in page.ids for s in SECTIONS)
    assert page.headline_rows == len(OPTIONS)
    assert "id='review-power'" in text  # default: the first option with an INT, six months
    reopened = appraise(ps.Comparison.open(saved))
    assert headline_frame(reopened).equals(headline_frame(appraisal))
    assert "Harlesden (siloed)" in text  # the baseline's scenario name, from the file


def test_report_from_netcdf_reads_the_review_settings(saved, tmp_path):
    with xr.open_dataset(saved) as ds:
        ds = ds.load()
    ds.attrs["review"] = json.dumps({"option": "int_1day", "months": 12, "alpha": 0.05})
    path = tmp_path / "twelve.nc"
    ds.to_netcdf(path)
    text = report_from_netcdf(path, tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Not available: the twelve-month window before the team starts" in text
    assert "id='fig-review'" not in text


def test_single_run_file_is_a_clear_error(comparison, tmp_path):
    single = comparison.results["siloed"].to_netcdf(tmp_path / "run.nc")
    with pytest.raises(ps.PlacesimError, match="single run, not a comparison"):
        report_from_netcdf(single, tmp_path / "report.html")
    assert not (tmp_path / "report.html").exists()


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ps.PlacesimError, match="no results file"):
        report_from_netcdf(tmp_path / "absent.nc", tmp_path / "report.html")


def test_baseline_without_economics_is_a_clear_error(saved, tmp_path):
    with xr.open_dataset(saved) as ds:
        ds = ds.load()
    texts = [str(t) for t in ds["scenario_yaml"].values]
    data = yaml.safe_load(texts[0])
    data.pop("economics")
    texts[0] = yaml.safe_dump(data, sort_keys=False)
    ds["scenario_yaml"] = ("scenario", texts)
    path = tmp_path / "no_economics.nc"
    ds.to_netcdf(path)
    with pytest.raises(ps.PlacesimError, match="baseline scenario 'siloed' has no economics"):
        report_from_netcdf(path, tmp_path / "report.html")


# --------------------------------------------------------------------------- in a browser
def _browser():
    """A headless Chromium driven by the system chromedriver (never Selenium Manager)."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing.append("the selenium package")
    if missing:
        reason = (f"no browser to test the report in: {', '.join(missing)} missing "
                  "(apt-get install chromium chromium-driver; pip install -e '.[test]')")
        if os.environ.get("PLACESIM_REQUIRE_BROWSER") == "1":
            pytest.fail(reason + "; PLACESIM_REQUIRE_BROWSER=1 requires it", pytrace=False)
        pytest.skip(reason)
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tempfile.mkdtemp(prefix="placesim-chromium-")
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                f"--user-data-dir={profile}", "--window-size=1100,900"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    return driver, profile


def test_report_in_a_real_browser(comparison, appraisal, review, tmp_path):
    driver, profile = _browser()  # skips (or fails) here, before the report is built, when there is no browser
    from selenium.webdriver.common.by import By

    # a reference as long as Brent's (a title and an address) in the assumptions table
    tables, _ = comparison_assumptions(comparison)
    tables["siloed"].loc[tables["siloed"].index[0], "references"] = (
        "BR01: Brent population (Census 2021) (Future Brent: About Brent, the borough profile) "
        "https://www.brent.gov.uk/" + "the-council-and-democracy/borough-profile-and-statistics/" * 4)
    try:
        out = write_report(tmp_path / "report.html", comparison, appraisal, review, assumptions=tables,
                           title="Harlesden INT options (test)")
        driver.get(out.resolve().as_uri())
        assert driver.execute_script("return document.readyState") == "complete"
        assert driver.title == "Harlesden INT options (test)"
        severe = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
        assert not severe, severe

        images = driver.execute_script(
            "return Array.from(document.images).map(i => [i.id, i.complete, i.naturalWidth, i.alt]);")
        assert len(images) >= 8
        for id_, complete, width, alt in images:
            assert complete and width > 0, f"figure {id_} did not render"
            assert id_ and alt
        for section in SECTIONS:
            assert driver.find_element(By.ID, section).is_displayed(), section
        rows = driver.find_elements(By.CSS_SELECTOR, "#headline-table tbody tr")
        assert len(rows) == len(OPTIONS)
        # options by name, each with its label (its id in options.csv) beneath
        names = comparison.names
        assert [r.find_element(By.TAG_NAME, "strong").text for r in rows] == [names[o] for o in OPTIONS]
        assert [r.find_element(By.CSS_SELECTOR, "td .ci").text for r in rows] == OPTIONS
        # the key messages open the page, above the headline table
        messages = driver.find_elements(By.CSS_SELECTOR, "#key-messages li.message")
        assert len(messages) == 4
        assert messages[0].location["y"] < driver.find_element(By.ID, "headline-table").location["y"]

        # no sideways scrolling on a laptop (1280 px) or at the width of an A4 page (794 CSS pixels),
        # and no element reaching past the right edge
        for width, height in ((1280, 900), (794, 1123)):
            driver.set_window_size(width, height)
            assert driver.execute_script(
                "return document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1"), width
            beyond = driver.execute_script(
                "const w = document.documentElement.clientWidth;"
                "return Array.from(document.querySelectorAll('body *'))"
                ".filter(e => e.getBoundingClientRect().right > w + 1).map(e => e.tagName + ' ' + e.className);")
            assert not beyond, (width, beyond[:5])
        driver.set_window_size(1100, 900)

        width, height = driver.execute_script(
            "return [document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
        shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}})
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
    png = tmp_path / "report.png"
    png.write_bytes(base64.b64decode(shot["data"]))
    assert png.stat().st_size > 10_000 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    from PIL import Image

    with Image.open(png) as img:
        assert img.size[1] >= 3000  # the whole page, not the first screen
        assert img.convert("RGB").getcolors(maxcolors=64) is None  # figures, not a blank page
    stable = os.environ.get("PLACESIM_SCREENSHOT_DIR")
    if stable:
        Path(stable).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(png, Path(stable) / "report.png")
        assert (Path(stable) / "report.png").stat().st_size == png.stat().st_size


# --------------------------------------------------------------------------- the answer first
def test_key_messages_open_the_report_each_backed_by_a_figure(report):
    ids = Page(report).ids
    assert ids.index("key-messages") < ids.index("headline")
    for message in ("payback", "crises", "review", "break-even"):
        assert f"message-{message}" in ids
    assert report.index("The answer first") < report.index("id='headline-table'")


def test_the_crises_message_claims_an_effect_only_where_its_interval_excludes_zero(comparison, appraisal):
    [crises] = [m for m in key_messages(appraisal, comparison.names) if m.id == "crises"]
    s = appraisal.summary()
    for option in appraisal.options:
        [point] = [p for p in crises.points if p.startswith(f'"{comparison.names[option]}" ')]
        lo, hi = s.loc[option, "crises_averted_lower"], s.loc[option, "crises_averted_upper"]
        assert ("no effect on crises detectable with 3 replications" in point) == (lo <= 0 <= hi), point
        assert ("averts" in point) == (lo > 0), point


def stub(rows: list[dict]) -> SimpleNamespace:
    """What the key messages read of an appraisal, with chosen figures (36 months, 10 replications)."""
    columns = {"npv_gbp": 0.0, "payback_month": math.nan, "bcr": 1.0, "crises_averted": 10.0,
               "pv_int_cost_gbp": 100.0, "pv_costs_avoided_gbp": 100.0}
    frame = []
    for row in rows:
        full = {"option": row["option"]}
        for name, default in columns.items():
            value = row.get(name, default)
            mean, lo, hi = value if isinstance(value, tuple) else (value, value, value)
            full.update({name: mean, f"{name}_lower": lo, f"{name}_upper": hi})
        frame.append(full)
    summary = pd.DataFrame(frame).set_index("option")
    options = list(summary.index)
    return SimpleNamespace(summary=lambda: summary, options=options, baseline="base", level=0.9,
                           period=SimpleNamespace(days=36 * 365.25 / 12), comparison=None,
                           flows={o: SimpleNamespace(int_cost=np.zeros((10, 3))) for o in options})


NAMES = {"base": "Today", "a": "Option A", "b": "Option B"}


def test_an_option_pays_back_only_when_its_net_present_value_interval_is_above_zero():
    pays = stub([{"option": "a", "npv_gbp": (5000.0, 1000.0, 9000.0), "payback_month": (20.2, 15.0, 30.0)},
                 {"option": "b", "npv_gbp": (-50.0, -90.0, -10.0)}])
    m = payback_message(pays, NAMES)
    assert m.figure == "£5,000"
    assert m.text.startswith("Option A pays back within the 36 months: its net present value is £5,000 "
                             "(90 % interval £1,000 to £9,000) and it pays back in month 21 (earliest 15, latest 30).")
    assert "The other option does not" in m.text
    might = stub([{"option": "a", "npv_gbp": (6409.0, -60231.0, 73049.0)}, {"option": "b", "npv_gbp": -50.0}])
    m = payback_message(might, NAMES)
    assert m.text.startswith("No option is sure to pay back within the 36 months. Option A might: its net present "
                             "value, £6,409, has a 90 % interval from -£60,231 to £73,049, which includes zero.")
    none = stub([{"option": "a", "npv_gbp": (-73240.0, -146580.0, -100.0), "bcr": 0.83},
                 {"option": "b", "npv_gbp": (-820821.0, -932684.0, -708957.0), "bcr": 0.61}])
    m = payback_message(none, NAMES)
    assert m.figure == "-£73,240" and m.text.startswith("No option pays back within the 36 months")
    assert "The nearest, Option A, has a net present value of -£73,240" in m.text and "83p" in m.text


def test_what_would_have_to_be_true_to_break_even():
    short = stub([{"option": "a", "bcr": 0.8, "pv_int_cost_gbp": 100000.0, "pv_costs_avoided_gbp": 80000.0},
                  {"option": "b", "bcr": 0.5}])
    m = break_even_message(short, NAMES)
    assert m.figure == "1.2 times"  # 1 / 0.8 = 1.25, to one decimal
    assert ("For Option A, the nearest to breaking even, to pay for itself the costs it avoids would have to be "
            "1.2 times what is simulated (£100,000 instead of £80,000, discounted), or its INT would have to cost "
            "20 % less.") == m.text
    spare = stub([{"option": "a", "bcr": 2.0}, {"option": "b", "bcr": 1.25}])
    m = break_even_message(spare, NAMES)
    assert m.figure == "20 %" and "Option B, with least to spare, would stop if the costs it avoids fell by 20 %" \
        in m.text

    class Found:
        option, parameter, value = "a", "int.effect.escalation_multiplier", 0.3149

    m = break_even_message(short, NAMES, [Found()])
    assert m.points == ["Option A would break even if int.effect.escalation_multiplier were 0.3149."]


def test_review_message_says_why_it_is_missing():
    m = review_message(None, NAMES, "not available: the windows do not fit")
    assert m.figure == "n/a" and m.text.endswith("not available: the windows do not fit.")
