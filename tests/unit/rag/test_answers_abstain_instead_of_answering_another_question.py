"""Failure classes found with the second dev set (tests/fixtures/dev/ops_questions_dev2.yaml): each one answered a
different question than the one asked, confidently. Now each is answered the way it was asked, or abstained."""

from __future__ import annotations

from typing import Any

from opsgraph.rag.compose import Anchor, ValueHit, compose
from opsgraph.rag.lexicon import TIME_QUALIFIER, Lexicon, build_lexicon
from opsgraph.rag.quote import _intent_headings, asks_for_heading
from opsgraph.rag.render import NameBook
from opsgraph.rag.router import HOW_TO, PROCEDURE, Router
from opsgraph.rag.shape import question_shape, without_paging_words
from opsgraph.rag.verify import verify_query
from opsgraph.schema import GraphSchema

VALUES = {
    "go": [ValueHit("Service", "language", "Go")],
    "incident-commander": [ValueHit("RESPONDED_TO", "role", "incident-commander", on_edge=True)],
}


def _compose(question: str, schema: GraphSchema, lexicon: Lexicon, *anchors: tuple[str, str, str]) -> Any:
    found = [Anchor(i, t, question.lower().index(s.lower())) for i, t, s in anchors]
    return compose(question, question_shape(question, schema), found, [s for _, _, s in anchors], schema=schema, lexicon=lexicon, values=VALUES)


def test_other_ways_to_ask_whom_to_page_are_paging(schema: GraphSchema) -> None:
    for q in ("redis-cart is down, who should I call?", "Who do we contact about the payment gateway?", "Who to ping for checkout?"):
        assert question_shape(q, schema).shape == "page", q
    # What is left after the paging words names the thing, not a dependency ("call" is also a word for DEPENDS_ON).
    assert "call" not in without_paging_words("redis-cart is down, who should I call?")


def test_times_other_than_now_are_recognised() -> None:
    for q in ("Who was on call last weekend?", "What's the MTTR this quarter?", "Which services failed in the past 3 days?", "Who was paged on Saturday night?"):
        assert TIME_QUALIFIER.search(q), q
    for q in ("Who is on call for checkout right now?", "Who is on call this rotation?", "What does the frontend depend on?"):
        assert not TIME_QUALIFIER.search(q), q


def test_no_query_for_everything_when_the_thing_named_is_not_linked(schema: GraphSchema, lexicon: Lexicon) -> None:
    # "ledger" (a weak alias) was not linked: "everyone on call" is no answer for the ledger.
    assert _compose("Who's on call for the ledger?", schema, lexicon) is None
    # A verb the graph does not hold is no thing named: this still composes.
    assert _compose("Which services are written in Go?", schema, lexicon) is not None


def test_a_qualified_role_is_a_filter_not_ignored() -> None:
    schema = GraphSchema.model_validate({
        "version": 1, "name": "responders",
        "nodes": {"Person": {"properties": {"name": "string"}}, "Incident": {"name_property": "title", "properties": {"title": "string"}}},
        "edges": {"RESPONDED_TO": {"from": "Person", "to": "Incident", "properties": {"role": {"type": "string", "indexed": True}}}},
    })  # fmt: skip
    lexicon = build_lexicon(schema)
    got = _compose("Who was the incident commander for INC-2047?", schema, lexicon, ("INC-2047", "Incident", "INC-2047"))
    assert got is not None
    assert "r.role = $e_role" in got.cypher and got.params["e_role"] == "incident-commander"
    # The same question about a role the estate does not hold is not answered with every responder.
    assert _compose("Who was the scribe lead for INC-2047?", schema, lexicon, ("INC-2047", "Incident", "INC-2047")) is None


def test_every_entity_named_must_be_used(schema: GraphSchema, names: NameBook, lexicon: Lexicon) -> None:
    q = "Will the frontend break if paymentservice is down?"
    cypher = "MATCH (n0:Service {id: $anchor})-[:DEPENDS_ON*1..6]->(n1:Service) RETURN DISTINCT n1.id AS id"
    verdict = verify_query(
        q, question_shape(q, schema), cypher, {"anchor": "frontend"}, [{"id": "paymentservice"}], schema=schema, lexicon=lexicon,
        names=names, entity_surfaces=("frontend", "paymentservice"), entity_ids=("frontend", "paymentservice"),
    )  # fmt: skip
    assert any("names paymentservice" in r for r in verdict.reasons)


def test_a_walk_through_others_needs_words_that_ask_for_it(schema: GraphSchema, names: NameBook, lexicon: Lexicon) -> None:
    cypher = "MATCH (n0:Service {id: $anchor})<-[:DEPENDS_ON*1..6]-(n1:Service) RETURN DISTINCT n1.id AS id"
    rows = [{"id": "checkoutservice"}, {"id": "frontend"}]

    def reasons(q: str) -> list[str]:
        shape = question_shape(q, schema)
        return verify_query(q, shape, cypher, {"anchor": "paymentservice"}, rows, schema=schema, lexicon=lexicon, names=names,
                            entity_surfaces=("paymentservice",), entity_ids=("paymentservice",)).reasons  # fmt: skip

    assert any("variable-length" in r for r in reasons("Which services depend on paymentservice?"))
    assert not any("variable-length" in r for r in reasons("Which services break if paymentservice goes down?"))
    assert not any("variable-length" in r for r in reasons("Which services depend on paymentservice directly or indirectly?"))


def test_questions_asking_what_to_do_go_to_the_runbooks(schema: GraphSchema) -> None:
    route = Router(schema).route("What do I do when the payment gateway fails?")
    assert route.docs and not route.graph
    # Reaching a team is a graph question, not a procedure.
    assert not HOW_TO.search("How do I reach the Payments team?")
    assert Router(schema).route("How do I reach the Payments team?").graph


def test_a_fact_question_is_quoted_only_when_it_names_the_section() -> None:
    assert asks_for_heading("What are the symptoms of redis-cart being unavailable?", "Cart service: redis-cart unavailable > Symptoms")
    assert not asks_for_heading("What is the disk size of the payments ledger database?", "Payments ledger DB disk and replication slots > Mitigation")
    # The document's title alone is no section named.
    assert not asks_for_heading("What is the disk size of the ledger?", "Payments ledger DB disk and replication slots")
    assert PROCEDURE.search("How do I roll back the payment service?")
    assert not PROCEDURE.search("When was the last backup of the orders database taken?")


def test_what_a_question_asks_to_do_names_the_runbook_section() -> None:
    assert "mitigation" in _intent_headings("How do I roll back the payment service?")
    assert "mitigation" in _intent_headings("How do I skip a poison message on order-events?")
    assert "diagnosis" in _intent_headings("How do I debug checkout latency?")
    # Everyday wording of the same two asks (the dev4 set's runbook questions).
    assert "mitigation" in _intent_headings("shopping assistant getting 429s from Gemini, what do I do?")
    assert "mitigation" in _intent_headings("frontend throws 502s every deploy, how do we stop it?")
    assert "diagnosis" in _intent_headings("what should I check when I take over the pager at handover?")
    assert _intent_headings("Does the checkout stop working when payments is down?") == ()
    assert _intent_headings("What does the frontend depend on?") == ()
    # Asking two things names no one section.
    assert _intent_headings("How do I diagnose and fix redis-cart?") == ()
