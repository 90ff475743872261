"""Right or "I don't know": "directly or not" negates nothing; it asks for a relation followed through others.

The graph stages read the question through `plain_idioms`, so the negation check does not fire on the idiom and the
walk through others (a variable-length query) explains it, while a real "not" still needs a query that negates."""

from __future__ import annotations

from opsgraph.rag.explained import QueryFacts, unexplained_words
from opsgraph.rag.lexicon import plain_idioms
from opsgraph.schema import GraphSchema

WALK = "MATCH (a:Service {id: $anchor})<-[:DEPENDS_ON*1..6]-(x:Service) RETURN count(DISTINCT x) AS n"
ONE_STEP = "MATCH (a:Service {id: $anchor})<-[:DEPENDS_ON]-(x:Service) RETURN count(DISTINCT x) AS n"


def left(question: str, cypher: str, schema: GraphSchema) -> list[str]:
    facts = QueryFacts.of(cypher, {"anchor": "paymentservice"}, schema)
    return unexplained_words(plain_idioms(question), facts, schema, surfaces=("paymentservice",))


def test_the_idiom_means_a_walk_through_others_and_keeps_offsets() -> None:
    for q in ("How many services depend on paymentservice, directly or not?", "services using paymentservice directly or indirectly"):
        plain = plain_idioms(q)
        assert len(plain) == len(q)
        assert "indirectly" in plain and " not" not in plain and "directly or" not in plain
    assert plain_idioms("Is paymentservice critical or not?").strip(" ?") == "Is paymentservice critical"
    assert plain_idioms("Which services do not depend on anything?") == "Which services do not depend on anything?"


def test_a_walk_explains_the_idiom_and_one_step_does_not(schema: GraphSchema) -> None:
    q = "How many services depend on paymentservice, directly or not?"
    assert left(q, WALK, schema) == []
    assert left(q, ONE_STEP, schema) == ["indirectly"]
    # A real negation is still unexplained by a query that does not negate.
    assert "not" in left("How many services do not depend on paymentservice?", WALK, schema)


def test_a_persons_present_work_is_no_incident_response() -> None:
    """"work" names responding to an incident only in the past ("who worked on INC-2041"); "what does Priya work on?"
    asks what no edge holds (it was answered with the incidents she responded to)."""
    for q in ("what does Priya work on?", "what is Marcus working on", "what's Wei working on right now?"):
        plain = plain_idioms(q)
        assert len(plain) == len(q) and "work" not in plain and "busy" in plain, plain
    for q in ("who worked on INC-2041", "who works on the payments team?"):  # the past, and a team's members
        assert plain_idioms(q) == q
