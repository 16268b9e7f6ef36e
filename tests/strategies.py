"""Hypothesis strategies for valid placesim scenario dicts (used by test_properties.py).

:func:`scenarios` draws a small but complete scenario: every section and every field of
the schema in ``placesim/scenario/model.py`` appears in some examples. The cross-field
rules of ``placesim/scenario/checks.py`` hold by construction:

* every name refers to something that exists (domains, services, neighbourhoods, cohorts);
* a service's referral probabilities sum to at most 1 for each ``when``;
* residents only seek help in a domain that has a front door;
* INT ``open_days`` lists as many days as the team works; every team holds at least one case;
* ``warm_handover.to`` only names domains the INT does not cover;
* every service is reachable: after everything else is drawn, a service no one can reach
  gets background arrivals;
* no service traps people in the network: where unconditional referrals on completion send
  everyone on for ever, they are scaled down to sum to 0.9.

One thing is kept out on purpose, because it makes examples slow rather than interesting:
zero-time chains that continue with a probability near 1. People turned away are
signposted at once (no assessment days, no delay), and a service with a duration that can
be 0 hands people on at once; so ``turned_away`` referrals, and ``completed`` referrals of
a service whose duration can be 0, sum to at most ``LOOP_CAP`` per service, and a chain of
such hops continues with probability at most 0.8 per hop. (Chains near 1 are run in
``test_signposting_ping_pong``; chains of certainty are refused by the scenario checks.)

Fixed and empirical durations are drawn at nodes with opening days too, so that cases can
end exactly at the start of an open day while people who arrived on closed days are still
pending (``test_completion_at_opening_with_closed_day_arrivals`` in test_properties.py).

Sizes are small (at most 150 residents per cohort and neighbourhood, arrival rates of
at most 1.5 a day, horizons of 30-200 days) so a replication takes a fraction of a second.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DOMAINS = ("money", "housing", "health")
NEIGHBOURHOODS = ("north", "south")
COHORTS = ("hardship", "older")
SERVICES = ("advice", "housing_options", "gp", "ae", "refuge")
ORGANISATIONS = ("council", "nhs", "vcs", "police")
LOOP_CAP = 0.8

# ----------------------------------------------------------------------------- numbers


def _num(lo: float, hi: float, special: tuple[float, ...] = ()) -> st.SearchStrategy[float]:
    """A float in [lo, hi], often one of a few round values (zeros and bounds included)."""
    rounds = tuple(sorted({lo, hi, *special}))
    return st.one_of(st.sampled_from(rounds), st.floats(lo, hi, allow_nan=False, allow_infinity=False))


probabilities = _num(0.0, 1.0, (0.5,))
small_probabilities = _num(0.0, 0.5, (0.1,))
money = _num(0.0, 5000.0, (25.0, 375.0))
multipliers = _num(0.0, 3.0, (0.5, 1.0, 2.0))
hazards = _num(0.0, 20.0, (1.0, 6.0))


often = st.sampled_from((True, True, True, False))
"""True three times in four."""


def _scale_to(values: list[float], cap: float) -> list[float]:
    """Scale non-negative values down so they sum to at most ``cap``."""
    total = sum(values)
    if total <= cap:
        return values
    return [v * cap / total for v in values]


def _shares(draw, n: int) -> list[float]:
    """``n`` non-negative shares summing to 1 (from small integer weights, zeros included)."""
    weights = draw(st.lists(st.integers(0, 10), min_size=n, max_size=n))
    if sum(weights) == 0:
        weights[draw(st.integers(0, n - 1))] = 1
    total = sum(weights)
    return [w / total for w in weights]


# ----------------------------------------------------------------------------- distributions


@st.composite
def distributions(draw, positive: bool = False, atoms: bool = True) -> dict:
    """A distribution of any kind; ``positive`` rules out a zero value (fixed 0, empirical 0) and
    ``atoms=False`` keeps to the continuous kinds (exponential, lognormal, gamma)."""
    kinds = ("exponential", "lognormal", "gamma") + (("fixed", "empirical") if atoms else ())
    kind = draw(st.sampled_from(kinds))
    mean = _num(0.5, 60.0, (1.0, 14.0))
    if kind == "exponential":
        return {"distribution": kind, "mean_days": draw(mean)}
    if kind in ("lognormal", "gamma"):
        return {"distribution": kind, "mean_days": draw(mean), "sd_days": draw(_num(0.1, 90.0, (30.0,)))}
    lo = 0.25 if positive else 0.0
    if kind == "fixed":
        return {"distribution": kind, "days": draw(_num(lo, 60.0, (1.0, 14.0)))}
    values = draw(st.lists(_num(lo, 60.0, (1.0, 7.0)), min_size=1, max_size=4))
    out: dict = {"distribution": kind, "values_days": values}
    if draw(st.booleans()):
        weights = draw(st.lists(_num(0.0, 5.0, (1.0,)), min_size=len(values), max_size=len(values)))
        if sum(weights) <= 0:
            weights[0] = 1.0
        out["weights"] = weights
    return out


def can_be_zero(dist: dict) -> bool:
    """Whether a drawn duration can be exactly 0 days."""
    if dist["distribution"] == "fixed":
        return dist["days"] == 0
    if dist["distribution"] == "empirical":
        weights = dist.get("weights") or [1.0] * len(dist["values_days"])
        return any(v == 0 and w > 0 for v, w in zip(dist["values_days"], weights))
    return False


# ----------------------------------------------------------------------------- pieces


def _subset(draw, items, *, min_size: int = 0) -> list:
    items = list(items)
    if not items:
        return []
    return draw(st.lists(st.sampled_from(items), unique=True, min_size=min(min_size, len(items)),
                         max_size=len(items)))


def _assessment(draw) -> dict:
    return {"cost_gbp": draw(money), "days": draw(_num(0.0, 5.0, (1.0,)))}


def _queue(draw) -> dict:
    out: dict = {"discipline": draw(st.sampled_from(("fifo", "severity")))}
    if draw(st.booleans()):
        out["patience"] = draw(distributions())
    return out


def _effect(draw) -> dict:
    return {"escalation_multiplier": draw(multipliers), "recovery_multiplier": draw(multipliers)}


def _completion(draw) -> dict:
    resolve = draw(probabilities)
    step = draw(_num(0.0, 1.0 - resolve)) if resolve < 1 else 0.0
    return {"resolve_probability": resolve, "step_down_probability": step}


def _arrivals(draw) -> dict:
    level = draw(st.integers(0, 3))
    rate = _num(0.0, 1.5, (0.2, 1.0))
    if draw(st.booleans()):
        return {"rate_per_day": draw(rate), "level": level}
    n = draw(st.integers(1, 3))
    days = [0.0] + sorted(set(draw(st.lists(_num(0.5, 100.0, (7.0, 30.0)), min_size=n - 1, max_size=n - 1))))
    out: dict = {"schedule": [{"from_day": d, "rate_per_day": draw(rate)} for d in days], "level": level}
    if draw(st.booleans()):
        out["repeat_every_days"] = days[-1] + draw(_num(0.5, 60.0, (7.0,)))
    return out


def _capacity(draw) -> dict:
    kind = draw(st.sampled_from(("servers", "unlimited", "staff")))
    if kind == "servers":
        return {"servers": draw(st.integers(1, 5))}
    if kind == "unlimited":
        return {"servers": "unlimited"}
    staff = draw(st.sampled_from((0.5, 1.0, 1.5, 2.0, 2.5)))
    caseload = draw(st.integers(2 if staff < 1 else 1, 5))
    return {"staff": staff, "caseload": caseload}


def _costs(draw) -> dict:
    out = {"per_case_gbp": draw(money), "per_day_gbp": draw(_num(0.0, 200.0, (50.0,))),
           "per_week_gbp": draw(_num(0.0, 700.0, (334.95,)))}
    if draw(st.booleans()):
        out["price_year"] = draw(st.sampled_from(("2010/11", "2024/25")))
    return out


def _service(draw, domains: list[str], calendar_atoms: bool) -> dict:
    svc: dict = {"organisation": draw(st.sampled_from(ORGANISATIONS))}
    svc.update(_capacity(draw))
    optional = draw(st.lists(st.booleans(), min_size=9, max_size=9))
    if optional[0]:
        svc["domains"] = _subset(draw, domains)
    if optional[1]:
        svc["open_days"] = _subset(draw, WEEKDAYS, min_size=1)
    # fixed and empirical durations only where the service is open every day (see the module doc)
    svc["duration"] = draw(distributions(atoms=calendar_atoms or "open_days" not in svc))
    if optional[2]:
        svc["assessment"] = _assessment(draw)
    if optional[3]:
        svc["eligibility"] = {"min_level": draw(st.integers(0, 3))}
    if optional[4]:
        svc["queue"] = _queue(draw)
    if optional[5]:
        svc["effect"] = _effect(draw)
    if optional[6]:
        svc["on_completion"] = _completion(draw)
    if optional[7]:
        svc["costs"] = _costs(draw)
    if optional[8]:
        svc["arrivals"] = _arrivals(draw)
    return svc


def _referrals(draw, services: dict, name: str, domains: list[str], has_int: bool) -> list[dict]:
    targets = list(services) + (["int"] * 2 if has_int else [])
    rules = []
    for _ in range(draw(st.integers(0, 3))):
        rule: dict = {"to": draw(st.sampled_from(targets)), "probability": draw(probabilities)}
        if draw(st.booleans()):
            rule["when"] = draw(st.sampled_from(("completed", "turned_away")))
        if draw(st.booleans()):
            rule["domain"] = draw(st.sampled_from(domains))
            if draw(st.booleans()):
                rule["min_level"] = draw(st.integers(0, 3))
        if draw(st.booleans()):
            rule["handoff_loss"] = draw(probabilities)
        if draw(st.integers(0, 3)) == 0:
            rule["delay_days"] = draw(_num(0.0, 10.0, (0.5, 2.0)))
        rules.append(rule)
    zero_time_done = can_be_zero(services[name]["duration"])
    for when in ("completed", "turned_away"):
        mine = [r for r in rules if r.get("when", "completed") == when]
        cap = LOOP_CAP if (when == "turned_away" or zero_time_done) else 1.0
        for r, p in zip(mine, _scale_to([r["probability"] for r in mine], cap)):
            r["probability"] = p
    return rules


def _cohort(draw, neighbourhoods: list[str], domains: list[str], front_doors: set[str]) -> dict:
    coh: dict = {"size": {nb: draw(st.sampled_from((150, 40, 1, 0)) | st.integers(1, 150))
                          for nb in neighbourhoods if draw(often)}}
    initial = {}
    for d in _subset(draw, domains):
        initial[d] = _shares(draw, 4)
    if initial or draw(st.booleans()):
        coh["initial"] = initial
    hz = {}
    for d in domains:
        if not draw(often):
            continue
        h: dict = {}
        if draw(often):
            h["onset_per_year"] = draw(hazards)
        if draw(often):
            h["escalation_per_year"] = [draw(hazards), draw(hazards)]
        if draw(often):
            h["recovery_per_year"] = [draw(hazards), draw(hazards)]
        if d in front_doors and draw(often):
            h["help_seeking_per_year"] = [draw(hazards), draw(hazards)]
        hz[d] = h
    if hz or draw(st.booleans()):
        coh["hazards"] = hz
    return coh


def _int_team(draw, neighbourhoods: list[str], domains: list[str], services: list[str],
              cohorts: list[str], horizon: float, calendar_atoms: bool) -> dict:
    dpw = draw(st.integers(1, 7))
    it: dict = {"duration": draw(distributions(positive=True, atoms=calendar_atoms))}
    if draw(st.booleans()):
        it["days_per_week"] = dpw
    else:
        dpw = 5
    if draw(st.booleans()):
        it["open_days"] = draw(st.lists(st.sampled_from(WEEKDAYS), unique=True, min_size=dpw, max_size=dpw))
    teams: dict = {}
    team_dpw = []
    for nb in _subset(draw, neighbourhoods, min_size=1):
        team: dict = {}
        if draw(st.booleans()):
            team["start_day"] = draw(_num(0.0, horizon + 10.0, (7.0,)))
        own = dpw
        if draw(st.integers(0, 3)) == 0:
            own = team["days_per_week"] = draw(st.integers(1, 7))
        if draw(st.integers(0, 3)) == 0:
            team["open_days"] = draw(st.lists(st.sampled_from(WEEKDAYS), unique=True, min_size=own, max_size=own))
        teams[nb] = team
        team_dpw.append(own)
    it["neighbourhoods"] = teams
    workers: dict = {}
    for i in range(draw(st.integers(1, 3))):
        w: dict = {"fte": draw(st.sampled_from((0.5, 1.0, 2.0)) | st.floats(0.2, 3.0)),
                   "domains": _subset(draw, domains, min_size=1), "caseload": draw(st.integers(1, 20))}
        if draw(st.booleans()):
            w["cost_per_fte_gbp_per_year"] = draw(_num(0.0, 60000.0, (40000.0,)))
        if draw(st.booleans()):
            w["organisation"] = draw(st.sampled_from(ORGANISATIONS))
        workers[f"worker{i}"] = w
    # every team must hold at least one case: raise the first worker's caseload if not
    slowest = min(team_dpw)
    first = workers["worker0"]
    while int(sum(w["fte"] * w["caseload"] for w in workers.values()) * slowest / 5.0 + 1e-9) < 1:
        first["caseload"] += 1
    it["workers"] = workers
    covered = {d for w in workers.values() for d in w["domains"]}
    uncovered = [d for d in domains if d not in covered]
    optional = draw(st.lists(st.booleans(), min_size=12, max_size=12))
    if optional[0]:
        it["name"] = "Neighbourhood team"
    if optional[1]:
        it["organisation"] = draw(st.sampled_from(ORGANISATIONS))
    if optional[2]:
        it["assessment"] = _assessment(draw)
    if optional[3]:
        it["eligibility"] = {"min_level": draw(st.integers(0, 3))}
    if optional[4]:
        it["queue"] = _queue(draw)
    if optional[5]:
        it["effect"] = _effect(draw)
    if optional[6]:
        it["on_completion"] = _completion(draw)
    it["huddle"] = draw(st.booleans())
    it["front_door"] = draw(st.booleans())
    if optional[7]:
        wh: dict = {"loss": draw(small_probabilities), "min_level": draw(st.integers(1, 3))}
        if draw(st.booleans()):
            wh["delay_days"] = draw(_num(0.0, 10.0, (1.0,)))
        if uncovered and draw(st.booleans()):
            wh["to"] = {d: draw(st.sampled_from(services)) for d in _subset(draw, uncovered)}
        it["warm_handover"] = wh
    if optional[8]:
        cf: dict = {"screen_every_days": draw(_num(1.0, 60.0, (7.0, 30.0))),
                    "coverage": draw(probabilities), "sensitivity": draw(probabilities),
                    "specificity": draw(probabilities), "acceptance": draw(probabilities),
                    "contact_cost_gbp": draw(_num(0.0, 100.0, (25.0,)))}
        if draw(st.booleans()):
            cf["max_contacts_per_screen"] = draw(st.integers(1, 20))
        if draw(st.booleans()):
            cf["cohorts"] = _subset(draw, cohorts)
        it["case_finding"] = cf
    if optional[9]:
        it["costs"] = {"premises_gbp_per_year": draw(money), "setup_gbp": draw(money)}
        if draw(st.booleans()):
            it["costs"]["price_year"] = "2024/25"
    if optional[10]:
        orgs = _subset(draw, ORGANISATIONS, min_size=1)
        it["funding_shares"] = dict(zip(orgs, _shares(draw, len(orgs))))
    return it


# ----------------------------------------------------------------------------- reachability


def reachable_services(d: dict) -> set[str]:
    """Services someone can arrive at (mirrors the rule checks.py enforces, written independently)."""
    services = d["services"]
    edges: dict[str, set[str]] = {s: set() for s in services}
    edges["<int>"] = set()
    sources = {s for s, svc in services.items() if "arrivals" in svc}
    for dom in d.get("domains", {}).values():
        if dom.get("front_door"):
            sources.add(dom["front_door"])
        sources |= {r["service"] for r in dom.get("crisis", {}).get("responses", [])}
    it = d.get("int")
    if it is not None:
        sources.add("<int>")
        covered = {x for w in it["workers"].values() for x in w["domains"]}
        handover_to = it.get("warm_handover", {}).get("to", {})
        for dname, dom in d.get("domains", {}).items():
            if dname not in covered:
                target = handover_to.get(dname, dom.get("front_door"))
                if target is not None:
                    edges["<int>"].add(target)
    for s, svc in services.items():
        for r in svc.get("referrals", []):
            edges[s].add("<int>" if r["to"] == "int" else r["to"])
    seen: set[str] = set()
    stack = list(sources)
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        stack.extend(edges[n])
    return seen & set(services)


def trapped_services(d: dict) -> set[str]:
    """Services people can never leave the network from (the rule checks.py enforces, written
    independently): a service *lets people leave* if its unconditional completion referrals to
    services sum to less than 1, a referral has a hand-off loss, it turns people away
    (min_level > 0) or people can give up waiting (patience); a service is trapped if no
    service that lets people leave is reachable over those unconditional referrals."""
    edges: dict[str, set[str]] = {s: set() for s in d["services"]}
    leaves: set[str] = set()
    for s, svc in d["services"].items():
        rules = svc.get("referrals", [])
        onward = [r for r in rules if r.get("when", "completed") == "completed" and "domain" not in r
                  and r["to"] != "int"]
        edges[s] = {r["to"] for r in onward if r["probability"] > 0}
        if (sum(r["probability"] for r in onward) < 1.0 - 1e-12
                or any(r.get("handoff_loss", 0) > 0 for r in rules)
                or svc.get("eligibility", {}).get("min_level", 0) > 0
                or svc.get("queue", {}).get("patience") is not None):
            leaves.add(s)
    free = set(leaves)
    changed = True
    while changed:
        more = {s for s, targets in edges.items() if s not in free and targets & free}
        changed = bool(more)
        free |= more
    return set(d["services"]) - free


def _let_out(svc: dict) -> None:
    """Scale a service's unconditional completion referrals down so a tenth of people leave."""
    onward = [r for r in svc.get("referrals", []) if r.get("when", "completed") == "completed"
              and "domain" not in r and r["to"] != "int"]
    for r, p in zip(onward, _scale_to([r["probability"] for r in onward], 0.9)):
        r["probability"] = p


