"""`LlamaCppModel` around a stand-in `llama_cpp`: no I/O before open, hash check, one load per key, parameter mapping."""

from __future__ import annotations

import hashlib
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from opsgraph.llm import (
    ChatMessage,
    LlamaCppModel,
    LLMContextError,
    LLMError,
    LLMInputError,
    LLMSetupError,
    ModelIntegrityError,
    llamacpp,
    loaded_models,
    unload_models,
)


def fake_llama_cpp(*, fail_load: bool = False, response_text: str = "ok") -> types.ModuleType:
    """A module shaped like `llama_cpp` for the parts `LlamaCppModel` touches; records every call."""
    module = types.ModuleType("llama_cpp")
    module.loads = []  # type: ignore[attr-defined]
    module.calls = []  # type: ignore[attr-defined]

    class Llama:
        def __init__(self, **kwargs: Any) -> None:
            if fail_load:
                raise ValueError("Failed to load model from file")
            module.loads.append(kwargs)  # type: ignore[attr-defined]

        def create_chat_completion(self, **kwargs: Any) -> dict[str, Any]:
            module.calls.append(kwargs)  # type: ignore[attr-defined]
            if kwargs["messages"][-1]["content"] == "overflow":
                raise ValueError("Requested tokens (5000) exceed context window of 2048")
            return {
                "choices": [{"message": {"role": "assistant", "content": response_text}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 11, "completion_tokens": 2, "total_tokens": 13},
            }

    class LlamaGrammar:
        def __init__(self, source: str) -> None:
            self.source = source

        @classmethod
        def from_json_schema(cls, json_schema: str, verbose: bool = True) -> LlamaGrammar:
            if verbose:
                raise AssertionError("grammar built with verbose=True would print to stderr")
            return cls(json_schema)

        @classmethod
        def from_string(cls, grammar: str, verbose: bool = True) -> LlamaGrammar:
            if verbose:
                raise AssertionError("grammar built with verbose=True would print to stderr")
            if "::=" not in grammar:
                raise ValueError("parse: error parsing grammar")
            return cls(grammar)

    module.Llama = Llama  # type: ignore[attr-defined]
    module.LlamaGrammar = LlamaGrammar  # type: ignore[attr-defined]
    return module


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[types.ModuleType]:
    module = fake_llama_cpp(response_text='{"answer": "cartservice"}')
    monkeypatch.setitem(sys.modules, "llama_cpp", module)
    llamacpp._grammar.cache_clear()
    unload_models()
    yield module
    unload_models()
    llamacpp._grammar.cache_clear()


@pytest.fixture
def gguf(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.gguf"
    path.write_bytes(b"GGUF not really a model")
    return path


def test_constructor_does_no_io() -> None:
    model = LlamaCppModel("/nowhere/model.gguf", sha256="a" * 64)
    assert model.name == "model"
    assert not model.is_open


@pytest.mark.parametrize(
    "kwargs",
    [{"sha256": "xyz"}, {"sha256": "a" * 63}, {"n_ctx": 128}, {"n_ctx": 1000}, {"n_ctx": 2048.0}, {"n_threads": 0}, {"n_threads": True}],
)
def test_bad_arguments_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(LLMInputError):
        LlamaCppModel("m.gguf", **kwargs)  # type: ignore[arg-type]


def test_missing_engine_names_the_extra(monkeypatch: pytest.MonkeyPatch, gguf: Path) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # makes `import llama_cpp` fail
    with pytest.raises(LLMSetupError, match=r"pip install 'opsgraph\[llm\]'"):
        LlamaCppModel(gguf).open()


def test_missing_file_is_named(fake: types.ModuleType, tmp_path: Path) -> None:
    with pytest.raises(LLMSetupError, match="does not exist"):
        LlamaCppModel(tmp_path / "absent.gguf").open()


def test_wrong_hash_is_refused_before_loading(fake: types.ModuleType, gguf: Path) -> None:
    with pytest.raises(ModelIntegrityError, match="refusing to load") as info:
        LlamaCppModel(gguf, sha256="0" * 64).open()
    assert info.value.actual == hashlib.sha256(gguf.read_bytes()).hexdigest()
    assert fake.loads == []


def test_right_hash_loads_with_quiet_bounded_threads(fake: types.ModuleType, gguf: Path) -> None:
    digest = hashlib.sha256(gguf.read_bytes()).hexdigest()
    with LlamaCppModel(gguf, sha256=digest.upper(), n_ctx=512, n_threads=1, chat_format="chatml") as model:
        assert model.is_open
    assert fake.loads == [
        {"model_path": str(gguf.resolve()), "n_ctx": 512, "n_threads": 1, "n_threads_batch": 1, "chat_format": "chatml", "verbose": False}
    ]
    assert not model.is_open


def test_one_load_per_process_and_key(fake: types.ModuleType, gguf: Path) -> None:
    a, b = LlamaCppModel(gguf), LlamaCppModel(gguf, name="other")
    a.open()
    b.open()
    c = LlamaCppModel(gguf, n_ctx=1024)
    c.open()
    assert len(fake.loads) == 2
    assert len(loaded_models()) == 2


def test_a_cached_model_is_still_checked_against_a_new_hash(fake: types.ModuleType, gguf: Path) -> None:
    LlamaCppModel(gguf).open()
    with pytest.raises(ModelIntegrityError):
        LlamaCppModel(gguf, sha256="1" * 64).open()


def test_load_failures_are_setup_errors(monkeypatch: pytest.MonkeyPatch, gguf: Path) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", fake_llama_cpp(fail_load=True))
    unload_models()
    with pytest.raises(LLMSetupError, match="could not load"):
        LlamaCppModel(gguf, n_ctx=768).open()


def test_sampling_settings_map_to_create_chat_completion(fake: types.ModuleType, gguf: Path) -> None:
    with LlamaCppModel(gguf) as model:
        model.complete("hi", max_tokens=9, temperature=0.5, top_k=7, top_p=0.8, min_p=0.02, repeat_penalty=1.2, presence_penalty=0.1, frequency_penalty=0.3, stop="\n", seed=42)
        model.complete("hi")
    first, defaults = fake.calls
    assert first == {
        "messages": [{"role": "user", "content": "hi"}], "max_tokens": 9, "temperature": 0.5, "stop": ["\n"], "seed": 42,
        "top_k": 7, "top_p": 0.8, "min_p": 0.02, "repeat_penalty": 1.2, "presence_penalty": 0.1, "frequency_penalty": 0.3,
    }  # fmt: skip
    assert defaults == {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 256, "temperature": 0.0, "stop": [], "seed": None}


def test_json_schema_becomes_a_grammar(fake: types.ModuleType, gguf: Path) -> None:
    schema = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}
    with LlamaCppModel(gguf) as model:
        out = model.complete("q", json_schema=schema)
    assert out.parsed == {"answer": "cartservice"}
    assert (out.prompt_tokens, out.completion_tokens, out.finish_reason, out.model) == (11, 2, "stop", "tiny")
    grammar = fake.calls[0]["grammar"]
    assert isinstance(grammar, fake.LlamaGrammar) and '"answer"' in grammar.source


def test_context_overflow_is_a_context_error(fake: types.ModuleType, gguf: Path) -> None:
    with LlamaCppModel(gguf) as model, pytest.raises(LLMContextError, match="2048-token context window"):
        model.complete("overflow")


def test_complete_before_open_says_so(fake: types.ModuleType, gguf: Path) -> None:
    with pytest.raises(LLMError, match="not open"):
        LlamaCppModel(gguf).complete("hi")


def test_gemma_keeps_system_instructions_in_the_first_user_turn(gguf: Path) -> None:
    model = LlamaCppModel(gguf, chat_format="gemma")
    turns = [
        ChatMessage(role="system", content="Answer with one service id."),
        ChatMessage(role="user", content="Who depends on redis-cart?"),
        ChatMessage(role="assistant", content="cartservice"),
        ChatMessage(role="user", content="And on cartservice?"),
    ]
    assert model._chat_messages(turns) == [
        {"role": "user", "content": "Answer with one service id.\n\nWho depends on redis-cart?"},
        {"role": "assistant", "content": "cartservice"},
        {"role": "user", "content": "And on cartservice?"},
    ]
    assert LlamaCppModel(gguf)._chat_messages(turns[:2]) == [t.model_dump() for t in turns[:2]]


def test_gbnf_grammar_reaches_the_engine_and_a_bad_one_is_an_input_error(fake: types.ModuleType, gguf: Path) -> None:
    with LlamaCppModel(gguf) as model:
        model.complete("q", grammar='root ::= "MATCH"')
        assert fake.calls[-1]["grammar"].source == 'root ::= "MATCH"'
        with pytest.raises(LLMInputError, match="GBNF"):
            model.complete("q", grammar="not a grammar")
        with pytest.raises(LLMInputError, match="not both"):
            model.complete("q", grammar='root ::= "x"', json_schema={"type": "string"})


def test_a_lora_adapter_is_its_own_cache_key_and_is_hash_checked(fake: types.ModuleType, gguf: Path, tmp_path: Path) -> None:
    adapter = tmp_path / "adapter.gguf"
    adapter.write_bytes(b"lora")
    with pytest.raises(LLMSetupError, match="does not exist"):
        LlamaCppModel(gguf, lora_path=tmp_path / "missing.gguf").open()
    with pytest.raises(ModelIntegrityError):
        LlamaCppModel(gguf, lora_path=adapter, lora_sha256="0" * 64).open()
    LlamaCppModel(gguf).open()
    LlamaCppModel(gguf, lora_path=adapter, lora_sha256=hashlib.sha256(b"lora").hexdigest(), lora_scale=0.5).open()
    assert len(fake.loads) == 2
    assert "lora_path" not in fake.loads[0]
    assert fake.loads[1]["lora_path"] == str(adapter.resolve()) and fake.loads[1]["lora_scale"] == 0.5


def test_with_adapter_keeps_the_base_settings(gguf: Path, tmp_path: Path) -> None:
    base = LlamaCppModel(gguf, n_ctx=512, n_threads=1, chat_format="chatml", name="base")
    tuned = base.with_adapter(tmp_path / "a.gguf")
    assert (tuned.model_path, tuned.n_ctx, tuned.n_threads, tuned.chat_format) == (base.model_path, 512, 1, "chatml")
    assert tuned.lora_path == tmp_path / "a.gguf" and tuned.name == "base+lora" and base.lora_path is None
