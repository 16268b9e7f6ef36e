"""A starter scenario: a complete, commented scenario file to copy and adapt (``placesim new``).

Every section a place needs is there (time, neighbourhoods, need domains and their crisis
responses, cohorts, siloed services and the referrals between them, an INT, the
economics), with a comment beside each figure saying what it means and that it is an
example to replace. It validates, and runs with either engine.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from .errors import PlacesimError
from .io import write_bytes_atomic

STARTER = """\
# A starter scenario for placesim: a small place with siloed services and an Integrated
# Neighbourhood Team (INT) in one of its two neighbourhoods. Written by `placesim new`.
#
# Every figure below is an EXAMPLE to replace with your place's own. The convention of
# the project's scenario files: the comment beside a figure says where it comes from,
# either a published source ("# Census 2021, table TS001") or "# assumption" with a
# plausible range, so the report's assumptions table can say which figures are evidence
# and which are guesses. Hazards are per year, durations in days, costs in pounds at the
# price year given beside them.
#
# Check it:     placesim validate {file}
# Run it:       placesim run {file} --replications 10 --seed 1
# Fast twin:    placesim run {file} --engine sd
# Every field:  docs/scenario-reference.md; what the model does: docs/conceptual-model.md
placesim: 1                    # the file format's version
name: {name}
description: >
  Two neighbourhoods, residents in financial hardship and at risk of homelessness, the
  services they are passed between, and an INT in North from six months in.

time:
  horizon_days: 730            # two years reported
  # A year for queues and needs to settle before counting; a run warns if its outputs are
  # still trending when counting starts.
  warmup_days: 365             # assumption, range 365-1,500
  report_every_days: 30        # monthly figures
  start_date: 2025-05-01       # the first reported day (day 0); dates in the file count from it

neighbourhoods:
  North: {{population: 40000}}   # example: your neighbourhood's population (Census 2021)
  South: {{population: 40000}}   # example: your neighbourhood's population (Census 2021)

# Each domain of need runs on a ladder: 0 stable, 1 emerging, 2 escalating, 3 crisis.
# A resident seeking help goes to the domain's front door; a crisis (2 -> 3) lands on
# the crisis services listed, each drawn with its probability.
domains:
  money:
    front_door: debt_advice
    crisis:
      responses:
        - {{service: a_and_e, probability: 0.1}}   # assumption: a money crisis that ends in A&E, range 0.05-0.3
  housing:
    front_door: housing_options
    crisis:
      responses:
        - {{service: homelessness_service, probability: 1.0}}  # assumption: every household becoming homeless applies
      stay_in_crisis: true     # in crisis until the council has finished with them (temporary accommodation included)

# Debt raises the risk of losing a home: money at level 2 or above multiplies housing's
# escalation hazards.
coupling:
  money: {{housing: 2.0}}        # assumption, range 1.2-3

cohorts:
  financial_hardship:
    size: {{North: 3000, South: 3000}}     # assumption: households in problem debt, range 2,000-5,000 each
    initial:                             # shares at levels 0, 1, 2, 3 (sum 1)
      money: [0.45, 0.35, 0.18, 0.02]    # assumption
      housing: [0.85, 0.10, 0.05, 0.0]   # assumption
    hazards:
      money:
        onset_per_year: 0.4                  # assumption, range 0.1-1.5: 0 -> 1
        escalation_per_year: [0.35, 0.25]    # assumption, range x0.5-x2: 1 -> 2, 2 -> 3
        recovery_per_year: [0.5, 0.3]        # assumption, range x0.5-x2: 1 -> 0, 2 -> 1
        help_seeking_per_year: [0.1, 0.4]    # assumption: at level 1, at level 2
      housing:
        onset_per_year: 0.1                  # assumption
        escalation_per_year: [0.3, 0.3]      # assumption
        recovery_per_year: [0.6, 0.3]        # assumption
        help_seeking_per_year: [0.2, 0.9]    # assumption
  homelessness_risk:
    size: {{North: 800, South: 800}}       # assumption: households at risk of homelessness, range 500-1,500 each
    initial:
      housing: [0.30, 0.40, 0.27, 0.03]  # assumption
      money: [0.40, 0.35, 0.25, 0.0]    # assumption
    hazards:
      housing:
        onset_per_year: 0.5                  # assumption
        escalation_per_year: [0.6, 0.5]      # assumption, range x0.5-x2
        recovery_per_year: [0.4, 0.25]       # assumption
        help_seeking_per_year: [0.2, 0.7]    # assumption
      money:
        onset_per_year: 0.4                  # assumption
        escalation_per_year: [0.35, 0.2]     # assumption
        recovery_per_year: [0.4, 0.2]        # assumption
        help_seeking_per_year: [0.1, 0.4]    # assumption

