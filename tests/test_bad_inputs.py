"""A catalogue of bad inputs, each with the message it must give.

Every case writes a small scenario file (a valid BASE with one thing broken) and asserts
that ``placesim.load_scenario`` raises ``ScenarioError`` naming the file, the dotted field
path and the 1-based line of the mistake, in the rendered form users see
(``file:line: path: message``), together with the key words of the explanation.

The expected line is marked in the YAML itself with a trailing ``#<`` comment (so the
tables stay readable and the numbers cannot drift from the text); cases where a comment
is impossible give ``line=`` explicitly.
"""

from __future__ import annotations

import math
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

import placesim as ps
import placesim.cli as cli
from placesim import Problem, Scenario, ScenarioError

MARK = "#<"

BASE = """\
placesim: 1
name: base
time:
  horizon_days: 60
  warmup_days: 0
  report_every_days: 30
neighbourhoods:
  north:
    population: 1000
  south:
    population: 1000
domains:
  money:
    front_door: advice
    crisis:
      responses:
        - service: ae
          probability: 0.3
  housing:
    front_door: housing
cohorts:
  hardship:
    size:
      north: 100
      south: 100
    initial:
      money: [0.6, 0.25, 0.1, 0.05]
    hazards:
      money:
        onset_per_year: 0.3
        help_seeking_per_year: [0.2, 0.6]
services:
  advice:
    organisation: vcs
    domains: [money]
    servers: 5
    duration:
      distribution: lognormal
      mean_days: 60
      sd_days: 30
    referrals:
      - to: housing
        probability: 0.5
  housing:
    organisation: council
    domains: [housing]
    staff: 2
    caseload: 10
    duration:
      distribution: exponential
      mean_days: 30
  ae:
    organisation: nhs
    servers: unlimited
    duration: {distribution: fixed, days: 0.2}
    arrivals: {rate_per_day: 2, level: 3}
int:
  neighbourhoods:
    north:
      start_day: 0
  days_per_week: 5
  workers:
    adviser: {fte: 2, domains: [money], caseload: 25}
  duration: {distribution: exponential, mean_days: 90}
  funding_shares:
    council: 0.6
    nhs: 0.4
"""


def bad(*edits: tuple[str, str], text: str = BASE) -> str:
    """``text`` with each ``(old, new)`` replacement made; ``old`` must occur exactly once."""
    for old, new in edits:
        assert text.count(old) == 1, f"edit target not unique in the base scenario: {old!r}"
        text = text.replace(old, new)
    return text


def with_attributes(value: str = "disabled: {help_seeking: 0.8}", values: str | None = None,
                    shares: str | None = "disability: {disabled: 0.2, other: 0.8}") -> str:
    """BASE with an attributes section (one attribute, two values) and the cohort's shares."""
    section = values if values is not None else f"    values:\n      {value}\n      other: {{}}"
    own = f"    attributes:\n      {shares}\n" if shares is not None else ""
    head = "  hardship:\n" if shares is not None else "  hardship:  #<\n"  # no shares: reported at the cohort
    return bad(("cohorts:\n  hardship:\n", f"attributes:\n  disability:\n{section}\ncohorts:\n{head}{own}"))


def marked_line(text: str) -> int:
    lines = [i for i, line in enumerate(text.splitlines(), start=1) if MARK in line]
    assert len(lines) == 1, f"expected one {MARK!r} marker, found lines {lines}"
    return lines[0]


def where(file: str | Path, line: int | None, path: str) -> str:
    """The start of a rendered problem: ``file:line: path:``."""
    head = str(file) + (f":{line}" if line is not None else "") + ":"
    return head + (f" {path}:" if path else "")


def problem_at(exc: ScenarioError, file: str | Path, line: int | None, path: str) -> Problem:
    """The problem reported at (file, line, path), after checking that the rendered
    message names them; fails listing what was reported otherwise."""
    text = str(exc)
    head = where(file, line, path)
    matches = [p for p in exc.problems if p.file == str(file) and p.line == line and p.path == path]
    assert matches, f"no problem at {head!r}; got:\n{text}"
    rendered = [ln.strip() for ln in text.splitlines() if ln.strip().startswith(head)]
    assert rendered, f"{head!r} does not start any line of the message:\n{text}"
    return matches[0]


def assert_words(problem: Problem, words: tuple[str, ...]) -> None:
    for w in words:
        assert w in problem.message, f"{w!r} not in {str(problem)!r}"


def assert_bad_file(tmp_path: Path, files: dict[str, str], *, path: str, words: tuple[str, ...],
                    line: int | None = None, file: str | None = None, load: str | None = None
                    ) -> ScenarioError:
    """Write ``files`` into ``tmp_path``, load ``load`` (default: the first file) and assert
    the problem at (``file``, ``line``, ``path``) says ``words``.

    ``file`` defaults to the loaded file; ``line`` to the line marked ``#<`` in ``file``.
    """
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    load = load or next(iter(files))
    file = file or load
    if line is None:
        line = marked_line(files[file])
    with pytest.raises(ScenarioError) as info:
        ps.load_scenario(tmp_path / load)
    assert_words(problem_at(info.value, tmp_path / file, line, path), words)
    assert "Traceback" not in str(info.value)
    return info.value


# --------------------------------------------------------------------------- the catalogue


@dataclass(frozen=True)
class Bad:
    """One class of bad input: the YAML, and where and what the message must say."""

    yaml: str
    path: str
    words: tuple[str, ...]
    line: int | None = None  # default: the line marked #<


