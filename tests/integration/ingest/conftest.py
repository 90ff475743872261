"""Fixtures for ingest tests: `store_state`, everything a store holds as one comparable value."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from opsgraph.store.arcadedb import TELEMETRY_TYPE, ArcadeDBStore


def _state(store: ArcadeDBStore) -> dict[str, Any]:
    """Everything the store holds: nodes and edges with all properties (`_hash`, vectors), telemetry, meta."""
    nodes = store.query("MATCH (n) RETURN labels(n)[0] AS t, properties(n) AS p", limit=10**7).rows
    edges = store.query("MATCH (a)-[r]->(b) RETURN type(r) AS t, a.id AS f, b.id AS to, properties(r) AS p", limit=10**7).rows
    buckets, _ = store.transport.query("sql", f"SELECT key, node, node_type, bstart, ts, vals, labels, features, _hash FROM {TELEMETRY_TYPE}", None, None)
    return {
        "nodes": sorted(repr(sorted(r.items())) for r in nodes),
        "edges": sorted(repr(sorted(r.items())) for r in edges),
        "telemetry": sorted(repr(sorted(b.items())) for b in buckets),
        "version": store.data_version(),
        "schema": store.stored_schema(),
    }


@pytest.fixture(scope="session")
def store_state() -> Callable[[ArcadeDBStore], dict[str, Any]]:
    """For "exactly as it was" checks: node and edge properties (`_hash`, vectors), telemetry buckets, data version, schema."""
    return _state
