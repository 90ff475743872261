"""On-call, ownership and contact questions in everyday words, on the real sample estate and the library catalogue:
answered as their plain wording is (`opsgraph.rag.people_words`), and abstained where the schema has no such thing."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.mark.parametrize(
    ("everyday", "plain"),
    [
        ("who's covering checkout right now?", "who's on call for checkout?"),
        ("who is covering for the payments team this week?", "who is on call for the payments team?"),
        ("who covers the email-retry queue?", "who is on call for the email-retry queue?"),
        ("who's on the hook for the cart service?", "who is on call for the cart service?"),
        ("who is the orders db covered by?", "who is on call for the orders db?"),
        ("which team is Sam Taylor covering?", "which team is Sam Taylor on call for?"),
        ("redis-cart is looked after by whom?", "who owns redis-cart?"),
        ("which team is the catalog cache covered by?", "which team owns the catalog cache?"),
        ("which team covers the catalog cache?", "which team owns the catalog cache?"),
        ("who's the go-to team for the orders db?", "which team owns the orders db?"),
        ("who is the point of contact for the ECB rates feed?", "which team owns the ECB rates feed?"),
        ("which team should I ping about the fraud-alerts queue?", "which team owns the fraud-alerts queue?"),
        ("who's accountable for the payment gateway?", "which team owns the payment gateway?"),
        ("what channel do I use to reach the payments team?", "what's the slack channel of the payments team?"),
        ("who works on the payments team?", "who is a member of the payments team?"),
    ],
)
def test_an_everyday_phrase_is_answered_as_the_plain_one(ask: Any, everyday: str, plain: str) -> None:
    a, b = ask(everyday), ask(plain)
    assert not b.abstained, b.text
    assert not a.abstained, a.text
    assert a.rows == b.rows


@pytest.mark.parametrize(
    "question",
    [
        "who covered for the payments team last week?",
        "who's covering the payment gateway next week?",
        "who was covering checkout during INC-2041?",
    ],
)
def test_another_time_is_abstained(ask: Any, question: str) -> None:
    a = ask(question)
    assert a.abstained, a.text


def test_a_runbook_that_covers_a_component_is_no_rota(ask: Any) -> None:
    a = ask("which runbook covers checkout?")
    assert not a.abstained and a.kind != "page", a.text


@pytest.mark.parametrize("question", ["who's covering the Riverside branch?", "who's on the hook for the Riverside branch?"])
def test_a_schema_without_a_rota_abstains(library_ask: Any, question: str) -> None:
    a = library_ask(question)
    assert a.abstained, a.text