CATALOGUE: dict[str, Bad] = {
    # ---- wrong types
    "text-for-whole-number": Bad(
        bad(("    servers: 5\n", "    servers: ten  #<\n")),
        "services.advice.servers", ("expected a whole number or 'unlimited'", "got 'ten'")),
    "text-for-number": Bad(
        bad(("      mean_days: 30\n", "      mean_days: thirty  #<\n")),
        "services.housing.duration.mean_days", ("expected a number", "got 'thirty'")),
    "fraction-for-whole-number": Bad(
        bad(("    caseload: 10\n", "    caseload: 2.5  #<\n")),
        "services.housing.caseload", ("expected a whole number", "got 2.5")),
    "list-where-mapping-expected": Bad(
        bad(("time:\n  horizon_days: 60\n  warmup_days: 0\n  report_every_days: 30\n",
             "time: [60, 0, 30]  #<\n")),
        "time", ("expected a mapping", "got a list [60, 0, 30]")),
    "mapping-where-list-expected": Bad(
        bad(("    referrals:\n      - to: housing\n        probability: 0.5\n",
             "    referrals:  #<\n      to: housing\n      probability: 0.5\n")),
        "services.advice.referrals", ("expected a list", "got a mapping")),
    "number-where-distribution-expected": Bad(
        bad(("    duration:\n      distribution: exponential\n      mean_days: 30\n",
             "    duration: 30  #<\n")),
        "services.housing.duration", ("expected a mapping", "got 30")),
    "empty-value-for-required-text": Bad(
        bad(("    organisation: vcs\n", "    organisation:  #<\n")),
        "services.advice.organisation", ("expected text", "got nothing")),
    "services-as-a-list": Bad(
        bad(("services:\n  advice:\n", "services:  #<\n- advice:\n")),
        "services", ("expected a mapping", "got a list")),
    "wrong-format-version": Bad(
        bad(("placesim: 1\n", "placesim: 2  #<\n")),
        "placesim", ("expected 1", "got 2")),
    # ---- numbers out of range
    "negative-arrival-rate": Bad(
        bad(("arrivals: {rate_per_day: 2, level: 3}", "arrivals: {rate_per_day: -2, level: 3}  #<")),
        "services.ae.arrivals.rate_per_day", ("must be at least 0", "got -2")),
    "negative-servers": Bad(
        bad(("    servers: 5\n", "    servers: -1  #<\n")),
        "services.advice.servers", ("servers must be at least 1", "'unlimited'", "got -1")),
    "zero-servers": Bad(
        bad(("    servers: 5\n", "    servers: 0  #<\n")),
        "services.advice.servers", ("servers must be at least 1", "got 0")),
    "negative-int-start-day": Bad(
        bad(("      start_day: 0\n", "      start_day: -7  #<\n")),
        "int.neighbourhoods.north.start_day", ("must be at least 0", "got -7")),
    "negative-cohort-size": Bad(
        bad(("      north: 100\n", "      north: -100  #<\n")),
        "cohorts.hardship.size.north", ("sizes must be >= 0", "-100")),
    "negative-coupling": Bad(
        bad(("cohorts:\n", "coupling:\n  money:\n    housing: -1  #<\ncohorts:\n")),
        "coupling.money.housing", ("coupling of 'money' on 'housing'", "finite number >= 0", "got -1")),
    "infinite-number": Bad(
        bad(("arrivals: {rate_per_day: 2, level: 3}", "arrivals: {rate_per_day: .inf, level: 3}  #<")),
        "services.ae.arrivals.rate_per_day", ("infinite number", "finite number")),
    "not-a-number": Bad(
        bad(("    caseload: 10\n", "    caseload: .nan  #<\n")),
        "services.housing.caseload", ("not-a-number", "finite number")),
    "hazard-pair-too-long": Bad(
        bad(("help_seeking_per_year: [0.2, 0.6]", "help_seeking_per_year: [0.2, 0.6, 0.1]  #<")),
        "cohorts.hardship.hazards.money.help_seeking_per_year", ("takes at most 2 entries", "got 3")),
    "negative-hazard": Bad(
        bad(("help_seeking_per_year: [0.2, 0.6]", "help_seeking_per_year: [0.2, -0.6]  #<")),
        "cohorts.hardship.hazards.money.help_seeking_per_year", ("finite and >= 0", "-0.6")),
    # ---- probabilities
    "probability-over-1": Bad(
        bad(("        probability: 0.5\n", "        probability: 1.5  #<\n")),
        "services.advice.referrals[0].probability", ("must be at most 1", "got 1.5")),
    "crisis-probability-over-1": Bad(
        bad(("          probability: 0.3\n", "          probability: 3  #<\n")),
        "domains.money.crisis.responses[0].probability", ("must be at most 1", "got 3")),
    # ---- crisis contacts per episode (crisis.responses[].contacts)
    "crisis-contacts-mean-below-1": Bad(
        bad(("          probability: 0.3\n",
             "          probability: 0.3\n          contacts:\n            mean: 0.5  #<\n            over_days: 30\n")),
        "domains.money.crisis.responses[0].contacts.mean", ("must be at least 1", "got 0.5")),
    "crisis-contacts-mean-too-large": Bad(
        bad(("          probability: 0.3\n",
             "          probability: 0.3\n          contacts: {mean: 5000, over_days: 30}  #<\n")),
        "domains.money.crisis.responses[0].contacts.mean", ("must be at most 1000", "got 5000")),
    "crisis-contacts-dispersion-zero": Bad(
        bad(("          probability: 0.3\n",
             "          probability: 0.3\n          contacts:\n            mean: 2\n            dispersion: 0  #<\n"
             "            over_days: 30\n")),
        "domains.money.crisis.responses[0].contacts.dispersion", ("must be greater than 0", "got 0")),
    "crisis-contacts-over-days-missing": Bad(
        bad(("          probability: 0.3\n",
             "          probability: 0.3\n          contacts:  #<\n            mean: 2\n")),
        "domains.money.crisis.responses[0].contacts.over_days", ("required field missing",)),
    "crisis-contacts-over-days-zero": Bad(
        bad(("          probability: 0.3\n",
             "          probability: 0.3\n          contacts:\n            mean: 2\n            over_days: 0  #<\n")),
        "domains.money.crisis.responses[0].contacts.over_days", ("must be greater than 0", "got 0")),
    "crisis-contacts-as-a-number": Bad(
        bad(("          probability: 0.3\n", "          probability: 0.3\n          contacts: 3  #<\n")),
        "domains.money.crisis.responses[0].contacts", ("expected a mapping", "got 3")),
    "referral-probabilities-sum-over-1": Bad(
        bad(("    referrals:\n      - to: housing\n        probability: 0.5\n",
             "    referrals:  #<\n      - to: housing\n        probability: 0.7\n"
             "      - to: ae\n        probability: 0.6\n")),
        "services.advice.referrals", ("on 'completed' sum to 1.3", "at most 1")),
    "completion-probabilities-sum-over-1": Bad(
        bad(("      sd_days: 30\n",
             "      sd_days: 30\n    on_completion:\n      resolve_probability: 0.7  #<\n"
             "      step_down_probability: 0.6\n")),
        "services.advice.on_completion.resolve_probability",
        ("resolve_probability + step_down_probability = 1.3", "at most 1")),
    "initial-mix-not-summing-to-1": Bad(
        bad(("money: [0.6, 0.25, 0.1, 0.05]", "money: [0.6, 0.25, 0.1, 0.5]  #<")),
        "cohorts.hardship.initial.money", ("initial mix of 'money' sums to 1.45", "expected 1")),
    "initial-mix-wrong-length": Bad(
        bad(("money: [0.6, 0.25, 0.1, 0.05]", "money: [0.6, 0.4]  #<")),
        "cohorts.hardship.initial.money", ("needs 4 shares", "got 2")),
    "int-funding-shares-not-summing-to-1": Bad(
        bad(("  funding_shares:\n", "  funding_shares:  #<\n"), ("nhs: 0.4", "nhs: 0.5")),
        "int.funding_shares", ("funding_shares sum to 1.1", "expected 1")),
    # ---- names that must exist
    "unknown-service-in-referral": Bad(
        bad(("      - to: housing\n", "      - to: housing_opts  #<\n")),
        "services.advice.referrals[0].to", ("unknown service 'housing_opts'", "did you mean 'housing'?")),
    "unknown-service-as-front-door": Bad(
        bad(("front_door: advice\n", "front_door: advise  #<\n")),
        "domains.money.front_door", ("unknown service 'advise'", "did you mean 'advice'?")),
    "unknown-service-in-crisis-response": Bad(
        bad(("        - service: ae\n", "        - service: a_and_e  #<\n")),
        "domains.money.crisis.responses[0].service",
        ("unknown service 'a_and_e'", "known: advice, housing, ae")),
    "unknown-domain-of-service": Bad(
        bad(("    domains: [money]\n", "    domains: [mony]  #<\n")),
        "services.advice.domains[0]", ("unknown domain 'mony'", "did you mean 'money'?")),
    "unknown-neighbourhood-in-cohort-size": Bad(
        bad(("      south: 100\n", "      sowth: 100  #<\n")),
        "cohorts.hardship.size.sowth", ("unknown neighbourhood 'sowth'", "did you mean 'south'?")),
    "unknown-int-neighbourhood": Bad(
        bad(("    north:\n      start_day: 0\n", "    nowhere:  #<\n      start_day: 0\n")),
        "int.neighbourhoods.nowhere", ("unknown neighbourhood 'nowhere'", "known: north, south")),
    "referral-to-int-without-int": Bad(
        bad(("      - to: housing\n", "      - to: int  #<\n"),
            (BASE[BASE.index("int:\n"):], "")),
        "services.advice.referrals[0].to", ("refers to 'int'", "no int section")),
    # ---- unknown keys
    "unknown-top-level-key": Bad(
        bad(("name: base\n", "name: base\ndescripton: x  #<\n")),
        "descripton", ("unknown field 'descripton'", "did you mean 'description'?")),
    "unknown-service-field": Bad(
        bad(("    servers: 5\n", "    servers: 5\n    organization: vcs  #<\n")),
        "services.advice.organization", ("unknown field 'organization'", "did you mean 'organisation'?")),
    "unknown-int-field": Bad(
        bad(("  days_per_week: 5\n", "  day_per_week: 5  #<\n")),
        "int.day_per_week", ("unknown field 'day_per_week'", "did you mean 'days_per_week'?")),
    "unknown-optional-section-field": Bad(
        bad(("arrivals: {rate_per_day: 2, level: 3}", "arrivals: {rate_per_day: 2, levels: 3}  #<")),
        "services.ae.arrivals.levels", ("unknown field 'levels'", "did you mean 'level'?")),
    "unknown-key-nothing-close": Bad(
        bad(("    servers: 5\n", "    servers: 5\n    colour: red  #<\n")),
        "services.advice.colour", ("unknown field 'colour'", "allowed: organisation, domains, servers")),
    "misspelt-distribution-field": Bad(
        bad(("      mean_days: 30\n", "      mean_day: 30  #<\n")),
        "services.housing.duration.mean_day", ("unknown field 'mean_day'", "did you mean 'mean_days'?")),
    # ---- required fields
    "missing-duration": Bad(
        bad(("  housing:\n    organisation: council\n", "  housing:  #<\n    organisation: council\n"),
            ("    duration:\n      distribution: exponential\n      mean_days: 30\n", "")),
        "services.housing.duration", ("required field missing",)),
    "missing-organisation": Bad(
        bad(("  advice:\n    organisation: vcs\n", "  advice:  #<\n")),
        "services.advice.organisation", ("required field missing",)),
    "missing-time": Bad(
        bad(("time:\n  horizon_days: 60\n  warmup_days: 0\n  report_every_days: 30\n", "")),
        "time", ("required field missing",), line=1),
    "missing-name": Bad(bad(("name: base\n", "")), "name", ("required field missing",), line=1),
    "missing-horizon": Bad(
        bad(("time:\n  horizon_days: 60\n", "time:  #<\n")),
        "time.horizon_days", ("required field missing",)),
    "no-services": Bad(
        bad((BASE[BASE.index("services:\n"):BASE.index("int:\n")], "services: {}  #<\n")),
        "services", ("needs at least 1 entry", "got 0")),
    # ---- distributions
    "unknown-distribution": Bad(
        bad(("      distribution: exponential\n", "      distribution: expo  #<\n")),
        "services.housing.duration.distribution",
        ("unknown distribution 'expo'", "expected one of exponential, lognormal, gamma, fixed, empirical")),
    "misspelt-distribution": Bad(
        bad(("      distribution: lognormal\n", "      distribution: lognorm  #<\n")),
        "services.advice.duration.distribution", ("unknown distribution 'lognorm'", "did you mean 'lognormal'?")),
    "distribution-kind-missing": Bad(
        bad(("    duration:\n      distribution: exponential\n", "    duration:  #<\n")),
        "services.housing.duration", ("missing 'distribution'",)),
    "lognormal-without-sd_days": Bad(
        bad(("    duration:\n      distribution: lognormal\n      mean_days: 60\n      sd_days: 30\n",
             "    duration:  #<\n      distribution: lognormal\n      mean_days: 60\n")),
        "services.advice.duration.sd_days", ("required field missing",)),
    "empirical-weights-mismatch": Bad(
        bad(("    duration:\n      distribution: exponential\n      mean_days: 30\n",
             "    duration:\n      distribution: empirical\n      values_days: [1, 2, 3]\n"
             "      weights: [1, 1]  #<\n")),
        "services.housing.duration.weights", ("weights has 2 entries", "values_days has 3")),
    # ---- choices
    "misspelt-unlimited": Bad(
        bad(("    servers: unlimited\n", "    servers: unlimted  #<\n")),
        "services.ae.servers", ("expected a whole number or 'unlimited'", "did you mean 'unlimited'?")),
    "misspelt-weekday": Bad(
        bad(("  days_per_week: 5\n", "  days_per_week: 5\n  open_days: [mon, tue, wed, thu, fry]  #<\n")),
        "int.open_days[4]", ("got 'fry'", "did you mean 'fri'?")),
    "misspelt-queue-discipline": Bad(
        bad(("    servers: 5\n", "    servers: 5\n    queue: {discipline: severty}  #<\n")),
        "services.advice.queue.discipline", ("expected 'fifo' or 'severity'", "did you mean 'severity'?")),
    # ---- time
    "report-every-longer-than-horizon": Bad(
        bad(("  report_every_days: 30\n", "  report_every_days: 90  #<\n")),
        "time.report_every_days", ("report_every_days (90) is longer than horizon_days (60)",)),
    "impossible-start-date": Bad(
        bad(("  report_every_days: 30\n", "  report_every_days: 30\n  start_date: 2025-02-30  #<\n")),
        "time.start_date", ("expected a date like 2025-05-01", "got '2025-02-30'", "day value is outside")),
    "start-date-not-a-date": Bad(
        bad(("  report_every_days: 30\n", "  report_every_days: 30\n  start_date: next monday  #<\n")),
        "time.start_date", ("expected a date like 2025-05-01", "got 'next monday'")),
    # ---- capacity and rules between fields
    "servers-with-staff": Bad(
        bad(("    staff: 2\n", "    servers: 3  #<\n    staff: 2\n")),
        "services.housing.servers", ("servers given together with staff", "not both")),
    "neither-servers-nor-staff": Bad(
        bad(("  advice:\n", "  advice:  #<\n"), ("    servers: 5\n", "")),
        "services.advice", ("capacity missing", "give servers", "or staff and caseload")),
    "staff-without-caseload": Bad(
        bad(("  housing:\n    organisation: council\n", "  housing:  #<\n    organisation: council\n"),
            ("    caseload: 10\n", "")),
        "services.housing", ("capacity missing",)),
    "staff-below-one-case": Bad(
        bad(("    staff: 2\n", "    staff: 0.05  #<\n")),
        "services.housing.staff", ("staff x caseload = 0.5", "less than one case")),
    "min-level-without-domain": Bad(
        bad(("        probability: 0.5\n", "        probability: 0.5\n        min_level: 2  #<\n")),
        "services.advice.referrals[0].min_level", ("min_level needs a domain",)),
    "arrivals-rate-and-schedule": Bad(
        bad(("arrivals: {rate_per_day: 2, level: 3}",
             "arrivals: {rate_per_day: 2, schedule: [{from_day: 0, rate_per_day: 1}]}  #<")),
        "services.ae.arrivals", ("give either rate_per_day or schedule",)),
    "int-open-days-length": Bad(
        bad(("  days_per_week: 5\n", "  days_per_week: 5\n  open_days: [mon, tue]  #<\n")),
        "int.open_days", ("lists 2 day(s)", "days_per_week is 5")),
    "help-seeking-without-front-door": Bad(
        bad(("    front_door: advice\n", ""),
            ("        help_seeking_per_year: [0.2, 0.6]\n", "        help_seeking_per_year: [0.2, 0.6]  #<\n")),
        "cohorts.hardship.hazards.money.help_seeking_per_year",
        ("residents seek help in 'money'", "no front_door")),
    "unreachable-service": Bad(
        bad(("services:\n", "services:\n  orphan:  #<\n    organisation: vcs\n    servers: 1\n"
                            "    duration: {distribution: fixed, days: 1}\n")),
        "services.orphan", ("no one can ever arrive here", "no arrivals")),
    "reserved-service-name": Bad(
        bad(("services:\n", "services:\n  int:  #<\n    organisation: vcs\n    servers: 1\n"
                            "    duration: {distribution: fixed, days: 1}\n    arrivals: {rate_per_day: 1}\n")),
        "services.int", ("the name 'int' is reserved for the INT", "rename")),
    # ---- YAML itself
    "yaml-bad-indentation": Bad(
        bad(("  warmup_days: 0\n", "   warmup_days: 0  #<\n")),
        "time", ("YAML syntax error", "indentation")),
    "yaml-bad-dedent": Bad(
        bad(("    caseload: 10\n", "   caseload: 10  #<\n")),
        "services", ("YAML syntax error", "indentation", "does not line up")),
    "yaml-unclosed-bracket": Bad(
        bad(("      money: [0.6, 0.25, 0.1, 0.05]\n", "      money: [0.6, 0.25, 0.1, 0.05  #<\n")),
        "cohorts.hardship.initial.money", ("YAML syntax error", "'[' opened on this line is never closed")),
    "yaml-unclosed-brace": Bad(
        bad(("arrivals: {rate_per_day: 2, level: 3}", "arrivals: {rate_per_day: 2, level: 3  #<")),
        "services.ae.arrivals", ("YAML syntax error", "'{' opened on this line is never closed")),
    "yaml-unclosed-quote": Bad(
        bad(("name: base\n", "name: 'base  #<\n")),
        "name", ("YAML syntax error", "quote opened on this line is never closed")),
    "yaml-tab-indentation": Bad(
        bad(("  warmup_days: 0\n", "\twarmup_days: 0  #<\n")),
        "time", ("YAML syntax error", "tab character", "spaces")),
    "yaml-colon-in-text": Bad(
        bad(("name: base\n", "name: base\ndescription: Note: unquoted  #<\n")),
        "description", ("YAML syntax error", "':' inside the value", "in quotes")),
    "duplicate-key": Bad(
        bad(("    servers: 5\n", "    servers: 5\n    servers: 6  #<\n")),
        "services.advice.servers", ("duplicate key 'servers'", "first written on line 36")),
    "duplicate-service": Bad(
        bad(("  ae:\n", "  advice:  #<\n")),
        "services.advice", ("duplicate key 'advice'", "first written on line 33")),
    "yaml-tag": Bad(
        bad(("name: base\n", "name: !upper base  #<\n")),
        "name", ("tag '!upper'", "without YAML tags")),
    "empty-file": Bad("", "", ("the file is empty",), line=1),
    "comments-only": Bad("# nothing yet\n", "", ("the file is empty",), line=1),
    "top-level-list": Bad("- placesim: 1\n- name: x\n", "", ("expected a mapping of fields", "got a list"), line=1),
    "top-level-text": Bad("just some words\n", "", ("expected a mapping of fields", "got a single value"), line=1),
    # ---- places added over time (issue 9 item 9)
    "added-places-on-unlimited-service": Bad(
        bad(("    arrivals: {rate_per_day: 2, level: 3}\n",
             "    arrivals: {rate_per_day: 2, level: 3}\n    added_places: [{from_day: 30, places: 2}]  #<\n")),
        "services.ae.added_places", ("unlimited places cannot gain places",)),
    "added-places-zero": Bad(
        bad(("    servers: 5\n", "    servers: 5\n    added_places:\n      - {from_day: 30, places: 0}  #<\n")),
        "services.advice.added_places[0].places", ("must be at least 1", "got 0")),
    "added-places-misspelt": Bad(
        bad(("    servers: 5\n", "    servers: 5\n    added_places:\n      - {from_day: 30, place: 3}  #<\n")),
        "services.advice.added_places[0].place", ("unknown field 'place'", "did you mean 'places'?")),
    # ---- household attributes (issue 9 item 11)
    "attribute-multiplier-negative": Bad(
        with_attributes(value="disabled: {help_seeking: -1}  #<"),
        "attributes.disability.values.disabled.help_seeking", ("must be at least 0", "got -1")),
    "attribute-multiplier-misspelt": Bad(
        with_attributes(value="disabled: {help_seek: 0.5}  #<"),
        "attributes.disability.values.disabled.help_seek", ("unknown field 'help_seek'", "did you mean 'help_seeking'?")),
    "attribute-multiplier-too-large": Bad(
        with_attributes(value="disabled: {coverage: 5000}  #<"),
        "attributes.disability.values.disabled.coverage", ("at most 1000", "got 5000")),
    "attribute-without-values": Bad(
        with_attributes(values="    values: {}  #<"),
        "attributes.disability.values", ("needs at least 1 entry", "got 0")),
    "attribute-shares-not-summing-to-1": Bad(
        with_attributes(shares="disability: {disabled: 0.3, other: 0.8}  #<"),
        "cohorts.hardship.attributes.disability", ("shares of 'disability' sum to 1.1", "expected 1")),
    "attribute-share-negative": Bad(
        with_attributes(shares="disability: {disabled: 1.5, other: -0.5}  #<"),
        "cohorts.hardship.attributes.disability.disabled", ("between 0 and 1", "-0.5")),
    "unknown-attribute-in-cohort": Bad(
        with_attributes(shares="disabilty: {disabled: 0.2, other: 0.8}  #<"),
        "cohorts.hardship.attributes.disabilty", ("unknown attribute 'disabilty'", "did you mean 'disability'?")),
    "unknown-attribute-value": Bad(
        with_attributes(shares="disability: {disabld: 0.2, other: 0.8}  #<"),
        "cohorts.hardship.attributes.disability.disabld", ("unknown value of 'disability' 'disabld'",
                                                          "did you mean 'disabled'?")),
    "cohort-without-attribute-shares": Bad(
        with_attributes(shares=None),
        "cohorts.hardship.attributes", ("gives no shares for attribute 'disability'", "disabled, other")),
}


