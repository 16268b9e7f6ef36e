"""Kinds of service: each one class with its DES node and its SD flows side by side.

A plan's services each name their ``kind``; the engines run each with the class this
registry gives for it. A new kind is one module here, one line below, and its tests
(see docs/architecture.md).
"""

from ..engines.des import ServiceNode
from ..engines.sd import ServiceFlows
from .base import Kind
from .int_team import IntTeam
from .service import Service

KINDS: dict[str, type[Kind]] = {k.name: k for k in (Service, IntTeam)}
"""Every kind of service by name."""


def des_nodes() -> dict[str, type[ServiceNode]]:
    """The DES node class of each kind."""
    return {name: k.des_node for name, k in KINDS.items()}


def sd_flows() -> dict[str, type[ServiceFlows]]:
    """The SD flows class of each kind."""
    return {name: k.sd_flows for name, k in KINDS.items()}


__all__ = ["IntTeam", "KINDS", "Kind", "Service", "des_nodes", "sd_flows"]
