"""What `BaseLanguageModel` does around a provider's `_complete`: timing, tokens, errors, JSON mode."""

from __future__ import annotations

import time

import pytest

from opsgraph.llm import (
    BaseLanguageModel,
    Completion,
    FakeLanguageModel,
    LanguageModel,
    LLMContextError,
    LLMError,
    LLMInputError,
    RawCompletion,
    StructuredOutputError,
)


def raw(text: str, *, prompt: int = 7, completion: int = 3, finish: str = "stop") -> RawCompletion:
    return RawCompletion(text=text, prompt_tokens=prompt, completion_tokens=completion, finish_reason=finish)

ANSWER = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}


def test_completion_carries_text_tokens_latency_model_and_reason() -> None:
    def slow(*_: object) -> RawCompletion:
        time.sleep(0.02)
        return raw("paymentservice", prompt=40, completion=4, finish="stop")

    out = FakeLanguageModel(slow, name="tiny").complete("q")
    assert isinstance(out, Completion)
    assert (out.text, out.prompt_tokens, out.completion_tokens, out.model, out.finish_reason, out.parsed) == ("paymentservice", 40, 4, "tiny", "stop", None)
    assert out.latency_ms >= 20
    assert out.tokens_per_second == pytest.approx(4 / (out.latency_ms / 1000))


def test_the_engine_reported_model_name_wins() -> None:
    reply = RawCompletion(text="x", prompt_tokens=1, completion_tokens=1, finish_reason="stop", model="served-name")
    assert FakeLanguageModel(reply, name="configured").complete("q").model == "served-name"


def test_unexpected_errors_become_llm_errors_with_the_cause() -> None:
    boom = RuntimeError("segfault-ish")
    with pytest.raises(LLMError, match="scripted: generation failed: RuntimeError: segfault-ish") as info:
        FakeLanguageModel(boom, name="scripted").complete("q")
    assert info.value.__cause__ is boom


def test_opsgraph_errors_pass_through_unchanged() -> None:
    err = LLMContextError("too long")
    with pytest.raises(LLMContextError) as info:
        FakeLanguageModel(err).complete("q")
    assert info.value is err


def test_json_mode_parses_and_validates() -> None:
    model = FakeLanguageModel(raw('{"answer": "checkoutservice"}'))
    out = model.complete("q", json_schema=ANSWER)
    assert out.parsed == {"answer": "checkoutservice"}
    assert model.calls[0].json_schema == ANSWER, "the schema reaches the provider"


def test_json_mode_refuses_text_that_is_not_json() -> None:
    with pytest.raises(StructuredOutputError, match="not JSON") as info:
        FakeLanguageModel(raw("The answer is checkoutservice")).complete("q", json_schema=ANSWER)
    assert info.value.text == "The answer is checkoutservice"


def test_json_mode_says_when_max_tokens_cut_the_json() -> None:
    with pytest.raises(StructuredOutputError, match="max_tokens=8"):
        FakeLanguageModel(raw('{"answer": "check', finish="length")).complete("q", json_schema=ANSWER, max_tokens=8)


def test_json_mode_refuses_json_that_breaks_the_schema() -> None:
    with pytest.raises(StructuredOutputError, match=r"\$\.answer: required property is missing") as info:
        FakeLanguageModel(raw('{"reply": "x"}')).complete("q", json_schema=ANSWER)
    assert info.value.problems == ["$.answer: required property is missing"]


def test_an_unusable_schema_is_refused_before_the_model_runs() -> None:
    model = FakeLanguageModel(raw("{}"))
    with pytest.raises(LLMInputError, match="'if' is not supported"):
        model.complete("q", json_schema={"type": "object", "if": {"required": ["a"]}})
    assert model.calls == []


def test_providers_satisfy_the_protocol_and_are_context_managers() -> None:
    model = FakeLanguageModel(raw("x"))
    assert isinstance(model, LanguageModel)
    with model as m:
        assert m is model
    assert repr(model) == "FakeLanguageModel(name='fake')"


def test_a_provider_must_implement_complete() -> None:
    class Half(BaseLanguageModel):
        pass

    with pytest.raises(TypeError):
        Half("half")  # type: ignore[abstract]
