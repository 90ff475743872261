"""`compose_filtered`: the set `compose.py` selects (a type, the values named, one relation to a named entity) with one
more operation: an aggregate of the number property named (avg/sum one number, min/max the nodes holding it), a
comparison of it with a number, a value negated, or a relation lacked (named by the other end's type or a relation
word). A schema it was not built around (a tiny library); two functions, a figure per group, a negation whose words go
on beyond what is read, a relation lacked that may be the one to the entity named, or a word left unexplained: nothing
is built."""

from __future__ import annotations

from typing import Any

import pytest

from opsgraph.rag.compose import Anchor, ValueHit
from opsgraph.rag.filtered import compose_filtered, conditions_text
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
                    "pages": {"type": "integer", "description": "Number of pages."},
                    "rating": {"type": "float", "description": "Average rating readers gave the book."},
                    "format": {"type": "string", "indexed": True, "description": "'paperback' or 'ebook'."},
                },
            },
            "Author": {"properties": {"name": "string"}},
            "Reader": {"properties": {"name": "string"}},
            "Branch": {"properties": {"name": "string"}},
        },
        "edges": {
            "WROTE": {"from": "Author", "to": "Book"},
            "BORROWED": {"from": "Reader", "to": "Book"},
            "HOLDS": {"from": "Branch", "to": "Book", "properties": {"copies": "integer"}},
        },
    }
)
LEXICON = build_lexicon(SCHEMA)
VALUES = {"ebook": [ValueHit("Book", "format", "ebook")], "paperback": [ValueHit("Book", "format", "paperback")]}


def build(question: str, anchors: list[Anchor] | None = None, surfaces: list[str] | None = None, why: list[str] | None = None) -> Any:
    return compose_filtered(
        question, question_shape(question, SCHEMA), anchors or [], surfaces or [], schema=SCHEMA, lexicon=LEXICON, values=VALUES,
        present_edges=list(SCHEMA.edges), refusals=why,
    )  # fmt: skip


def test_an_average_or_a_total_is_one_number_with_a_check_for_missing_values() -> None:
    got = build("What's the average number of pages of our books?")
    assert got.cypher == "MATCH (x:Book) RETURN avg(x.pages) AS avg_pages"
    assert got.parts["missing"] == "MATCH (x:Book) WHERE x.pages IS NULL RETURN count(DISTINCT x) AS n"
    ebooks = build("total pages across the ebooks")
    assert ebooks.cypher == "MATCH (x:Book) WHERE x.format = $v_format RETURN sum(x.pages) AS sum_pages" and ebooks.params == {"v_format": "ebook"}


def test_a_minimum_is_the_nodes_holding_it() -> None:
    got = build("lowest rating among paperback books")
    assert got.cypher == (
        "MATCH (x:Book) WHERE x.format = $v_format WITH min(x.rating) AS top MATCH (x:Book) WHERE x.format = $v_format AND x.rating = top "
        "RETURN DISTINCT x.id AS id, x.title AS name, x.rating AS rating ORDER BY id"
    )


def test_the_set_may_be_one_relation_from_an_entity_named() -> None:
    got = build("total pages of the books Tolkien wrote", [Anchor("tolkien", "Author", 31)], ["Tolkien"])
    assert got.cypher == "MATCH (a:Author {id: $anchor})-[r:WROTE]->(x:Book) RETURN sum(x.pages) AS sum_pages"
    assert got.params == {"anchor": "tolkien"}


def test_a_comparison_comes_with_the_values_named() -> None:
    got = build("ebook books with more than 300 pages")
    assert got.cypher == "MATCH (x:Book) WHERE x.format = $v_format AND x.pages > $c0 RETURN DISTINCT x.id AS id, x.title AS name, x.pages AS pages ORDER BY id"
    assert got.params == {"v_format": "ebook", "c0": 300}
    assert build("books with at least 300 pages") is not None  # "least" there is the comparison's, not a minimum


def test_a_value_negated_keeps_the_nodes_holding_another() -> None:
    got = build("Which books are not ebooks?")
    assert got.cypher == "MATCH (x:Book) WHERE NOT x.format = $v_format RETURN DISTINCT x.id AS id, x.title AS name ORDER BY id"
    assert got.negated and conditions_text(got.parts, got.params) == "format not ebook"


def test_a_relation_lacked_is_named_by_a_type_or_a_relation_word() -> None:
    by_type = build("Which books have no author?")
    assert by_type.cypher == "MATCH (x:Book) WHERE NOT (:Author)-[:WROTE]->(x) RETURN DISTINCT x.id AS id, x.title AS name ORDER BY id"
    by_word = build("Which readers have never borrowed anything?")
    assert by_word.cypher == "MATCH (x:Reader) WHERE NOT (x)-[:BORROWED]->() RETURN DISTINCT x.id AS id, x.name AS name ORDER BY id"
    counted = build("How many paperback books have no author?")
    assert counted.cypher == "MATCH (x:Book) WHERE x.format = $v_format AND NOT (:Author)-[:WROTE]->(x) RETURN count(DISTINCT x) AS n"
    assert conditions_text(counted.parts, counted.params) == "format paperback; no WROTE from Author"


@pytest.mark.parametrize(
    ("question", "anchors", "surfaces"),
    [
        ("average pages per author", [], []),  # one figure per group
        ("Which book has the lowest average rating?", [], []),  # two functions
        ("Which books have no author last year?", [], []),  # the negation's words go on
        ("Which books did Tolkien not write?", [Anchor("tolkien", "Author", 15)], ["Tolkien"]),  # the relation to the entity
        ("What's the average rating of the books on my wishlist?", [], []),  # a word the query does not explain
        ("average of the books", [], []),  # no property named
    ],
)
def test_nothing_is_built_for_what_it_cannot_express(question: str, anchors: list[Anchor], surfaces: list[str]) -> None:
    assert build(question, anchors, surfaces) is None


def test_a_word_left_unexplained_is_named() -> None:
    why: list[str] = []
    assert build("What's the average rating of the books on my wishlist?", why=why) is None
    assert why and "wishlist" in why[0]


def test_values_of_the_other_end_of_one_relation_filter_the_set() -> None:
    got = build("Which readers borrowed paperback books?")
    assert got.cypher == (
        "MATCH (x:Reader)-[:BORROWED]->(o:Book) WHERE o.format = $o_format RETURN DISTINCT x.id AS id, x.name AS name ORDER BY id"
    )
    assert got.params == {"o_format": "paperback"} and conditions_text(got.parts, got.params) == "Book.format paperback"
    assert build("Which readers borrowed ebooks?") is None  # the other type is not named: no guess that it is Book
    counted = build("How many authors wrote paperback books?")
    assert counted.cypher == "MATCH (x:Author)-[:WROTE]->(o:Book) WHERE o.format = $o_format RETURN count(DISTINCT x) AS n"
    assert build("Which readers borrowed paperback books from the branch?") is None  # a second relation
    assert build("Which readers are paperback?") is None  # a value of another type the question does not name
