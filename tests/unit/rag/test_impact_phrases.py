"""Everyday impact and dependency phrasings (`rag/impact_phrases.py`): each is reworded to words the dependency walk
explains, and the dependency query is then built from it; a near miss of each is left as it was (and so refused)."""

from __future__ import annotations

import re

from opsgraph.rag.compose import Anchor
from opsgraph.rag.impact import impact, plain_impact_words
from opsgraph.rag.impact_phrases import names_dependents, owner_type, plain_impact_phrases, whose_as_owners, would_as_depends
from opsgraph.rag.lexicon import Lexicon, build_lexicon, plain_idioms
from opsgraph.rag.shape import question_shape
from opsgraph.schema import GraphSchema

IDS = ("paymentservice", "checkoutservice", "frontend", "redis-cart", "payment-gateway")
KINDS = {
    "paymentservice": "Service",
    "checkoutservice": "Service",
    "frontend": "Service",
    "redis-cart": "Datastore",
    "payment-gateway": "ExternalService",
}


def build(question: str, schema: GraphSchema, lexicon: Lexicon) -> str | None:
    question = plain_impact_words(would_as_depends(plain_idioms(question)))
    found = [(m.start(), i) for i in IDS for m in [re.search(re.escape(i), question)] if m]
    anchors = [Anchor(i, KINDS[i], at) for at, i in sorted(found)]
    got = impact(
        question, question_shape(question, schema), anchors, [i for _, i in sorted(found)], schema=schema, lexicon=lexicon, values={}
    )
    return got.cypher if got is not None else None


def test_failure_and_impact_words_build_the_reverse_walk(schema: GraphSchema, lexicon: Lexicon) -> None:
    walk = "MATCH (x:Service)-[:DEPENDS_ON*1..6]->(a:Datastore {id: $anchor})"
    for q in (
        "what feels it if redis-cart falls over?",
        "what goes dark if redis-cart stops?",
        "which services go down if redis-cart is lost?",
        "what would feel a redis-cart outage?",
    ):
        assert (build(q, schema, lexicon) or "").startswith(walk), q


def test_direct_deps_and_sits_behind_are_one_step_dependencies(schema: GraphSchema, lexicon: Lexicon) -> None:
    one_step = "MATCH (a:Service {id: $anchor})-[:DEPENDS_ON]->(x)"
    for q in ("only direct deps of checkoutservice pls", "what sits behind checkoutservice?", "what are the deps of checkoutservice?"):
        assert (build(q, schema, lexicon) or "").startswith(one_step), q
    # a relation verb `compose` reads (one step), and "even" asks nothing more than "indirectly"
    assert (
        plain_impact_phrases("which services sit in front of paymentservice?").split() == "which services depend on paymentservice?".split()
    )
    assert plain_impact_phrases("who relies on redis-cart, even indirectly?").split() == "who relies on redis-cart, indirectly?".split()


def test_hit_is_a_call_only_without_a_failure() -> None:
    assert plain_impact_phrases("which services hit the orders db directly?").startswith("which services call ")
    assert plain_impact_phrases("what hits the ledger db?").startswith("what calls ")
    assert "hit" in plain_impact_phrases("which services are hit if the orders db goes down?")
    assert "hit" in plain_impact_phrases("which services hit the incident last week?")  # past tense, no "directly"
    assert "stops" in plain_impact_phrases("which services stops the rollout?")  # no failure asked: "stops" is left


def test_two_entities_in_the_chain_and_would_it_go_down(schema: GraphSchema, lexicon: Lexicon) -> None:
    chain = "MATCH p = (a:Service {id: $source})-[:DEPENDS_ON*1..6]->"
    assert (build("is redis-cart anywhere in the chain of frontend?", schema, lexicon) or "").startswith(chain)
    assert would_as_depends("would checkoutservice go down if redis-cart died?") == "does checkoutservice depend on redis-cart indirectly?"
    assert (build("would frontend break if payment-gateway fails?", schema, lexicon) or "").startswith(chain)
    assert (
        would_as_depends("would checkoutservice go down if redis-cart was slow?") == "would checkoutservice go down if redis-cart was slow?"
    )


def test_rewording_is_idempotent() -> None:
    for q in (
        "only direct deps of checkout pls",
        "whats the blast radius of kafka",
        "what sits behind checkout?",
        "what goes dark if x stops?",
    ):
        once = plain_impact_phrases(q)
        assert plain_impact_phrases(once) == once, q


def test_whose_is_the_owner_type_of_the_schema(schema: GraphSchema, lexicon: Lexicon) -> None:
    assert owner_type(schema, lexicon) == "Team"
    assert whose_as_owners("whose services break if redis-cart is down?", schema, lexicon).startswith("which teams break if ")
    # not a failure question, or not the owners of components: left alone
    assert whose_as_owners("whose services are in Go?", schema, lexicon) == "whose services are in Go?"
    assert whose_as_owners("whose pager goes off if redis-cart is down?", schema, lexicon) == "whose pager goes off if redis-cart is down?"


def test_no_owner_type_leaves_whose_alone() -> None:
    schema = GraphSchema.model_validate({
        "version": 1, "name": "two-owners",
        "nodes": {"Service": {"properties": {"name": "string"}}, "Team": {"properties": {"name": "string"}}, "Org": {"properties": {"name": "string"}}},
        "edges": {"DEPENDS_ON": {"from": "Service", "to": "Service", "dependency": True},
                  "OWNS": {"from": "Team", "to": "Service"}, "OWNED_BY_ORG": {"from": "Org", "to": "Service", "synonyms": ["owns"]}},
    })  # fmt: skip
    lexicon = build_lexicon(schema)
    assert owner_type(schema, lexicon) is None
    assert whose_as_owners("whose services break if x dies?", schema, lexicon) == "whose services break if x dies?"


def test_a_relative_clause_names_the_dependents() -> None:
    assert names_dependents("who's on call for the services that break if the payment gateway dies?")
    assert names_dependents("who owns the services which depend on redis-cart?")
    assert not names_dependents("who's on call for the payment gateway?")
    assert not names_dependents("payment gateway is down, who do I page?")


def test_is_a_hit_if_b_dies_and_the_blast_radius_are_the_would_question() -> None:
    assert would_as_depends("is checkout in the blast radius of redis-cart?") == "does checkout depend on redis-cart indirectly?"
    assert would_as_depends("is the frontend affected if the orders db dies?") == "does the frontend depend on the orders db indirectly?"
    # Near misses: no second entity's failure, or a question of another shape.
    assert would_as_depends("is checkout affected?") == "is checkout affected?"
    assert would_as_depends("what is in the blast radius of redis-cart?") == "what is in the blast radius of redis-cart?"
