"""Cross-field checks a single field's validator cannot make: names that must exist,
probabilities that must sum to at most 1, services that must be reachable."""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import networkx as nx
from pydantic import BaseModel

from .messages import suggest
from .model import INT_TARGET, MAX_CASES, ScenarioModel
from .network import INT_PREFIX, build_service_graph, unreachable_services

Issue = tuple[tuple[Any, ...], str]


def _unknown(kind: str, name: str, known: list[str]) -> str:
    if not known:
        return f"unknown {kind} {name!r}: the scenario defines no {kind}s"
    hint = suggest(name, known)
    listing = "" if hint else f" (known: {', '.join(known)})"
    return f"unknown {kind} {name!r}{hint}{listing}"


def _non_finite(value: Any, path: tuple[Any, ...]) -> list[Issue]:
    """Infinite or not-a-number values, and empty names (keys), anywhere in the model (a
    YAML file cannot hold them, but a dict or an override can)."""
    if isinstance(value, float):
        return [] if math.isfinite(value) else [(path, f"must be a finite number, got {value}")]
    if isinstance(value, BaseModel):
        out: list[Issue] = []
        for name, field in type(value).model_fields.items():
            out += _non_finite(getattr(value, name), path + (field.alias or name,))
        return out
    if isinstance(value, dict):
        blank: list[Issue] = [(path, "keys must be names, got an empty name") for k in value
                              if isinstance(k, str) and not k.strip()]
        return blank + [i for k, v in value.items() for i in _non_finite(v, path + (k,))]
    if isinstance(value, (list, tuple)):
        return [i for k, v in enumerate(value) for i in _non_finite(v, path + (k,))]
    return []


def _attribute_issues(m: ScenarioModel, c: str) -> list[Issue]:
    """A cohort's attribute shares: every attribute given, and only known attributes and values."""
    out: list[Issue] = []
    shares = m.cohorts[c].attributes
    for a, by_value in shares.items():
        if a not in m.attributes:
            out.append((("cohorts", c, "attributes", a), _unknown("attribute", a, list(m.attributes))))
            continue
        values = list(m.attributes[a].values)
        for v in by_value:
            if v not in values:
                out.append((("cohorts", c, "attributes", a, v), _unknown(f"value of {a!r}", v, values)))
    for a in m.attributes:
        if a not in shares:
            out.append((("cohorts", c, "attributes"),
                        f"cohort {c!r} gives no shares for attribute {a!r}; give the share of its households "
                        f"with each value ({', '.join(m.attributes[a].values)})"))
    return out