# ----------------------------------------------------------------------------- the scenario


@st.composite
def scenarios(draw, int_team: bool | None = None, calendar_atoms: bool = True) -> dict:
    """A valid scenario dict.

    ``int_team`` forces an INT on (True) or off (False). ``calendar_atoms`` allows fixed and
    empirical durations at services with opening days and at the INT.
    """
    horizon = draw(st.integers(30, 200) | st.floats(30.0, 200.0))
    every = draw(st.integers(7, 60) | st.floats(7.0, 60.0))
    time: dict = {"horizon_days": horizon, "report_every_days": min(every, horizon)}
    if draw(st.booleans()):
        time["warmup_days"] = draw(st.sampled_from((0, 30, 60)) | st.floats(0.0, 60.0))
    if draw(st.booleans()):
        time["start_date"] = draw(st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31))).isoformat()

    neighbourhoods = list(NEIGHBOURHOODS[: draw(st.sampled_from((2, 1, 2, 0, 1, 2)))])
    domains = draw(st.lists(st.sampled_from(DOMAINS), unique=True, min_size=1, max_size=3))
    names = list(SERVICES[: draw(st.integers(1, 5))])
    services = {s: _service(draw, domains, calendar_atoms) for s in names}

    dom_spec: dict = {}
    for dname in domains:
        dom: dict = {}
        if draw(st.integers(0, 3)) > 0:
            dom["front_door"] = draw(st.sampled_from(names))
        responses = []
        for s in _subset(draw, names):
            resp: dict = {"service": s}
            if draw(st.booleans()):
                resp["probability"] = draw(probabilities)
            responses.append(resp)
        if responses or draw(st.booleans()):
            dom["crisis"] = {"responses": responses}
            if draw(st.booleans()):
                dom["crisis"]["stay_in_crisis"] = draw(st.booleans())
        dom_spec[dname] = dom
    front_doors = {d for d, dom in dom_spec.items() if "front_door" in dom}

    coupling: dict = {}
    for a in _subset(draw, domains):
        coupling[a] = {b: draw(_num(0.0, 5.0, (1.0, 2.0))) for b in _subset(draw, domains)}

    cohorts = {c: _cohort(draw, neighbourhoods, domains, front_doors)
               for c in COHORTS[: draw(st.sampled_from((1, 2, 0, 1, 2)))]}

    has_int = bool(neighbourhoods) and (draw(st.booleans()) if int_team is None else int_team)
    for s in names:
        rules = _referrals(draw, services, s, domains, has_int)
        if rules:
            services[s]["referrals"] = rules

    d: dict = {"placesim": 1, "name": "hypothesis", "time": time, "domains": dom_spec, "services": services}
    if draw(st.booleans()):
        d["description"] = "drawn by hypothesis"
    if neighbourhoods:
        d["neighbourhoods"] = {nb: ({"population": draw(st.integers(0, 20000))} if draw(st.booleans()) else {})
                               for nb in neighbourhoods}
    if coupling:
        d["coupling"] = coupling
    if cohorts:
        d["cohorts"] = cohorts
    if has_int:
        d["int"] = _int_team(draw, neighbourhoods, domains, names, list(cohorts), float(horizon), calendar_atoms)

    for s in trapped_services(d):
        _let_out(services[s])
    for s in names:
        if s not in reachable_services(d):
            services[s]["arrivals"] = {"rate_per_day": draw(_num(0.0, 1.0, (0.5,)))}
    return d


# ----------------------------------------------------------------------------- facts about a scenario


def has_delays(d: dict) -> bool:
    """Whether any referral or warm hand-over takes time (the referral law then holds only in total)."""
    if any(r.get("delay_days", 0) > 0 for svc in d["services"].values() for r in svc.get("referrals", [])):
        return True
    it = d.get("int")
    return it is not None and it.get("warm_handover", {}).get("delay_days", 0) > 0


def max_delay(d: dict) -> float:
    """Longest referral or warm hand-over delay of a scenario, in days."""
    delays = [r.get("delay_days", 0.0) for svc in d["services"].values() for r in svc.get("referrals", [])]
    it = d.get("int")
    if it is not None:
        delays.append(it.get("warm_handover", {}).get("delay_days", 0.0))
    return max(delays, default=0.0)
