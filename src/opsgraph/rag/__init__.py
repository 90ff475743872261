"""The answer pipeline: routing, retrieval, fusion, grounded answers with checked citations, traces;
the semantic cache of answers and conversation memory around it.

The Redis backends (`opsgraph.rag.cache.redis`, `opsgraph.rag.history.redis`) are not imported here: they need the `[redis]` extra.
"""

from opsgraph.rag.cache import (
    DEFAULT_THRESHOLD,
    BaseSemanticCache,
    CacheHit,
    CacheLookup,
    CacheStats,
    Freshness,
    FreshnessVerdict,
    Scope,
    SemanticCache,
)
from opsgraph.rag.cache.embedded import EmbeddedSemanticCache
from opsgraph.rag.cache.freshness import StoreFreshness
from opsgraph.rag.conversation import Conversation
from opsgraph.rag.history import ConversationHistory, EmbeddedHistory, Turn, TurnEntity
from opsgraph.rag.pipeline import Answer, Citation, GraphRAG
from opsgraph.rag.rewrite import FollowUpRewriter, Rewrite
from opsgraph.rag.router import Route, Router
from opsgraph.rag.trace import Stage, Trace

__all__ = [
    "DEFAULT_THRESHOLD",
    "Answer",
    "BaseSemanticCache",
    "CacheHit",
    "CacheLookup",
    "CacheStats",
    "Citation",
    "Conversation",
    "ConversationHistory",
    "EmbeddedHistory",
    "EmbeddedSemanticCache",
    "FollowUpRewriter",
    "Freshness",
    "FreshnessVerdict",
    "GraphRAG",
    "Rewrite",
    "Route",
    "Router",
    "Scope",
    "SemanticCache",
    "Stage",
    "StoreFreshness",
    "Trace",
    "Turn",
    "TurnEntity",
]
