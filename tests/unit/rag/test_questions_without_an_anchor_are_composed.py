"""One-step queries over a whole type, with no entity named: "list everyone currently on call" asks for every person
the on-call relation joins; "list the sev1s" asks for the incidents holding the value named (the value names the type).
Each query still explains every word of its question (`explained.py`)."""

from __future__ import annotations

from opsgraph.rag.compose import ValueHit, compose
from opsgraph.rag.lexicon import Lexicon
from opsgraph.rag.shape import question_shape
from opsgraph.schema import GraphSchema

VALUES = {
    "sev1": [ValueHit("Incident", "severity", "sev1")],
    "critical": [ValueHit("Service", "tier", "critical"), ValueHit("Datastore", "engine", "critical")],
}


def build(question: str, schema: GraphSchema, lexicon: Lexicon) -> str | None:
    got = compose(question, question_shape(question, schema), [], [], schema=schema, lexicon=lexicon, values=VALUES)
    return got.cypher if got is not None else None


def test_everyone_on_call_is_every_person_with_the_relation(schema: GraphSchema, lexicon: Lexicon) -> None:
    assert build("list everyone currently on call", schema, lexicon) == (
        "MATCH (x:Person)-[r:ON_CALL_FOR]->() RETURN DISTINCT x.id AS id, x.name AS name ORDER BY id"
    )
    # With no word for people nor a type, nothing says which end of the relation is asked for.
    assert build("list currently on call", schema, lexicon) is None


def test_a_value_of_one_type_names_that_type(schema: GraphSchema, lexicon: Lexicon) -> None:
    assert build("list the sev1s", schema, lexicon) == (
        "MATCH (x:Incident) WHERE x.severity = $v_severity RETURN DISTINCT x.id AS id, x.title AS name ORDER BY id"
    )
    # A value several types hold names none of them; a word no query explains still refuses.
    assert build("list the critical", schema, lexicon) is None
    assert build("list the sev1s from the audit", schema, lexicon) is None
