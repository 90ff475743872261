"""Graph stores: the `GraphStore` protocol and its backends, picked by name.

Backends register here by name so configuration can choose one; a new
backend is one module plus one line in `BACKENDS`.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

from opsgraph.store.base import GraphStore, LiveType, QueryResult, SearchHit, TelemetryFrame, UpsertReport, dedupe
from opsgraph.store.cypher_guard import is_read_only, write_clauses

BACKENDS: dict[str, str] = {
    "arcadedb-embedded": "opsgraph.store.arcadedb:ArcadeDBStore",
}
"""Backend name → `module:factory`; the factory takes the backend's settings as keywords."""


def create_store(backend: str, **settings: Any) -> GraphStore:
    """Build (but do not open) the store named `backend` with its settings."""
    try:
        target = BACKENDS[backend]
    except KeyError:
        from opsgraph.errors import ConfigError

        raise ConfigError(f"unknown store backend {backend!r}; choose one of: {', '.join(BACKENDS)}") from None
    module, _, name = target.partition(":")
    factory: Callable[..., GraphStore] = getattr(import_module(module), name)
    return factory(**settings)


__all__ = [
    "BACKENDS",
    "GraphStore",
    "LiveType",
    "QueryResult",
    "SearchHit",
    "TelemetryFrame",
    "UpsertReport",
    "create_store",
    "dedupe",
    "is_read_only",
    "write_clauses",
]
