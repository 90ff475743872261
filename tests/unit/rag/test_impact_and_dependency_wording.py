"""Impact and dependency questions in on-call words (`rag/impact.py`): each rule builds the dependency query, and a
near miss of each is still refused (a word left unexplained, a direction asked both ways, a noun naming values of
two kinds, two entities joined by no dependency word)."""

from __future__ import annotations

import re

from opsgraph.rag.compose import Anchor, ValueHit, compose
from opsgraph.rag.impact import asks_impact, generic_targets, impact, plain_impact_words
from opsgraph.rag.lexicon import Lexicon, plain_idioms
from opsgraph.rag.shape import question_shape
from opsgraph.schema import GraphSchema

IDS = ("paymentservice", "checkoutservice", "frontend", "redis-cart", "payment-gateway")
KINDS = {"paymentservice": "Service", "checkoutservice": "Service", "frontend": "Service", "redis-cart": "Datastore", "payment-gateway": "ExternalService"}
REDIS = {"redis": [ValueHit("Datastore", "engine", "redis")]}


def anchors_of(question: str) -> tuple[list[Anchor], list[str]]:
    found = [(m.start(), i) for i in IDS for m in [re.search(re.escape(i), question)] if m]
    return [Anchor(i, KINDS[i], at) for at, i in sorted(found)], [i for _, i in sorted(found)]


def build(question: str, schema: GraphSchema, lexicon: Lexicon, values: dict | None = None, refusals: list[str] | None = None) -> str | None:
    question = plain_idioms(question)
    anchors, surfaces = anchors_of(question)
    got = impact(question, question_shape(question, schema), anchors, surfaces, schema=schema, lexicon=lexicon, values=values or {}, refusals=refusals)
    return got.cypher if got is not None else None


DEPENDENTS = "MATCH (x:Service)-[:DEPENDS_ON*1..6]->(a:{kind} {{id: $anchor}}) RETURN DISTINCT x.id AS id, x.name AS name ORDER BY id"


def test_ops_failure_words_read_as_a_failure_only_in_a_conditional_or_impact_question() -> None:
    assert "fails" in plain_impact_words("what breaks if redis-cart falls over?")
    assert "fails" in plain_impact_words("if the gateway crashes, what's the fallout?")
    assert "affected" in plain_impact_words("what would a paymentservice outage take down?")
    assert "fails" in plain_impact_words("what is the impact of paymentservice being slow?")
    # Without a conditional or impact word "slow" asks for telemetry, not for what depends on the node.
    assert plain_impact_words("which services are slow?") == "which services are slow?"
    # Offsets are kept: the linker's surfaces stay where they were.
    q = "if paymentservice dies who is hurt?"
    assert plain_impact_words(q).index("paymentservice") == q.index("paymentservice")


def test_a_failure_in_ops_words_walks_to_the_dependents(schema: GraphSchema, lexicon: Lexicon) -> None:
    assert build("what would break if paymentservice falls over?", schema, lexicon) == DEPENDENTS.format(kind="Service")
    assert build("knock-on effects of a redis-cart outage?", schema, lexicon) == DEPENDENTS.format(kind="Datastore")
    assert build("who gets hurt if the payment-gateway is unreachable?", schema, lexicon) == DEPENDENTS.format(kind="ExternalService")
    assert asks_impact("what would a load balancer failure take down?")
    assert not asks_impact("which services does the frontend call?")


def test_a_failure_question_asking_more_is_refused_with_the_words(schema: GraphSchema, lexicon: Lexicon) -> None:
    why: list[str] = []
    assert build("if paymentservice falls over, what is the refund budget?", schema, lexicon, refusals=why) is None
    assert why and "'refund'" in why[0] and "'budget'" in why[0]


def test_upstream_and_downstream_fix_the_direction(schema: GraphSchema, lexicon: Lexicon) -> None:
    # Downstream of X: what X's requests flow to, through others; upstream: what depends on X.
    assert build("what sits downstream of the frontend?", schema, lexicon) == (
        "MATCH (a:Service {id: $anchor})-[:DEPENDS_ON*1..6]->(x) RETURN DISTINCT x.id AS id, x.name AS name ORDER BY id"
    )
    assert build("what is upstream of paymentservice?", schema, lexicon) == DEPENDENTS.format(kind="Service")
    # With a relation word ("callers") the position word fixes the direction of one step.
    assert build("what are the upstream callers of paymentservice?", schema, lexicon) == (
        "MATCH (x:Service)-[:DEPENDS_ON]->(a:Service {id: $anchor}) RETURN DISTINCT x.id AS id, x.name AS name ORDER BY id"
    )
    assert build("what are the callees of the frontend?", schema, lexicon) == (
        "MATCH (a:Service {id: $anchor})-[:DEPENDS_ON]->(x) RETURN DISTINCT x.id AS id, x.name AS name ORDER BY id"
    )
    # Both directions asked: no one query answers.
    assert build("what is upstream and downstream of the frontend?", schema, lexicon) is None


def test_what_x_needs_to_work_is_what_x_needs(schema: GraphSchema, lexicon: Lexicon) -> None:
    q = plain_impact_words("what does checkoutservice need to work?")
    anchors, surfaces = anchors_of(q)
    got = compose(q, question_shape(q, schema), anchors, surfaces, schema=schema, lexicon=lexicon, values={})
    assert got is not None and got.cypher.startswith("MATCH (a:Service {id: $anchor})-[r:DEPENDS_ON]->(x)")
    # "to work" is read away only after a need word: "who is at work on checkoutservice?" keeps it.
    assert "work" in plain_impact_words("who is at work on checkoutservice?")


def test_all_of_it_follows_the_chain() -> None:
    assert "indirectly" in plain_impact_words("what does checkoutservice depend on, all of it?")


