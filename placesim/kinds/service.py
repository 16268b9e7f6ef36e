"""A siloed service: front door, assessment, eligibility, queue, places and referrals.

Its behaviour is the engines' base node in each engine: the DES's
:class:`~placesim.engines.des.ServiceNode` (assessment, queue and places as events) and the
SD's :class:`~placesim.engines.sd.ServiceFlows` (the same as phases of stocks and flows).
Other kinds subclass them.
"""

from __future__ import annotations

from ..engines.des import ServiceNode
from ..engines.sd import ServiceFlows
from .base import Kind


class Service(Kind):
    """A siloed service with places (servers, or staff x caseload) or unlimited."""

    name = "service"
    des_node = ServiceNode
    sd_flows = ServiceFlows
