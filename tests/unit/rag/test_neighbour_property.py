"""`neighbour_property.neighbour_lookup`: a property the entity's type lacks is read from the one neighbour type that
holds it, only when the schema joins the two types one way; otherwise nothing (the caller abstains)."""

from __future__ import annotations

from opsgraph.rag.neighbour_property import neighbour_lookup
from opsgraph.schema import GraphSchema

SCHEMA = {
    "version": 1,
    "name": "hops",
    "nodes": {
        "Service": {"properties": {"name": "string", "tier": "string"}},
        "Team": {"properties": {"name": "string", "slack_channel": "string", "email": "string"}},
        "Person": {"properties": {"name": "string", "email": "string", "timezone": "string"}},
        "ExternalService": {"properties": {"name": "string", "status_page": "string", "tier": "string"}},
        "Runbook": {"name_property": "title", "properties": {"title": "string", "path": "string"}},
    },
    "edges": {
        "DEPENDS_ON": {"from": "Service", "to": ["Service", "ExternalService"], "dependency": True},
        "OWNS": {"from": "Team", "to": ["Service", "ExternalService"]},
        "MEMBER_OF": {"from": "Person", "to": "Team"},
        "ON_CALL_FOR": {"from": "Person", "to": "Team"},
        "RUNBOOK_FOR": {"from": "Runbook", "to": ["Service", "Team"]},
    },
}


def _schema() -> GraphSchema:
    return GraphSchema.model_validate(SCHEMA)


def test_the_owning_teams_channel_is_read_for_a_service() -> None:
    hit = neighbour_lookup(_schema(), "Service", [{"slack_channel"}], [])
    assert hit is not None and (hit.edge, hit.neighbour, hit.forward, hit.props) == ("OWNS", "Team", False, ("slack_channel",))
    assert hit.cypher("Service") == (
        "MATCH (m:Team)-[:OWNS]->(n:Service {id: $id}) RETURN m.id AS team, m.slack_channel AS slack_channel"
    )


def test_a_cue_naming_several_properties_keeps_those_the_neighbour_holds() -> None:
    hit = neighbour_lookup(_schema(), "Service", [{"email", "slack_channel"}], [])
    assert hit is not None and hit.props == ("email", "slack_channel")


def test_a_property_of_the_entity_itself_is_not_a_neighbours() -> None:
    assert neighbour_lookup(_schema(), "Service", [{"tier"}], []) is None
    assert neighbour_lookup(_schema(), "Team", [{"email"}], [{"ON_CALL_FOR"}]) is None


def test_two_relations_between_the_types_are_ambiguous_without_a_relation_word() -> None:
    assert neighbour_lookup(_schema(), "Team", [{"timezone"}], []) is None
    hit = neighbour_lookup(_schema(), "Team", [{"timezone"}], [{"ON_CALL_FOR"}])
    assert hit is not None and (hit.edge, hit.neighbour, hit.forward) == ("ON_CALL_FOR", "Person", False)


def test_a_dependency_is_never_stepped_over_silently() -> None:
    assert neighbour_lookup(_schema(), "Service", [{"status_page"}], []) is None
    hit = neighbour_lookup(_schema(), "Service", [{"status_page"}], [{"DEPENDS_ON"}])
    assert hit is not None and (hit.edge, hit.neighbour, hit.forward) == ("DEPENDS_ON", "ExternalService", True)


def test_several_neighbour_types_holding_the_property_are_refused() -> None:
    # A team owns services and external services; both hold a tier: which one is asked is not said.
    assert neighbour_lookup(_schema(), "Team", [{"tier"}], []) is None


def test_every_relation_word_must_name_the_edge_and_every_cue_must_be_held() -> None:
    assert neighbour_lookup(_schema(), "Service", [{"slack_channel"}], [{"DEPENDS_ON"}]) is None
    assert neighbour_lookup(_schema(), "Service", [{"slack_channel"}, {"timezone"}], []) is None
    assert neighbour_lookup(_schema(), "Service", [{"path"}], []) is not None
    assert neighbour_lookup(_schema(), "Service", [], []) is None
