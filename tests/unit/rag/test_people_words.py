"""Everyday on-call, ownership and contact phrases are read as the plain words the graph steps read
(`opsgraph.rag.people_words`), and only where their context says which they are."""

from __future__ import annotations

import pytest

from opsgraph.rag.people_words import plain_people_words


def _plain(text: str) -> str:
    return " ".join(plain_people_words(text).split())


@pytest.mark.parametrize(
    ("everyday", "plain"),
    [
        ("who's covering checkout right now?", "who's on call for checkout right now?"),
        ("who is covering for the payments team this week?", "who is on call for the payments team this week?"),
        ("anyone covering the ledger db?", "anyone on call for the ledger db?"),
        ("which team is Sam Taylor covering?", "which team is Sam Taylor on call for?"),
        ("who's covering?", "who's on call ?"),
        ("who covers checkout?", "who is on call for checkout?"),
        ("who's on the hook for the cart service?", "who's on call for the cart service?"),
        ("who is the orders db covered by?", "who is on call for the orders db?"),
        ("the orders db is covered by whom?", "who is on call for the orders db?"),
    ],
)
def test_being_on_call_in_everyday_words(everyday: str, plain: str) -> None:
    assert _plain(everyday) == plain


@pytest.mark.parametrize(
    ("everyday", "plain"),
    [
        ("redis-cart is looked after by whom?", "redis-cart is owned by whom?"),
        ("what is taken care of by platform?", "what is owned by platform?"),
        ("the email service is the responsibility of which team?", "the email service is owned by which team?"),
        ("which team is the catalog cache covered by?", "which team is the catalog cache owned by ?"),
        ("the orders db is covered by which team?", "the orders db is owned by which team?"),
        ("which team covers the catalog cache?", "which team owns the catalog cache?"),
        ("who's accountable for the payment gateway?", "who's responsible for the payment gateway?"),
        ("who's the go-to team for the orders db?", "who's the team that owns the orders db?"),
        ("who is the point of contact for the ECB rates feed?", "who is the owner of the ECB rates feed?"),
        ("which team should I ping about the fraud-alerts queue?", "which team owns the fraud-alerts queue?"),
    ],
)
def test_owning_in_everyday_words(everyday: str, plain: str) -> None:
    assert _plain(everyday) == plain


@pytest.mark.parametrize(
    ("everyday", "plain"),
    [
        ("what channel do I use to reach the payments team?", "what channel of the payments team?"),
        ("what's the best channel for contacting catalog?", "what's the best channel of catalog?"),
        ("who works on the payments team?", "who is member of the payments team?"),
        ("who is working in the catalog squad?", "who is member of the catalog squad?"),
        ("which incidents touched the cart service?", "which incidents affected the cart service?"),
        ("which services did INC-2101 touch?", "which services did INC-2101 affect?"),
    ],
)
def test_reaching_and_working_on_a_team(everyday: str, plain: str) -> None:
    assert _plain(everyday) == plain


@pytest.mark.parametrize(
    "kept",
    [
        "which runbook covers checkout?",  # a runbook covers a topic
        "which runbooks are covering redis-cart?",
        "who is checkout covered by in the runbook?",
        "who should I ping about the orders db?",  # paging, read by `shape.py`
        "what's the contact for the payments team?",  # the contact property
        "who worked on INC-2041?",  # responding to an incident, not membership
        "who works at the Riverside branch?",
        "who covered for the payments team last week?",  # the past: not the current rota
        "who to contact for checkout?",
        "who last touched the checkout service config?",  # no incident named
    ],
)
def test_other_uses_of_the_words_are_kept(kept: str) -> None:
    assert plain_people_words(kept) == kept


def test_offsets_are_kept_when_the_plain_words_are_shorter() -> None:
    for text in ("redis-cart is looked after by whom?", "who's on the hook for the cart service?", "which team should I ping about X?"):
        assert len(plain_people_words(text)) == len(text)