# The siloed services. A service with places has a queue; "unlimited" has none. Its
# organisation pays its costs. Referrals pass people on, and a cold referral can be
# lost on the way (handoff_loss).
services:
  debt_advice:
    organisation: vcs
    domains: [money]
    staff: 4                   # assumption: advisers (FTE), range 2-6
    caseload: 25               # assumption: open cases per adviser, range 15-30
    open_days: [mon, tue, wed, thu, fri]
    eligibility: {{min_level: 1}}   # accepts residents from level 1 (an emerging need)
    queue:
      discipline: fifo
      patience: {{distribution: exponential, mean_days: 30}}      # assumption: days before giving up, range 14-60
    duration: {{distribution: lognormal, mean_days: 45, sd_days: 30}}   # assumption
    effect: {{escalation_multiplier: 0.5, recovery_multiplier: 2.0}}   # assumption: while supported
    on_completion: {{resolve_probability: 0.3, step_down_probability: 0.4}}   # assumption
    costs:
      per_case_gbp: 300        # example: your cost per case
      price_year: 2023/24
    referrals:
      - {{to: housing_options, domain: housing, min_level: 2, probability: 0.5, handoff_loss: 0.3}}   # assumption

  housing_options:
    organisation: council
    domains: [housing]
    staff: 4                   # assumption: officers (FTE), range 2-6
    caseload: 25               # assumption
    open_days: [mon, tue, wed, thu, fri]
    assessment:
      cost_gbp: 250            # example: cost of one assessment
      days: 5                  # assumption, range 1-14
    eligibility: {{min_level: 2}}   # "not yet bad enough" below 2: turned away
    queue:
      discipline: severity
      patience: {{distribution: exponential, mean_days: 45}}      # assumption
    duration: {{distribution: gamma, mean_days: 56, sd_days: 20}}      # assumption: a 56-day prevention duty
    effect: {{escalation_multiplier: 0.4, recovery_multiplier: 1.5}}   # assumption
    on_completion: {{resolve_probability: 0.35, step_down_probability: 0.3}}   # assumption
    costs:
      per_case_gbp: 900        # example: your cost per prevention case
      price_year: 2023/24
    referrals:
      - {{to: debt_advice, domain: money, min_level: 2, probability: 0.4, handoff_loss: 0.3}}   # assumption
      - to: debt_advice        # those turned away ("not yet bad enough") are signposted to advice
        domain: money
        min_level: 1           # assumption: for a money need from level 1
        probability: 0.5       # assumption, range 0.2-0.8
        handoff_loss: 0.4      # assumption: a cold signpost is often lost, range 0.2-0.6
        when: turned_away

  homelessness_service:
    organisation: council
    domains: [housing]
    servers: unlimited
    assessment:
      cost_gbp: 500            # example: a statutory homelessness assessment
    duration: {{distribution: fixed, days: 56}}   # assumption: a 56-day relief duty
    costs:
      price_year: 2023/24
    referrals:
      - {{to: temporary_accommodation, probability: 0.5}}   # assumption: about half placed in temporary accommodation

  temporary_accommodation:
    organisation: council
    servers: unlimited
    duration: {{distribution: lognormal, mean_days: 300, sd_days: 200}}   # assumption: length of stay
    costs:
      per_week_gbp: 300        # example: net weekly cost of a placement
      price_year: 2023/24

  a_and_e:
    organisation: nhs
    servers: unlimited
    duration: {{distribution: fixed, days: 0.2}}   # assumption: about five hours in the department
    costs:
      per_case_gbp: 280        # example: an A&E attendance (National Cost Collection)
      price_year: 2023/24

