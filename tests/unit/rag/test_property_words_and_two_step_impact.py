"""The lexicon reads the words people use for properties, and `compose` answers two more question shapes.

- A property the schema names ("trigger" of an incident) is that property, not an everyday word for a relation
  ("What triggered INC-7?" asked for the cause before).
- Several-word property names ("status page") and the `synonyms` a schema declares for a property ("mailing list",
  "contact") are property cues; "how do I reach X" asks for X's contact properties.
- One relation word that could mean several edge types ("involved") keeps the one that joins the entity named.
- "If X fails, which teams are affected?" walks the failure through the dependency edge and then the one edge that
  joins the wanted type to the dependents (ownership).
- Ops words for a type ("vendors", "topics") name the type asked for, not a property of the same word.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from opsgraph.rag.compose import Anchor, Composed, ValueHit, compose
from opsgraph.rag.lexicon import build_lexicon, tokens
from opsgraph.rag.shape import question_shape
from opsgraph.schema import GraphSchema

SCHEMA = {
    "version": 1,
    "name": "tiny-ops",
    "nodes": {
        "Service": {"properties": {"name": "string"}},
        "Team": {
            "properties": {
                "name": "string",
                "email": {"type": "string", "synonyms": ["mailing list", "contact"]},
                "slack_channel": {"type": "string", "synonyms": ["contact"]},
                "pager_schedule": "string",
            }
        },
        "Person": {"properties": {"name": "string"}},
        "Incident": {"name_property": "title", "properties": {"title": "string", "trigger": "string", "started_at": "datetime", "resolved_at": "datetime"}},
        "ExternalService": {"properties": {"name": "string", "status_page": "string", "vendor": "string"}},
    },
    "edges": {
        "DEPENDS_ON": {"from": "Service", "to": ["Service", "ExternalService"], "dependency": True},
        "OWNS": {"from": "Team", "to": ["Service", "ExternalService"]},
        "ON_CALL_FOR": {"from": "Person", "to": "Team"},
        "CAUSED_BY": {"from": "Incident", "to": ["Service", "ExternalService"]},
        "AFFECTED": {"from": "Incident", "to": ["Service", "ExternalService"], "synonyms": ["involved"]},
        "RESPONDED_TO": {"from": "Person", "to": "Incident"},
    },
    "incidents": {"type": "Incident", "affected": "AFFECTED", "caused_by": "CAUSED_BY"},
}


def _schema() -> GraphSchema:
    return GraphSchema.model_validate(SCHEMA)


def _build(question: str, *anchors: tuple[str, str, str], values: dict[str, list[ValueHit]] | None = None) -> Composed | None:
    schema = _schema()
    found = [Anchor(i, t, question.lower().index(s.lower())) for i, t, s in anchors]
    return compose(
        question, question_shape(question, schema), found, [s for _, _, s in anchors], schema=schema, lexicon=build_lexicon(schema), values=values or {}
    )


def test_a_property_the_schema_names_beats_an_everyday_word_for_a_relation() -> None:
    lexicon = build_lexicon(_schema())
    assert lexicon.edge_cues(tokens("What triggered INC-7?")) == {}
    assert lexicon.prop_cues(["triggered"]) == {"triggered": frozenset({"trigger"})}
    # The relation's own name still names it.
    assert lexicon.edge_cues(["caused"]) == {"caused": frozenset({"CAUSED_BY"})}


def test_several_word_names_and_declared_synonyms_are_property_cues() -> None:
    lexicon = build_lexicon(_schema())
    found, rest = lexicon.phrase_cues("What's the status page of the gateway?")
    assert found == {"status page": frozenset({"status_page"})} and "page" not in tokens(rest)
    found, _ = lexicon.phrase_cues("What is the pager schedule of Payments?")
    assert found == {"pager schedule": frozenset({"pager_schedule"})}
    found, _ = lexicon.phrase_cues("What's the mailing list of Payments?")
    assert found == {"mailing list": frozenset({"email"})}
    _, rest = lexicon.phrase_cues("How do I reach the Payments team?")
    assert lexicon.prop_cues(tokens(rest)) == {"contact": frozenset({"email", "slack_channel"})}


def test_a_relation_word_of_several_meanings_keeps_the_edge_that_joins_the_entity() -> None:
    got = _build("Which incidents involved paymentservice?", ("paymentservice", "Service", "paymentservice"))
    assert got is not None
    assert got.cypher.startswith("MATCH (x:Incident)-[r:AFFECTED]->(a:Service {id: $anchor})")


def test_teams_affected_by_a_failure_are_the_owners_of_what_depends_on_it() -> None:
    got = _build("If the payment gateway fails, which teams are affected?", ("payment-gateway", "ExternalService", "payment gateway"))
    assert got is not None
    assert got.cypher.startswith("MATCH (x:Team)-[:OWNS]->(s)-[r:DEPENDS_ON*1..6]->(a:ExternalService {id: $anchor})")
    assert got.parts["bridge"] == "OWNS"
    # People are reached from services through no single edge: abstain rather than guess.
    assert _build("If the payment gateway fails, which people are affected?", ("payment-gateway", "ExternalService", "payment gateway")) is None


def test_an_ops_word_for_a_type_names_the_type_asked_for() -> None:
    got = _build("What external vendors does paymentservice call?", ("paymentservice", "Service", "paymentservice"))
    assert got is not None and got.parts["target"] == "ExternalService"
    assert got.cypher.startswith("MATCH (a:Service {id: $anchor})-[r:DEPENDS_ON]->(x:ExternalService)")


def test_a_property_phrase_is_left_to_the_lookup() -> None:
    assert _build("What is the pager schedule of Payments?", ("team-payments", "Team", "Payments")) is None


def test_property_synonyms_must_be_words() -> None:
    bad = {**SCHEMA, "nodes": {**SCHEMA["nodes"], "Person": {"properties": {"name": {"type": "string", "synonyms": [" city"]}}}}}  # type: ignore[dict-item]
    with pytest.raises(ValidationError):
        GraphSchema.model_validate(bad)


def test_the_incidents_of_a_component_are_those_that_affected_it() -> None:
    got = _build("How many incidents has paymentservice had?", ("paymentservice", "Service", "paymentservice"))
    assert got is not None
    assert got.cypher == "MATCH (x:Incident)-[r:AFFECTED]->(a:Service {id: $anchor}) RETURN count(DISTINCT x) AS n"


def test_a_value_before_the_type_word_filters_the_type_even_when_the_edge_holds_it_too() -> None:
    kafka = {"kafka": [ValueHit("ExternalService", "vendor", "kafka"), ValueHit("DEPENDS_ON", "protocol", "kafka", on_edge=True)]}
    got = _build("Which kafka vendors does paymentservice use?", ("paymentservice", "Service", "paymentservice"), values=kafka)
    assert got is not None and got.parts["filters"] == {"vendor": "kafka"}
    # Elsewhere in the sentence the value is ambiguous between the two: left to the verified retrievers.
    assert _build("Which vendors does paymentservice use over kafka?", ("paymentservice", "Service", "paymentservice"), values=kafka) is None
