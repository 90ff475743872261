"""On the sample estate (real embedded store): when no step tried a query, the abstention still says why: no entity
named, words the schema has no relation or property for, or relations found but no query of the question's shape;
and a question for the documents that no section answers says that too.

Why: a third of the abstentions on the question sets said only "I can't answer that from the graph": the user could
not tell whether to reword, name the component differently, or ask the schema's owner for a property.
"""

from __future__ import annotations

from typing import Any


def _why(text: str) -> str:
    return next(line for line in text.splitlines() if line.startswith("Why:"))


def test_words_the_schema_does_not_hold_are_named(ask: Any) -> None:
    a = ask("which box runs the orders db? rack please")
    assert a.abstained and not a.rows
    why = _why(a.text)
    assert "no relation, property or type for" in why and "'rack'" in why


def test_nothing_named_is_said(ask: Any) -> None:
    a = ask("which of the frobnicators were decommissioned?")
    assert a.abstained
    assert "names no component, person or team" in _why(a.text)


def test_relations_found_without_a_fitting_query_are_said(ask: Any) -> None:
    # "fx" is a two-letter alias, not linked: the timeout between two components cannot be read for one.
    a = ask("what timeout does checkout use for fx?")
    assert a.abstained
    why = _why(a.text)
    assert "no query over" in why and "'checkout' (Service)" in why and "timeout_ms" in why


def test_a_runbook_question_no_section_answers_says_so(ask: Any) -> None:
    a = ask("how do I rotate the TLS certificates for the search cluster?")
    assert a.abstained and not a.sections
    assert "quote: no section of the documents holds enough of the question's words" in _why(a.text)


def test_both_the_graph_and_the_documents_say_why(ask: Any) -> None:
    why = _why(ask("what's the disk size of the orders db?").text)
    assert "'disk'" in why and "quote:" in why
