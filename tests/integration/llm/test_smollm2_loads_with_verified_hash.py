"""The bundled SmolLM2 file is the pinned one, loads after its hash is checked, and answers."""

from __future__ import annotations

from opsgraph.llm import BUNDLED_MODELS, LlamaCppModel, ModelFile, file_sha256


def test_pinned_hash_matches_the_installed_file(smollm2_file: ModelFile) -> None:
    assert smollm2_file.sha256 == BUNDLED_MODELS["smollm2-135m-instruct"].sha256
    assert file_sha256(smollm2_file.path) == smollm2_file.sha256


def test_loads_and_answers_with_token_counts(smollm2: LlamaCppModel) -> None:
    assert smollm2.is_open and smollm2.sha256 is not None
    out = smollm2.complete([{"role": "system", "content": "Answer in one word."}, {"role": "user", "content": "What colour is the sky?"}], max_tokens=8)
    assert out.text.strip()
    assert out.prompt_tokens > 10, "the chat template's tokens are counted too"
    assert 0 < out.completion_tokens <= 8
    assert out.model == "smollm2-135m-instruct"
    assert out.finish_reason in ("stop", "length")
    assert out.latency_ms > 0
