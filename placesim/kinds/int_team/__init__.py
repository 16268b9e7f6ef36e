"""The INT neighbourhood team: its DES node (:mod:`.des`) and its SD flows (:mod:`.sd`).

Differences from a siloed service: it opens after its start day (and a ramp-up) and on its
working days only, and may end; it serves one neighbourhood's residents (their help-seeking
in covered domains comes to it if it is their front door or they refer themselves, and
referrals 'to: int' reach it); one assessment covers every covered domain; the key worker's
support acts on all covered domains in need at once (the huddle) or, without a huddle, on
one domain per episode with an internal re-referral; at the end, uncovered domains in need
are handed over warmly (lower loss) to specialist services; and it finds people itself from
shared data (case-finding).
"""

from __future__ import annotations

from ..base import Kind
from .des import CaseFinder, Handover, IntTeamNode
from .sd import CaseFindingFlow, IntTeamFlows


class IntTeam(Kind):
    """An INT neighbourhood team."""

    name = "int"
    des_node = IntTeamNode
    sd_flows = IntTeamFlows


__all__ = ["CaseFinder", "CaseFindingFlow", "Handover", "IntTeam", "IntTeamFlows", "IntTeamNode"]
