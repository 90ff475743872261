"""The local model's weights are hashed before anything loads them."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

from opsgraph.embed import MINILM_SHA256, EmbeddingError, EmbeddingIntegrityError, SentenceTransformerEmbedder, minilm_path


def _model_folder(tmp_path: Path, weights: bytes) -> Path:
    folder = tmp_path / "model"
    (folder / "1_Pooling").mkdir(parents=True)
    (folder / "model.safetensors").write_bytes(weights)
    (folder / "1_Pooling" / "config.json").write_text('{"word_embedding_dimension": 12}')
    return folder


def test_mismatched_weights_are_refused_before_loading(tmp_path: Path) -> None:
    folder = _model_folder(tmp_path, b"not the real weights")
    e = SentenceTransformerEmbedder(folder, sha256=MINILM_SHA256)
    with pytest.raises(EmbeddingIntegrityError, match="refusing to load these weights"):
        e.embed(["hello"])
    assert e._model is None


def test_a_given_hash_that_matches_passes(tmp_path: Path) -> None:
    folder = _model_folder(tmp_path, b"weights")
    SentenceTransformerEmbedder(folder, sha256=hashlib.sha256(b"weights").hexdigest()).verify()


def test_missing_weights_are_an_error(tmp_path: Path) -> None:
    folder = _model_folder(tmp_path, b"x")
    (folder / "model.safetensors").unlink()
    with pytest.raises(EmbeddingError, match=r"no model\.safetensors"):
        SentenceTransformerEmbedder(folder).verify()


def test_the_packaged_minilm_has_the_pinned_hash() -> None:
    e = SentenceTransformerEmbedder()
    assert e.expected_sha256 == MINILM_SHA256 and e.model_path == minilm_path()
    e.verify()


def test_dims_come_from_the_pooling_config_without_loading_the_model(tmp_path: Path) -> None:
    assert SentenceTransformerEmbedder(_model_folder(tmp_path, b"x")).dims == 12
    packaged = SentenceTransformerEmbedder()
    assert packaged.dims == 384 and packaged._model is None


def test_threads_must_be_positive() -> None:
    with pytest.raises(ValueError, match="threads must be >= 1"):
        SentenceTransformerEmbedder(threads=0)


def test_constructing_loads_nothing() -> None:
    before = "sentence_transformers" in sys.modules
    SentenceTransformerEmbedder(device="cpu", threads=1)
    assert ("sentence_transformers" in sys.modules) == before
