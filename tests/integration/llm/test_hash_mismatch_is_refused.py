"""A model file whose sha256 is not the pinned one is never loaded."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from opsgraph.llm import LlamaCppModel, ModelFile, ModelIntegrityError, loaded_models


def test_a_wrong_pinned_hash_is_refused(smollm2_file: ModelFile) -> None:
    with pytest.raises(ModelIntegrityError, match="refusing to load") as info:
        LlamaCppModel(smollm2_file.path, sha256="0" * 64, n_ctx=256, n_threads=1).open()
    assert info.value.actual == smollm2_file.sha256


def test_a_corrupted_copy_is_refused(smollm2_file: ModelFile, tmp_path: Path) -> None:
    copy = tmp_path / "SmolLM2-135M-Instruct.Q4_1.gguf"
    shutil.copyfile(smollm2_file.path, copy)
    with copy.open("r+b") as fh:  # flip one byte in the middle of the weights
        fh.seek(copy.stat().st_size // 2)
        byte = fh.read(1)
        fh.seek(-1, 1)
        fh.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(ModelIntegrityError):
        LlamaCppModel(copy, sha256=smollm2_file.sha256, n_ctx=256, n_threads=1).open()
    assert not any(key[0] == str(copy.resolve()) for key in loaded_models())
