"""A tiny operations estate for the answer-pipeline unit tests: its schema, and a store that answers name lookups."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pytest

from opsgraph.rag.render import NameBook
from opsgraph.rag.verify import Lexicon, build_lexicon
from opsgraph.schema import GraphSchema

SCHEMA = {
    "version": 1,
    "name": "tiny-ops",
    "nodes": {
        "Service": {"properties": {"name": "string", "language": "string", "tier": "string", "namespace": "string"}},
        "Datastore": {"properties": {"name": "string", "engine": "string"}},
        "Team": {"properties": {"name": "string"}},
        "Person": {"properties": {"name": "string", "email": "string"}},
        "Incident": {"name_property": "title", "properties": {"title": "string", "severity": "string"}},
        "ExternalService": {"properties": {"name": "string", "status_page": "string"}},
    },
    "edges": {
        "DEPENDS_ON": {"from": "Service", "to": ["Service", "Datastore", "ExternalService"], "dependency": True, "properties": {"critical": "boolean"}},
        "OWNS": {"from": "Team", "to": ["Service", "Datastore", "ExternalService"]},
        "ON_CALL_FOR": {"from": "Person", "to": "Team", "properties": {"rotation": "string"}},
        "CAUSED_BY": {"from": "Incident", "to": ["Service", "Datastore"]},
    },
}

NODES: dict[str, list[dict[str, Any]]] = {
    "Service": [
        {"id": "paymentservice", "name": "Payment Service"},
        {"id": "checkoutservice", "name": "Checkout Service"},
        {"id": "frontend", "name": "Frontend"},
        {"id": "nameless", "name": None},
    ],
    "Datastore": [{"id": "redis-cart", "name": "Cart Redis"}],
    "Team": [{"id": "team-payments", "name": "Payments"}, {"id": "team-orders", "name": "Orders"}],
    "Person": [{"id": "rachel.kim", "name": "Rachel Kim"}, {"id": "marcus.bell", "name": "Marcus Bell"}],
    "Incident": [{"id": "INC-2047", "name": "Gateway timeouts"}],
    "ExternalService": [{"id": "payment-gateway", "name": "Payment gateway"}],
}


@dataclass
class Result:
    rows: list[dict[str, Any]]
    columns: list[str] = field(default_factory=list)


class NameStore:
    """Answers `MATCH (n:Type) RETURN n.id AS id, n.x AS name` from NODES; counts the queries it ran."""

    def __init__(self) -> None:
        self.queries: list[str] = []

    def query(self, cypher: str, params: Any = None, **_: Any) -> Result:
        self.queries.append(cypher)
        m = re.match(r"MATCH \(n:(\w+)\) RETURN n\.id AS id(, n\.\w+ AS name)?$", cypher)
        if m is None:
            raise AssertionError(f"unexpected query {cypher}")
        return Result([{"id": r["id"], **({"name": r["name"]} if m.group(1) else {})} for r in NODES.get(m.group(1), [])])


@pytest.fixture
def schema() -> GraphSchema:
    return GraphSchema.model_validate(SCHEMA)


@pytest.fixture
def names(schema: GraphSchema) -> NameBook:
    return NameBook(NameStore(), schema)  # type: ignore[arg-type]


@pytest.fixture
def lexicon(schema: GraphSchema) -> Lexicon:
    return build_lexicon(schema)
