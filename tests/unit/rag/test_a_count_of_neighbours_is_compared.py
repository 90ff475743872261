"""`compose_degree`: "which team owns at least 3 services?" counts each node's neighbours over the one relation the
question names and keeps the nodes whose count passes the comparison (number words read as numbers; a bound zero meets
keeps the nodes with none). "Others" is the asked type; a relation word is the composer's. Passive wording over an
edge with the same type at both ends, a comparison of times or fractions, a word left unexplained, an entity named:
nothing is built."""

from __future__ import annotations

import pytest

from opsgraph.rag.compose import Anchor, ValueHit
from opsgraph.rag.degree import compose_degree, threshold
from opsgraph.rag.lexicon import Lexicon
from opsgraph.rag.shape import question_shape
from opsgraph.schema import GraphSchema


def build(
    question: str, schema: GraphSchema, lexicon: Lexicon, anchors: list[Anchor] | None = None
) -> tuple[str, dict[str, object]] | None:
    got = compose_degree(question, question_shape(question, schema), anchors or [], schema=schema, lexicon=lexicon, values={})
    return (got.cypher, got.params) if got is not None else None


def test_the_relation_named_is_counted_per_node_and_compared(schema: GraphSchema, lexicon: Lexicon) -> None:
    assert build("which team owns at least 3 services?", schema, lexicon) == (
        "MATCH (x:Team) OPTIONAL MATCH (x)-[r:OWNS]->(y:Service) WITH x, count(DISTINCT y) AS n WHERE n >= $k0 "
        "RETURN x.id AS id, n ORDER BY n DESC, id",
        {"k0": 3},
    )
    # A relation word counts every node the edge reaches; the counted end read against the edge ("used by").
    got = build("services with more than 2 dependencies", schema, lexicon)
    assert got is not None and "OPTIONAL MATCH (x)-[r:DEPENDS_ON]->(y) WITH" in got[0] and "n > $k0" in got[0] and got[1] == {"k0": 2}
    got = build("datastores used by more than one service", schema, lexicon)
    assert (
        got is not None
        and got[0].startswith("MATCH (x:Datastore) OPTIONAL MATCH (y:Service)-[r:DEPENDS_ON]->(x) WITH")
        and got[1] == {"k0": 1}
    )
    # "Others" (and "other services") are the asked type.
    for question in ("services that depend on more than two others", "which services depend on more than 2 other services?"):
        got = build(question, schema, lexicon)
        assert got is not None and "(x)-[r:DEPENDS_ON]->(y:Service)" in got[0] and got[1] == {"k0": 2}, question


@pytest.mark.parametrize(
    ("question", "test", "params"),
    [
        ("which services have fewer than 2 dependencies?", "n < $k0", {"k0": 2}),
        ("services with 3 or more dependencies", "n >= $k0", {"k0": 3}),
        ("services with at most one dependency", "n <= $k0", {"k0": 1}),
        ("services with no more than 1 dependency", "n <= $k0", {"k0": 1}),
        ("services with exactly one dependency", "n = $k0", {"k0": 1}),
        ("teams that own between 2 and 4 services", "n >= $k0 AND n <= $k1", {"k0": 2, "k1": 4}),
        ("teams that own multiple services", "n >= $k0", {"k0": 2}),
    ],
)
def test_each_comparison_is_read(schema: GraphSchema, lexicon: Lexicon, question: str, test: str, params: dict[str, int]) -> None:
    got = build(question, schema, lexicon)
    assert got is not None, question
    assert f"WHERE {test} RETURN" in got[0] and got[1] == params
    assert " OPTIONAL MATCH " in got[0]  # the nodes with no such neighbour are counted as 0


def test_a_count_and_a_yes_no(schema: GraphSchema, lexicon: Lexicon) -> None:
    got = build("how many teams own exactly one service?", schema, lexicon)
    assert got is not None and got[0].endswith("WHERE n = $k0 RETURN count(x) AS n")
    got = build("does any team own more than 5 services?", schema, lexicon)
    assert got is not None and got[0].endswith("RETURN x.id AS id, n ORDER BY n DESC, id") and got[1] == {"k0": 5}


def test_near_misses_are_not_built(schema: GraphSchema, lexicon: Lexicon) -> None:
    # Services at both ends of DEPENDS_ON, worded passively: which end is counted is not read.
    assert build("which services are used by more than 2 services?", schema, lexicon) is None
    assert build("which services are depended on by more than 2 others?", schema, lexicon) is None
    # Something the graph does not hold, a time, a fraction, an entity named: not this question.
    assert build("which services have more than 2 pull requests?", schema, lexicon) is None
    assert build("services with more than 2 dependencies since 2020", schema, lexicon) is None
    assert build("which services have more than 2.5 dependencies?", schema, lexicon) is None
    assert build("which team owns at least 3 services?", schema, lexicon, [Anchor("frontend", "Service", 0)]) is None
    # No comparison at all: the most-of and one-step composers' questions.
    assert build("which team owns the most services?", schema, lexicon) is None
    assert build("which services have dependencies?", schema, lexicon) is None


def test_the_threshold_words() -> None:
    assert threshold("people in more than one team") == ([(">", 1)], (10, 23))
    assert threshold("teams with twelve or more members") == ([(">=", 12)], (11, 25))
    assert threshold("services with exactly 3 dependencies") == ([("=", 3)], (14, 23))
    assert threshold("teams with under five members") == ([("<", 5)], (11, 21))
    assert threshold("incidents before 2020") is None  # a time
    assert threshold("more than 2 and fewer than 5 teams") is None  # two comparisons
    assert threshold("teams with exactly 2 or more than 3 services") is None
    assert threshold("which services have dependencies?") is None


def test_what_is_counted_is_what_is_named(schema: GraphSchema, lexicon: Lexicon) -> None:
    # A type of two words labels the counted end; another type named while every node reached would be counted: none.
    got = build("which services rely on at least 2 external services?", schema, lexicon)
    assert got is not None and "(x)-[r:DEPENDS_ON]->(y:ExternalService)" in got[0]
    assert build("which services with a datastore have more than 2 dependencies?", schema, lexicon) is None
    # "Consumers" are the dependents whose interaction is 'consume': a count of every dependent is not built.
    question = "which datastores have more than one consumer?"
    assert build(question, schema, lexicon) is not None  # no such value in this estate: any dependent consumes
    consume = {"consume": [ValueHit("DEPENDS_ON", "interaction", "consume", on_edge=True)]}
    got_values = compose_degree(question, question_shape(question, schema), [], schema=schema, lexicon=lexicon, values=consume)
    assert got_values is None
