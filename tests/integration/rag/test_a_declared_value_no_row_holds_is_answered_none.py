"""A value the schema declares but no row holds is asked for and answered "none" with the filter said, on the real
sample estate: every incident there is resolved, and `status` is described "'resolved' or 'open'"
(`schema.words.declared_values`, `rag/answering.py`). An example value ("e.g. 'v0.10.2'") is no such value."""

from __future__ import annotations

from typing import Any


def test_open_incidents_are_none_with_the_filter_said(ask: Any) -> None:
    a = ask("any open incidents?")
    assert not a.abstained, a.text
    assert a.rows == [] and "status open" in a.text and a.text.startswith("None")
    a = ask("how many incidents are open?")
    assert not a.abstained, a.text
    assert [r.get("n") for r in a.rows] == [0] and "status open" in a.text


def test_a_held_value_still_answers_with_rows_and_says_its_filter(ask: Any) -> None:
    a = ask("how many sev2 incidents are there?")
    assert not a.abstained, a.text
    assert [r.get("n") for r in a.rows] == [6] and "severity sev2" in a.text


def test_an_example_value_is_not_a_declared_one(ask: Any) -> None:
    a = ask("which services run version v0.10.2?")
    assert a.abstained or a.rows, a.text
