"""The schema rules of `rag/oncall.py`: which on-call edge properties a question names, which words name a rotation
value, when the rotation named does not respond, and the queries through ownership."""

from __future__ import annotations

from opsgraph.rag.compose import ValueHit
from opsgraph.rag.lexicon import build_lexicon
from opsgraph.rag.oncall import (
    ESCALATION,
    OnCallEdge,
    covered_query,
    edge_detail_query,
    edge_props_named,
    owner_edge,
    rotation_values,
    team_by_word,
)
from opsgraph.schema import GraphSchema

SCHEMA = GraphSchema.model_validate(
    {
        "version": 1,
        "name": "tiny-rota",
        "nodes": {
            "Person": {"properties": {"name": "string", "email": "string"}},
            "Team": {"properties": {"name": "string", "email": "string"}},
            "Service": {"properties": {"name": "string"}},
        },
        "edges": {
            "ON_CALL_FOR": {"from": "Person", "to": "Team", "properties": {"rotation": "string", "shift_start": "datetime", "shift_end": "datetime"}},
            "OWNS": {"from": "Team", "to": "Service"},
        },
    }
)
EDGE = OnCallEdge("ON_CALL_FOR", "Person", "Team", "rotation")


def named(text: str) -> list[str]:
    return edge_props_named("ON_CALL_FOR", SCHEMA, build_lexicon(SCHEMA), text)


def test_the_edge_properties_a_question_names() -> None:
    assert named("when does the on-call shift for   end?") == ["shift_end"]
    assert named("when did 's shift start?") == ["shift_start"]
    assert named("what rotation is   on?") == ["rotation"]
    assert named("when does the shift of   begin or end?") == ["shift_end", "shift_start"]
    assert named("when does the shift of   finish?") == ["shift_end"]
    assert named("who is on call for  ?") == []
    assert covered_query(EDGE, None, "OWNS").endswith("-[:OWNS]->(n) RETURN DISTINCT n.id AS id, t.id AS team")
    assert named("what's the email of the on-call for  ?") == []  # a property the edge does not hold


def test_a_rotation_value_is_named_only_where_it_lives_on_the_on_call_edge() -> None:
    values = {
        "primary": [ValueHit("ON_CALL_FOR", "rotation", "primary", True)],
        "critical": [ValueHit("Service", "tier", "critical")],
        "secondary": [ValueHit("ON_CALL_FOR", "rotation", "secondary", True), ValueHit("Datastore", "role", "secondary")],
    }
    assert rotation_values(EDGE, values, ["who", "is", "primary", "for"]) == ["primary"]
    assert rotation_values(EDGE, values, ["who", "owns", "critical"]) == []
    assert rotation_values(EDGE, values, ["who", "is", "secondary"]) == []  # 'secondary' also lives elsewhere


def test_the_rotation_named_not_responding_asks_for_the_next() -> None:
    assert ESCALATION.search("who do I escalate to if the primary doesn't pick up?")
    assert ESCALATION.search("the primary is not answering, who next?")
    assert not ESCALATION.search("who is the primary on call for checkout?")


def test_queries_go_through_ownership() -> None:
    assert owner_edge(SCHEMA, "Team", "Service") == "OWNS"
    assert owner_edge(SCHEMA, "Team", "Person") is None
    cypher = edge_detail_query(EDGE, "Service", "OWNS", ["shift_end"])
    assert cypher == (
        "MATCH (t:Team)-[:OWNS]->(n:Service {id: $id}) MATCH (p:Person)-[r:ON_CALL_FOR]->(t) RETURN p.id AS person, t.id AS team, r.shift_end AS shift_end"
    )
    assert edge_detail_query(EDGE, "Service", None, ["shift_end"]) is None
    assert covered_query(EDGE, "Service", "OWNS").startswith("MATCH (p:Person {id: $id})-[:ON_CALL_FOR]->(t:Team)-[:OWNS]->(n:Service)")


def test_a_team_is_named_by_words_only_it_holds() -> None:
    teams = {"team-risk-data": {"risk", "data", "team"}, "team-orders": {"orders", "order", "fulfilment", "team"}}
    assert team_by_word(teams, ["who", "is", "oncall", "for", "risk"]) == "team-risk-data"
    assert team_by_word(teams, ["who", "is", "oncall", "for", "the", "team"]) is None
    assert team_by_word(teams, ["who", "is", "oncall", "for", "banana"]) is None
    assert team_by_word(teams, ["who", "is", "oncall"]) is None