@pytest.mark.parametrize("case", CATALOGUE.values(), ids=CATALOGUE.keys())
def test_bad_input(tmp_path: Path, case: Bad) -> None:
    assert_bad_file(tmp_path, {"bad.yaml": case.yaml}, path=case.path, words=case.words, line=case.line)


def test_catalogue_is_large_and_base_is_valid(tmp_path: Path) -> None:
    assert len(CATALOGUE) >= 25
    (tmp_path / "base.yaml").write_text(BASE)
    s = ps.load_scenario(tmp_path / "base.yaml")
    assert s.name == "base" and s.int_team is not None


# --------------------------------------------------------------------------- several problems


def test_every_problem_in_a_file_is_reported(tmp_path: Path) -> None:
    text = bad(("    servers: 5\n", "    servers: ten  #1\n"),
               ("      mean_days: 30\n", "      mean_days: -30  #2\n"),
               ("  days_per_week: 5\n", "  day_per_week: 5  #3\n"))
    f = tmp_path / "many.yaml"
    f.write_text(text)
    with pytest.raises(ScenarioError) as info:
        ps.load_scenario(f)
    err = info.value
    assert str(err).startswith("3 problems in the scenario:")
    line = {tag: i for i, ln in enumerate(text.splitlines(), 1) for tag in ("#1", "#2", "#3") if tag in ln}
    assert_words(problem_at(err, f, line["#1"], "services.advice.servers"), ("got 'ten'",))
    assert_words(problem_at(err, f, line["#2"], "services.housing.duration.mean_days"), ("greater than 0",))
    assert_words(problem_at(err, f, line["#3"], "int.day_per_week"), ("did you mean 'days_per_week'?",))
    assert [p.line for p in err.problems] == sorted(p.line for p in err.problems)


