"""The output variables of a run: dimensions, units and meaning (the results contract)."""

from __future__ import annotations

from typing import NamedTuple


class Variable(NamedTuple):
    dims: tuple[str, ...]
    units: str
    description: str


_S = ("replication", "time", "service")
_G = ("replication", "time", "neighbourhood", "cohort", "domain")
_N = ("replication", "time", "neighbourhood")

VARIABLES: dict[str, Variable] = {
    "arrivals": Variable(_S, "people", "Arrivals at the service in the bin (background, help-seeking, referral, crisis, case-finding)."),
    "assessments": Variable(_S, "assessments", "Assessments done (one on every entry, when the service is open)."),
    "turned_away": Variable(_S, "people", "People assessed as below the eligibility threshold."),
    "started": Variable(_S, "people", "People who started support (took a server or caseload place)."),
    "completed": Variable(_S, "people", "People who completed support."),
    "abandoned": Variable(_S, "people", "People who gave up waiting (patience ran out)."),
    "referrals": Variable(_S, "referrals", "Onward referrals and hand-overs made from the service (including lost ones)."),
    "referrals_received": Variable(_S, "referrals", "Referrals and hand-overs that arrived at the service."),
    "handoffs_lost": Variable(_S, "referrals", "Referrals from the service that were lost (the person dropped out)."),
    "exits": Variable(_S, "people", "People who left the service network from this service."),
    "outreach_contacts": Variable(_S, "contacts", "Case-finding outreach contacts (INT teams)."),
    "false_positive_contacts": Variable(_S, "contacts", "Outreach contacts with residents not in need (cost, no benefit)."),
    "case_found": Variable(_S, "people", "Residents found by case-finding who accepted and arrived."),
    "wait_days_sum": Variable(_S, "days", "Sum of queue waits of those who started support in the bin."),
    "sojourn_days_sum": Variable(_S, "days", "Sum of times at the service (arrival to completion) of those who completed in the bin."),
    "system_days_sum": Variable(_S, "days", "Sum of times in the service network (first arrival to exit) of those who exited here in the bin."),
    "busy_server_days": Variable(_S, "server days", "Occupied server (or caseload place) days in the bin."),
    "queue_days": Variable(_S, "person days", "Person-days spent waiting (mean queue length x bin days)."),
    "cost_gbp": Variable(_S, "GBP", "Cost of the service in the bin (assessments, cases, days of support; INT staff, premises, set-up, outreach), at the price years of the inputs."),
    "in_system": Variable(_S, "people", "People at the service (waiting, being assessed or supported) at the end of the bin."),
    "in_system_start": Variable(("replication", "service"), "people", "People at the service when reporting started (end of warm-up)."),
    "organisation_cost_gbp": Variable(("replication", "time", "organisation"), "GBP", "Costs attributed to each organisation (INT costs by funding share)."),
    "crises": Variable(_G, "crises", "Crisis events (a domain reaching level 3)."),
    "help_seeking": Variable(_G, "presentations", "Times residents sought help at a front door."),
    "residents": Variable(("replication", "time", "neighbourhood", "cohort", "domain", "level"), "residents", "Residents at each level at the end of the bin."),
    "journeys": Variable(_N, "episodes", "Need episodes reaching their first support in the bin (episodes that began during the run)."),
    "journey_assessments": Variable(_N, "assessments", "Assessments in those episodes up to and including first support ('times told my story')."),
    "journey_handoffs": Variable(_N, "referrals", "Referrals and hand-overs in those episodes before first support."),
    "journey_days_sum": Variable(_N, "days", "Sum of days from first need to first support of those episodes."),
}
