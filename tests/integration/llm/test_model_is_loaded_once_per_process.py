"""Every LlamaCppModel with the same file and settings shares one loaded llama.cpp model."""

from __future__ import annotations

import time

from opsgraph.llm import LlamaCppModel, ModelFile, loaded_models


def test_same_settings_reuse_the_loaded_model(smollm2: LlamaCppModel, smollm2_file: ModelFile) -> None:
    key = (str(smollm2_file.path), smollm2.n_ctx, smollm2.n_threads, None, None, 1.0)
    before = loaded_models()[key]
    started = time.perf_counter()
    with smollm2_file.to_model(n_ctx=smollm2.n_ctx, n_threads=smollm2.n_threads) as again:
        reopened_s = time.perf_counter() - started
        assert loaded_models()[key] is before
        assert again.complete("Say hi.", max_tokens=4).completion_tokens > 0
    assert reopened_s < 2.0, "a reopen only re-checks the hash"
    assert loaded_models()[key] is before, "closing one user keeps the model for the others"


def test_different_settings_load_a_separate_model(smollm2: LlamaCppModel, smollm2_file: ModelFile) -> None:
    with smollm2_file.to_model(n_ctx=512, n_threads=1):
        models = loaded_models()
        assert models[(str(smollm2_file.path), 512, 1, None, None, 1.0)] is not models[(str(smollm2_file.path), smollm2.n_ctx, smollm2.n_threads, None, None, 1.0)]
