"""Every flow, listed explicitly: ``all_nodes()`` is the dialog's whole map.

Each flow module exposes ``NODES``; node ids are "<flow>.<step>".
"""

from __future__ import annotations

from handlers.engine import Node
from handlers.flows import (
    answerphone,
    callback,
    card_activation,
    confirmations,
    crisis,
    emergency_card,
    information,
    main_menu,
    person,
    privacy,
    referral,
)

FLOWS = (
    main_menu,
    person,
    information,
    referral,
    emergency_card,
    card_activation,
    callback,
    answerphone,
    crisis,
    privacy,
    confirmations,
)


def all_nodes() -> dict[str, Node]:
    """Every node by id; a duplicate id is a programming error caught at start-up."""
    nodes: dict[str, Node] = {}
    for flow in FLOWS:
        for node in flow.NODES:
            if node.id in nodes:
                raise ValueError(f"dialog node {node.id!r} is defined twice")
            nodes[node.id] = node
    return nodes
