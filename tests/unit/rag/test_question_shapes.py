"""Question shapes (what kind of answer is wanted) and the node type asked for."""

from __future__ import annotations

import pytest

from opsgraph.rag.shape import question_shape
from opsgraph.schema import GraphSchema
from opsgraph.schema.words import plural


@pytest.mark.parametrize(
    ("question", "shape", "wants"),
    [
        ("Who is on call for checkoutservice?", "page", "Person"),
        ("Who should I page if the payment gateway is failing?", "page", "Person"),
        ("What is at risk now?", "risk", None),
        ("Is paymentservice healthy?", "risk", None),
        ("How many services depend on cartservice?", "count", "Service"),
        ("Is checkoutservice critical?", "yesno", None),
        ("Who responded to INC-2047?", "person", "Person"),
        ("Which services depend on paymentservice?", "list", "Service"),
        ("Which team owns paymentservice?", "list", "Team"),
        ("What language is paymentservice written in?", "value", None),
        ("What is the shortest path from frontend to redis-cart?", "path", None),
        ("What does checkoutservice depend on?", "value", None),
    ],
)
def test_shapes(schema: GraphSchema, question: str, shape: str, wants: str | None) -> None:
    got = question_shape(question, schema)
    assert (got.shape, got.wants_type) == (shape, wants), got.reason


def test_plural() -> None:
    assert [plural(w) for w in ("service", "person", "datastore", "queue", "policy", "class")] == ["services", "people", "datastores", "queues", "policies", "classes"]