def semantic_issues(m: ScenarioModel) -> list[Issue]:
    """Every cross-reference problem of a scenario, as (field path, message) pairs."""
    issues: list[Issue] = _non_finite(m, ())
    services = list(m.services)
    domains = list(m.domains)
    nbhds = list(m.neighbourhoods)
    cohorts = list(m.cohorts)

    for s in services:
        if s == INT_TARGET or s.startswith(INT_PREFIX):
            issues.append((("services", s), f"the name {s!r} is reserved for the INT; rename the service"))

    for d, dom in m.domains.items():
        if dom.front_door is not None and dom.front_door not in m.services:
            issues.append((("domains", d, "front_door"), _unknown("service", dom.front_door, services)))
        for i, resp in enumerate(dom.crisis.responses):
            if resp.service not in m.services:
                issues.append((("domains", d, "crisis", "responses", i, "service"),
                               _unknown("service", resp.service, services)))

    for a, row in m.coupling.items():
        if a not in m.domains:
            issues.append((("coupling", a), _unknown("domain", a, domains)))
        for b in row:
            if b not in m.domains:
                issues.append((("coupling", a, b), _unknown("domain", b, domains)))

    for s, svc in m.services.items():
        for i, d in enumerate(svc.domains):
            if d not in m.domains:
                issues.append((("services", s, "domains", i), _unknown("domain", d, domains)))
        if svc.eligibility.pressure is not None and svc.servers == "unlimited":
            issues.append((("services", s, "eligibility", "pressure"),
                           "a service with unlimited places has no queue to raise its threshold"))
        if svc.added_places and svc.servers == "unlimited":
            issues.append((("services", s, "added_places"), "a service with unlimited places cannot gain places"))
        totals: dict[str, float] = defaultdict(float)
        for i, rule in enumerate(svc.referrals):
            totals[rule.when] += rule.probability
            if rule.to == INT_TARGET:
                if m.int_team is None:
                    issues.append((("services", s, "referrals", i, "to"),
                                   "refers to 'int' but the scenario has no int section"))
            elif rule.to not in m.services:
                issues.append((("services", s, "referrals", i, "to"), _unknown("service", rule.to, services)))
            if rule.domain is not None and rule.domain not in m.domains:
                issues.append((("services", s, "referrals", i, "domain"), _unknown("domain", rule.domain, domains)))
        for when, total in totals.items():
            if total > 1 + 1e-9:
                issues.append((("services", s, "referrals"),
                               f"referral probabilities on {when!r} sum to {total:g}; they are one draw, "
                               f"so they must sum to at most 1"))

    for c, coh in m.cohorts.items():
        if not m.domains:
            issues.append((("cohorts", c), "cohorts need domains: the scenario defines none"))
        for nb in coh.size:
            if nb not in m.neighbourhoods:
                issues.append((("cohorts", c, "size", nb), _unknown("neighbourhood", nb, nbhds)))
        for d in coh.initial:
            if d not in m.domains:
                issues.append((("cohorts", c, "initial", d), _unknown("domain", d, domains)))
        for d, hz in coh.hazards.items():
            if d not in m.domains:
                issues.append((("cohorts", c, "hazards", d), _unknown("domain", d, domains)))
            elif any(hz.help_seeking_per_year) and m.domains[d].front_door is None:
                issues.append((("cohorts", c, "hazards", d, "help_seeking_per_year"),
                               f"residents seek help in {d!r} but domain {d!r} has no front_door service"))
        issues += _attribute_issues(m, c)

    it = m.int_team
    if it is not None:
        places = sum(w.fte * w.caseload for w in it.workers.values())
        if not math.isfinite(places) or places > MAX_CASES:
            issues.append((("int", "workers"),
                           f"fte x caseload summed over the workers is {places:g}, more than {MAX_CASES:,} cases; "
                           f"a team cannot hold that many"))
        for nb, team in it.neighbourhoods.items():
            if nb not in m.neighbourhoods:
                issues.append((("int", "neighbourhoods", nb), _unknown("neighbourhood", nb, nbhds)))
            if team.open_days is not None and len(team.open_days) != it.team_days_per_week(nb):
                issues.append((("int", "neighbourhoods", nb, "open_days"),
                               f"lists {len(team.open_days)} day(s) but the team works "
                               f"{it.team_days_per_week(nb)} day(s) a week"))
            if team.end_day is not None and team.end_day <= team.start_day + it.ramp.delay_days:
                issues.append((("int", "neighbourhoods", nb, "end_day"),
                               f"the {nb} team ends on day {team.end_day:g}, before it opens (start_day "
                               f"{team.start_day:g} + ramp.delay_days {it.ramp.delay_days:g})"))
            if math.isfinite(places) and places <= MAX_CASES and it.team_capacity(nb) < 1:
                issues.append((("int", "workers"),
                               f"the {nb} team holds fewer than one case (sum of fte x caseload x "
                               f"days_per_week / 5 < 1)"))
        if it.open_days is not None and len(it.open_days) != it.days_per_week:
            issues.append((("int", "open_days"),
                           f"lists {len(it.open_days)} day(s) but days_per_week is {it.days_per_week}"))
        for w, worker in it.workers.items():
            for i, d in enumerate(worker.domains):
                if d not in m.domains:
                    issues.append((("int", "workers", w, "domains", i), _unknown("domain", d, domains)))
            if worker.seconded_from is not None and worker.seconded_from not in m.services:
                issues.append((("int", "workers", w, "seconded_from"),
                               _unknown("service", worker.seconded_from, services)))
        issues += _secondment_issues(m)
        covered = set(it.covered_domains)
        for d, target in it.warm_handover.to.items():
            if d not in m.domains:
                issues.append((("int", "warm_handover", "to", d), _unknown("domain", d, domains)))
            elif d in covered:
                issues.append((("int", "warm_handover", "to", d),
                               f"domain {d!r} is covered by the INT, so it is never handed over"))
            if target not in m.services:
                issues.append((("int", "warm_handover", "to", d), _unknown("service", target, services)))
        for i, s in enumerate(it.shared_record.services or []):
            if s not in m.services:
                issues.append((("int", "shared_record", "services", i), _unknown("service", s, services)))
        if it.case_finding is not None and it.case_finding.cohorts is not None:
            for i, c in enumerate(it.case_finding.cohorts):
                if c not in m.cohorts:
                    issues.append((("int", "case_finding", "cohorts", i), _unknown("cohort", c, cohorts)))

    if m.economics is not None:
        issues += economics_issues(m)

    if not issues:
        g = build_service_graph(m)
        for s in unreachable_services(g):
            issues.append((("services", s),
                           "no one can ever arrive here: it has no arrivals, is no domain's front door or "
                           "crisis response, and no reachable service refers to it"))
        for s in signposting_loops(m):
            issues.append((("services", s, "referrals"),
                           "a signposting loop: people this service turns away are sent round a loop of "
                           "services that turn them away and send them on with certainty and nothing lost, "
                           "so they never leave it; lower a turned_away probability or add a hand-off loss"))
        for s in trapped_services(m):
            issues.append((("services", s, "referrals"),
                           "people who reach this service can never leave the network: its unconditional "
                           "referrals (and those of the services they lead to) send everyone on with "
                           "probability 1; lower a probability so some people leave"))
    return issues


