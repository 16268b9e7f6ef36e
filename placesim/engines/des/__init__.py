"""The discrete-event engine: SimPy, individual-level, stochastic."""

from .model import Axes, DesReplication, run_replication

__all__ = ["Axes", "DesReplication", "run_replication"]
