"""The verifier refuses a query that does not cover the question (relations, properties, negation, numbers, answer type)."""

from __future__ import annotations

from typing import Any

from opsgraph.rag.lexicon import Lexicon, build_lexicon, stem
from opsgraph.rag.render import NameBook
from opsgraph.rag.shape import question_shape
from opsgraph.rag.verify import verify_query
from opsgraph.schema import GraphSchema


def check(question: str, cypher: str, rows: list[dict[str, Any]], schema: GraphSchema, names: NameBook, lexicon: Lexicon, *, params: dict[str, Any] | None = None, surfaces: tuple[str, ...] = ()) -> list[str]:
    shape = question_shape(question, schema)
    verdict = verify_query(question, shape, cypher, params or {}, rows, schema=schema, lexicon=lexicon, names=names, entity_surfaces=surfaces)
    assert verdict.ok == (not verdict.reasons)
    return verdict.reasons


def test_on_call_is_not_answered_by_dependencies(schema: GraphSchema, names: NameBook, lexicon: Lexicon) -> None:
    # The tuned pair "$p0 depends on what?" was reused for this question (issue 14).
    reasons = check(
        "Who is on call for checkoutservice?", "MATCH (:Service {id: $p0})-[:DEPENDS_ON]->(d) RETURN d.id AS id",
        [{"id": "paymentservice"}, {"id": "redis-cart"}], schema, names, lexicon, params={"p0": "checkoutservice"}, surfaces=("checkoutservice",),
    )  # fmt: skip
    assert any("ON_CALL_FOR" in r for r in reasons)
    assert any("people" in r for r in reasons)


def test_no_owner_is_not_answered_by_nobody_depends_on(schema: GraphSchema, names: NameBook, lexicon: Lexicon) -> None:
    reasons = check(
        "Which services have no owner?", "MATCH (s:Service) WHERE NOT ()-[:DEPENDS_ON]->(s) RETURN s.id AS id",
        [{"id": "frontend"}], schema, names, lexicon,
    )  # fmt: skip
    assert any("OWNS" in r for r in reasons)


def test_page_is_not_answered_by_a_status_page_url(schema: GraphSchema, names: NameBook, lexicon: Lexicon) -> None:
    reasons = check(
        "Who should I page if the payment gateway is failing?", "MATCH (e:ExternalService {id: $p0}) RETURN e.status_page AS v",
        [{"v": "https://status.payriver.example"}], schema, names, lexicon, params={"p0": "payment-gateway"}, surfaces=("payment gateway",),
    )  # fmt: skip
    assert reasons


def test_a_covering_query_passes(schema: GraphSchema, names: NameBook, lexicon: Lexicon) -> None:
    assert not check(
        "Which services depend on paymentservice?", "MATCH (s:Service)-[:DEPENDS_ON]->(:Service {id: $p0}) RETURN s.id AS id",
        [{"id": "checkoutservice"}], schema, names, lexicon, params={"p0": "paymentservice"}, surfaces=("paymentservice",),
    )  # fmt: skip
    assert not check(
        "Which team owns paymentservice?", "MATCH (t:Team)-[:OWNS]->(:Service {id: $p0}) RETURN t.id AS id",
        [{"id": "team-payments"}], schema, names, lexicon, params={"p0": "paymentservice"}, surfaces=("paymentservice",),
    )  # fmt: skip


def test_everyday_words_map_to_edges(schema: GraphSchema, names: NameBook, lexicon: Lexicon) -> None:
    # "calls" means DEPENDS_ON; "owner" means OWNS.
    assert not check(
        "Which services call paymentservice?", "MATCH (s:Service)-[:DEPENDS_ON]->(:Service {id: $p0}) RETURN s.id AS id",
        [{"id": "checkoutservice"}], schema, names, lexicon, params={"p0": "paymentservice"}, surfaces=("paymentservice",),
    )  # fmt: skip
    assert check(
        "Who is the owner of paymentservice?", "MATCH (s:Service)-[:DEPENDS_ON]->(:Service {id: $p0}) RETURN s.id AS id",
        [{"id": "checkoutservice"}], schema, names, lexicon, params={"p0": "paymentservice"}, surfaces=("paymentservice",),
    )  # fmt: skip


def test_a_named_property_must_be_read(schema: GraphSchema, names: NameBook, lexicon: Lexicon) -> None:
    q = "What language is paymentservice written in?"
    assert check(q, "MATCH (s:Service {id: $p0}) RETURN s.tier AS v", [{"v": "critical"}], schema, names, lexicon, params={"p0": "paymentservice"}, surfaces=("paymentservice",))
    assert not check(q, "MATCH (s:Service {id: $p0}) RETURN s.language AS v", [{"v": "Go"}], schema, names, lexicon, params={"p0": "paymentservice"}, surfaces=("paymentservice",))


def test_a_bound_value_covers_its_word(schema: GraphSchema, names: NameBook, lexicon: Lexicon) -> None:
    # "critical" is a property of DEPENDS_ON, but here it is the tier the query binds.
    assert not check(
        "Which critical services are there?", "MATCH (s:Service) WHERE s.tier = $p0 RETURN s.id AS id",
        [{"id": "paymentservice"}], schema, names, lexicon, params={"p0": "critical"},
    )  # fmt: skip


def test_negation_must_agree(schema: GraphSchema, names: NameBook, lexicon: Lexicon) -> None:
    positive = "MATCH (s:Service)-[:DEPENDS_ON]->(:Service {id: $p0}) RETURN s.id AS id"
    assert any("negates" in r for r in check("Which services do not depend on paymentservice?", positive, [{"id": "frontend"}], schema, names, lexicon, params={"p0": "paymentservice"}, surfaces=("paymentservice",)))
    negative = "MATCH (s:Service) WHERE NOT (s)-[:DEPENDS_ON]->(:Service {id: $p0}) RETURN s.id AS id"
    assert any("negates" in r for r in check("Which services depend on paymentservice?", negative, [{"id": "frontend"}], schema, names, lexicon, params={"p0": "paymentservice"}, surfaces=("paymentservice",)))


