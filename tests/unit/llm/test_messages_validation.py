"""Messages are checked and normalised before any model sees them."""

from __future__ import annotations

import pytest

from opsgraph.llm import ChatMessage, FakeLanguageModel, LLMInputError


def test_a_string_is_one_user_turn() -> None:
    model = FakeLanguageModel("x")
    model.complete("Which services depend on redis-cart?")
    assert model.calls[0].messages == [ChatMessage(role="user", content="Which services depend on redis-cart?")]


def test_mappings_and_messages_mix() -> None:
    model = FakeLanguageModel("x")
    model.complete([{"role": "system", "content": "Be brief."}, ChatMessage(role="user", content="hi")])
    assert [m.role for m in model.calls[0].messages] == ["system", "user"]


@pytest.mark.parametrize(
    ("messages", "fragment"),
    [
        ([], "empty"),
        ([{"role": "robot", "content": "hi"}], "messages[0]"),
        ([{"role": "user"}], "messages[0]"),
        ([{"role": "user", "content": "hi", "name": "x"}], "messages[0]"),
        ([{"role": "system", "content": "rules only"}], "only system"),
        (42, "must be a string or a sequence"),
        (b"bytes", "must be a string or a sequence"),
    ],
)
def test_bad_messages_are_refused_before_the_model_runs(messages: object, fragment: str) -> None:
    model = FakeLanguageModel("x")
    with pytest.raises(LLMInputError, match=fragment.replace("[", r"\[").replace("]", r"\]")):
        model.complete(messages)  # type: ignore[arg-type]
    assert model.calls == []
