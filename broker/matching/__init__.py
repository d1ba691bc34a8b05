"""Matching: embedders, the profile index, score components, ranking, reasons.

Takes profiles, vectors and partnerships as data, never a session.
"""

from broker.matching.components import COMPONENTS
from broker.matching.embedders import Embedder, load_embedder, text_hash
from broker.matching.explain import PairExplanation, explain_pair
from broker.matching.index import (
    ProfileIndex,
    build_index,
    embed_organisations,
    embed_profile,
)
from broker.matching.ranker import Suggestion, suggest, suggest_for_profile
from broker.matching.scoring import KIND_RULES, normalise_weights

__all__ = [
    "COMPONENTS",
    "KIND_RULES",
    "Embedder",
    "PairExplanation",
    "ProfileIndex",
    "Suggestion",
    "build_index",
    "embed_organisations",
    "embed_profile",
    "explain_pair",
    "load_embedder",
    "normalise_weights",
    "suggest",
    "suggest_for_profile",
    "text_hash",
]
