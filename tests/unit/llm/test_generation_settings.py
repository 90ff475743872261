"""`GenerationSettings`: defaults, ranges, and errors as `LLMInputError`."""

from __future__ import annotations

import pytest

from opsgraph.llm import FakeLanguageModel, GenerationSettings, LLMInputError


def test_defaults_are_greedy_and_engine_defaults_elsewhere() -> None:
    s = GenerationSettings()
    assert (s.max_tokens, s.temperature) == (256, 0.0)
    assert all(getattr(s, f) is None for f in ("top_k", "top_p", "min_p", "repeat_penalty", "presence_penalty", "frequency_penalty", "stop", "seed"))


def test_a_single_stop_string_becomes_a_tuple() -> None:
    assert GenerationSettings(stop="\n").stop == ("\n",)
    assert GenerationSettings(stop=["a", "b"]).stop == ("a", "b")


@pytest.mark.parametrize(
    "changes",
    [
        {"max_tokens": 0},
        {"temperature": -0.1},
        {"temperature": 2.5},
        {"top_p": 0.0},
        {"top_p": 1.5},
        {"top_k": -1},
        {"min_p": 1.2},
        {"repeat_penalty": 0.0},
        {"presence_penalty": 3.0},
        {"frequency_penalty": -3.0},
        {"seed": -1},
        {"seed": 2**32},
        {"stop": [""]},
        {"stop": [1]},
    ],
)
def test_out_of_range_values_are_refused_by_complete(changes: dict[str, object]) -> None:
    model = FakeLanguageModel("x")
    with pytest.raises(LLMInputError) as info:
        model.complete("hi", **changes)  # type: ignore[arg-type]
    assert info.value.errors, "pydantic's details are kept"
    assert model.calls == [], "nothing reaches the model"


def test_unknown_settings_are_refused() -> None:
    with pytest.raises(LLMInputError):
        GenerationSettings().updated(temprature=0.5)


def test_updated_validates_and_leaves_the_original_alone() -> None:
    s = GenerationSettings(max_tokens=10)
    t = s.updated(temperature=0.7, seed=3)
    assert (s.temperature, t.temperature, t.seed, t.max_tokens) == (0.0, 0.7, 3, 10)
    with pytest.raises(LLMInputError):
        s.updated(max_tokens=-5)


def test_settings_are_frozen() -> None:
    with pytest.raises(ValueError):
        GenerationSettings().max_tokens = 3  # type: ignore[misc]


def test_complete_and_complete_with_pass_the_same_settings() -> None:
    model = FakeLanguageModel("x")
    model.complete("hi", max_tokens=12, temperature=0.3, top_k=5, top_p=0.9, min_p=0.1, repeat_penalty=1.1, presence_penalty=0.2, frequency_penalty=0.1, stop=["\n"], seed=9)
    settings = GenerationSettings(max_tokens=12, temperature=0.3, top_k=5, top_p=0.9, min_p=0.1, repeat_penalty=1.1, presence_penalty=0.2, frequency_penalty=0.1, stop=("\n",), seed=9)
    model.complete_with("hi", settings)
    assert model.calls[0].settings == model.calls[1].settings == settings


def test_complete_with_refuses_anything_but_settings() -> None:
    with pytest.raises(LLMInputError):
        FakeLanguageModel("x").complete_with("hi", {"max_tokens": 3})  # type: ignore[arg-type]