def test_every_unknown_name_is_reported(tmp_path: Path) -> None:
    text = bad(("front_door: advice\n", "front_door: advise  #1\n"),
               ("      - to: housing\n", "      - to: housing_opts  #2\n"))
    f = tmp_path / "names.yaml"
    f.write_text(text)
    with pytest.raises(ScenarioError) as info:
        ps.load_scenario(f)
    line = {tag: i for i, ln in enumerate(text.splitlines(), 1) for tag in ("#1", "#2") if tag in ln}
    assert len(info.value.problems) == 2
    problem_at(info.value, f, line["#1"], "domains.money.front_door")
    problem_at(info.value, f, line["#2"], "services.advice.referrals[0].to")


def test_every_yaml_level_problem_is_reported(tmp_path: Path) -> None:
    text = bad(("name: base\n", "name: base\nname: again  #1\n"),
               ("    servers: 5\n", "    servers: .inf  #2\n"))
    f = tmp_path / "yaml.yaml"
    f.write_text(text)
    with pytest.raises(ScenarioError) as info:
        ps.load_scenario(f)
    line = {tag: i for i, ln in enumerate(text.splitlines(), 1) for tag in ("#1", "#2") if tag in ln}
    assert_words(problem_at(info.value, f, line["#1"], "name"), ("duplicate key 'name'", "first written on line 2"))
    assert_words(problem_at(info.value, f, line["#2"], "services.advice.servers"), ("infinite",))


