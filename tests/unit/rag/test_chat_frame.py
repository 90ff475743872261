"""The question inside a chat message (`rag/chat_frame.py`): frames removed, meaning kept, nothing guessed."""

from __future__ import annotations

import pytest

from opsgraph.rag.chat_frame import unframed


@pytest.mark.parametrize(
    ("message", "question"),
    [
        ("hey team, quick question - who owns checkout?", "Who owns checkout?"),
        ("hi all - morning folks: who owns frontend?", "Who owns frontend?"),
        ("does anyone know who is on call for payments?", "Who is on call for payments?"),
        ("do you happen to know which services use redis", "Which services use redis?"),
        ("any idea how many services are critical?", "How many services are critical?"),
        ("can someone tell me who is primary for orders? thanks!", "Who is primary for orders?"),
        ("i need to know which services use redis pls", "Which services use redis?"),
        ("sorry to bother, who's on call for orders :)", "Who's on call for orders?"),
        ("Q: who owns checkout?", "Who owns checkout?"),
        ("ok so who is primary", "Who is primary?"),
        ("who owns checkout - anyone?", "Who owns checkout?"),
        ("quick q: how many services are critical? asap", "How many services are critical?"),
        ("hey, Which services depend on paymentservice?", "Which services depend on paymentservice?"),
        ("wondering what the ledger db runs on", "What the ledger db runs on?"),
        ("can you tell me is there a runbook for the currency service?", "Is there a runbook for the currency service?"),
        ("remind me is anyone on call for the gemini api?", "Is anyone on call for the gemini api?"),
        ("real quick: critical services without a runbook", "Critical services without a runbook?"),
        ("Is there a runbook for the currency service if you know", "Is there a runbook for the currency service?"),
        ("who owns the ledger db by any chance?", "Who owns the ledger db?"),
        ("do you know tech lead for storefront?", "Tech lead for storefront?"),
        ("tech lead for storefront anyone?", "Tech lead for storefront?"),
        ("ok so ledger db disk filling up, what's the impact?", "Ledger db disk filling up, what's the impact?"),
        ("ok so does any team own more than 5 services?", "Does any team own more than 5 services?"),
        ("trying to figure out catalog db is out of connections, what do I do", "Catalog db is out of connections, what do I do?"),
    ],
)
def test_the_frame_is_removed(message: str, question: str) -> None:
    assert unframed(message) == question


@pytest.mark.parametrize(
    ("message", "question"),
    [
        ("do you know if the ledger db is managed?", "Is the ledger db managed?"),
        ("does anyone know whether checkout has an owner?", "Does checkout have an owner?"),
        ("any idea if the orders topic has been paged?", "Has the orders topic been paged?"),
    ],
)
def test_an_indirect_yes_no_question_with_be_or_have_is_made_direct(message: str, question: str) -> None:
    assert unframed(message) == question


@pytest.mark.parametrize(
    "message",
    [
        "Who owns checkout?",  # no frame
        "Is payments owned by someone?",  # "someone" is the question's, not a chat tail
        "does checkout depend on anyone?",
        "So the cart is down?",
        "What is the security tier of checkout?",
        "Team payments: who is on call?",  # a team named, not an addressee
        "Tell me about checkout",  # "about": left to the card path
        "remind me to check the cart cache",
        "any idea whether payments calls fraud?",  # an indirect yes/no with a full verb: left framed, not guessed
        "Does anyone own the ledger db?",  # "does anyone" asks the question itself
    ],
)
def test_what_is_not_a_frame_is_kept(message: str) -> None:
    assert unframed(message) == message


def test_a_word_ending_like_a_chat_tail_is_kept() -> None:
    assert unframed("which services have a security tier ty") == "Which services have a security tier?"
    assert unframed("show the services owned by the security team") == "show the services owned by the security team"