def signposting_loops(m: ScenarioModel) -> list[str]:
    """Services on a closed loop of certain, lossless turned-away referrals.

    A service "signposts with certainty" if it has a threshold and its unconditional
    turned-away referrals sum to 1 with no hand-off loss. Someone ineligible everywhere on
    a loop of such services whose referrals all stay on the loop would be passed round it
    for ever (and, without delays or assessment time, at one instant, so the simulation
    could not move on). A loop with a way out (a referral to any other service) is fine.
    """

    certain: dict[str, list[str]] = {}
    for name, svc in m.services.items():
        if svc.eligibility.min_level == 0 and svc.eligibility.pressure is None:
            continue  # turns nobody away
        rules = [r for r in svc.referrals if r.when == "turned_away"]
        sure = [r for r in rules if r.domain is None and r.to != INT_TARGET and r.handoff_loss == 0]
        if sure and len(sure) == len(rules) and sum(r.probability for r in sure) >= 1.0 - 1e-12:
            certain[name] = [r.to for r in sure if r.probability > 0]
    g = nx.DiGraph()
    for name, targets in certain.items():
        g.add_node(name)
        for t in targets:
            g.add_edge(name, t)
    looped: set[str] = set()
    for component in nx.strongly_connected_components(g):
        closed = all(t in component for n in component for t in certain.get(n, [None]))
        if closed and (len(component) > 1 or any(g.has_edge(n, n) for n in component)):
            looped |= component
    return [n for n in m.services if n in looped]


def trapped_services(m: ScenarioModel) -> list[str]:
    """Services from which no one ever leaves the network.

    Only unconditional referrals on completion count (conditions on a resident's levels
    change over time). A service lets people leave if its completion referrals sum to less
    than 1 or it turns people away; people are trapped where no such service is reachable.
    """

    g = nx.DiGraph()
    leaves: set[str] = set()
    for name, svc in m.services.items():
        g.add_node(name)
        total = 0.0  # probabilities of unconditional onward referrals on completion
        for rule in svc.referrals:
            if rule.when == "completed" and rule.domain is None and rule.to != INT_TARGET:
                total += rule.probability
                if rule.probability > 0:
                    g.add_edge(name, rule.to)
        lossy = any(r.handoff_loss > 0 for r in svc.referrals)
        turns_away = svc.eligibility.min_level > 0 or svc.eligibility.pressure is not None
        if total < 1.0 - 1e-12 or lossy or turns_away or svc.queue.patience is not None:
            leaves.add(name)
    free: set[str] = set(leaves)
    for node in leaves:
        free |= nx.ancestors(g, node)
    return [n for n in m.services if n not in free]