def test_a_generic_noun_covers_every_entity_it_names(schema: GraphSchema, lexicon: Lexicon) -> None:
    assert build("if redis goes down what else breaks?", schema, lexicon, REDIS) == (
        "MATCH (x:Service)-[:DEPENDS_ON*1..6]->(a:Datastore) WHERE a.engine IN $generic "
        "RETURN x.id AS id, x.name AS name, collect(DISTINCT a.id) AS via ORDER BY id"
    )
    # A word naming values of two kinds (a Datastore's engine and a Service's tier) is no one set of entities.
    mixed = {"critical": [ValueHit("Datastore", "engine", "critical"), ValueHit("Service", "tier", "critical")]}
    assert generic_targets(["critical"], schema, "DEPENDS_ON", mixed) == ([], [])
    assert build("if the critical ones go down what breaks?", schema, lexicon, mixed) is None
    # A value on the edge only (a protocol) names no entities.
    edge_only = {"grpc": [ValueHit("DEPENDS_ON", "protocol", "grpc", on_edge=True)]}
    assert build("if grpc goes down what breaks?", schema, lexicon, edge_only) is None


def test_does_a_depend_on_b_reads_the_source_from_the_wording(schema: GraphSchema, lexicon: Lexicon) -> None:
    chain = "MATCH p = (a:Service {{id: $source}})-[:DEPENDS_ON{hops}]->(b:{kind} {{id: $target}}) WITH p ORDER BY length(p) LIMIT 1 UNWIND nodes(p) AS n RETURN n.id AS id"
    q = "does the frontend depend on paymentservice?"
    anchors, surfaces = anchors_of(q)
    got = impact(q, question_shape(q, schema), anchors, surfaces, schema=schema, lexicon=lexicon, values={})
    assert got is not None and got.cypher == chain.format(hops="*1..6", kind="Service") and got.params == {"source": "frontend", "target": "paymentservice"}
    q = "is paymentservice a dependency of checkoutservice?"
    anchors, surfaces = anchors_of(q)
    got = impact(q, question_shape(q, schema), anchors, surfaces, schema=schema, lexicon=lexicon, values={})
    assert got is not None and got.params == {"source": "checkoutservice", "target": "paymentservice"}
    assert build("does the frontend directly depend on redis-cart?", schema, lexicon) == chain.format(hops="", kind="Datastore")
    # Two entities but no dependency word: not this question.
    assert build("is paymentservice owned by checkoutservice?", schema, lexicon) is None


def test_how_does_a_reach_b_is_the_chain(schema: GraphSchema, lexicon: Lexicon) -> None:
    got = build("how does the frontend reach redis-cart?", schema, lexicon)
    assert got is not None and got.startswith("MATCH p = (a:Service {id: $source})-[:DEPENDS_ON*1..6]->(b:Datastore {id: $target})")


def test_what_happens_and_who_would_notice_are_the_dependents(schema: GraphSchema, lexicon: Lexicon) -> None:
    assert build("what happens if paymentservice goes down?", schema, lexicon) == DEPENDENTS.format(kind="Service")
    assert build("which services would notice if redis-cart disappeared?", schema, lexicon) == DEPENDENTS.format(kind="Datastore")
    # Outside a failure question "happens" is no impact word: "what happens in paymentservice?" is not read so.
    assert "affected" not in plain_impact_words("what happens in paymentservice?")


def test_upstream_alone_is_a_position_in_the_chain(schema: GraphSchema, lexicon: Lexicon) -> None:
    assert "indirectly" in plain_impact_words("how many services sit upstream of redis-cart?")
    # With a relation word or "directly" it stays one step.
    assert "indirectly" not in plain_impact_words("what are the upstream callers of redis-cart?")
    assert "indirectly" not in plain_impact_words("what is directly upstream of redis-cart?")
    assert build("what is directly upstream of paymentservice?", schema, lexicon) == (
        "MATCH (x:Service)-[:DEPENDS_ON]->(a:Service {id: $anchor}) RETURN DISTINCT x.id AS id, x.name AS name ORDER BY id"
    )


def test_a_generic_noun_may_begin_a_value_and_several_words_filter_together(schema: GraphSchema, lexicon: Lexicon) -> None:
    values = {"postgresql": [ValueHit("Datastore", "engine", "postgresql")], "database": [ValueHit("Datastore", "role", "database")]}
    assert build("what breaks if a postgres database goes down?", schema, lexicon, values) == (
        "MATCH (x:Service)-[:DEPENDS_ON*1..6]->(a:Datastore) WHERE a.engine IN $generic AND a.role IN $generic_role "
        "RETURN x.id AS id, x.name AS name, collect(DISTINCT a.id) AS via ORDER BY id"
    )
    # A short word is no abbreviation ("post" begins 'postgresql' but names nothing).
    assert build("what breaks if post goes down?", schema, lexicon, {"postgresql": values["postgresql"]}) is None


def test_the_one_generic_thing_is_marked_for_abstention(schema: GraphSchema, lexicon: Lexicon) -> None:
    values = {"database": [ValueHit("Datastore", "role", "database")], **REDIS}

    def one_of(q: str) -> object:
        got = impact(q, question_shape(q, schema), [], [], schema=schema, lexicon=lexicon, values=values)
        assert got is not None, q
        return got.parts["one_of"]

    # "the database" is one of several, and which is not said: the answerer abstains listing them.
    assert one_of("if the database goes down what breaks?") is True
    assert one_of("if the redis goes down what breaks?") is True
    # Every one of them: a bare word, a plural, or "a".
    assert one_of("if redis goes down what breaks?") is False
    assert one_of("if the databases go down what breaks?") is False
    assert one_of("what breaks if a database goes down?") is False
