"""Extracting and checking model-written Cypher before it runs."""

from __future__ import annotations

import pytest

from opsgraph.retrieve.text2cypher import check_cypher, extract_cypher


def test_extracts_fenced_block() -> None:
    out = "Sure!\n```cypher\nMATCH (s:Service) RETURN s.id\n```\nThis lists services."
    assert extract_cypher(out) == "MATCH (s:Service) RETURN s.id"


def test_extracts_from_first_clause_and_stops_at_prose() -> None:
    out = "The query is: MATCH (s:Service) RETURN s.id;\n\nIt returns ids."
    assert extract_cypher(out) == "MATCH (s:Service) RETURN s.id"


def test_prose_only_gives_nothing() -> None:
    assert extract_cypher("The answer is 1.") == ""


def test_limit_is_added() -> None:
    assert check_cypher("MATCH (s:Service) RETURN s.id", row_limit=50).endswith("LIMIT 50")
    assert check_cypher("MATCH (s) RETURN s LIMIT 3", row_limit=50) == "MATCH (s) RETURN s LIMIT 3"


@pytest.mark.parametrize(
    ("cypher", "needle"),
    [
        ("", "no Cypher query"),
        ("MATCH (n) DETACH DELETE n", "writes"),
        ("MATCH (n) RETURN n; MATCH (m) RETURN m", "more than one statement"),
        ("MATCH (n:Service)", "no RETURN"),
    ],
)
def test_refusals_explain_themselves(cypher: str, needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        check_cypher(cypher, row_limit=10)