def economics_issues(m: ScenarioModel) -> list[Issue]:
    """Every cost's price year must be one the appraisal can uprate from; cashable shares
    must name services."""
    econ = m.economics
    assert econ is not None
    issues: list[Issue] = []
    services = list(m.services)
    for name in econ.cashable:
        if name != "default" and name not in m.services:
            issues.append((("economics", "cashable", name), _unknown("service", name, services + ["default"])))
    stated: list[tuple[tuple[Any, ...], str | None]] = [
        (("services", s, "costs", "price_year"), svc.costs.price_year) for s, svc in m.services.items()]
    if m.int_team is not None:
        stated.append((("int", "costs", "price_year"), m.int_team.costs.price_year))
    for path, year in stated:
        if year is None or year == econ.price_year:
            continue
        if econ.deflator is None:
            issues.append((path, f"price year {year!r} differs from economics.price_year {econ.price_year!r}: "
                                 f"add economics.deflator (an index by year) to uprate it"))
        elif econ.deflator.value(year) is None:
            known = ", ".join(sorted(econ.deflator.index))
            issues.append((path, f"price year {year!r} is not in economics.deflator.index (it has {known}); "
                                 f"add it, or both calendar years of a financial year"))
    if econ.deflator is not None and econ.deflator.value(econ.price_year) is None:
        issues.append((("economics", "price_year"),
                       f"economics.deflator.index has no value for the price year {econ.price_year!r}"))
    if econ.horizon_years is not None and econ.horizon_years * 365.25 > m.time.horizon_days + 1e-6:
        issues.append((("economics", "horizon_years"),
                       f"the appraisal period ({econ.horizon_years:g} years = {econ.horizon_years * 365.25:g} days) "
                       f"is longer than the simulated horizon ({m.time.horizon_days:g} days); lengthen "
                       f"time.horizon_days or shorten horizon_years"))
    return issues


def _secondment_issues(m: ScenarioModel) -> list[tuple[tuple[Any, ...], str]]:
    """A service cannot second more staff than it has to the teams running at once."""
    it = m.int_team
    issues: list[tuple[tuple[Any, ...], str]] = []
    if it is None:
        return issues
    for name, svc in m.services.items():
        seconded = [w for w, worker in it.workers.items() if worker.seconded_from == name]
        if not seconded or svc.servers == "unlimited":
            if seconded:
                issues.append((("int", "workers", seconded[0], "seconded_from"),
                               f"{name!r} has unlimited places: there are no staff to second from it"))
            continue
        fte = sum(it.workers[w].fte for w in seconded)
        teams = sum(it.team_days_per_week(nb) / 5.0 for nb in it.neighbourhoods)
        per_fte = svc.caseload if svc.staff is not None and svc.caseload is not None else 1.0
        lost = fte * teams * per_fte
        if lost > svc.capacity + 1e-9:
            issues.append((("int", "workers", seconded[0], "seconded_from"),
                           f"the teams would take {lost:g} places from {name!r}, which has {svc.capacity:g}"))
    return issues


def scenario_warnings(m: ScenarioModel) -> list[Issue]:
    """What runs but is probably not what was meant, as (field path, message) pairs: an INT
    team that opens only after the reported horizon (it never works in the results), and a
    cohort with no residents in any neighbourhood."""
    out: list[Issue] = []
    horizon = m.time.horizon_days
    it = m.int_team
    if it is not None:
        for nb, team in it.neighbourhoods.items():
            opens = team.start_day + it.ramp.delay_days
            if opens >= horizon:
                delay = f" + ramp.delay_days {it.ramp.delay_days:g}" if it.ramp.delay_days else ""
                out.append((("int", "neighbourhoods", nb, "start_day"),
                            f"the {nb} team opens on day {opens:g} (start_day {team.start_day:g}{delay}), after "
                            f"the reported horizon of {horizon:g} days (time.horizon_days): it never works in "
                            f"the reported period, so the results are those of no team"))
    for c, coh in m.cohorts.items():
        if not any(coh.size.values()):
            out.append((("cohorts", c, "size"),
                        f"cohort {c!r} has no residents in any neighbourhood (size 0 everywhere): it adds no one "
                        f"to the place; give it a size, or remove it"))
    return out
