"""The output counters of a run: one table of every variable in the results.

Each :class:`Counter` says what a variable is (dimensions, units, meaning), how it is
made (a count of events, a sum, an end-of-bin stock, or derived from other counters
after the run) and which engines fill it; an engine that does not fill a variable
gives NaN. Both engines, the results and the docs read this table: a new output
variable is one row here plus the lines in each engine that fill it (see
docs/architecture.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SERVICE = ("replication", "time", "service")
GROUP = ("replication", "time", "neighbourhood", "cohort", "domain")
NEIGHBOURHOOD = ("replication", "time", "neighbourhood")
RESIDENT = ("replication", "time", "neighbourhood", "cohort")
BY_VALUE = ("replication", "time", "neighbourhood", "attribute_value")
BOTH = ("des", "sd")
DES_ONLY = ("des",)

How = Literal["count", "sum", "stock", "derived"]


@dataclass(frozen=True)
class Counter:
    """One output variable.

    Attributes
    ----------
    name
        Variable name in the results Dataset.
    dims
        Its dimensions.
    units
        Units (the ``units`` attribute).
    description
        What it means (the ``long_name`` attribute).
    how
        ``'count'``: whole events counted in each bin; ``'sum'``: a sum of amounts (days,
        money) in each bin; ``'stock'``: a level at the end of each bin (or at a moment);
        ``'derived'``: computed after the run from other counters.
    engines
        Engines that fill it; the others give NaN.
    attributes
        Only in the results of a scenario with household attributes (``attributes:``); a
        scenario without them has neither the variable nor its axis.
    """

    name: str
    dims: tuple[str, ...]
    units: str
    description: str
    how: How = "count"
    engines: tuple[str, ...] = BOTH
    attributes: bool = False

    @property
    def axis(self) -> str:
        """The axis it is kept along: 'service', 'group' (neighbourhood x cohort x domain),
        'neighbourhood', 'resident' (neighbourhood x cohort) or another."""
        if self.dims == SERVICE:
            return "service"
        if self.dims == GROUP:
            return "group"
        if self.dims == NEIGHBOURHOOD:
            return "neighbourhood"
        if self.dims == RESIDENT:
            return "resident"
        return "other"

    @property
    def accumulated(self) -> bool:
        """Accumulated event by event into the bins (counts and sums)."""
        return self.how in ("count", "sum")


_TABLE = (
    Counter("arrivals", SERVICE, "people", "Arrivals at the service in the bin (background, help-seeking, referral, crisis, case-finding)."),
    Counter("assessments", SERVICE, "assessments", "Assessments done (one on every entry, when the service is open)."),
    Counter("crisis_contacts", SERVICE, "contacts", "Crisis contacts at the service: residents arriving in crisis, the first contact of each crisis episode and its repeats (crisis.responses[].contacts). Part of arrivals."),
    Counter("repeat_contacts", SERVICE, "contacts", "Repeat crisis contacts: the contacts of a crisis episode after its first (repeat A&E attendances, call-outs). Part of crisis_contacts; crisis_contacts / (crisis_contacts - repeat_contacts) is the contacts per episode."),
    Counter("turned_away", SERVICE, "people", "People assessed as below the eligibility threshold."),
    Counter("started", SERVICE, "people", "People who started support (took a server or caseload place)."),
    Counter("completed", SERVICE, "people", "People who completed support."),
    Counter("abandoned", SERVICE, "people", "People who gave up waiting (patience ran out)."),
    Counter("turned_away_pressure", SERVICE, "people", "People turned away only because the service's threshold was raised under pressure (eligibility.pressure): they met its usual threshold."),
    Counter("pressure_days", SERVICE, "days", "Days in the bin the service's threshold was raised (the sd engine: the chance its queue, geometric with the fluid mean, is at or above the middle of the trigger band).", "sum"),
    Counter("pressure_returns", SERVICE, "people", "Residents the service turned away under pressure who came back to it later in the same need episode (each turn-away counted once).", engines=DES_ONLY),
    Counter("pressure_crises", SERVICE, "crises", "Residents the service turned away under pressure who then had a crisis in the same need episode (each turn-away counted once).", engines=DES_ONLY),
    Counter("repeat_assessments", SERVICE, "assessments", "Assessments of residents already assessed earlier in the same need episode (telling their story again).", engines=DES_ONLY),
    Counter("assessments_spared", SERVICE, "assessments", "Assessments spared by the INT's shared record: residents the INT referred or handed over here whose story the service read instead of asking again (int.shared_record). Not in assessments, and not costed."),
    Counter("referrals", SERVICE, "referrals", "Onward referrals and hand-overs made from the service (including lost ones)."),
    Counter("referrals_received", SERVICE, "referrals", "Referrals and hand-overs that arrived at the service."),
    Counter("handoffs_lost", SERVICE, "referrals", "Referrals from the service that were lost (the person dropped out)."),
    Counter("exits", SERVICE, "people", "People who left the service network from this service."),
    Counter("outreach_contacts", SERVICE, "contacts", "Case-finding outreach contacts (INT teams)."),
    Counter("false_positive_contacts", SERVICE, "contacts", "Outreach contacts with residents not in need (cost, no benefit)."),
    Counter("case_found", SERVICE, "people", "Residents found by case-finding who accepted and arrived."),
    Counter("wait_days_sum", SERVICE, "days", "Sum of queue waits of those who started support in the bin.", "sum"),
    Counter("sojourn_days_sum", SERVICE, "days", "Sum of times at the service (arrival to completion) of those who completed in the bin.", "sum"),
    Counter("system_days_sum", SERVICE, "days", "Sum of times in the service network (first arrival to exit) of those who exited here in the bin.", "sum"),
    Counter("busy_server_days", SERVICE, "server days", "Occupied server (or caseload place) days in the bin.", "sum"),
    Counter("queue_days", SERVICE, "person days", "Person-days spent waiting (mean queue length x bin days).", "sum"),
    Counter("cost_gbp", SERVICE, "GBP", "Cost of the service in the bin (assessments, cases, days of support; INT staff, premises, set-up, outreach), at the price years of the inputs.", "derived"),
    Counter("seconded_cost_gbp", SERVICE, "GBP", "The part of cost_gbp that is staff seconded from another service: paid by the seconding organisation, an opportunity cost rather than new money.", "derived"),
    Counter("place_days", SERVICE, "place days", "Places open at the service in the bin, in place-days: capacity (as posts fill or staff are seconded away) x days open; inf for an unlimited service.", "derived"),
    Counter("in_system", SERVICE, "people", "People at the service (waiting, being assessed or supported) at the end of the bin.", "stock"),
    Counter("in_system_start", ("replication", "service"), "people", "People at the service when reporting started (end of warm-up).", "stock"),
    Counter("crisis_attenders", ("replication", "service"), "residents", "Residents with at least one crisis contact at the service in the reported period.", "stock", DES_ONLY),
    Counter("top_decile_contact_share", ("replication", "service"), "share", "Frequent attenders: the share of the service's crisis contacts in the reported period made by the tenth of its crisis attenders with the most contacts (the top ceil(n/10) of n; about 0.1 when each has one; 0 without attenders).", "stock", DES_ONLY),
    Counter("organisation_cost_gbp", ("replication", "time", "organisation"), "GBP", "Costs attributed to each organisation (INT costs by funding share).", "derived"),
    Counter("crises", GROUP, "crises", "Crisis events (a domain reaching level 3)."),
    Counter("help_seeking", GROUP, "presentations", "Times residents sought help at a front door."),
    Counter("residents", ("replication", "time", "neighbourhood", "cohort", "domain", "level"), "residents", "Residents at each level at the end of the bin.", "stock"),
    Counter("resident_assessments", RESIDENT, "assessments", "Assessments of the cohort's residents at any service, every one over the whole run (not only up to first support)."),
    Counter("resident_handoffs", RESIDENT, "referrals", "Referrals and hand-overs of the cohort's residents from any service (including lost ones), over the whole run."),
    Counter("need_days", RESIDENT, "resident days", "Resident-days in need: days the cohort's residents spent at level 1 or above in at least one domain (the sd engine assumes the domains independent).", "sum"),
    Counter("int_contacts", RESIDENT, "contacts", "INT outreach contacts with the cohort's residents (including those not in need).", attributes=True),
    Counter("int_found", RESIDENT, "people", "The cohort's residents found by case-finding who accepted and arrived at the INT.", attributes=True),
    Counter("int_started", RESIDENT, "episodes", "INT support episodes the cohort's residents started (any route in).", attributes=True),
    Counter("int_reached", RESIDENT, "residents", "The cohort's residents supported by the INT for the first time in the run (each resident once).", engines=DES_ONLY, attributes=True),
    Counter("residents_by_attribute", BY_VALUE, "residents", "Residents with each attribute value.", "derived", attributes=True),
    Counter("crises_by_attribute", BY_VALUE, "crises", "Crisis events (all domains) of residents with each attribute value.", "derived", attributes=True),
    Counter("help_seeking_by_attribute", BY_VALUE, "presentations", "Help-seeking presentations of residents with each attribute value.", "derived", attributes=True),
    Counter("need_days_by_attribute", BY_VALUE, "resident days", "Resident-days in need of residents with each attribute value (see need_days).", "derived", attributes=True),
    Counter("assessments_by_attribute", BY_VALUE, "assessments", "Assessments of residents with each attribute value at any service (see resident_assessments).", "derived", attributes=True),
    Counter("handoffs_by_attribute", BY_VALUE, "referrals", "Referrals and hand-overs of residents with each attribute value (see resident_handoffs).", "derived", attributes=True),
    Counter("int_contacts_by_attribute", BY_VALUE, "contacts", "INT outreach contacts with residents with each attribute value (see int_contacts).", "derived", attributes=True),
    Counter("int_found_by_attribute", BY_VALUE, "people", "Residents with each attribute value found by case-finding who accepted (see int_found).", "derived", attributes=True),
    Counter("int_started_by_attribute", BY_VALUE, "episodes", "INT support episodes started by residents with each attribute value (see int_started).", "derived", attributes=True),
    Counter("int_reached_by_attribute", BY_VALUE, "residents", "Residents with each attribute value supported by the INT for the first time (see int_reached).", "derived", DES_ONLY, attributes=True),
    Counter("journeys", NEIGHBOURHOOD, "episodes", "Need episodes reaching their first support in the bin (episodes that began during the run).", engines=DES_ONLY),
    Counter("journey_assessments", NEIGHBOURHOOD, "assessments", "Assessments in those episodes up to and including first support ('times told my story').", engines=DES_ONLY),
    Counter("journey_handoffs", NEIGHBOURHOOD, "referrals", "Referrals and hand-overs in those episodes before first support.", engines=DES_ONLY),
    Counter("journey_days_sum", NEIGHBOURHOOD, "days", "Sum of days from first need to first support of those episodes.", "sum", engines=DES_ONLY),
)

COUNTERS: dict[str, Counter] = {c.name: c for c in _TABLE}
"""Every output variable by name, in the order of the results Dataset."""


def accumulated(axis: str, engine: str) -> tuple[Counter, ...]:
    """Counters an engine accumulates event by event along ``axis``, in table order."""
    return tuple(c for c in _TABLE if c.axis == axis and c.accumulated and engine in c.engines)
