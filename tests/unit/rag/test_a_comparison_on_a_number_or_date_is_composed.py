"""`compose_compare`: "which books were first published before 1850?" filters the wanted type on the one number or date
property the question names (by its name, declared words, or the words of its description) with the comparison its
words make; a date compares with a year's first day. No comparison, two, an entity named, no property named, or a word
the query leaves unexplained: nothing is built."""

from __future__ import annotations

from typing import Any

import pytest

from opsgraph.rag.compare import comparison, compose_compare
from opsgraph.rag.compose import Anchor
from opsgraph.rag.lexicon import build_lexicon
from opsgraph.rag.shape import question_shape
from opsgraph.schema import GraphSchema

SCHEMA = GraphSchema.model_validate(
    {
        "version": 1,
        "name": "tiny-library",
        "nodes": {
            "Book": {
                "name_property": "title",
                "properties": {
                    "title": "string",
                    "year": {"type": "integer", "description": "Year the work was first published."},
                    "pages": {"type": "integer", "description": "Number of pages."},
                    "rating": {"type": "float", "description": "Average rating members gave the book."},
                },
            },
            "Member": {
                "properties": {
                    "name": "string",
                    "joined": {"type": "datetime", "description": "When the member first registered (ISO-8601 text)."},
                }
            },
            "Publisher": {"properties": {"name": "string"}},
        },
        "edges": {"PUBLISHED_BY": {"from": "Book", "to": "Publisher"}},
    }
)
LEXICON = build_lexicon(SCHEMA)


def build(question: str, anchors: list[Anchor] | None = None) -> tuple[str, dict[str, Any]] | None:
    got = compose_compare(question, question_shape(question, SCHEMA), anchors or [], schema=SCHEMA, lexicon=LEXICON, values={})
    return (got.cypher, got.params) if got is not None else None


def test_the_comparison_words_make_the_bounds() -> None:
    assert comparison("published before 1850")[0] == [("<", 1850.0)]  # type: ignore[index]
    assert comparison("rated 4.5 or higher")[0] == [(">=", 4.5)]  # type: ignore[index]
    assert comparison("more than three pounds")[0] == [(">", 3.0)]  # type: ignore[index]
    assert comparison("born in the 1920s")[0] == [(">=", 1920.0), ("<=", 1929.0)]  # type: ignore[index]
    assert comparison("between 2020 and 2022")[0] == [(">=", 2020.0), ("<=", 2022.0)]  # type: ignore[index]
    assert comparison("after 1900 and before 1950") is None  # two comparisons: not one filter
    assert comparison("the longest books") is None


def test_a_property_named_by_its_description_is_compared() -> None:
    assert build("Which books were first published before 1850?") == (
        "MATCH (x:Book) WHERE x.year < $c0 RETURN DISTINCT x.id AS id, x.title AS name, x.year AS year ORDER BY id",
        {"c0": 1850},
    )
    assert build("How many books have more than 600 pages?") == ("MATCH (x:Book) WHERE x.pages > $c0 RETURN count(DISTINCT x) AS n", {"c0": 600})


def test_a_date_compares_with_the_years_first_day() -> None:
    got = build("Which members joined between 2020 and 2022?")
    assert got is not None and got[1] == {"c0": "2020-01-01", "c1": "2023-01-01"}
    assert "x.joined >= $c0 AND x.joined < $c1" in got[0]
    after = build("Which members joined after 2020?")
    assert after is not None and after[1] == {"c0": "2021-01-01"} and "x.joined >= $c0" in after[0]


@pytest.mark.parametrize(
    "question",
    [
        "Which books were first published after the war?",  # no number compared
        "Which books were translated before 1850?",  # 'translated' names no property (nor does any other word)
        "Which books were first published before 1850 and after 1800?",  # two comparisons
        "Which books did Penguin publish before 1850?",  # a second node type (and an edge) the query does not walk
        "Which members joined after 20.5?",  # a date compares with a year only
    ],
)
def test_near_misses_are_not_built(question: str) -> None:
    assert build(question) is None


def test_an_entity_named_is_another_step() -> None:
    assert build("Which books were first published before 1850?", [Anchor("penguin", "Publisher", 0)]) is None
