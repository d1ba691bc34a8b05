"""The partnership graph: brokerage, communities, coverage gaps and plans.

Pure functions from a :class:`networkx.Graph` (built by :func:`build_graph`)
to results; no sessions, no I/O. The services load profiles from the store,
build the graph and hand it here; the command line and the API format what
comes back (each result has ``as_dict()``).

Pictures live in :mod:`broker.graph.draw` (``draw_network``, ``draw_map``),
imported from there so that matplotlib loads only when a picture is asked for.
"""

from broker.graph.brokerage import (
    BrokerageRoles,
    BrokerRanking,
    StructuralHoles,
    betweenness,
    brokerage_roles,
    rank_brokers,
    structural_holes,
    target_groups_reached,
)
from broker.graph.build import build_graph, canonical_subgraph, region_members
from broker.graph.export import from_graphml, from_node_link, to_graphml, to_node_link
from broker.graph.plan import (
    Community,
    CoverageGap,
    LeadCandidate,
    ProposedLink,
    RegionalPlan,
    bridging_links,
    communities_of,
    coverage_gaps,
    lead_candidates,
    regional_plan,
)

__all__ = [
    "BrokerRanking",
    "BrokerageRoles",
    "Community",
    "CoverageGap",
    "LeadCandidate",
    "ProposedLink",
    "RegionalPlan",
    "StructuralHoles",
    "betweenness",
    "bridging_links",
    "brokerage_roles",
    "build_graph",
    "canonical_subgraph",
    "communities_of",
    "coverage_gaps",
    "from_graphml",
    "from_node_link",
    "lead_candidates",
    "rank_brokers",
    "regional_plan",
    "region_members",
    "structural_holes",
    "target_groups_reached",
    "to_graphml",
    "to_node_link",
]
