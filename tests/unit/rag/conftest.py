"""A tiny operations estate for the answer-pipeline unit tests: its schema, and an in-memory store holding its names."""

from __future__ import annotations

from typing import Any

import pytest

from memory_store import MemoryStore
from opsgraph.rag.lexicon import Lexicon, build_lexicon
from opsgraph.rag.render import NameBook
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
    "Incident": [{"id": "INC-2047", "title": "Gateway timeouts"}],
    "ExternalService": [{"id": "payment-gateway", "name": "Payment gateway"}],
}


@pytest.fixture
def schema() -> GraphSchema:
    return GraphSchema.model_validate(SCHEMA)


@pytest.fixture
def names(schema: GraphSchema) -> NameBook:
    return NameBook(MemoryStore(schema, nodes=NODES), schema)  # type: ignore[arg-type]


@pytest.fixture
def lexicon(schema: GraphSchema) -> Lexicon:
    return build_lexicon(schema)
