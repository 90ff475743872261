"""Everyday words for owning and for the on-call rota, on the real sample estate: "who runs X", "in charge of",
"run/maintained by", "on the rota for", "holding the pager for" are answered as "owns"/"on call for" are
(`lexicon.EVERYDAY_RELATION_PHRASES`, `lexicon.EVERYDAY_IDIOMS`, `contexted.py`)."""

from __future__ import annotations

from typing import Any

import pytest


def _ids(answer: Any, col: str = "id") -> set[str]:
    return {str(r.get(col)) for r in answer.rows}


@pytest.mark.parametrize(
    ("everyday", "plain"),
    [
        ("Who runs redis-cart?", "Who owns redis-cart?"),
        ("Which team is in charge of the currency service?", "Which team owns the currency service?"),
        ("who's in charge of the orders database", "who owns the orders database"),
        ("which services are run by fulfilment?", "which services are owned by fulfilment?"),
        ("which services are maintained by fulfilment?", "which services are owned by fulfilment?"),
        ("Which teams is Tomasz Nowak holding the pager for?", "Which teams is Tomasz Nowak on call for?"),
    ],
)
def test_an_everyday_phrase_is_answered_as_the_plain_one(ask: Any, everyday: str, plain: str) -> None:
    a, b = ask(everyday), ask(plain)
    assert not b.abstained, b.text
    assert not a.abstained, a.text
    assert a.rows == b.rows


def test_on_the_rota_pages_as_on_call_does(ask: Any) -> None:
    a, b = ask("Who's on the rota for the orders database?"), ask("Who's on call for the orders database?")
    assert a.kind == b.kind == "page"
    assert a.rows == b.rows


def test_run_as_a_platform_is_not_ownership(ask: Any) -> None:
    a = ask("what does redis-cart run on?")
    assert a.abstained or "owns" not in (a.cypher or "").lower().replace("_", ""), a.text
