"""A question inside a chat frame ("hey team, does anyone know who owns checkout? thanks!") is answered as the bare
question is, on the real sample estate (`rag/chat_frame.py`); the trace shows what was read."""

from __future__ import annotations

from typing import Any

import pytest

PLAIN_AND_FRAMED = [
    ("Who owns checkoutservice?", "hey team, quick question - does anyone know who owns checkoutservice? thanks!"),
    ("Which services depend on paymentservice?", "any idea which services depend on paymentservice?"),
    ("Who is on call for the payments team?", "sorry to bother, can someone tell me who is on call for the payments team? asap"),
    ("How many services are critical?", "real quick: how many services are critical?"),
    ("Is there a runbook for the currency service?", "do you know is there a runbook for the currency service?"),
]


@pytest.mark.parametrize(("plain", "framed"), PLAIN_AND_FRAMED)
def test_a_framed_question_is_answered_as_the_bare_one(ask: Any, plain: str, framed: str) -> None:
    bare, chat = ask(plain), ask(framed)
    assert not bare.abstained, bare.text
    assert not chat.abstained, chat.text
    assert chat.rows == bare.rows and chat.kind == bare.kind
    frame = next(s for s in chat.trace.stages if s.name == "frame")
    assert frame.detail["asked"] == framed


def test_a_frame_around_an_unanswerable_question_is_still_abstained(ask: Any) -> None:
    a = ask("hey, does anyone know what the hostname of the checkout pod is? thx")
    assert a.abstained, a.text


def test_a_question_without_a_frame_has_no_frame_stage(ask: Any) -> None:
    a = ask("Who owns checkoutservice?")
    assert all(s.name != "frame" for s in a.trace.stages)
