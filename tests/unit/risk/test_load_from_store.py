
import numpy as np
import pytest

from memory_store import MemoryStore
from opsgraph.risk import RiskDataError, load_from_store
from opsgraph.schema import GraphSchema
from opsgraph.store.base import TelemetryFrame

SCHEMA = GraphSchema.model_validate({
    "version": "1",
    "name": "shop",
    "nodes": {
        "Service": {"telemetry": ["cpu", "error_rate"]},
        "Database": {},
    },
    "edges": {
        "DEPENDS_ON": {"from": "Service", "to": ["Service", "Database"], "dependency": True},
        "CALLS": {"from": "Service", "to": "Service", "dependency": True},
        "OWNED_BY": {"from": "Service", "to": "Database"},
    },
})


def memory_store() -> MemoryStore:
    """Service telemetry for three nodes (orders_db has none) and dependency edges, one of them twice."""
    frame = TelemetryFrame(["web", "api", "cart"], ["cpu", "error_rate"], np.array([0, 60], dtype=np.int64),
                           np.zeros((2, 3, 2), np.float32), np.zeros((2, 3), np.int8))
    edges = {"DEPENDS_ON": [("web", "api"), ("api", "orders_db"), ("web", "api")], "CALLS": [("web", "cart")]}
    return MemoryStore(SCHEMA, edges=edges, telemetry={"Service": frame})


def test_reads_telemetry_and_dependency_edges_among_its_nodes() -> None:
    store = memory_store()
    data = load_from_store(store, SCHEMA, "Service", start=0, end=120)  # type: ignore[arg-type]
    assert store.telemetry_reads == [("Service", None, 0, 120)]
    assert data.edges == [("web", "api"), ("web", "cart")]  # orders_db has no telemetry; duplicate dropped
    assert data.schema_name == "shop" and data.node_type == "Service"


def test_cypher_names_only_schema_dependency_edge_types() -> None:
    store = memory_store()
    load_from_store(store, SCHEMA, "Service")  # type: ignore[arg-type]
    assert store.queries == [
        "MATCH (a)-[r:DEPENDS_ON]->(b) RETURN a.id AS src, b.id AS dst",
        "MATCH (a)-[r:CALLS]->(b) RETURN a.id AS src, b.id AS dst",
    ]


def test_unknown_node_type_is_refused_before_any_query() -> None:
    store = memory_store()
    with pytest.raises(RiskDataError, match="unknown node type"):
        load_from_store(store, SCHEMA, "Service) DETACH DELETE (x")  # type: ignore[arg-type]
    assert store.queries == [] and store.telemetry_reads == []


def test_node_type_without_telemetry_is_refused() -> None:
    with pytest.raises(RiskDataError, match="no telemetry"):
        load_from_store(memory_store(), SCHEMA, "Database")  # type: ignore[arg-type]
