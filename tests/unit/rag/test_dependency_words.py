"""Dependency phrasings people type (`rag/dependency_words.py`): each is reworded to words the dependency walk explains
and the right query (the right direction) is then built from it; a near miss of each is left as it was; an estate
without a dependency edge is not reworded; compound values ("read-write") are named by their parts."""

from __future__ import annotations

import re
from pathlib import Path

from opsgraph.rag.compose import Anchor, ValueHit, compose
from opsgraph.rag.dependency_words import compound_values, plain_dependency_words
from opsgraph.rag.explained import QueryFacts
from opsgraph.rag.impact import impact, plain_impact_words
from opsgraph.rag.lexicon import Lexicon
from opsgraph.rag.shape import question_shape
from opsgraph.schema import GraphSchema, load_schema

IDS = ("paymentservice", "checkoutservice", "frontend", "redis-cart", "payment-gateway")
KINDS = {
    "paymentservice": "Service",
    "checkoutservice": "Service",
    "frontend": "Service",
    "redis-cart": "Datastore",
    "payment-gateway": "ExternalService",
}


def build(question: str, schema: GraphSchema, lexicon: Lexicon) -> str | None:
    """The query the question gets through the rewording, `compose` first, then `impact` (as the pipeline asks)."""
    question = plain_dependency_words(question, schema)
    shape = question_shape(question, schema)
    found = [(m.start(), i) for i in IDS for m in [re.search(re.escape(i), question)] if m]
    anchors = [Anchor(i, KINDS[i], at) for at, i in sorted(found)]
    surfaces = [i for _, i in sorted(found)]
    got = None
    if len(anchors) < 2:
        got = compose(plain_impact_words(question), shape, anchors, surfaces, schema=schema, lexicon=lexicon, values={})
    got = got or impact(question, shape, anchors, surfaces, schema=schema, lexicon=lexicon, values={})
    return got.cypher if got is not None else None


def test_lean_on_and_progressive_verbs_ask_for_what_it_depends_on(schema: GraphSchema, lexicon: Lexicon) -> None:
    assert plain_dependency_words("what does checkoutservice lean on?", schema).split() == "what does checkoutservice depends on?".split()
    out = build("what does checkoutservice lean heavily on?", schema, lexicon)
    assert out is not None and out.startswith("MATCH (a:Service {id: $anchor})-[r:DEPENDS_ON]->(x)")
    used = build("what's using redis-cart?", schema, lexicon)
    assert used is not None and used.startswith("MATCH (x:Service)-[r:DEPENDS_ON]->(a:Datastore {id: $anchor})")
    calling = build("who is still calling paymentservice?", schema, lexicon)
    assert calling is not None and "(x:Service)-[r:DEPENDS_ON]->(a:Service {id: $anchor})" in calling


def test_in_the_path_of_makes_the_first_a_dependency_of_the_second(schema: GraphSchema, lexicon: Lexicon) -> None:
    text = plain_dependency_words("is paymentservice in the path of checkoutservice?", schema)
    assert "indirectly needed by checkoutservice" in text
    out = build("is paymentservice in the call path of checkoutservice?", schema, lexicon)
    # checkout reaches payment: the walk starts at checkout (the source), never the other way.
    assert out is not None and "(a:Service {id: $source})-[:DEPENDS_ON*1..6]->(b:Service {id: $target})" in out
    # "the path of least resistance" is no dependency path of an entity: left alone.
    assert plain_dependency_words("the path to success", schema) == "the path to success"


def test_hit_is_a_call_only_without_a_failure_or_a_past(schema: GraphSchema, lexicon: Lexicon) -> None:
    assert "does it call" in plain_dependency_words("frontend - what does it hit?", schema)
    assert "which services call the" in plain_dependency_words("which services hit the payment-gateway?", schema)
    hits = build("which services hit payment-gateway?", schema, lexicon)
    assert hits is not None and "*" not in hits  # who calls it, one step; not who is hit by its failure
    for q in (
        "which services got hit when redis-cart died?",
        "which services hit errors if redis-cart fails?",
        "which incidents hit checkoutservice?",
        "did the outage hit checkoutservice?",
    ):
        assert "call" not in plain_dependency_words(q, schema), q


def test_through_anything_is_indirectly_and_still_asks_nothing_more(schema: GraphSchema, lexicon: Lexicon) -> None:
    assert "indirectly" in plain_dependency_words("does frontend depend on payment-gateway through anything?", schema)
    assert "indirectly" in plain_dependency_words("what depends on redis-cart, directly or through something else", schema)
    out = build("does frontend depend on payment-gateway through anything?", schema, lexicon)
    assert out is not None and "[:DEPENDS_ON*1..6]" in out
    still = build("does checkoutservice still call paymentservice?", schema, lexicon)
    assert still is not None and "(a:Service {id: $source})" in still
    # "still" before no relation verb is a word the query must explain: left alone.
    assert "still" in plain_dependency_words("is paymentservice still down?", schema)


