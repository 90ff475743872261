"""The static read-only check for Cypher."""

from __future__ import annotations

import pytest

from opsgraph.store.cypher_guard import has_limit, is_read_only, write_clauses


@pytest.mark.parametrize(
    "cypher",
    [
        "MATCH (n) RETURN n",
        "MATCH (n:Service) WHERE n.name = 'CREATE (x)' RETURN n",  # keyword inside a string
        "MATCH (n) RETURN n.set, n.delete",  # properties named like clauses
        "MATCH (n) // DELETE n\nRETURN n",  # keyword in a comment
        "MATCH (n:`CREATE`) RETURN n",  # backquoted name
        "CALL db.labels() YIELD label RETURN label",
        "MATCH p = shortestPath((a)-[*]-(b)) RETURN p",
    ],
)
def test_reads_pass(cypher: str) -> None:
    assert is_read_only(cypher), write_clauses(cypher)


@pytest.mark.parametrize(
    ("cypher", "clause"),
    [
        ("CREATE (n:Service {id: 'x'})", "CREATE"),
        ("MATCH (n) DETACH DELETE n", "DELETE"),
        ("MATCH (n) SET n.x = 1", "SET"),
        ("merge (n:S {id: 1})", "MERGE"),
        ("MATCH (n) REMOVE n.x", "REMOVE"),
        ("MATCH (n) WITH n FOREACH (x IN [1] | CREATE (m))", "FOREACH"),
        ("LOAD CSV FROM 'file:///x' AS row RETURN row", "LOAD"),
        ("CALL apoc.create.node(['X'], {}) YIELD node RETURN node", "CALL apoc.create.node"),
        ("MATCH (n) RETURN n; DROP INDEX x", "DROP"),
    ],
)
def test_writes_are_found(cypher: str, clause: str) -> None:
    assert clause in write_clauses(cypher)


def test_limit_detection() -> None:
    assert has_limit("MATCH (n) RETURN n LIMIT 5")
    assert not has_limit("MATCH (n) RETURN n")
