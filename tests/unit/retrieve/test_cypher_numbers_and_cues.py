"""Numbers carried from a reused example into the question's query, cue words that rerank examples, value forms."""

from __future__ import annotations

import re
from typing import Any

from memory_store import MemoryStore
from opsgraph.errors import QueryError
from opsgraph.llm import FakeLanguageModel
from opsgraph.retrieve.text2cypher import CypherPair, CypherWriter, ExampleIndex, PromptStyle, Slot, SlotFinder, adapt_numbers, find_numbers
from opsgraph.retrieve.text2cypher.cues import cue_score, fit_answer_kind, query_cues, question_cues, unasked_property
from opsgraph.store.base import QueryResult


def pair(template: str, cypher: str, slots: tuple[Slot, ...] = (), pattern: str = "range") -> CypherPair:
    return CypherPair(
        question=template, template=template, cypher=cypher, params={s.name: s.value for s in slots}, slots=slots,
        pattern=pattern, shape=f"{pattern}:x", phrasing=f"{pattern}/0", rows=1,
    )  # fmt: skip


def test_numbers_digits_words_dates_but_not_parameters_or_ids() -> None:
    found = find_numbers("Top three of $p0 with more than 1,200 pages, 4.5 stars, since 2023-06-06 (INC-2041)")
    assert [n.value for n in found] == [3, 1200, 4.5, "2023-06-06"]
    assert [n.kind for n in found] == ["number", "number", "number", "date"]


def test_the_examples_numbers_become_the_questions_as_parameters() -> None:
    got = adapt_numbers(
        "MATCH (x:Book) WHERE x.year < 1955 RETURN x.id AS id", "Which books have a year below 1955?", "Books from before 1850?"
    )
    assert got == ("MATCH (x:Book) WHERE x.year < $n0 RETURN x.id AS id", {"n0": 1850})
    top = adapt_numbers("MATCH (x:B) RETURN x.id AS id ORDER BY x.r DESC LIMIT 2", "Which 2 books rate highest?", "The three best books?")
    assert top == ("MATCH (x:B) RETURN x.id AS id ORDER BY x.r DESC LIMIT $n0", {"n0": 3})
    dated = adapt_numbers(
        "MATCH (m:M) WHERE m.joined > '2023-06-06' RETURN m.id AS id", "joined after 2023-06-06", "joined after 2024-01-31"
    )
    assert dated == ("MATCH (m:M) WHERE m.joined > $n0 RETURN m.id AS id", {"n0": "2024-01-31"})
    hops = adapt_numbers("MATCH (a {id: $p0})-[:D*1..6]->(x) RETURN x.id AS id", "What does $p0 need?", "What does $p0 need?")
    assert hops == ("MATCH (a {id: $p0})-[:D*1..6]->(x) RETURN x.id AS id", {}), "hop bounds are not the question's numbers"


def test_numbers_that_do_not_line_up_refuse_the_reuse() -> None:
    cypher = "MATCH (x:Book) WHERE x.year > 1955 RETURN x.id AS id"
    assert adapt_numbers(cypher, "Books after 1955?", "Books between 1900 and 1950?") is None, "count differs"
    assert adapt_numbers(cypher, "Books after 1955?", "Books after 2020-01-01?") is None, "a date is not a number"
    assert adapt_numbers(cypher, "Books after 1960?", "Books after 1900?") is None, "the example's number is not in its query"


def test_cue_words_read_directions_aggregates_and_negation() -> None:
    assert {"lt"} <= question_cues("Which books were published before 1850?")
    assert {"gt"} <= question_cues("Which books do members rate 4.5 or higher?")
    assert {"count", "not"} <= question_cues("How many members have never borrowed a book?")
    assert "max" not in question_cues("Which services have more than 3 dependencies?"), "a comparison, not an order"
    assert query_cues("MATCH (x:B) WHERE x.year < 1955 RETURN x.id AS id") == {"lt"}
    assert query_cues("MATCH (x)-[:R]->(y) WHERE x.a >= 1 AND x.a <= 3 RETURN count(y) AS n") == {"between", "count"}
    assert query_cues("MATCH (x:M) WHERE NOT (x)-[:B]->() AND x.n IS NOT NULL RETURN x.id ORDER BY x.n DESC") == {"not", "max"}
    assert query_cues("MATCH (x:M) WHERE x.n IS NOT NULL RETURN x.id AS id") == frozenset()
    before = question_cues("Which books were published before 1850?")
    assert cue_score(before, query_cues("MATCH (x:B) WHERE x.year < 1955 RETURN x.id")) > cue_score(
        before, query_cues("MATCH (x:B) WHERE x.year > 1955 RETURN x.id")
    )


