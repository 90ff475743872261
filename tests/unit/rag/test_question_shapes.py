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


@pytest.mark.parametrize(
    "question",
    [
        "bad gateway on every page since the rollout, where do I start looking",
        "What's the status page of the payment gateway?",
        "the checkout page loads slowly, what should I check?",
        "which pages does the frontend serve?",
    ],
)
def test_a_page_of_a_site_is_no_paging(schema: GraphSchema, question: str) -> None:
    assert question_shape(question, schema).shape != "page"


def test_paging_still_reads_as_paging_next_to_a_page_noun(schema: GraphSchema) -> None:
    assert question_shape("the checkout page is down, who do I page?", schema).shape == "page"


def test_http_reason_phrases_are_status_codes() -> None:
    from opsgraph.rag.lexicon import plain_http_reasons

    assert plain_http_reasons("bad gateway on every page") == "502 on every page"
    assert plain_http_reasons("Gateway Timeouts from checkout") == "504 from checkout"
    assert plain_http_reasons("is the payment gateway down?") == "is the payment gateway down?"


@pytest.mark.parametrize("question", ["which queues are the responsibility of risk?", "who is on the risk team?", "what does the risk & data team own?"])
def test_risk_as_a_team_name_is_no_risk_question(schema: GraphSchema, question: str) -> None:
    assert question_shape(question, schema).shape != "risk"


@pytest.mark.parametrize("question", ["is there any risk?", "what's the risk for checkout?", "which services are at risk?"])
def test_risk_questions_stay_risk_questions(schema: GraphSchema, question: str) -> None:
    assert question_shape(question, schema).shape == "risk"
