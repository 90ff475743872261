"""Right or "I don't know": every content word of a question must be explained by the query that answers it.

Hand-written question/query pairs: a query that explains every word is kept; one that ignores a word (a relation the
question names by a word the query does not walk, a qualifier it does not filter on, a number it does not use) is
refused, in `explained.py`, in `verify_query` and in `compose`, with the words named."""

from __future__ import annotations

from typing import Any

import pytest

from memory_store import MemoryStore
from opsgraph.rag.compose import Anchor, ValueHit, compose
from opsgraph.rag.explained import QueryFacts, unexplained_words
from opsgraph.rag.lexicon import Lexicon, build_lexicon
from opsgraph.rag.render import NameBook
from opsgraph.rag.shape import question_shape
from opsgraph.rag.verify import verify_query
from opsgraph.schema import GraphSchema

LIBRARY = {
    "version": 1,
    "name": "tiny-library",
    "nodes": {
        "Book": {"name_property": "title", "properties": {"title": "string", "year": "integer", "format": {"type": "string", "indexed": True}}},
        "Member": {"properties": {"name": "string"}},
        "Author": {"properties": {"name": "string"}},
    },
    "edges": {"BORROWED": {"from": "Member", "to": "Book"}, "WROTE": {"from": "Author", "to": "Book"}},
}


@pytest.fixture
def library() -> GraphSchema:
    return GraphSchema.model_validate(LIBRARY)


def left(question: str, cypher: str, schema: GraphSchema, params: dict[str, Any] | None = None, surfaces: tuple[str, ...] = (), values: Any = None) -> list[str]:
    return unexplained_words(question, QueryFacts.of(cypher, params or {}, schema), schema, surfaces=surfaces, values=values)


# -- the rule on its own -------------------------------------------------------------------------------------------
def test_a_query_that_explains_every_word_is_kept(schema: GraphSchema) -> None:
    owns = "MATCH (x:Team)-[r:OWNS]->(a:Service {id: $anchor}) RETURN DISTINCT x.id AS id"
    assert left("Which team owns paymentservice?", owns, schema, {"anchor": "paymentservice"}, ("paymentservice",)) == []
    tier = "MATCH (x:Service) WHERE x.tier = $v RETURN x.id AS id"
    assert left("Which services are critical tier?", tier, schema, {"v": "critical"}, values={"critical": ["critical"]}) == []
    spread = "MATCH (x:Service)-[:DEPENDS_ON*1..6]->(a:Datastore {id: $anchor}) RETURN DISTINCT x.id AS id"
    assert left("What is affected if redis-cart goes down?", spread, schema, {"anchor": "redis-cart"}, ("redis-cart",)) == []
    orphans = "MATCH (x:Service) WHERE NOT ()-[:OWNS]->(x) RETURN x.id AS id"
    assert left("Which services have no owner?", orphans, schema) == []


def test_a_relation_less_join_leaves_the_relation_word_unexplained(library: GraphSchema) -> None:
    # BORROWED is the only edge joining members to books, but 'out' is no word of it: the query may answer another
    # question. "Who wrote Dune?" names its relation and is kept.
    borrowed = "MATCH (x:Member)-[r:BORROWED]->(a:Book {id: $anchor}) RETURN DISTINCT x.id AS id"
    assert left("Who has had Dune out?", borrowed, library, {"anchor": "dune"}, ("Dune",)) == ["out"]
    assert left("Who borrowed Dune?", borrowed, library, {"anchor": "dune"}, ("Dune",)) == []
    wrote = "MATCH (x:Author)-[r:WROTE]->(a:Book {id: $anchor}) RETURN DISTINCT x.id AS id"
    assert left("Who wrote Dune?", wrote, library, {"anchor": "dune"}, ("Dune",)) == []
    # A relation word the query does not walk is unexplained too.
    assert left("Who borrowed Dune?", wrote, library, {"anchor": "dune"}, ("Dune",)) == ["borrowed"]


