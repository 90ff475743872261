"""`compose` builds the one-step query a simple question asks for, and refuses a question that asks for more."""

from __future__ import annotations

from opsgraph.rag.compose import Anchor, Composed, ValueHit, compose
from opsgraph.rag.lexicon import Lexicon
from opsgraph.rag.shape import question_shape
from opsgraph.schema import GraphSchema

VALUES = {
    "critical": [ValueHit("Service", "tier", "critical")],
    "go": [ValueHit("Service", "language", "Go")],
    "sev1": [ValueHit("Incident", "severity", "sev1")],
    "primary": [ValueHit("ON_CALL_FOR", "rotation", "primary", on_edge=True)],
}


def build(question: str, schema: GraphSchema, lexicon: Lexicon, *anchors: tuple[str, str, str]) -> Composed | None:
    """`anchors`: (id, type, surface as written in the question)."""
    found = [Anchor(i, t, question.lower().index(s.lower())) for i, t, s in anchors]
    return compose(question, question_shape(question, schema), found, [s for _, _, s in anchors], schema=schema, lexicon=lexicon, values=VALUES)


def test_the_owner_of_a_service_is_the_team_that_owns_it(schema: GraphSchema, lexicon: Lexicon) -> None:
    got = build("Which team owns paymentservice?", schema, lexicon, ("paymentservice", "Service", "paymentservice"))
    assert got is not None
    assert got.cypher == "MATCH (x:Team)-[r:OWNS]->(a:Service {id: $anchor}) RETURN DISTINCT x.id AS id, x.name AS name ORDER BY id"
    assert got.params == {"anchor": "paymentservice"}


def test_who_owns_wants_the_team_not_people(schema: GraphSchema, lexicon: Lexicon) -> None:
    got = build("Who owns paymentservice?", schema, lexicon, ("paymentservice", "Service", "paymentservice"))
    assert got is not None and got.parts["target"] == "Team"


def test_word_order_gives_the_direction_of_a_relation_between_two_services(schema: GraphSchema, lexicon: Lexicon) -> None:
    needs = build("What does checkoutservice depend on?", schema, lexicon, ("checkoutservice", "Service", "checkoutservice"))
    needed_by = build("Which services depend on paymentservice?", schema, lexicon, ("paymentservice", "Service", "paymentservice"))
    passive = build("Which services are used by checkoutservice?", schema, lexicon, ("checkoutservice", "Service", "checkoutservice"))
    assert needs is not None and needs.cypher.startswith("MATCH (a:Service {id: $anchor})-[r:DEPENDS_ON]->(x)")
    assert needed_by is not None and needed_by.cypher.startswith("MATCH (x:Service)-[r:DEPENDS_ON]->(a:Service {id: $anchor})")
    assert passive is not None and passive.cypher.startswith("MATCH (a:Service {id: $anchor})-[r:DEPENDS_ON]->(x:Service)")


def test_dependencies_are_what_a_service_needs(schema: GraphSchema, lexicon: Lexicon) -> None:
    got = build("How many dependencies does the frontend have?", schema, lexicon, ("frontend", "Service", "frontend"))
    assert got is not None
    assert got.cypher == "MATCH (a:Service {id: $anchor})-[r:DEPENDS_ON]->(x) RETURN count(DISTINCT x) AS n"


def test_values_the_estate_holds_filter_the_wanted_type(schema: GraphSchema, lexicon: Lexicon) -> None:
    got = build("Which services are critical tier?", schema, lexicon)
    assert got is not None
    assert got.cypher == "MATCH (x:Service) WHERE x.tier = $v_tier RETURN DISTINCT x.id AS id, x.name AS name ORDER BY id"
    assert got.params == {"v_tier": "critical"}
    count = build("How many sev1 incidents have we had?", schema, lexicon)
    assert count is not None and count.cypher == "MATCH (x:Incident) WHERE x.severity = $v_severity RETURN count(DISTINCT x) AS n"
    # A short value counts only as written: "go" in "go down" is not the language Go.
    assert build("Which services are written in Go?", schema, lexicon) is not None
    assert build("Which services go down with it?", schema, lexicon) is None


def test_absence_of_a_relation(schema: GraphSchema, lexicon: Lexicon) -> None:
    got = build("Which services have no owner?", schema, lexicon)
    assert got is not None and got.negated
    assert got.cypher == "MATCH (x:Service) WHERE NOT ()-[:OWNS]->(x) RETURN DISTINCT x.id AS id, x.name AS name ORDER BY id"


def test_questions_that_ask_for_more_are_left_to_the_verified_retrievers(schema: GraphSchema, lexicon: Lexicon) -> None:
    pay = ("paymentservice", "Service", "paymentservice")
    # two relations
    assert build("Who is on call for the team that owns paymentservice?", schema, lexicon, pay) is None
    # two entities
    assert build("Does checkoutservice depend on paymentservice?", schema, lexicon, ("checkoutservice", "Service", "checkoutservice"), pay) is None
    # a number, a superlative, a time
    assert build("Which services have more than 3 dependencies?", schema, lexicon) is None
    assert build("Which service has the most dependencies?", schema, lexicon) is None
    assert build("Which services did the Payments team own last year?", schema, lexicon) is None
    # things the graph does not hold
    assert build("What TLS certificate does paymentservice use?", schema, lexicon, pay) is None
    # a value of another type than the one asked for
    assert build("Which teams own critical services?", schema, lexicon) is None
    # a failure question walks the dependency edge, not a second relation named
    assert build("Which incidents were caused by what breaks when paymentservice fails?", schema, lexicon, pay) is None


def test_a_rotation_named_filters_the_edge(schema: GraphSchema, lexicon: Lexicon) -> None:
    got = build("Which team is Ada the primary on call for?", schema, lexicon, ("ada", "Person", "Ada"))
    assert got is not None
    assert got.cypher == "MATCH (a:Person {id: $anchor})-[r:ON_CALL_FOR]->(x:Team) WHERE r.rotation = $e_rotation RETURN DISTINCT x.id AS id, x.name AS name ORDER BY id"


def test_a_failure_spreads_to_what_depends_on_the_failing_node(schema: GraphSchema, lexicon: Lexicon) -> None:
    got = build("What is affected if paymentservice goes down?", schema, lexicon, ("paymentservice", "Service", "paymentservice"))
    assert got is not None
    assert got.cypher == "MATCH (x:Service)-[r:DEPENDS_ON*1..6]->(a:Service {id: $anchor}) RETURN DISTINCT x.id AS id, x.name AS name ORDER BY id"



def test_a_number_joined_to_a_word_is_a_filter_no_one_step_query_expresses(schema: GraphSchema, lexicon: Lexicon) -> None:
    # "pre-1900 books" answered with every book was a confident wrong answer (library catalogue): refuse instead.
    pay = ("paymentservice", "Service", "paymentservice")
    assert build("Which services does paymentservice depend on?", schema, lexicon, pay) is not None
    assert build("Which pre-1900 services does paymentservice depend on?", schema, lexicon, pay) is None
    assert build("Which post-2020 services depend on paymentservice?", schema, lexicon, pay) is None
    assert build("Which 24-hour services depend on paymentservice?", schema, lexicon, pay) is None


def test_a_hyphenated_kind_of_a_type_is_a_filter_no_one_step_query_expresses(schema: GraphSchema, lexicon: Lexicon) -> None:
    # "How many e-books do we have?" answered with the number of all books (library catalogue): refuse instead.
    assert build("How many services are there?", schema, lexicon) is not None
    assert build("How many micro-services are there?", schema, lexicon) is None
    assert build("How many sub-teams are there?", schema, lexicon) is None
