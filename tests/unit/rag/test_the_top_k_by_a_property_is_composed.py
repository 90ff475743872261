"""`compose_topk`: "which are the three oldest books?" orders the wanted type by its one time property (a date, or a
number its description says is a year), "the three best-rated books" by the number property the question names, and
keeps the nodes that tie with the k-th. No number, two order words, a size word with no property named, a time word
with several time properties, an entity named, or a word left unexplained: nothing is built."""

from __future__ import annotations

import pytest

from opsgraph.rag.compose import Anchor
from opsgraph.rag.lexicon import build_lexicon
from opsgraph.rag.shape import question_shape
from opsgraph.rag.topk import compose_topk
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
            "Author": {
                "properties": {
                    "name": "string",
                    "born": {"type": "integer", "description": "Year of birth."},
                    "died": {"type": "integer", "description": "Year of death."},
                }
            },
            "Branch": {"properties": {"name": "string", "seats": {"type": "integer", "description": "Number of reader seats."}}},
        },
        "edges": {"HOLDS": {"from": "Branch", "to": "Book"}},
    }
)
LEXICON = build_lexicon(SCHEMA)


def build(question: str, anchors: list[Anchor] | None = None) -> str | None:
    got = compose_topk(question, question_shape(question, SCHEMA), anchors or [], schema=SCHEMA, lexicon=LEXICON, values={})
    return got.cypher if got is not None else None


def test_a_time_word_orders_the_types_one_time_property() -> None:
    assert build("Which are the three oldest books?") == (
        "MATCH (x:Book) WHERE x.year IS NOT NULL WITH x ORDER BY x.year ASC LIMIT 3 WITH max(x.year) AS cut "
        "MATCH (x:Book) WHERE x.year <= cut RETURN x.id AS id, x.year AS year ORDER BY year ASC, id"
    )


def test_a_size_word_orders_the_number_property_named() -> None:
    best = build("What are the three best-rated books?") or ""
    assert "ORDER BY x.rating DESC LIMIT 3" in best and "min(x.rating) AS cut" in best and "x.rating >= cut" in best
    seats = build("Which two branches have the most seats?") or ""
    assert "ORDER BY x.seats DESC LIMIT 2" in seats


@pytest.mark.parametrize(
    "question",
    [
        "What are our three longest books?",  # a size word and no property named: pages or rating is a guess
        "Which two authors are the oldest?",  # born or died: two time properties, none named
        "Which are the oldest books?",  # no number
        "Which three books are the oldest and the best?",  # two order words
        "Which three oldest books does every branch hold?",  # 'hold' names a relation the query does not walk
        "Which three books are not the oldest?",  # a negation
    ],
)
def test_near_misses_are_not_built(question: str) -> None:
    assert build(question) is None


def test_an_entity_named_is_another_step() -> None:
    assert build("Which are the three oldest books?", [Anchor("central", "Branch", 0)]) is None
