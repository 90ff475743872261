"""The in-memory test store (`tests/memory_store.py`) answers the shapes it knows from its data, and fails on any other query."""

from __future__ import annotations

import pytest

from memory_store import MemoryStore
from opsgraph.store import LiveType, QueryResult


def test_names_edges_types_and_registered_answers() -> None:
    store = MemoryStore(nodes={"Service": [{"id": "a", "name": "A"}, {"id": "b"}]}, edges={"CALLS": [("a", "b")]})
    assert store.query("MATCH (n:Service) RETURN n.id AS id, n.name AS name").rows == [{"id": "a", "name": "A"}, {"id": "b", "name": None}]
    assert store.query("MATCH (a)-[:`CALLS`]->(b) RETURN a.id AS src, b.id AS dst").rows == [{"src": "a", "dst": "b"}]
    assert store.node_types(["b", "zz"]) == {"b": "Service"}
    assert store.describe() == [LiveType("Service", "node", 2), LiveType("CALLS", "edge", 1)]
    store.answer(r"count\(n\)", lambda m, params: QueryResult(["n"], [{"n": params["k"]}]))
    assert store.query("MATCH (n) RETURN count(n) AS n", {"k": 7}).rows == [{"n": 7}]
    assert len(store.queries) == 3 and store.read_telemetry("Service").node_ids == []


def test_an_unexpected_query_fails_with_its_text() -> None:
    with pytest.raises(AssertionError, match="no answer for 'MATCH \\(x\\) DETACH DELETE x'"):
        MemoryStore().query("MATCH (x) DETACH DELETE x")
