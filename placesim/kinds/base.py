"""What a kind of service is: one class naming its DES node and its SD flows."""

from __future__ import annotations

from typing import ClassVar

from ..engines.des import ServiceNode
from ..engines.sd import ServiceFlows


class Kind:
    """A kind of service: the behaviour that runs a :class:`~placesim.plan.ServicePlan`
    whose ``kind`` is :attr:`name`, in both engines.

    A subclass names its DES node class (built from the service's plan and the
    replication's context) and its SD flows class (which adds the service's stocks and
    flows to the system-dynamics builder). Register it in :data:`placesim.kinds.KINDS`.
    """

    name: ClassVar[str]
    """The ``kind`` of the plans it runs (the ``service_kind`` coordinate of the results)."""
    des_node: ClassVar[type[ServiceNode]]
    """Its DES node class."""
    sd_flows: ClassVar[type[ServiceFlows]]
    """Its SD flows class."""