def test_numbers_must_be_in_the_query(schema: GraphSchema, names: NameBook, lexicon: Lexicon) -> None:
    q = "Which services depend on more than 3 services?"
    bad = "MATCH (s:Service)-[:DEPENDS_ON]->(d:Service) WITH s, count(d) AS n WHERE n > 5 RETURN s.id AS id"
    good = "MATCH (s:Service)-[:DEPENDS_ON]->(d:Service) WITH s, count(d) AS n WHERE n > $n0 RETURN s.id AS id"
    assert any("number 3" in r for r in check(q, bad, [{"id": "frontend"}], schema, names, lexicon))
    assert not check(q, good, [{"id": "frontend"}], schema, names, lexicon, params={"n0": 3})


def test_answer_type_must_match(schema: GraphSchema, names: NameBook, lexicon: Lexicon) -> None:
    # "which services" wants Service nodes, not a datastore; "how many" accepts a number or nodes to count.
    assert any("Service nodes were asked for" in r for r in check(
        "Which services does checkoutservice depend on?", "MATCH (:Service {id: $p0})-[:DEPENDS_ON]->(d) RETURN d.id AS id",
        [{"id": "redis-cart"}], schema, names, lexicon, params={"p0": "checkoutservice"}, surfaces=("checkoutservice",),
    ))  # fmt: skip
    assert not check(
        "How many services depend on paymentservice?", "MATCH (s:Service)-[:DEPENDS_ON]->(:Service {id: $p0}) RETURN count(s) AS n",
        [{"n": 1}], schema, names, lexicon, params={"p0": "paymentservice"}, surfaces=("paymentservice",),
    )  # fmt: skip
    assert check(
        "How many services depend on paymentservice?", "MATCH (s:Service)-[:DEPENDS_ON]->(:Service {id: $p0}) RETURN s.language AS l",
        [{"l": "Go"}, {"l": "Java"}], schema, names, lexicon, params={"p0": "paymentservice"}, surfaces=("paymentservice",),
    )  # fmt: skip


def test_schema_synonyms_extend_the_lexicon() -> None:
    raw = {"version": 1, "name": "x", "nodes": {"A": {"properties": {"name": "string"}}, "B": {"properties": {"name": "string"}}}, "edges": {"FEEDS": {"from": "A", "to": "B"}}}
    schema = GraphSchema.model_validate(raw)
    base = build_lexicon(schema)
    assert "nourish" not in base.edges

    class WithSynonyms:  # what a schema with `synonyms` on edge types offers (read defensively by the lexicon)
        def __init__(self, spec: Any) -> None:
            self.properties = spec.properties
            self.synonyms = ["nourishes", "supplies"]

    patched = schema.model_copy(update={"edges": {"FEEDS": WithSynonyms(schema.edges["FEEDS"])}})
    lex = build_lexicon(patched)
    assert lex.edges["nourish"] == frozenset({"FEEDS"})
    assert lex.edges[stem("supplies")] == frozenset({"FEEDS"})


def test_a_named_value_must_be_used(schema: GraphSchema, names: NameBook, lexicon: Lexicon) -> None:
    q, rows = "Which sev1 incidents were caused by redis-cart?", [{"id": "INC-2047"}]
    cypher = "MATCH (i:Incident)-[:CAUSED_BY]->(:Datastore {id: $p0}) RETURN i.id AS id"
    known = {"sev1": "sev1", "go": "Go"}
    reasons = verify_query(q, question_shape(q, schema), cypher, {"p0": "redis-cart"}, rows, schema=schema, lexicon=lexicon, names=names,
                           entity_surfaces=("redis-cart",), known_values=known)  # fmt: skip
    assert any("'sev1'" in r for r in reasons.reasons)
    # A short value counts only as written: "go" the verb is not the language Go.
    q2 = "Which services go down if redis-cart is down?"
    ok = verify_query(q2, question_shape(q2, schema), "MATCH (s:Service)-[:DEPENDS_ON*1..6]->(:Datastore {id: $p0}) RETURN s.id AS id",
                      {"p0": "redis-cart"}, [{"id": "frontend"}], schema=schema, lexicon=lexicon, names=names,
                      entity_surfaces=("redis-cart",), known_values=known)  # fmt: skip
    assert ok.ok, ok.reasons


def test_a_relation_named_twice_needs_two_hops(schema: GraphSchema, names: NameBook, lexicon: Lexicon) -> None:
    reasons = check(
        "Which services depend on the services that depend on paymentservice?",
        "MATCH (s:Service)-[:DEPENDS_ON]->(:Service {id: $p0}) RETURN s.id AS id",
        [{"id": "checkoutservice"}], schema, names, lexicon, params={"p0": "paymentservice"}, surfaces=("paymentservice",),
    )  # fmt: skip
    assert any("names 2 relationships" in r for r in reasons)


def test_a_count_of_services_counts_services(schema: GraphSchema, names: NameBook, lexicon: Lexicon) -> None:
    reasons = check(
        "How many services does checkoutservice depend on?", "MATCH (:Service {id: $p0})-[:DEPENDS_ON]->(d) RETURN d.id AS id",
        [{"id": "paymentservice"}, {"id": "redis-cart"}], schema, names, lexicon, params={"p0": "checkoutservice"}, surfaces=("checkoutservice",),
    )  # fmt: skip
    assert any("to be counted" in r for r in reasons)
