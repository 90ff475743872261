"""On the sample estate (real embedded store): everyday phrases whose words alone mean something else are read as
what they mean: "at the moment" is now, "pager duty" is being on call, an "e-mail address" is the email property.

Why: each was abstained from with its odd word named ("'moment'", "'duty'", "'address'") although the graph holds
the answer; the same questions in the schema's own words were answered.
"""

from __future__ import annotations

from typing import Any

from opsgraph.rag.lexicon import plain_idioms

ON_CALL_FOR_ORDERS = {"marcus.bell", "tomasz.nowak"}  # edges/ON_CALL_FOR.yaml


def test_idioms_keep_every_offset() -> None:
    for text in ("Is Rachel on call at the moment?", "who has pager duty for orders", "Sam's e-mail address?"):
        assert len(plain_idioms(text)) == len(text)
    assert "moment" not in plain_idioms("Is Rachel on call at the moment?")


def test_at_the_moment_is_now(ask: Any) -> None:
    a = ask("Is Rachel Kim on call at the moment?")
    assert not a.abstained and {r["id"] for r in a.rows} == {"team-payments"}, a.text


def test_pager_duty_is_on_call(ask: Any) -> None:
    a = ask("who has pager duty for orders?")
    assert not a.abstained, a.text
    assert {r["person"] for r in a.rows} == ON_CALL_FOR_ORDERS and a.rows[0]["rotation"] == "primary"


def test_an_email_address_is_the_email(ask: Any) -> None:
    a = ask("What is the e-mail address of sam.taylor?")
    assert not a.abstained and a.rows and a.rows[0].get("email") == "sam.taylor@boutique.example", a.text


def test_a_word_the_idiom_does_not_cover_still_refuses(ask: Any) -> None:
    a = ask("what is the home address of sam.taylor?")
    assert a.abstained and "'address'" in a.text
