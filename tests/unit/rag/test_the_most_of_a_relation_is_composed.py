"""`compose_most`: "which team owns the most services?" counts the relation per node and keeps the largest count (all
nodes that tie); the type word after "the most" labels the counted end. Where the direction cannot be read, or a word
is left unexplained, nothing is built."""

from __future__ import annotations

from opsgraph.rag.compose import Anchor
from opsgraph.rag.lexicon import Lexicon
from opsgraph.rag.most import compose_most
from opsgraph.rag.shape import question_shape
from opsgraph.schema import GraphSchema


def build(question: str, schema: GraphSchema, lexicon: Lexicon, anchors: list[Anchor] | None = None) -> str | None:
    got = compose_most(question, question_shape(question, schema), anchors or [], schema=schema, lexicon=lexicon, values={})
    return got.cypher if got is not None else None


def test_most_counts_the_relation_per_node_and_keeps_the_ties(schema: GraphSchema, lexicon: Lexicon) -> None:
    match = "MATCH (x:Team)-[r:OWNS]->(y:Service)"
    assert build("which team owns the most services?", schema, lexicon) == (
        f"{match} WITH x, count(DISTINCT y) AS n WITH max(n) AS top {match} WITH x, count(DISTINCT y) AS n, top "
        "WHERE n = top RETURN x.id AS id, x.name AS name, n ORDER BY id"
    )
    # The counted end reached against the edge: the services using a datastore.
    assert (build("which datastore is used by the most services?", schema, lexicon) or "").startswith(
        "MATCH (y:Service)-[r:DEPENDS_ON]->(x:Datastore) WITH x"
    )


def test_near_misses_are_not_built(schema: GraphSchema, lexicon: Lexicon) -> None:
    # Dependents of a service are services too: which end is counted cannot be read.
    assert build("which service has the most dependents?", schema, lexicon) is None
    assert build("which service is depended on by the most services?", schema, lexicon) is None
    # A word the query does not explain, a second superlative, an entity named: not this shape.
    assert build("which team owns the most services in Berlin?", schema, lexicon) is None
    assert build("which team owns the most services, on average?", schema, lexicon) is None
    assert build("which team owns the most services?", schema, lexicon, [Anchor("frontend", "Service", 0)]) is None
