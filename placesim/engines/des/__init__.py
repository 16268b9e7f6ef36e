"""The discrete-event engine: SimPy, individual-level, stochastic.

It runs a :class:`~placesim.plan.Plan` with the node class of each kind of service given
to it (:mod:`placesim.kinds` supplies them); it never reads a scenario.
"""

from .node import Case, NodeContext, Route, ServiceNode
from .replication import DesReplication, run_replication

__all__ = ["Case", "DesReplication", "NodeContext", "Route", "ServiceNode", "run_replication"]
