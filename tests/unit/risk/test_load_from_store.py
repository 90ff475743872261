from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pytest

from opsgraph.risk import RiskDataError, load_from_store
from opsgraph.schema import GraphSchema
from opsgraph.store.base import QueryResult, TelemetryFrame

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


class FakeStore:
    """Just the two calls the risk layer makes."""

    def __init__(self) -> None:
        self.queries: list[str] = []
        self.telemetry_calls: list[tuple[Any, ...]] = []

    def read_telemetry(self, node_type: str, node_ids: Sequence[str] | None = None,
                       start: int | None = None, end: int | None = None) -> TelemetryFrame:
        self.telemetry_calls.append((node_type, node_ids, start, end))
        return TelemetryFrame(["web", "api", "cart"], ["cpu", "error_rate"], np.array([0, 60], dtype=np.int64),
                              np.zeros((2, 3, 2), np.float32), np.zeros((2, 3), np.int8))

    def query(self, cypher: str, params: Mapping[str, Any] | None = None, *, read_only: bool = True,
              limit: int | None = None) -> QueryResult:
        self.queries.append(cypher)
        rows = {
            "DEPENDS_ON": [{"src": "web", "dst": "api"}, {"src": "api", "dst": "orders_db"},
                           {"src": "web", "dst": "api"}],
            "CALLS": [{"src": "web", "dst": "cart"}],
        }
        edge_type = cypher.split("[r:")[1].split("]")[0]
        return QueryResult(["src", "dst"], rows[edge_type])

    def read_records(self, record_type: str, where: Mapping[str, Any] | None = None, **_: Any) -> list[dict[str, Any]]:
        return []  # no change log: the topology never changed


def test_reads_telemetry_and_dependency_edges_among_its_nodes() -> None:
    store = FakeStore()
    data = load_from_store(store, SCHEMA, "Service", start=0, end=120)  # type: ignore[arg-type]
    assert store.telemetry_calls == [("Service", None, 0, 120)]
    assert data.edges == [("web", "api"), ("web", "cart")]  # orders_db has no telemetry; duplicate dropped
    assert data.schema_name == "shop" and data.node_type == "Service"


def test_cypher_names_only_schema_dependency_edge_types() -> None:
    store = FakeStore()
    load_from_store(store, SCHEMA, "Service")  # type: ignore[arg-type]
    assert store.queries == [
        "MATCH (a)-[r:DEPENDS_ON]->(b) RETURN a.id AS src, b.id AS dst",
        "MATCH (a)-[r:CALLS]->(b) RETURN a.id AS src, b.id AS dst",
    ]


def test_unknown_node_type_is_refused_before_any_query() -> None:
    store = FakeStore()
    with pytest.raises(RiskDataError, match="unknown node type"):
        load_from_store(store, SCHEMA, "Service) DETACH DELETE (x")  # type: ignore[arg-type]
    assert store.queries == [] and store.telemetry_calls == []


def test_node_type_without_telemetry_is_refused() -> None:
    with pytest.raises(RiskDataError, match="no telemetry"):
        load_from_store(FakeStore(), SCHEMA, "Database")  # type: ignore[arg-type]