def test_a_qualifier_the_query_ignores_is_unexplained(library: GraphSchema, schema: GraphSchema) -> None:
    every_book = "MATCH (x:Book) RETURN count(DISTINCT x) AS n"
    assert left("How many books do we have?", every_book, library) == []
    assert left("How many e-books do we have?", every_book, library) == ["e-books"]
    assert left("How many e-books do we have?", "MATCH (x:Book {format: 'ebook'}) RETURN count(x) AS n", library, values={"ebook": ["ebook"]}) == []
    assert left("Which pre-1900 books do we have?", "MATCH (x:Book) RETURN x.id AS id", library) == ["pre-1900"]
    # A value of the estate the question names is explained only by a filter on it.
    every_service = "MATCH (x:Service) RETURN x.id AS id"
    assert left("Which critical services are there?", every_service, schema, values={"critical": ["critical"]}) == ["critical"]
    # A number is explained only when the query uses it; an order word only when the query orders.
    assert left("Which services have more than 3 dependencies?", "MATCH (x:Service)-[:DEPENDS_ON]->() RETURN x.id AS id", schema) == ["3"]
    assert left("What are the three newest books?", "MATCH (x:Book) RETURN x.id AS id ORDER BY x.year DESC LIMIT 3", library) == []
    assert left("What are the three newest books?", "MATCH (x:Book) RETURN x.id AS id", library) == ["three", "newest"]
    # A negation needs a query that negates; a time other than now a query that reads a time.
    assert left("Which services have no owner?", "MATCH (x:Service)<-[:OWNS]-() RETURN x.id AS id", schema) == ["no"]
    assert left("Who owned paymentservice last week?", "MATCH (x:Team)-[:OWNS]->(a:Service {id: $a}) RETURN x.id AS id", schema,
                {"a": "paymentservice"}, ("paymentservice",)) == ["last week"]  # fmt: skip


def test_words_the_schema_does_not_hold_are_unexplained(schema: GraphSchema) -> None:
    owns = "MATCH (x:Team)-[r:OWNS]->(a:Service {id: $anchor}) RETURN DISTINCT x.id AS id"
    assert left("Which team owns the TLS certificate of paymentservice?", owns, schema, {"anchor": "paymentservice"}, ("paymentservice",)) == ["tls", "certificate"]


# -- the same rule in verify_query and compose ---------------------------------------------------------------------
def test_verify_refuses_a_query_that_leaves_a_word_and_names_it(library: GraphSchema) -> None:
    names = NameBook(MemoryStore(library, nodes={"Member": [{"id": "ada", "name": "Ada"}], "Book": [{"id": "dune", "title": "Dune"}]}), library)  # type: ignore[arg-type]
    lexicon = build_lexicon(library)
    cypher = "MATCH (x:Member)-[r:BORROWED]->(a:Book {id: $anchor}) RETURN DISTINCT x.id AS id"
    rows = [{"id": "ada"}]

    def verdict(q: str) -> Any:
        return verify_query(q, question_shape(q, library), cypher, {"anchor": "dune"}, rows, schema=library, lexicon=lexicon, names=names,
                            entity_surfaces=("Dune",), entity_ids=("dune",))  # fmt: skip

    refused = verdict("Who has had Dune out?")
    assert not refused.ok and any("'out'" in r and "explains no part" in r for r in refused.reasons), refused.reasons
    assert verdict("Who borrowed Dune?").ok


def test_compose_refuses_the_only_join_when_a_word_is_left_and_says_why(library: GraphSchema) -> None:
    lexicon = build_lexicon(library)

    def build(q: str, refusals: list[str] | None = None) -> Any:
        anchor = Anchor("dune", "Book", q.index("Dune"))
        values = {"ebook": [ValueHit("Book", "format", "ebook")]}
        return compose(q, question_shape(q, library), [anchor], ["Dune"], schema=library, lexicon=lexicon, values=values, refusals=refusals)

    why: list[str] = []
    assert build("Who has had Dune out?", why) is None
    assert len(why) == 1 and "'out'" in why[0] and "BORROWED" in why[0]
    kept = build("Which members borrowed Dune?")
    assert kept is not None and "BORROWED" in kept.cypher


def test_compose_refuses_numbers_and_hyphenated_qualifiers_by_the_same_rule(library: GraphSchema, lexicon: Lexicon, schema: GraphSchema) -> None:
    lib_lexicon = build_lexicon(library)
    values = {"ebook": [ValueHit("Book", "format", "ebook")]}

    def build(q: str, s: GraphSchema, lx: Lexicon, refusals: list[str]) -> Any:
        return compose(q, question_shape(q, s), [], [], schema=s, lexicon=lx, values=values, refusals=refusals)

    for q, word in (("How many e-books do we have?", "'e-books'"), ("Which pre-1900 books do we have?", "'pre-1900'")):
        why: list[str] = []
        assert build(q, library, lib_lexicon, why) is None, q
        assert why and word in why[0], (q, why)
    assert build("How many books do we have?", library, lib_lexicon, []) is not None
    why = []
    assert build("Which services were deployed in the last 24-hour window?", schema, lexicon, why) is None



