"""`direction_reason`: a same-type relation walked the other way than the question asks it is refused ("what services
does currency depend on?" answered with currency's callers); nouns, passives and typed edges are read right."""

from __future__ import annotations

from opsgraph.app import sample_estate_path
from opsgraph.rag.direction import direction_reason
from opsgraph.rag.lexicon import build_lexicon
from opsgraph.schema import load_schema

SCHEMA = load_schema(sample_estate_path() / "schema.yaml")
LEXICON = build_lexicon(SCHEMA)
CALLERS = "MATCH (n0:Service {id: $anchor})<-[:DEPENDS_ON]-(n1:Service) RETURN n1.id AS id"
NEEDS = "MATCH (a:Service {id: $anchor})-[r:DEPENDS_ON]->(x:Service) RETURN x.id AS id"


def _why(question: str, cypher: str, surface: str = "currency") -> str | None:
    return direction_reason(question, cypher, {"anchor": "currencyservice"}, schema=SCHEMA, lexicon=LEXICON,
                            entity_ids=["currencyservice"], entity_surfaces=[surface])  # fmt: skip


def test_the_subject_of_the_verb_is_the_source() -> None:
    assert _why("what services does currency depend on?", CALLERS) is not None
    assert _why("what services does currency depend on?", NEEDS) is None


def test_the_object_and_the_passive_are_the_target_and_the_source() -> None:
    assert _why("which services call currency?", NEEDS) is not None
    assert _why("which services call currency?", CALLERS) is None
    assert _why("which services are used by currency?", NEEDS) is None
    assert _why("which services are used by currency?", CALLERS) is not None


def test_nouns_and_two_entities_are_not_judged_here() -> None:
    assert _why("what are the dependencies of currency?", CALLERS) is None
    two = direction_reason("does currency depend on checkout?", CALLERS, {"anchor": "currencyservice", "b": "checkoutservice"},
                           schema=SCHEMA, lexicon=LEXICON, entity_ids=["currencyservice", "checkoutservice"],
                           entity_surfaces=["currency", "checkout"])  # fmt: skip
    assert two is None


def test_the_subject_of_the_verb_whose_type_can_only_be_its_target() -> None:
    users = "MATCH (x:Service)-[r:DEPENDS_ON]->(a:Datastore {id: $anchor}) RETURN x.id AS id"

    def why(question: str) -> str | None:
        return direction_reason(question, users, {"anchor": "orders-db"}, schema=SCHEMA, lexicon=LEXICON,
                                entity_ids=["orders-db"], entity_surfaces=["orders db"])  # fmt: skip

    # A datastore depends on nothing: "what does the orders db use?" is not answered with what uses it.
    assert why("what does the orders db use?") is not None
    # Near misses: asked the way the query walks it.
    assert why("what uses the orders db?") is None
    assert why("which services use the orders db?") is None
