"""The service network as a networkx DiGraph, and the checks that need it."""

from __future__ import annotations

import networkx as nx

from .model import INT_TARGET, ScenarioModel

INT_PREFIX = "int:"


def team_name(neighbourhood: str) -> str:
    """Service-node name of the INT team of a neighbourhood."""
    return f"{INT_PREFIX}{neighbourhood}"


def build_service_graph(model: ScenarioModel) -> nx.DiGraph:
    """Directed service network: services, INT teams and every referral route.

    Nodes carry ``kind`` ('service' or 'int'), ``organisation`` and ``capacity``. Edges
    carry ``kind`` ('referral', 'warm_handover'), and for referrals the ``probability``,
    ``handoff_loss``, ``when``, ``domain`` and ``min_level`` of each rule (a list, since
    two rules may join the same pair). Graph attribute ``sources`` lists the nodes people
    enter the network at (background arrivals, front doors, crisis responses, INT teams).
    """
    g = nx.DiGraph(name=model.name)
    for name, svc in model.services.items():
        g.add_node(name, kind="service", organisation=svc.organisation, capacity=svc.capacity,
                   domains=list(svc.domains))
    teams: list[str] = []
    if model.int_team is not None:
        it = model.int_team
        for nb in it.neighbourhoods:
            t = team_name(nb)
            teams.append(t)
            g.add_node(t, kind="int", organisation=",".join(it.shares), capacity=float(it.team_capacity(nb)),
                       domains=it.covered_domains, neighbourhood=nb)
        covered = set(it.covered_domains)
        for d, dom in model.domains.items():
            if d in covered:
                continue
            target = it.warm_handover.to.get(d, dom.front_door)
            if target in model.services:
                for t in teams:
                    g.add_edge(t, target, kind="warm_handover", rules=[{"domain": d, "loss": it.warm_handover.loss}])
    for name, svc in model.services.items():
        for rule in svc.referrals:
            targets = teams if rule.to == INT_TARGET else [rule.to]
            for tgt in targets:
                if tgt not in g:
                    continue
                data = g.get_edge_data(name, tgt)
                info = {"probability": rule.probability, "handoff_loss": rule.handoff_loss, "when": rule.when,
                        "domain": rule.domain, "min_level": rule.threshold if rule.domain else None}
                if data is None:
                    g.add_edge(name, tgt, kind="referral", rules=[info])
                else:
                    data["rules"].append(info)
    sources: set[str] = set(teams)
    for name, svc in model.services.items():
        if svc.arrivals is not None:
            sources.add(name)
    for dom in model.domains.values():
        if dom.front_door in model.services:
            sources.add(dom.front_door)
        for resp in dom.crisis.responses:
            if resp.service in model.services:
                sources.add(resp.service)
    g.graph["sources"] = sorted(sources)
    return g


def unreachable_services(g: nx.DiGraph) -> list[str]:
    """Services no one can ever arrive at."""
    reach: set[str] = set()
    for s in g.graph.get("sources", []):
        reach.add(s)
        reach |= nx.descendants(g, s)
    return [n for n, kind in g.nodes(data="kind") if kind == "service" and n not in reach]