def test_misspelt_required_key_is_one_problem(tmp_path: Path) -> None:
    """'mean_day' gives "did you mean 'mean_days'?", not also "mean_days: required field missing"."""
    f = tmp_path / "typo.yaml"
    f.write_text(bad(("      mean_days: 30\n", "      mean_day: 30\n")))
    with pytest.raises(ScenarioError) as info:
        ps.load_scenario(f)
    assert [p.path for p in info.value.problems] == ["services.housing.duration.mean_day"]


# --------------------------------------------------------------------------- files and extends

INT_FILE = """\
placesim: 1
extends: base.yaml
name: with INT
int:
  days_per_week: 4
"""


def test_missing_scenario_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as info:
        ps.load_scenario(tmp_path / "nothere.yaml")
    assert str(info.value) == f"{tmp_path / 'nothere.yaml'}: file not found"
    assert info.value.problems[0].line is None


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as info:
        ps.load_scenario(tmp_path)
    assert str(info.value) == f"{tmp_path}: is a directory, expected a YAML file"


def test_not_utf8(tmp_path: Path) -> None:
    f = tmp_path / "latin1.yaml"
    f.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(ScenarioError, match="not UTF-8 text") as info:
        ps.load_scenario(f)
    assert info.value.problems[0].file == str(f)


