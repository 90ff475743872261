"""What X "ends up" relying on, or depends on "directly or not", is the dependency chain followed through others:
`compose` walks the dependency edge with a variable length, and one step is refused ('eventually' unexplained)."""

from __future__ import annotations

from opsgraph.rag.compose import Anchor, compose
from opsgraph.rag.lexicon import Lexicon, plain_idioms
from opsgraph.rag.shape import question_shape
from opsgraph.schema import GraphSchema


def build(question: str, schema: GraphSchema, lexicon: Lexicon, anchor: str) -> str | None:
    question = plain_idioms(question)
    found = [Anchor(anchor, "Service", question.lower().index(anchor))]
    got = compose(question, question_shape(question, schema), found, [anchor], schema=schema, lexicon=lexicon, values={})
    return got.cypher if got is not None else None


def test_relying_is_a_form_of_rely(lexicon: Lexicon) -> None:
    assert lexicon.edge_cues(["relying"]) == {"relying": frozenset({"DEPENDS_ON"})}


def test_ending_up_relying_on_walks_the_chain(schema: GraphSchema, lexicon: Lexicon) -> None:
    assert build("which datastores does the frontend end up relying on?", schema, lexicon, "frontend") == (
        "MATCH (a:Service {id: $anchor})-[r:DEPENDS_ON*1..6]->(x:Datastore) RETURN DISTINCT x.id AS id, x.name AS name ORDER BY id"
    )
    assert build("how many services depend on paymentservice, directly or not?", schema, lexicon, "paymentservice") == (
        "MATCH (x:Service)-[r:DEPENDS_ON*1..6]->(a:Service {id: $anchor}) RETURN count(DISTINCT x) AS n"
    )
    # Without the idiom, one step answers.
    assert build("which datastores does the frontend rely on?", schema, lexicon, "frontend") == (
        "MATCH (a:Service {id: $anchor})-[r:DEPENDS_ON]->(x:Datastore) RETURN DISTINCT x.id AS id, x.name AS name ORDER BY id"
    )
