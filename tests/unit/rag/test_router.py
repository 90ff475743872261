"""The rule-based router."""

from __future__ import annotations

import pytest

from opsgraph.app import sample_estate_path
from opsgraph.rag.router import Router
from opsgraph.schema import load_schema


@pytest.fixture(scope="module")
def router() -> Router:
    return Router(load_schema(sample_estate_path() / "schema.yaml"))


@pytest.mark.parametrize(
    ("question", "graph", "docs"),
    [
        ("Which services depend on paymentservice?", True, False),
        ("Who is on call for checkout?", True, False),
        ("How do I mitigate redis-cart evictions?", False, True),
        ("What are the diagnosis steps for payment 5xx?", False, True),
        ("Which runbook explains how to restart the currency service?", True, True),
        ("tell me about frontend", True, True),
        # Asking how to reach someone asks the graph for their contact, not a runbook for steps.
        ("How do I get hold of the payments folks?", True, True),
        ("how do I get in touch with whoever owns the cart?", True, True),
        ("How do I get the cart back up?", False, True),
    ],
)
def test_routes(router: Router, question: str, graph: bool, docs: bool) -> None:
    route = router.route(question)
    assert (route.graph, route.docs) == (graph, docs), route.reason
    assert route.reason
