"""`ValuePhrases` / `phrased`: values of several words ("SRE Manager", "New York"), of a property not indexed (a city),
short forms of one-word values ("postgres", "node"), and a value next to its property's word ("the payments
namespace") are found in a question and become placeholders the composer filters on; near misses are not."""

from __future__ import annotations

from pathlib import Path

from opsgraph.app import sample_estate_path
from opsgraph.rag.compose import ValueHit, compose
from opsgraph.rag.lexicon import build_lexicon
from opsgraph.rag.named import ValuePhrases, people_named, phrased, plain_places
from opsgraph.rag.shape import question_shape
from opsgraph.schema import load_schema

SCHEMA = load_schema(sample_estate_path() / "schema.yaml")
VALUES: list[tuple[ValueHit, bool]] = [
    (ValueHit("Person", "role", "SRE Manager"), True),
    (ValueHit("Person", "role", "Senior SRE"), True),
    (ValueHit("Person", "role", "Engineering Manager"), True),
    (ValueHit("Person", "location", "New York"), False),
    (ValueHit("Person", "location", "Berlin"), False),
    (ValueHit("Person", "timezone", "Europe/Berlin"), True),
    (ValueHit("Datastore", "engine", "postgresql"), True),
    (ValueHit("Datastore", "engine", "redis"), True),
    (ValueHit("Service", "language", "Node.js"), True),
    (ValueHit("Service", "language", "Go"), True),
    (ValueHit("Service", "namespace", "payments"), True),
    (ValueHit("DEPENDS_ON", "protocol", "http", True), True),
    (ValueHit("DEPENDS_ON", "protocol", "https", True), True),
    (ValueHit("MEMBER_OF", "role", "engineer", True), True),
    (ValueHit("Team", "pager_schedule", "orders-oncall"), False),
]
PHRASES = ValuePhrases(VALUES, SCHEMA)


def found(question: str, taken: list[tuple[int, int]] | None = None, *, short: bool = True, beside: bool = True) -> list[tuple[str, list[str]]]:
    return [(p.text, sorted(h.value for h in p.hits)) for p in PHRASES.find(question, taken or [], short=short, beside=beside)]


def test_values_of_several_words_are_found_as_written_with_a_plural() -> None:
    assert found("who is the SRE manager?") == [("SRE manager", ["SRE Manager"])]
    assert found("who are our engineering managers?") == [("engineering managers", ["Engineering Manager"])]
    assert found("who are the senior SREs?") == [("senior SREs", ["Senior SRE"])]
    assert found("anyone in Europe/Berlin?") == [("Europe/Berlin", ["Europe/Berlin"])]


def test_separators_must_agree() -> None:
    assert found("who is the orders on-call?") == []
    assert found("what is orders-oncall?") == [("orders-oncall", ["orders-oncall"])]


def test_a_value_of_a_property_not_indexed_is_found_whole() -> None:
    assert found("anyone based in Berlin?") == [("Berlin", ["Berlin"])]
    assert found("who is in Berlinale?") == []


def test_a_short_form_of_a_one_word_value() -> None:
    assert found("which datastores run on postgres?") == [("postgres", ["postgresql"])]
    assert found("which services are written in node?") == [("node", ["Node.js"])]
    # "which node ..." with no type named asks for any node; a property's word is no value's short form
    # ("engine" is not 'engineer'); a value itself is not the short form of a longer one ("http" is not 'https').
    assert found("which node does checkout depend on?") == []
    assert found("which engine does the orders db run?") == []
    assert found("which services call over http?") == []
    assert found("which services run on postgres?", short=False) == []


def test_a_value_next_to_its_property_word_even_over_an_entity() -> None:
    assert found("what's deployed in the payments namespace?") == [("payments", ["payments"])]
    assert found("who owns payments?") == []
    assert found("list the services of the payments namespace", beside=False) == []
    assert found("list the services of the payments namespace") == [("payments", ["payments"])]
    # Words an entity link covers are left alone unless the caller asks for the value reading.
    assert found("what's deployed in the payments namespace?", [(23, 31)]) == []


def test_phrased_keeps_offsets_and_maps_placeholders_to_the_values() -> None:
    got = phrased("who is the SRE manager?", PHRASES, {"critical": []})
    assert got is not None
    assert len(got.question) == len("who is the SRE manager?")
    key = got.question.split()[-1].rstrip("?")
    assert got.values[key] == [ValueHit("Person", "role", "SRE Manager")] and "critical" in got.values
    assert phrased("who owns checkout?", PHRASES, {}) is None


def test_a_verb_before_the_value_is_left_to_the_filter() -> None:
    got = phrased("what's deployed in the payments namespace?", PHRASES, {})
    assert got is not None and "deployed" not in got.question


def test_works_out_of_is_based_in() -> None:
    assert plain_places("who works out of New York?") == "who based in     New York?"
    assert plain_places("who is working from Berlin").split() == ["who", "is", "based", "in", "Berlin"]
    assert len(plain_places("who is working from Berlin")) == len("who is working from Berlin")


def test_the_composed_query_filters_on_the_phrased_value() -> None:
    lexicon = build_lexicon(SCHEMA)
    for question, want in [
        ("who works out of New York?", "x.location = $v_location"),
        ("which datastores run on postgres?", "x.engine = $v_engine"),
        ("which services are written in node?", "x.language = $v_language"),
    ]:
        got = phrased(plain_places(question), PHRASES, {})
        assert got is not None, question
        built = compose(got.question, question_shape(question, SCHEMA), [], [], schema=SCHEMA, lexicon=lexicon, values=got.values)
        assert built is not None and want in built.cypher, question


def test_a_value_right_after_a_verb_that_ties_nodes_to_it_is_found_in_any_case() -> None:
    assert found("which services run on go?") == [("go", ["Go"])]
    assert found("which services go down if redis fails?") == []
    got = phrased("which services run on go?", PHRASES, {"go": [ValueHit("Service", "language", "Go")]})
    # A one-word value the index holds is written as the estate writes it, so the composer's own reading takes it.
    assert got is not None and got.question.endswith(" on Go?") and "run" not in got.question


def test_who_asks_for_the_person_like_type_the_question_names() -> None:
    library = load_schema(Path(__file__).resolve().parents[2] / "fixtures" / "library_estate" / "schema.yaml")
    shape = question_shape("who are the premium members?", library)
    assert shape.wants_type != "Member"  # the schema's first person-like type ("who" alone)
    assert people_named("who are the premium members?", shape, library).wants_type == "Member"
    assert people_named("who is the staff member at Riverside?", question_shape("who is the staff member at Riverside?", library), library).wants_type == (
        question_shape("who is the staff member at Riverside?", library).wants_type
    )  # two person-like types named: "who" is left as it was
    assert people_named("who wrote the hobbit?", question_shape("who wrote the hobbit?", library), library) == question_shape("who wrote the hobbit?", library)