EXTENDS: dict[str, tuple[dict[str, str], str, str, tuple[str, ...]]] = {
    # id: (files, the first is loaded), file at fault, path, words
    "extends-missing-file": (
        {"int.yaml": bad(("extends: base.yaml\n", "extends: nope.yaml  #<\n"), text=INT_FILE)},
        "int.yaml", "extends", ("extends 'nope.yaml'", "nope.yaml does not exist")),
    "extends-not-a-path": (
        {"int.yaml": bad(("extends: base.yaml\n", "extends: [base.yaml]  #<\n"), text=INT_FILE)},
        "int.yaml", "extends", ("must be the path of another scenario file", "['base.yaml']")),
    "extends-itself": (
        {"int.yaml": bad(("extends: base.yaml\n", "extends: int.yaml  #<\n"), text=INT_FILE)},
        "int.yaml", "extends", ("cannot extend itself",)),
    "circular-extends-two-files": (
        {"a.yaml": "placesim: 1\nextends: b.yaml\nname: a\n",
         "b.yaml": "placesim: 1\n\nextends: a.yaml  #<\n"},
        "b.yaml", "extends", ("circular extends:", "a.yaml -> ", "b.yaml -> ")),
    "circular-extends-three-files": (
        {"a.yaml": "extends: b.yaml\n", "b.yaml": "extends: c.yaml\n",
         "c.yaml": "# the loop closes here\nplacesim: 1\nextends: a.yaml  #<\n"},
        "c.yaml", "extends", ("circular extends:", "a.yaml -> ", "b.yaml -> ", "c.yaml -> ")),
    "error-in-extended-file": (
        {"int.yaml": INT_FILE, "base.yaml": bad(("    servers: 5\n", "    servers: ten  #<\n"))},
        "base.yaml", "services.advice.servers", ("got 'ten'",)),
    "yaml-error-in-extended-file": (
        {"int.yaml": INT_FILE, "base.yaml": bad(("  warmup_days: 0\n", "\twarmup_days: 0  #<\n"))},
        "base.yaml", "time", ("YAML syntax error", "tab")),
    "error-in-extending-file": (
        {"int.yaml": INT_FILE + "  open_days: [mon, tue]  #<\n", "base.yaml": BASE},
        "int.yaml", "int.open_days", ("lists 2 day(s)", "days_per_week is 4")),
    "unknown-key-in-extending-file": (
        {"int.yaml": INT_FILE + "  case_finding:\n    screen_every_day: 30  #<\n", "base.yaml": BASE},
        "int.yaml", "int.case_finding.screen_every_day", ("did you mean 'screen_every_days'?",)),
    "unknown-neighbourhood-in-extending-file": (
        {"int.yaml": INT_FILE + "  neighbourhoods:\n    west: {start_day: 30}  #<\n", "base.yaml": BASE},
        "int.yaml", "int.neighbourhoods.west", ("unknown neighbourhood 'west'",)),
    "replaced-list-in-extending-file": (
        # the base's referrals[0] has a probability; the new list replaces it whole, so the
        # missing probability is the extending file's, not a line of the base
        {"int.yaml": INT_FILE + "services:\n  advice:\n    referrals:\n      - to: ae  #<\n", "base.yaml": BASE},
        "int.yaml", "services.advice.referrals[0].probability", ("required field missing",)),
}


