"""`compose` with a negation: "who hasn't ..." asks for people, "which services does nobody depend on" and "no
dependents" for the relation's objects, "don't depend on anything" and "no dependencies" for its subjects; a value
named after the negation ("not caused by a deploy") may be what it negates, so nothing is built."""

from __future__ import annotations

from opsgraph.rag.compose import Composed, ValueHit, compose
from opsgraph.rag.lexicon import Lexicon
from opsgraph.rag.shape import QuestionShape, question_shape
from opsgraph.schema import GraphSchema

VALUES = {"critical": [ValueHit("Service", "tier", "critical")], "sev1": [ValueHit("Incident", "severity", "sev1")]}


def build(question: str, schema: GraphSchema, lexicon: Lexicon) -> Composed | None:
    return compose(question, question_shape(question, schema), [], [], schema=schema, lexicon=lexicon, values=VALUES)


def test_who_hasnt_asks_for_people(schema: GraphSchema, lexicon: Lexicon) -> None:
    # A shape may read "any team" as the type wanted ("who hasn't responded to any incident?"); the teams nobody is on
    # call for would answer another question (the people are read by `filtered.py`, which names the other end).
    question = "Who isn't on call for any team?"
    got = compose(question, QuestionShape("person", "Team", False, "who"), [], [], schema=schema, lexicon=lexicon, values=VALUES)
    assert got is None or got.parts["target"] == "Person"


def test_a_negated_subject_wants_the_relations_objects(schema: GraphSchema, lexicon: Lexicon) -> None:
    nobody = build("Which services does nobody depend on?", schema, lexicon)
    nothing = build("Which services don't depend on anything?", schema, lexicon)
    assert nobody is not None and "NOT ()-[:DEPENDS_ON]->(x)" in nobody.cypher
    assert nothing is not None and "NOT (x)-[:DEPENDS_ON]->()" in nothing.cypher


def test_dependents_and_dependencies_give_the_direction(schema: GraphSchema, lexicon: Lexicon) -> None:
    dependents = build("Which services have no dependents?", schema, lexicon)
    dependencies = build("Which services have no dependencies?", schema, lexicon)
    assert dependents is not None and "NOT ()-[:DEPENDS_ON]->(x)" in dependents.cypher
    assert dependencies is not None and "NOT (x)-[:DEPENDS_ON]->()" in dependencies.cypher
    assert build("Which services have no upstream?", schema, lexicon) is None  # used both ways


def test_a_value_after_the_negation_is_not_filtered_on(schema: GraphSchema, lexicon: Lexicon) -> None:
    assert build("Which incidents were not caused by a sev1?", schema, lexicon) is None
    before = build("Which critical services does nobody own?", schema, lexicon)
    assert before is not None and before.params == {"v_tier": "critical"} and "NOT ()-[:OWNS]->(x)" in before.cypher


def test_a_value_that_may_describe_either_end_of_a_relation_is_not_placed(schema: GraphSchema, lexicon: Lexicon) -> None:
    # "critical services" after "depend on" are the ones depended on, not the ones that depend.
    assert build("Which services depend on critical services?", schema, lexicon) is None
