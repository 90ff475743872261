"""Roles stored on an edge, asked for by their words (`opsgraph.rag.edge_roles`): which values a question names, which
edges are role edges, and the query for each kind of anchor."""

from __future__ import annotations

import pytest

from opsgraph.rag.edge_roles import RoleEdge, named_values, role_edges, role_query
from opsgraph.schema import GraphSchema

SCHEMA = {
    "version": 1,
    "name": "roles",
    "nodes": {
        "Person": {"properties": {"name": "string"}},
        "Team": {"properties": {"name": "string"}},
        "Service": {"properties": {"name": "string"}},
        "Datastore": {"properties": {"name": "string"}},
    },
    "edges": {
        "MEMBER_OF": {"from": "Person", "to": "Team", "properties": {"role": {"type": "string", "indexed": True}, "note": "string"}},
        "ON_CALL_FOR": {"from": "Person", "to": "Team", "properties": {"rotation": {"type": "string", "indexed": True}}},
        "OWNS": {"from": "Team", "to": ["Service", "Datastore"], "properties": {"kind": {"type": "string", "indexed": True}}},
        "REPORTS_TO": {"from": "Person", "to": "Person", "properties": {"kind": {"type": "string", "indexed": True}}},
    },
}
ROLES = ["embedded-sre", "engineer", "manager", "sre", "tech-lead"]


def test_role_edges_join_one_type_to_another_by_an_indexed_string() -> None:
    schema = GraphSchema.model_validate(SCHEMA)
    found = role_edges(schema, skip=("ON_CALL_FOR", "rotation"))
    # OWNS reaches several types at most (a list); REPORTS_TO joins a type to itself; `note` is not indexed.
    assert found == [RoleEdge("MEMBER_OF", "Person", "Team", "role")]


@pytest.mark.parametrize(
    ("words", "named"),
    [
        ("which sres are on the platform team", {"sre": (1, 2)}),
        ("who are the managers", {"manager": (3, 4)}),
        ("who manages the team", {"manager": (1, 2)}),
        ("who are all the tech leads", {"tech-lead": (4, 6)}),
        ("the lead of the team", {"tech-lead": (1, 2)}),
        ("any embedded sres in orders", {"embedded-sre": (1, 3)}),
        ("managers and tech leads", {"manager": (0, 1), "tech-lead": (2, 4)}),
        ("who owns checkout", {}),
        ("engine versions", {}),
        ("which engines", {}),
    ],
)
def test_a_value_is_named_by_its_words_in_the_plural_or_by_its_last_word(words: str, named: dict[str, tuple[int, int]]) -> None:
    assert named_values(words.split(), ROLES) == named


def test_a_last_word_alone_names_no_value_another_value_ends_with_or_the_schema_reserves() -> None:
    # 'author' and 'co-author' both end with "author": "authors" alone names 'author' only.
    assert named_values(["who", "are", "the", "authors"], ["author", "co-author"]) == {"author": (3, 4)}
    # Without 'author' among the values (a type's name is no value), "authors" are every author, not the co-authors.
    assert named_values(["who", "are", "the", "authors"], ["co-author"], reserved={"authors"}) == {}
    assert named_values(["who", "are", "the", "co", "authors"], ["co-author"], reserved={"authors"}) == {"co-author": (3, 5)}
    assert named_values(["who", "are", "the", "co", "author"], ["co-author"], reserved={"author"}) == {"co-author": (3, 5)}
    # "responded" names the edge RESPONDED_TO, not its 'responder' role; "responders" the role.
    assert named_values(["who", "responded"], ["responder"], reserved={"responded"}) == {}
    assert named_values(["who", "were", "the", "responders"], ["responder"]) == {"responder": (3, 4)}


def test_the_query_follows_the_anchor() -> None:
    edge = RoleEdge("MEMBER_OF", "Person", "Team", "role")
    everyone = role_query(edge, None, None, possessive=False, count=False)
    assert everyone == "MATCH (p:Person)-[r:MEMBER_OF]->(t:Team) WHERE r.role IN $roles RETURN p.id AS id, t.id AS team, r.role AS role ORDER BY id"
    team = role_query(edge, "Team", None, possessive=False, count=True)
    assert team == "MATCH (p:Person)-[r:MEMBER_OF]->(t:Team {id: $id}) WHERE r.role IN $roles RETURN count(DISTINCT p) AS n"
    whose = role_query(edge, "Person", None, possessive=True, count=False)
    assert whose is not None and "(a:Person {id: $id})-[:MEMBER_OF]->(t:Team)<-[r:MEMBER_OF]-(p:Person)" in whose and "p.id <> a.id" in whose
    owned = role_query(edge, "Service", "OWNS", possessive=False, count=False)
    assert owned is not None and owned.startswith("MATCH (t:Team)-[:OWNS]->(x:Service {id: $id}) MATCH (p:Person)-[r:MEMBER_OF]->(t)")
    # A person named without "'s" ("who manages Lena?"), or a node no team owns: no query.
    assert role_query(edge, "Person", None, possessive=False, count=False) is None
    assert role_query(edge, "Service", None, possessive=False, count=False) is None