@pytest.mark.parametrize("files, file, path, words", EXTENDS.values(), ids=EXTENDS.keys())
def test_bad_extends(tmp_path: Path, files: dict[str, str], file: str, path: str, words: tuple[str, ...]) -> None:
    assert_bad_file(tmp_path, files, file=file, path=path, words=words)


def test_extends_changing_distribution_kind_replaces_the_mapping(tmp_path: Path) -> None:
    """A variant may switch a duration from lognormal to fixed: the base's mean_days/sd_days
    must not be merged into the fixed distribution."""
    (tmp_path / "base.yaml").write_text(BASE, encoding="utf-8")
    (tmp_path / "int.yaml").write_text(INT_FILE + "services:\n  housing:\n    duration: {distribution: fixed, days: 3}\n",
                                       encoding="utf-8")
    s = ps.load_scenario(tmp_path / "int.yaml")
    assert s.services["housing"].duration.distribution == "fixed"
    assert s.services["housing"].duration.mean == 3


def test_extends_with_relative_path_from_other_folder(tmp_path: Path) -> None:
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "base.yaml").write_text(BASE)
    (tmp_path / "int.yaml").write_text(INT_FILE.replace("base.yaml", "base/base.yaml"))
    assert ps.load_scenario(tmp_path / "int.yaml").int_team.days_per_week == 4


# --------------------------------------------------------------------------- dicts, text, overrides


def test_extends_in_a_dict(tmp_path: Path) -> None:
    data = {"placesim": 1, "extends": "base.yaml", "name": "x"}
    with pytest.raises(ScenarioError) as info:
        Scenario.from_dict(data)
    (p,) = info.value.problems
    assert (p.path, p.line) == ("extends", None)
    assert_words(p, ("extends only works in a file", "load_scenario"))


def test_dict_that_is_not_a_mapping() -> None:
    with pytest.raises(ScenarioError, match="expected a mapping of fields, got list"):
        Scenario.from_dict([1, 2])  # type: ignore[arg-type]


def test_from_yaml_names_the_given_name() -> None:
    text = bad(("    servers: 5\n", "    servers: -5  #<\n"))
    with pytest.raises(ScenarioError) as info:
        Scenario.from_yaml(text, name="inline.yaml")
    assert_words(problem_at(info.value, "inline.yaml", marked_line(text), "services.advice.servers"), ("got -5",))


@pytest.fixture(scope="module")
def base_scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    f = tmp_path_factory.mktemp("base") / "base.yaml"
    f.write_text(BASE)
    return ps.load_scenario(f)


OVERRIDES = {
    "invalid-value": ({"services": {"advice": {"servers": -3}}}, "services.advice.servers",
                      ("servers must be at least 1", "got -3")),
    "unknown-key": ({"time": {"horizon_dayz": 5}}, "time.horizon_dayz", ("did you mean 'horizon_days'?",)),
    "unknown-service": ({"services": {"advice": {"referrals": [{"to": "nowhere", "probability": 0.5}]}}},
                        "services.advice.referrals[0].to", ("unknown service 'nowhere'",)),
    "replaced-list-missing-field": ({"services": {"advice": {"referrals": [{"to": "ae"}]}}},
                                    "services.advice.referrals[0].probability", ("required field missing",)),
    "infinite-rate": ({"services": {"ae": {"arrivals": {"rate_per_day": math.inf}}}},
                      "services.ae.arrivals.rate_per_day", ("must be a finite number", "inf")),
    "wrong-type": ({"time": {"horizon_days": [1]}}, "time.horizon_days", ("expected a number", "got a list [1]")),
}


@pytest.mark.parametrize("overrides, path, words", OVERRIDES.values(), ids=OVERRIDES.keys())
def test_bad_overrides(base_scenario: Scenario, overrides: dict, path: str, words: tuple[str, ...]) -> None:
    with pytest.raises(ScenarioError) as info:
        base_scenario.with_overrides(overrides)
    assert_words(problem_at(info.value, "<overrides>", None, path), words)


def test_overrides_must_be_a_mapping(base_scenario: Scenario) -> None:
    with pytest.raises(ScenarioError, match="overrides must be a mapping, got list"):
        base_scenario.with_overrides([("servers", 3)])  # type: ignore[arg-type]


def test_override_problem_elsewhere_points_at_the_file(base_scenario: Scenario) -> None:
    """An override that makes a field of the file wrong: the message names the file's line."""
    with pytest.raises(ScenarioError) as info:
        base_scenario.with_overrides({"time": {"horizon_days": 10}})
    (p,) = info.value.problems
    assert p.path == "time.report_every_days"
    assert p.file is not None and p.file.endswith("base.yaml")
    assert p.line == BASE.splitlines().index("  report_every_days: 30") + 1
    assert_words(p, ("report_every_days (30) is longer than horizon_days (10)",))


def test_huge_staff_number(tmp_path: Path) -> None:
    assert_bad_file(tmp_path, {"huge.yaml": bad(("    staff: 2\n", "    staff: 1.0e308  #<\n"))},
                    path="services.housing.staff", words=("must be at most 1e+06", "1.0e308"))


def test_huge_int_team(tmp_path: Path) -> None:
    assert_bad_file(tmp_path, {"huge.yaml": bad(("  workers:\n", "  workers:  #<\n"),
                                                ("fte: 2, domains: [money], caseload: 25", "fte: 900000, domains: [money], caseload: 10000"))},
                    path="int.workers", words=("9e+09", "more than 10,000,000 cases"))


