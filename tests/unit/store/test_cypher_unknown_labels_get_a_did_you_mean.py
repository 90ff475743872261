"""The labels and relationship types a query names, and "no such label X; did you mean Y" for those the store lacks."""

from __future__ import annotations

import pytest

from opsgraph.store import unknown_names
from opsgraph.store.cypher_names import named_types

NODES = ["Service", "Datastore", "Team", "Person"]
EDGES = ["DEPENDS_ON", "OWNS", "ON_CALL_FOR"]


@pytest.mark.parametrize(
    ("cypher", "labels", "rels"),
    [
        ("MATCH (s:Service {id: $id})-[:DEPENDS_ON*1..6]->(t:Datastore) RETURN s.id AS id", ["Service", "Datastore"], ["DEPENDS_ON"]),
        ("MATCH (a:Service:Team)<-[r:OWNS|:ON_CALL_FOR]-(b) WHERE b:Person RETURN a", ["Service", "Team", "Person"], ["OWNS", "ON_CALL_FOR"]),
        ("MATCH (a)-[:OWNS|DEPENDS_ON]->(b) RETURN a", [], ["OWNS", "DEPENDS_ON"]),
        # Map keys, strings, comments and list comprehensions' WHERE are not relationship patterns.
        ("MATCH (n {tier: 'a:Fake'}) // :Comment\nRETURN {name: n.name, k: 1} AS m, [x IN [n] WHERE x:Team | x.id] AS t", ["Team"], []),
        ("MATCH (n:`Data store`) RETURN n", ["Data store"], []),
        ("MATCH (n:Service RETURN 'unterminated", [], []),
    ],
)
def test_named_types(cypher: str, labels: list[str], rels: list[str]) -> None:
    assert named_types(cypher) == (labels, rels)


def test_a_typo_gets_the_closest_known_name() -> None:
    found = unknown_names("MATCH (s:Servce)-[:DEPENDS_ONN]->(d:datastore) RETURN s", NODES, EDGES)
    assert [(u.name, u.kind, u.suggestions) for u in found] == [
        ("Servce", "label", ["Service"]), ("datastore", "label", ["Datastore"]), ("DEPENDS_ONN", "relationship type", ["DEPENDS_ON"])]
    assert found[0].text() == "no such label Servce; did you mean Service?"


def test_a_name_like_nothing_gets_no_guess_and_known_names_pass() -> None:
    found = unknown_names("MATCH (x:Spaceship) RETURN x", NODES, EDGES)
    assert [(u.name, u.suggestions) for u in found] == [("Spaceship", [])] and found[0].text() == "no such label Spaceship"
    assert unknown_names("MATCH (p:Person)-[:ON_CALL_FOR]->(t:Team) RETURN p.name AS name", NODES, EDGES) == []