def test_cues_rerank_examples_of_the_same_topic() -> None:
    above = pair("Which books have a year above 1955?", "MATCH (x:Book) WHERE x.year > 1955 RETURN x.id AS id")
    below = pair("Which books have a year below 1955?", "MATCH (x:Book) WHERE x.year < 1955 RETURN x.id AS id")
    index = ExampleIndex([above, below])
    assert index.nearest("Which books were published earlier than 1850?", (), 1) == [below]
    assert index.nearest("Which books came out later than 1850?", (), 1) == [above]


def engine_error(_: re.Match[str], __: Any) -> QueryResult:
    raise QueryError("Invalid input", cypher="")


def book_store() -> MemoryStore:
    """Answers the one query the example should become; anything else is an engine error."""
    return (MemoryStore().answer(r"x\.year < \$n0", lambda _m, _p: QueryResult(columns=["id"], rows=[{"id": "emma"}]))
            .answer(r"", engine_error))


def test_reuse_first_runs_the_fitting_example_with_the_questions_number_and_the_model_writes_the_rest() -> None:
    below = pair("Which books have a year below 1955?", "MATCH (x:Book) WHERE x.year < 1955 RETURN x.id AS id")
    model = FakeLanguageModel(["MATCH (x:Book) WHERE x.year < 1850 RETURN x.id AS id"])
    store = book_store()
    writer = CypherWriter(
        store, model, "schema", examples=ExampleIndex([below]), style=PromptStyle(k=1, grammar=False), reuse=True, max_attempts=1
    )  # type: ignore[arg-type]
    out = writer.write("Which books came out before 1850?")
    assert out.ok and out.source == "example" and out.reused == below.template and not model.calls
    assert (store.calls[-1]["cypher"], store.calls[-1]["params"]) == ("MATCH (x:Book) WHERE x.year < $n0 RETURN x.id AS id LIMIT 50", {"n0": 1850})
    assert out.trace()["params"] == {"n0": 1850}
    out = writer.write("Which books came out between 1800 and 1850?")
    assert out.source == "model" and len(model.calls) == 1, "two numbers do not fit the example's one: the model writes"


def test_values_match_in_the_plural_and_across_separators() -> None:
    finder = SlotFinder(None, {"audiobook": (("Book.format", "audiobook"),), "branch manager": (("Staff.role", "Branch Manager"),),
                               "on call": (("Person.status", "on call"),)})  # fmt: skip
    q = finder.find("Which audiobooks do the branch managers like, and who is on-call?")
    assert q.template == "Which $p0 do the $p1 like, and who is $p2?"
    assert q.params == {"p0": "audiobook", "p1": "Branch Manager", "p2": "on call"}


def test_a_property_the_question_never_names_is_not_its_answer_and_how_many_counts_a_list() -> None:
    assert unasked_property("What did $p0 write?", "MATCH (x:Author {id: $p0}) RETURN x.name AS value")
    assert not unasked_property("When does $p0 close?", "MATCH (x:Branch {id: $p0}) RETURN x.closes_at AS value")
    assert not unasked_property("What did $p0 write?", "MATCH (:Author {id: $p0})-[:WROTE]->(x:Book) RETURN DISTINCT x.id AS id")
    listing = "MATCH (x:Member)-[:BORROWED]->(:Book)-[:IN_GENRE]->(:Genre {id: $p0}) RETURN DISTINCT x.id AS id"
    counted = fit_answer_kind(listing, question_cues("How many different people have borrowed $p0?"))
    assert counted == "MATCH (x:Member)-[:BORROWED]->(:Book)-[:IN_GENRE]->(:Genre {id: $p0}) RETURN count(DISTINCT x) AS n"
    assert fit_answer_kind(listing, question_cues("Who borrowed $p0?")) == listing
    assert fit_answer_kind("MATCH (x:B) RETURN x.id AS id, x.r AS value", question_cues("How many $p0?")).endswith("x.r AS value")
