"""The base class answers repeated texts from its cache: `_embed` only sees texts it has not seen."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from opsgraph.embed import BaseEmbedder, EmbeddingCache, EmbeddingError


class Counting(BaseEmbedder):
    """Vectors from the text's length and first letter; records every `_embed` batch."""

    def __init__(self, name: str = "counting", **base: object) -> None:
        super().__init__(**base)  # type: ignore[arg-type]
        self._name = name
        self.batches: list[list[str]] = []

    @property
    def name(self) -> str:
        return self._name

    @property
    def dims(self) -> int:
        return 3

    def _embed(self, batch: list[str]) -> np.ndarray:
        self.batches.append(list(batch))
        return np.array([[len(t), ord(t[0]) if t else 0, 1.0] for t in batch], dtype=np.float32)


def test_second_call_with_the_same_texts_does_not_call_embed() -> None:
    e = Counting()
    first = e.embed(["alpha", "beta", "gamma"])
    assert len(e.batches) == 1
    second = e.embed(["gamma", "alpha", "beta"])
    assert len(e.batches) == 1
    assert np.array_equal(second, first[[2, 0, 1]])


def test_only_new_texts_reach_the_model() -> None:
    e = Counting()
    e.embed(["a", "b"])
    e.embed(["b", "c", "d"])
    assert e.batches == [["a", "b"], ["c", "d"]]


def test_repeats_within_one_call_are_embedded_once() -> None:
    e = Counting()
    out = e.embed(["x", "y", "x", "x"])
    assert e.batches == [["x", "y"]]
    assert np.array_equal(out[0], out[2]) and out.shape == (4, 3)


def test_batches_and_progress() -> None:
    e = Counting(batch_size=2)
    seen: list[tuple[int, int]] = []
    e.embed(["aaa", "b", "cc", "dddd", "b"], progress=lambda d, t: seen.append((d, t)))
    assert [len(b) for b in e.batches] == [2, 2]  # 4 distinct texts, shortest first
    assert e.batches[0] == ["b", "cc"]
    assert seen == [(0, 5), (3, 5), (5, 5)]


def test_vectors_are_float32_and_unit_length() -> None:
    out = Counting().embed(["hello", "a much longer text"])
    assert out.dtype == np.float32
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-6)


def test_empty_input_gives_an_empty_matrix() -> None:
    out = Counting().embed([])
    assert out.shape == (0, 3) and out.dtype == np.float32


def test_models_do_not_share_cache_entries() -> None:
    shared = EmbeddingCache()
    a, b = Counting("model-a", cache=shared), Counting("model-b", cache=shared)
    a.embed(["same text"])
    b.embed(["same text"])
    assert len(a.batches) == 1 and len(b.batches) == 1


def test_disk_cache_survives_a_new_embedder(tmp_path: Path) -> None:
    first = Counting(cache_dir=tmp_path / "cache")
    vectors = first.embed(["one", "two"])
    first.close()
    second = Counting(cache_dir=tmp_path / "cache")
    again = second.embed(["two", "one"])
    assert second.batches == []
    assert np.array_equal(again, vectors[[1, 0]])
    assert (tmp_path / "cache" / "embeddings.sqlite").is_file()


def test_cache_folder_is_created_lazily(tmp_path: Path) -> None:
    Counting(cache_dir=tmp_path / "later")
    assert not (tmp_path / "later").exists()  # constructors do no I/O


def test_lru_evicts_the_oldest() -> None:
    e = Counting(cache_size=2)
    e.embed(["a"])
    e.embed(["b"])
    e.embed(["c"])  # evicts "a"
    e.embed(["b", "c"])
    assert e.batches == [["a"], ["b"], ["c"]]
    e.embed(["a"])
    assert e.batches[-1] == ["a"]


def test_provider_failure_becomes_an_embedding_error() -> None:
    class Broken(Counting):
        def _embed(self, batch: list[str]) -> np.ndarray:
            raise RuntimeError("device on fire")

    with pytest.raises(EmbeddingError, match="counting: embedding a batch of 1 texts failed: device on fire") as info:
        Broken().embed(["x"])
    assert isinstance(info.value.__cause__, RuntimeError)


def test_wrong_shape_is_refused() -> None:
    class Short(Counting):
        def _embed(self, batch: list[str]) -> np.ndarray:
            return np.ones((len(batch), 2), dtype=np.float32)

    with pytest.raises(EmbeddingError, match="expected vectors of 3 dimensions, got 2"):
        Short().embed(["x"])


def test_a_failed_batch_is_not_cached() -> None:
    class Flaky(Counting):
        fail = True

        def _embed(self, batch: list[str]) -> np.ndarray:
            if self.fail:
                raise RuntimeError("boom")
            return super()._embed(batch)

    e = Flaky()
    with pytest.raises(EmbeddingError):
        e.embed(["x"])
    e.fail = False
    e.embed(["x"])
    assert e.batches == [["x"]]


def test_a_string_is_not_a_list_of_texts() -> None:
    with pytest.raises(TypeError, match="wrap it in a list"):
        Counting().embed("hello")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"texts\[1\] is a int"):
        Counting().embed(["a", 3])  # type: ignore[list-item]
