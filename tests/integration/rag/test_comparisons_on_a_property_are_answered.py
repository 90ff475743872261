"""On the library estate (a schema the answering code was not built around; real embedded store): a type filtered by a
comparison of one of its number or date properties with a number ("opened before 1950", "more than 600 pages", "born
between 1920 and 1929"), or cut at the k largest or smallest ("the two oldest publishers"), is answered from the schema's property types and descriptions; a comparison whose property no
word names, or one that comes with a word the query does not explain, is abstained from.
The session's shared home (conftest.py); a hashing embedder stands in for MiniLM so the module stays fast.
"""

from __future__ import annotations

from typing import Any


def test_a_number_property_compared_is_answered(library_ask: Any) -> None:
    opened = library_ask("Which branches opened before 1950?")
    assert not opened.abstained, opened.text
    assert {r["id"] for r in opened.rows} == {"central-library", "old-town"}
    born = library_ask("Which authors were born between 1920 and 1929?")
    assert {r["id"] for r in born.rows} == {"asimov", "bradbury", "garcia-marquez", "harper-lee", "herbert", "le-guin"}, born.text
    long = library_ask("How many books have more than 600 pages?")
    assert not long.abstained and long.rows == [{"n": 4}], long.text


def test_a_date_property_compared_with_a_year_is_answered(library_ask: Any) -> None:
    # `joined` is ISO-8601 text: "in 2020 or later" is from the year's first day on.
    joined = library_ask("Which members joined since 2024?")
    assert not joined.abstained, joined.text
    assert joined.rows and all(r["joined"] >= "2024-01-01" for r in joined.rows)


def test_a_property_named_by_its_description_is_answered(library_ask: Any) -> None:
    # `rating`: "Average rating members gave the book" (so 'members' and 'rate' are its words, not the Member type).
    rated = library_ask("Which books do members rate 4.5 or above?")
    assert {r["id"] for r in rated.rows} == {"becoming", "the-hobbit", "the-return-of-the-king"}, rated.text


def test_the_top_k_by_a_property_is_answered_in_order(library_ask: Any) -> None:
    oldest = library_ask("Which two publishers are the oldest?")
    assert [r["id"] for r in oldest.rows] == ["houghton-mifflin", "beacon-press"], oldest.text
    seats = library_ask("Which two branches have the most seats?")
    assert [r["id"] for r in seats.rows] == ["central-library", "riverside"], seats.text


def test_near_misses_are_abstained(library_ask: Any) -> None:
    for q in (
        "Which books were translated before 1850?",
        "Which books do members review 4.5 or higher?",
        "Which branches opened after the war?",
        "What are our two longest books?",
        "Which two authors are the oldest?",
    ):
        a = library_ask(q)
        assert a.abstained and not a.rows, (q, a.text, a.cypher)