# The INT: one team per neighbourhood listed, with one key worker, one assessment and a
# huddle across the domains its workers cover. Delete this section for a siloed baseline
# (or keep the baseline in its own file and write `extends: baseline.yaml` here).
int:
  name: North INT
  organisation: council
  neighbourhoods:
    North: {{start_day: 180}}    # six months after the first reported day: a before period for a review
  days_per_week: 5             # the teams work five days a week (a one-day pilot: 1)
  workers:
    debt_adviser:
      fte: 2                   # assumption: team composition, range 1-3
      domains: [money]
      caseload: 25             # assumption: open cases per FTE, range 15-35
      cost_per_fte_gbp_per_year: 60000   # example: salary, on-costs and overheads
      organisation: vcs
    housing_officer:
      fte: 1                   # assumption, range 0.5-2
      domains: [housing]
      caseload: 20             # assumption, range 10-30
      cost_per_fte_gbp_per_year: 70000   # example
  assessment:
    cost_gbp: 110              # example: two hours of a key worker
  eligibility: {{min_level: 0}}   # no threshold
  duration: {{distribution: lognormal, mean_days: 90, sd_days: 45}}   # assumption, range 60-180
  effect:
    escalation_multiplier: 0.65   # assumption: key work slows escalation by a third, range 0.5-1.0
    recovery_multiplier: 1.5      # assumption, range 1.0-3
    persistence_days: 365         # assumption: how long the effect lasts after support, range 90-730
  on_completion: {{resolve_probability: 0.3, step_down_probability: 0.4}}   # assumption
  front_door: true             # residents of North seeking help in money or housing come to the team
  warm_handover: {{loss: 0.05}}   # assumption: hand-overs rarely lost, range 0-0.15
  case_finding:                # finding residents from shared data before they ask
    screen_every_days: 28      # a monthly screen
    coverage: 0.5              # assumption: share of residents in the shared data, range 0.2-0.9
    sensitivity: 0.6           # assumption, range 0.3-0.9
    specificity: 0.9           # assumption, range 0.8-0.99
    acceptance: 0.6            # assumption, range 0.3-0.8
    contact_cost_gbp: 55       # example: an hour of a key worker
  costs:
    premises_gbp_per_year: 0   # assumption: co-located in a council building
    setup_gbp: 10000           # example: one-off set-up
    price_year: 2023/24
  funding_shares: {{council: 0.7, vcs: 0.3}}   # assumption: for the partners to agree

# How the options are valued (placesim options, placesim report). All costs above are at
# 2023/24 prices, so no deflator is needed; give one (economics.deflator) if they are not.
economics:
  price_year: 2023/24
  optimism_bias_percent: 15    # assumption: uplift on INT costs, range 0-51 (Green Book supplementary guidance)
  cashable:
    temporary_accommodation: 1.0   # assumption: spot-purchased placements are money saved, range 0.7-1.0
    default: 0.0                   # assumption: elsewhere staff time is freed, not money, range 0-0.3
"""
"""The starter scenario's text; ``{name}`` and ``{file}`` are filled in by :func:`starter_text`."""


def starter_text(name: str = "My place (starter)", file: str = "scenario.yaml") -> str:
    """The starter scenario with its name and file name filled in."""
    if not name.strip() or "\n" in name:
        raise PlacesimError(f"the scenario name must be one line of text, got {name!r}")
    plain = re.fullmatch(r"[A-Za-z0-9][\w ()\-,.]*", name) and not name.endswith(" ")
    return STARTER.format(name=name if plain else json.dumps(name), file=file)


def write_starter(path: str | Path, *, name: str = "My place (starter)", overwrite: bool = False) -> Path:
    """Write the starter scenario to ``path`` (atomically).

    Raises
    ------
    PlacesimError
        If ``path`` exists and ``overwrite`` is false, or is a folder.
    """
    p = Path(path)
    if p.is_dir():
        raise PlacesimError(f"{p} is a folder; give the scenario file to write, e.g. {p / 'scenario.yaml'}")
    if p.exists() and not overwrite:
        raise PlacesimError(f"{p} exists; choose another name, or --force to overwrite it")
    return write_bytes_atomic(starter_text(name, p.name).encode("utf-8"), p)
