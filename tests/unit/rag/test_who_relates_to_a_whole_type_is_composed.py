""""Who owns the Kafka topics?" names no entity: "who" wants the relation's other end (the owning team, since the
ownership edge reaches no people) of the nodes of the type named, filtered by the value named on that type."""

from __future__ import annotations

from opsgraph.rag.compose import ValueHit, compose
from opsgraph.rag.lexicon import build_lexicon
from opsgraph.rag.shape import question_shape
from opsgraph.schema import GraphSchema

SCHEMA = GraphSchema.model_validate(
    {
        "version": 1,
        "name": "tiny-topics",
        "nodes": {
            "Person": {"properties": {"name": "string"}},
            "Team": {"properties": {"name": "string"}},
            "Queue": {"synonyms": ["topic", "topics"], "properties": {"name": "string", "broker": {"type": "string", "indexed": True}}},
        },
        "edges": {"OWNS": {"from": "Team", "to": "Queue"}, "MEMBER_OF": {"from": "Person", "to": "Team"}},
    }
)
VALUES = {"kafka": [ValueHit("Queue", "broker", "kafka")], "sev1": [ValueHit("Incident", "severity", "sev1")]}


def build(question: str) -> str | None:
    got = compose(question, question_shape(question, SCHEMA), [], [], schema=SCHEMA, lexicon=build_lexicon(SCHEMA), values=VALUES)
    return got.cypher if got is not None else None


def test_who_owns_the_values_topics_is_the_owning_teams() -> None:
    assert build("Who owns the Kafka topics?") == (
        "MATCH (x:Team)-[r:OWNS]->(o:Queue) WHERE o.broker = $o_broker RETURN DISTINCT x.id AS id, x.name AS name ORDER BY id"
    )
    assert build("Who owns the topics?") == "MATCH (x:Team)-[r:OWNS]->(o:Queue) RETURN DISTINCT x.id AS id, x.name AS name ORDER BY id"


def test_a_value_of_no_end_or_a_word_left_over_refuses() -> None:
    assert build("Who owns the sev1 topics?") is None
    assert build("Who owns the Kafka topics in Berlin?") is None
