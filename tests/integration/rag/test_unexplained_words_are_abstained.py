"""On the library estate (a domain opsgraph was not built around; real embedded store): a question with a word no
query explains is abstained from, naming the word, instead of being answered by the only edge that joins the types.

Why: "Who has had Dune out?" was answered with Dune's author (WROTE is the only edge from a person type to books
that compose picked), as sure-looking as a right answer. The same questions with the relation named are answered.
The session's shared home (conftest.py); a hashing embedder stands in for MiniLM so the module stays fast.
"""

from __future__ import annotations

from typing import Any


def test_a_relation_the_question_does_not_name_is_not_guessed(library_ask: Any) -> None:
    a = library_ask("Who has had Dune out?")
    assert a.abstained and not a.rows, a.text
    assert "'out'" in a.text  # the abstention says which word no query explained


def test_the_same_entity_with_its_relation_named_is_answered(library_ask: Any) -> None:
    wrote = library_ask("Who wrote Dune?")
    assert not wrote.abstained and {r["id"] for r in wrote.rows} == {"herbert"}
    stock = library_ask("Which branches stock The Hobbit?")
    assert not stock.abstained and {r["id"] for r in stock.rows} == {"central-library", "eastbury", "northgate", "riverside"}


def test_a_qualifier_no_query_filters_on_is_abstained(library_ask: Any) -> None:
    for q, word in (("How many e-books do we have?", "'e-books'"), ("Which pre-1900 books does Old Town hold?", "'pre-1900'")):
        a = library_ask(q)
        assert a.abstained, (q, a.text, a.cypher)
        assert word in a.text, (q, a.text)