def test_each_mention_of_a_relation_needs_a_step_of_it(schema: GraphSchema) -> None:
    one_step = "MATCH (a:Service {id: $anchor})-[r:DEPENDS_ON]->(x) RETURN DISTINCT x.id AS id"
    q = "What do the dependencies of checkoutservice depend on?"
    assert left(q, one_step, schema, {"anchor": "checkoutservice"}, ("checkoutservice",)) == ["depend"]
    two_steps = "MATCH (a:Service {id: $anchor})-[:DEPENDS_ON]->()-[:DEPENDS_ON]->(x) RETURN DISTINCT x.id AS id"
    assert left(q, two_steps, schema, {"anchor": "checkoutservice"}, ("checkoutservice",)) == []
    # "indirectly" asks for a walk through others, which one step is not.
    assert left("Which services indirectly depend on paymentservice?", one_step, schema, {"anchor": "paymentservice"}, ("paymentservice",)) == ["indirectly"]
    walk = "MATCH (x:Service)-[:DEPENDS_ON*1..6]->(a:Service {id: $anchor}) RETURN DISTINCT x.id AS id"
    assert left("Which services indirectly depend on paymentservice?", walk, schema, {"anchor": "paymentservice"}, ("paymentservice",)) == []


def test_words_next_to_each_other_are_one_mention(schema: GraphSchema) -> None:
    caused = "MATCH (a:Incident {id: $anchor})-[r:CAUSED_BY]->(x) RETURN DISTINCT x.id AS id"
    assert left("What was the root cause of INC-2047?", caused, schema, {"anchor": "INC-2047"}, ("INC-2047",)) == []


def test_words_of_the_entitys_own_values_describe_it(schema: GraphSchema) -> None:
    lookup = "MATCH (n:ExternalService {id: $id}) RETURN n.status_page AS status_page"
    q = "What's the status page of the payment gateway?"
    # The gateway's own URL holds 'status': the property phrase is still read as one ("status page").
    assert left(q, lookup, schema, {"id": "payment-gateway"}, ("payment gateway",)) == []
    engine = "MATCH (n:Datastore {id: $id}) RETURN n.engine AS engine"
    q = "Which Redis engine does redis-cart run?"
    assert left(q, engine, schema, {"id": "redis-cart"}, ("redis-cart",)) == []  # 'redis' is a word of the id bound
    q = "Which engine does the Postgres cart store run?"
    got = unexplained_words(q, QueryFacts.of(engine, {"id": "redis-cart"}, schema), schema, surfaces=("cart store",))
    assert got == ["postgres"]
    assert unexplained_words(q, QueryFacts.of(engine, {"id": "redis-cart"}, schema), schema, surfaces=("cart store",), described={"postgres"}) == []


INCIDENTS = {
    "version": 1,
    "name": "tiny-incidents",
    "nodes": {
        "Service": {"properties": {"name": "string"}},
        "Person": {"properties": {"name": "string"}},
        "Incident": {"name_property": "title", "properties": {"title": "string", "postmortem_url": "string"}},
    },
    "edges": {
        "DEPENDS_ON": {"from": "Service", "to": "Service", "dependency": True},
        "RESPONDED_TO": {"from": "Person", "to": "Incident"},
    },
}


def test_everyday_words_for_impact_responding_and_links_are_explained() -> None:
    # The dev4 set's wording ("are hit", "worked on", "postmortem link"): each is explained by the query that answers
    # it, and only by that query.
    schema = GraphSchema.model_validate(INCIDENTS)
    spread = "MATCH (x:Service)-[:DEPENDS_ON*1..6]->(a:Service {id: $anchor}) RETURN DISTINCT x.id AS id"
    assert left("If the gateway has an outage, which services are hit?", spread, schema, {"anchor": "gateway"}, ("gateway",)) == []
    responded = "MATCH (a:Person {id: $anchor})-[r:RESPONDED_TO]->(x:Incident) RETURN DISTINCT x.id AS id"
    assert left("Which incidents has Marcus worked on?", responded, schema, {"anchor": "marcus"}, ("Marcus",)) == []
    link = "MATCH (n:Incident {id: $id}) RETURN n.postmortem_url AS postmortem_url"
    assert left("What's the postmortem link for INC-1?", link, schema, {"id": "INC-1"}, ("INC-1",)) == []
    # A query that does not read the link leaves it unexplained.
    title = "MATCH (n:Incident {id: $id}) RETURN n.title AS title"
    assert "postmortem link" in " ".join(left("What's the postmortem link for INC-1?", title, schema, {"id": "INC-1"}, ("INC-1",)))


def test_a_sort_by_id_alone_explains_no_order_word() -> None:
    # "what was the worst incident?" listed every incident: `ORDER BY id` only lists rows alphabetically.
    from opsgraph.rag.explained import _orders

    assert not _orders("MATCH (x:Incident) RETURN DISTINCT x.id AS id, x.title AS name ORDER BY id")
    assert not _orders("MATCH (x:Service) RETURN x.id AS id, x.name AS name ORDER BY id, name")
    assert _orders("MATCH (x:Incident) RETURN x.id AS id ORDER BY x.started_at DESC LIMIT 1")
    assert _orders("MATCH (x:Incident) RETURN x.id AS id ORDER BY id LIMIT 1")
    assert _orders("MATCH (x:Incident) RETURN max(x.duration_minutes) AS v")
