"""Graph stores: the `GraphStore` protocol and its backends, picked by name.

Backends register here by name so configuration can choose one; a new
backend is one module plus one line in `BACKENDS` (an `opsgraph._registry.Registry`).
"""

from __future__ import annotations

from typing import Any

from opsgraph._registry import Registry
from opsgraph.store.base import GraphStore, LiveType, QueryResult, SearchHit, TelemetryFrame, UpsertReport, dedupe
from opsgraph.store.cypher_guard import is_read_only, write_clauses
from opsgraph.store.cypher_names import UnknownName, unknown_names
from opsgraph.store.transport import MockTransport, Statement, Transport, start_engine

BACKENDS: Registry[GraphStore] = Registry("store backend", {
    "arcadedb-embedded": "opsgraph.store.arcadedb:ArcadeDBStore",
    "arcadedb-server": "opsgraph.store.http_transport:server_store",
})
"""Backend name → `module:factory`; the factory takes the backend's settings as keywords."""


def create_store(backend: str, **settings: Any) -> GraphStore:
    """Build (but do not open) the store named `backend` with its settings."""
    return BACKENDS.create(backend, **settings)


__all__ = [
    "BACKENDS",
    "GraphStore",
    "LiveType",
    "MockTransport",
    "QueryResult",
    "SearchHit",
    "Statement",
    "TelemetryFrame",
    "Transport",
    "UnknownName",
    "UpsertReport",
    "create_store",
    "dedupe",
    "is_read_only",
    "start_engine",
    "unknown_names",
    "write_clauses",
]
