"""`FakeLanguageModel`, the scripted model other layers test against, behaves like a real provider."""

from __future__ import annotations

import json

import pytest

from opsgraph.llm import (
    FakeLanguageModel,
    GenerationSettings,
    LanguageModel,
    LLMError,
    LLMServerError,
    RawCompletion,
    StructuredOutputError,
)


def test_replies_are_used_in_order_and_calls_recorded() -> None:
    model = FakeLanguageModel(["first answer", "second"])
    assert isinstance(model, LanguageModel)
    assert [model.complete("a").text, model.complete("b", max_tokens=9).text] == ["first answer", "second"]
    assert [c.messages[0].content for c in model.calls] == ["a", "b"]
    assert model.calls[1].settings == GenerationSettings(max_tokens=9)
    with pytest.raises(LLMError, match="ran out of replies after 2"):
        model.complete("c")


def test_text_is_cut_at_max_tokens_like_a_real_model() -> None:
    out = FakeLanguageModel("one two three four five").complete("count words please", max_tokens=3)
    assert (out.text, out.completion_tokens, out.prompt_tokens, out.finish_reason, out.model) == ("one two three", 3, 3, "length", "fake")


def test_a_responder_sees_the_request() -> None:
    model = FakeLanguageModel(lambda messages, settings, schema: json.dumps({"answer": messages[-1].content.split()[-1]}))
    out = model.complete("who calls cartservice", json_schema={"type": "object", "required": ["answer"]})
    assert out.parsed == {"answer": "cartservice"}


def test_scripted_errors_and_bad_json_surface_as_real_ones() -> None:
    with pytest.raises(LLMServerError):
        FakeLanguageModel(LLMServerError("HTTP 503", http_status=503)).complete("q")
    with pytest.raises(StructuredOutputError):
        FakeLanguageModel("not json").complete("q", json_schema={"type": "object"})
    raw = RawCompletion(text="x", prompt_tokens=100, completion_tokens=1, finish_reason="stop", model="m")
    assert FakeLanguageModel(raw).complete("q").prompt_tokens == 100