# --------------------------------------------------------------------------- the command line


def run_cli(*args: str):
    result = CliRunner().invoke(cli.main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"uncaught {type(result.exception).__name__}: {result.exception}")
    assert "Traceback" not in result.stdout + result.stderr
    return result


def unwrapped(text: str) -> str:
    """Console output without the line breaks rich inserts at the terminal width."""
    return text.replace("\n", "")


@pytest.fixture()
def bad_file(tmp_path: Path) -> tuple[Path, int]:
    text = bad(("    servers: 5\n", "    servers: ten  #<\n"))
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    return f, marked_line(text)


@pytest.mark.parametrize("command", ["validate", "run"])
def test_cli_bad_input_exits_2_with_the_message(bad_file: tuple[Path, int], command: str) -> None:
    f, line = bad_file
    result = run_cli(command, str(f))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert (f"{f}:{line}: services.advice.servers: expected a whole number or 'unlimited', got 'ten'"
            in result.stderr)
    assert result.stdout == ""


def test_cli_missing_file_exits_2(tmp_path: Path) -> None:
    result = run_cli("validate", str(tmp_path / "nothere.yaml"))
    assert result.exit_code == 2
    assert f"{tmp_path / 'nothere.yaml'}: file not found" in result.stderr


def test_cli_validate_reports_each_file(bad_file: tuple[Path, int], tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(BASE)
    f, _ = bad_file
    result = run_cli("validate", str(good), str(f))
    assert result.exit_code == 2
    assert f"ok {good}" in unwrapped(result.stdout)
    assert f"{f}:" in result.stderr and str(good) not in result.stderr


def test_cli_validate_good_file(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(BASE)
    result = run_cli("validate", str(good))
    assert result.exit_code == 0
    assert unwrapped(result.stdout).startswith(f"ok {good}: 'base'")
    assert result.stderr == ""


def test_cli_run_out_into_missing_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(BASE)
    simulated = []
    monkeypatch.setattr(cli, "simulate", lambda *a, **k: simulated.append(1))
    out = tmp_path / "no" / "such" / "folder" / "results.nc"
    result = run_cli("run", str(good), "--out", str(out), "--no-progress")
    assert result.exit_code == 2
    assert f"cannot write {out}: folder {out.parent} does not exist" in result.stderr
    assert simulated == []
    assert not (tmp_path / "no").exists()


def test_cli_message_is_printed_verbatim(tmp_path: Path) -> None:
    f = tmp_path / "brackets.yaml"
    f.write_text(bad(("      south: 100\n", "      '[/south]': 100\n")))
    result = run_cli("validate", str(f))
    assert result.exit_code == 2
    assert "unknown neighbourhood '[/south]'" in result.stderr


def test_cli_subprocess_no_traceback(bad_file: tuple[Path, int]) -> None:
    """The real entry point (not CliRunner): exit code 2, message, no traceback."""
    f, line = bad_file
    proc = subprocess.run([sys.executable, "-m", "placesim.cli", "validate", str(f)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert f"{f}:{line}: services.advice.servers:" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_referral_loop_nobody_can_leave(tmp_path: Path) -> None:
    f = tmp_path / "loop.yaml"
    f.write_text(
        "placesim: 1\nname: loop\ntime: {horizon_days: 10, report_every_days: 5}\nservices:\n"
        "  a:\n    organisation: x\n    servers: 1\n    arrivals: {rate_per_day: 1}\n"
        "    duration: {distribution: fixed, days: 1}\n    referrals:\n      - {to: b, probability: 1}\n"
        "  b:\n    organisation: x\n    servers: 1\n    duration: {distribution: fixed, days: 1}\n"
        "    referrals:\n      - {to: a, probability: 1.0}\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        ps.load_scenario(f)
    text = str(info.value)
    assert "services.a.referrals" in text and "services.b.referrals" in text
    assert "can never leave the network" in text
    assert f"{f}:10:" in text  # the referrals line of service a


def _signposting(a_rules: list[dict], b_rules: list[dict]) -> dict:
    service = {"organisation": "x", "servers": 1, "eligibility": {"min_level": 3},
               "duration": {"distribution": "fixed", "days": 1}}
    return {"placesim": 1, "name": "signposting", "time": {"horizon_days": 10, "report_every_days": 5},
            "services": {"a": {**service, "arrivals": {"rate_per_day": 1, "level": 2}, "referrals": a_rules},
                         "b": {**service, "referrals": b_rules},
                         "c": {"organisation": "x", "servers": "unlimited", "arrivals": {"rate_per_day": 1},
                               "duration": {"distribution": "fixed", "days": 1}}}}


@pytest.mark.parametrize("a_rules, b_rules, refused", [
    ([{"to": "b", "probability": 1.0, "when": "turned_away"}],
     [{"to": "a", "probability": 1.0, "when": "turned_away", "delay_days": 1.0}], True),
    ([{"to": "b", "probability": 0.5, "when": "turned_away"}, {"to": "c", "probability": 0.5, "when": "turned_away"}],
     [{"to": "a", "probability": 1.0, "when": "turned_away"}], False),  # a way out to c
    ([{"to": "c", "probability": 1.0, "when": "turned_away"}, {"to": "b", "probability": 0.0, "when": "turned_away"}],
     [{"to": "a", "probability": 1.0, "when": "turned_away"}], False),  # nobody goes to b
    ([{"to": "b", "probability": 1.0, "when": "turned_away", "handoff_loss": 0.01}],
     [{"to": "a", "probability": 1.0, "when": "turned_away"}], False),  # some are lost on the way
], ids=["delayed loop", "way out", "probability-0 edge", "lossy"])
def test_signposting_loops(a_rules, b_rules, refused):
    data = _signposting(a_rules, b_rules)
    if refused:
        with pytest.raises(ScenarioError, match="signposting loop"):
            ps.Scenario.from_dict(data)
    else:
        ps.Scenario.from_dict(data)
