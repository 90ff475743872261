"""The semantic cache of answers, RedisVL's shape: records, the base every backend shares, freshness, two backends.

`EmbeddedSemanticCache` (SQLite + in-process vectors) is exported here;
`opsgraph.rag.cache.redis.RedisSemanticCache` is not imported here: it needs the `[redis]` extra.
"""

from opsgraph.rag.cache.base import BaseSemanticCache, FreshnessCheck, SemanticCache
from opsgraph.rag.cache.embedded import EmbeddedSemanticCache
from opsgraph.rag.cache.freshness import StoreFreshness
from opsgraph.rag.cache.records import (
    DEFAULT_THRESHOLD,
    CacheHit,
    CacheLookup,
    CacheStats,
    Freshness,
    FreshnessVerdict,
    Scope,
    StoredEntry,
    entry_id,
)

__all__ = [
    "DEFAULT_THRESHOLD",
    "BaseSemanticCache",
    "CacheHit",
    "CacheLookup",
    "CacheStats",
    "EmbeddedSemanticCache",
    "Freshness",
    "FreshnessCheck",
    "FreshnessVerdict",
    "Scope",
    "SemanticCache",
    "StoreFreshness",
    "StoredEntry",
    "entry_id",
]
