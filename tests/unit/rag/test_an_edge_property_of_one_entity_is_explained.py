""""When does Marcus's on-call shift end?" asks for a property of the on-call edges of the one person named: the lookup
of `r.shift_end` on those edges explains every word, the walk alone (the team he is on call for) does not."""

from __future__ import annotations

from opsgraph.rag.explained import QueryFacts, unexplained_words
from opsgraph.rag.lexicon import build_lexicon
from opsgraph.schema import GraphSchema

SCHEMA = GraphSchema.model_validate(
    {
        "version": 1,
        "name": "tiny-rota",
        "nodes": {"Person": {"properties": {"name": "string"}}, "Team": {"properties": {"name": "string"}}},
        "edges": {"ON_CALL_FOR": {"from": "Person", "to": "Team", "properties": {"shift_end": "datetime", "rotation": "string"}}},
    }
)


def left(cypher: str) -> list[str]:
    facts = QueryFacts.of(cypher, {"id": "marcus.bell"}, SCHEMA)
    return unexplained_words("When does Marcus's on-call shift end?", facts, SCHEMA, lexicon=build_lexicon(SCHEMA), surfaces=("Marcus",))


def test_the_edge_property_lookup_explains_the_question() -> None:
    assert left("MATCH (a:Person {id: $id})-[r:ON_CALL_FOR]->(b) RETURN r.shift_end AS shift_end") == []
    assert left("MATCH (a:Person {id: $id})-[r:ON_CALL_FOR]->(b:Team) RETURN b.id AS id") == ["shift end"]
    assert left("MATCH (a:Person {id: $id})-[r:ON_CALL_FOR]->(b) RETURN r.rotation AS rotation") == ["shift end"]
