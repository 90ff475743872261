"""An incident named the way people remember it ("the gemini quota thing", "the one where carts emptied", "the catalog
retry storm") is answered right on the real sample estate; words several incidents share name none of them
(`rag/remembered.py`)."""

from __future__ import annotations

from typing import Any


def _values(answer: Any) -> list[Any]:
    return [v for r in answer.rows for v in r.values()]


def test_title_words_and_a_placeholder_name_one_incident(ask: Any) -> None:
    a = ask("what caused the gemini quota thing?")
    assert not a.abstained, a.text
    assert {r.get("id") for r in a.rows} == {"gemini-api"}
    a = ask("the one where carts emptied - how long did it last?")
    assert not a.abstained, a.text
    assert _values(a)[-1] == 88
    a = ask("when did the exchange rate thing start?")
    assert not a.abstained, a.text
    assert "2026-01-27T09:10:00Z" in a.text


def test_a_bare_run_of_title_words_names_one_incident(ask: Any) -> None:
    a = ask("how many components did the catalog retry storm hit?")
    assert not a.abstained, a.text
    assert _values(a) == [5]


def test_which_incident_was_it(ask: Any) -> None:
    a = ask("which incident was the rdb snapshot fork one?")
    assert not a.abstained, a.text
    assert [r.get("id") for r in a.rows] == ["INC-2097"]


def test_words_several_incidents_share_are_no_one_incident(ask: Any) -> None:
    # "cart redis" is in the titles of four incidents: none of them is picked.
    a = ask("how long did the cart redis thing last?")
    assert a.abstained or not any(str(r.get("id", "")).startswith("INC-") for r in a.rows), a.text