def test_clients_upstream_callers_and_downstream_dependencies_are_one_step(schema: GraphSchema, lexicon: Lexicon) -> None:
    out = build("who are the clients of paymentservice?", schema, lexicon)
    assert out is not None and out.startswith("MATCH (x:Service)-[r:DEPENDS_ON]->(a:Service {id: $anchor})")
    assert plain_dependency_words("the downstream deps of frontend", schema).split() == "the deps of frontend".split()
    assert plain_dependency_words("upstream callers of frontend", schema).split() == "callers of frontend".split()
    # "upstream of X" alone is a position in the chain (`impact.py`): not reworded here.
    assert plain_dependency_words("what is upstream of frontend?", schema) == "what is upstream of frontend?"


def test_fan_in_and_fan_out_are_counts_of_callers_and_dependencies(schema: GraphSchema, lexicon: Lexicon) -> None:
    fan_in = build("what's the fan-in of paymentservice?", schema, lexicon)
    assert fan_in is not None and "(x:Service)-[r:DEPENDS_ON]->(a:Service {id: $anchor})" in fan_in and "count(" in fan_in
    fan_out = build("fan out of frontend?", schema, lexicon)
    assert fan_out is not None and "(a:Service {id: $anchor})-[r:DEPENDS_ON]->(x)" in fan_out and "count(" in fan_out


def test_non_and_a_yes_no_property_names_its_false_value(schema: GraphSchema, lexicon: Lexicon) -> None:
    assert "noncritical" in plain_dependency_words("which of frontend's dependencies are non-critical?", schema)
    hit = ValueHit("DEPENDS_ON", "critical", "true", True)
    extra = compound_values({"critical": [hit]})
    assert extra == {"noncritical": [ValueHit("DEPENDS_ON", "critical", "false", True)]}
    # The false filter is a value the query holds, so "noncritical" is explained by it; a true one is no value.
    assert "false" in QueryFacts.of("MATCH (a)-[r:DEPENDS_ON]->(x) WHERE r.critical = $c RETURN x", {"c": False}, schema).values
    assert "true" not in QueryFacts.of("MATCH (a)-[r:DEPENDS_ON]->(x) WHERE r.critical = $c RETURN x", {"c": True}, schema).values


def test_a_compound_value_is_named_by_each_part(schema: GraphSchema) -> None:
    read = ValueHit("DEPENDS_ON", "interaction", "read", True)
    write = ValueHit("DEPENDS_ON", "interaction", "write", True)
    both = ValueHit("DEPENDS_ON", "interaction", "read-write", True)
    consume = ValueHit("DEPENDS_ON", "interaction", "consume", True)
    index = {"read": [read, consume], "write": [write], "read-write": [both], "consume": [consume]}
    extra = compound_values(index)
    assert extra == {"read": [both], "write": [both]}
    # A hyphenated value whose parts are not all values of the property is one value ("incident-commander").
    ic = ValueHit("RESPONDED_TO", "role", "incident-commander", True)
    assert compound_values({"incident-commander": [ic], "commander": []}) == {}


def test_an_estate_without_a_dependency_edge_is_not_reworded() -> None:
    library = load_schema(Path(__file__).resolve().parents[2] / "fixtures" / "library_estate" / "schema.yaml")
    for q in ("which clients borrowed Dune?", "who leans on the branch?", "is Dune in the path of the reader?"):
        assert plain_dependency_words(q, library) == q


def test_an_edge_value_word_is_the_verb_only_when_it_names_edge_values_alone(schema: GraphSchema, lexicon: Lexicon) -> None:
    write = ValueHit("DEPENDS_ON", "interaction", "write", True)
    values = {"write": [write]}
    q = "what does paymentservice write to?"
    out = compose(
        q,
        question_shape(q, schema),
        [Anchor("paymentservice", "Service", 10)],
        ["paymentservice"],
        schema=schema,
        lexicon=lexicon,
        values=values,
    )
    assert out is not None and out.cypher.startswith("MATCH (a:Service {id: $anchor})-[r:DEPENDS_ON]->(x)")
    q = "what writes to paymentservice?"
    back = compose(
        q,
        question_shape(q, schema),
        [Anchor("paymentservice", "Service", 17)],
        ["paymentservice"],
        schema=schema,
        lexicon=lexicon,
        values=values,
    )
    assert back is not None and back.cypher.startswith("MATCH (x:Service)-[r:DEPENDS_ON]->(a:Service {id: $anchor})")
    # "is frontend critical?": 'critical' is a yes/no of the edge and a tier of the service, no verb to read a way from.
    critical = {"critical": [ValueHit("DEPENDS_ON", "critical", "true", True), ValueHit("Service", "tier", "critical")]}
    q = "is frontend critical?"
    assert (
        compose(
            q, question_shape(q, schema), [Anchor("frontend", "Service", 3)], ["frontend"], schema=schema, lexicon=lexicon, values=critical
        )
        is None
    )
