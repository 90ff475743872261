"""The `Embedder` protocol and `BaseEmbedder`, which does the work every provider shares.

A provider fills in one private method, `_embed(batch) -> ndarray`; the base
class validates input, answers repeated texts from the cache, cuts the rest
into batches, reports progress, L2-normalises, checks shapes and maps any
provider failure to `EmbeddingError`. This module must not import torch, an
HTTP client or anything of opsgraph besides `errors` (layer rule: `embed`
sits beside `store`, under `ingest`).
"""

from __future__ import annotations

import hashlib
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from opsgraph.embed.cache import EmbeddingCache
from opsgraph.errors import OpsGraphError

EmbedProgress = Callable[[int, int], None]
"""`progress(done, total)`: texts embedded (or found in the cache) so far, out of the call's texts."""


class EmbeddingError(OpsGraphError):
    """An embedder could not turn texts into vectors (model missing, endpoint failing, bad output)."""

    code = "embedding_error"
    status = 500


class EmbeddingIntegrityError(EmbeddingError):
    """A model file's sha256 is not the one pinned: the weights were not loaded."""


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of a fixed length."""

    @property
    def name(self) -> str:
        """Identifies the model; part of every cache key, so two models never share vectors."""

    @property
    def dims(self) -> int:
        """Length of each vector."""

    def embed(self, texts: Sequence[str], *, progress: EmbedProgress | None = None) -> np.ndarray:
        """float32 array of shape [len(texts), dims], each row L2-normalised."""


def text_key(text: str) -> str:
    """sha256 of the text (UTF-8): the cache key of a text within one model."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class BaseEmbedder(ABC):
    """Batching, caching, progress, normalisation and errors around one `_embed(batch)`.

    Args:
        batch_size: texts per `_embed` call (default 32).
        cache: an `EmbeddingCache` to share between embedders; by default each
            embedder gets its own in-memory LRU of `cache_size` vectors, kept on
            disk too when `cache_dir` is given.
        cache_size: entries of the default in-memory LRU (default 10,000; 0 turns it off).
        cache_dir: folder for the default cache's sqlite file (default: memory only).
    """

    def __init__(
        self,
        *,
        batch_size: int = 32,
        cache: EmbeddingCache | None = None,
        cache_size: int = 10_000,
        cache_dir: str | Path | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.batch_size = batch_size
        self.cache = cache if cache is not None else EmbeddingCache(max_entries=cache_size, folder=cache_dir)
        # One model call at a time: `tune` embeds in a background thread while the linker embeds phrases, and a
        # Hugging Face fast tokenizer used from two threads at once fails ("Already borrowed").
        self._model_lock = threading.Lock()

    @property
    @abstractmethod
    def name(self) -> str: ...

    @property
    @abstractmethod
    def dims(self) -> int: ...

    @abstractmethod
    def _embed(self, batch: list[str]) -> np.ndarray:
        """Vectors for one batch, shape [len(batch), dims]; normalising is optional (the base does it)."""

    def embed(self, texts: Sequence[str], *, progress: EmbedProgress | None = None) -> np.ndarray:
        """Embed `texts`; repeated and cached texts are not sent to the model again."""
        if isinstance(texts, str):
            raise TypeError("embed() takes a sequence of texts, not one string: wrap it in a list")
        texts = list(texts)
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise TypeError(f"texts[{i}] is a {type(t).__name__}, not a str")
        total = len(texts)
        if total == 0:
            return np.zeros((0, self.dims), dtype=np.float32)
        keys = [text_key(t) for t in texts]
        found = self.cache.get_many(self.name, set(keys))
        # One model call per distinct missing text, in first-seen order.
        todo: dict[str, str] = {}
        for k, t in zip(keys, texts, strict=True):
            if k not in found and k not in todo:
                todo[k] = t
        done = total - sum(1 for k in keys if k not in found)
        if progress:
            progress(done, total)
        # Similar lengths share a batch, so little of each batch is padding.
        pending = sorted(todo.items(), key=lambda kv: len(kv[1]))
        waiting = {k: 0 for k in todo}
        for k in keys:
            if k in waiting:
                waiting[k] += 1
        for start in range(0, len(pending), self.batch_size):
            part = pending[start : start + self.batch_size]
            vectors = self._checked(self._call(part), len(part))
            fresh = dict(zip((k for k, _ in part), vectors, strict=True))
            self.cache.put_many(self.name, fresh)
            found.update(fresh)
            done += sum(waiting[k] for k, _ in part)
            if progress:
                progress(done, total)
        return np.stack([found[k] for k in keys]).astype(np.float32, copy=False)

    def _call(self, part: list[tuple[str, str]]) -> np.ndarray:
        try:
            with self._model_lock:
                return self._embed([t for _, t in part])
        except EmbeddingError:
            raise
        except Exception as exc:  # any provider failure becomes our error, with the cause kept
            raise EmbeddingError(f"{self.name}: embedding a batch of {len(part)} texts failed: {exc}") from exc

    def _checked(self, vectors: np.ndarray, n: int) -> np.ndarray:
        arr = np.asarray(vectors, dtype=np.float32)
        if arr.ndim != 2 or arr.shape[0] != n:
            raise EmbeddingError(f"{self.name}: expected {n} vectors, got an array of shape {arr.shape}")
        if arr.shape[1] != self.dims:
            raise EmbeddingError(f"{self.name}: expected vectors of {self.dims} dimensions, got {arr.shape[1]}")
        if not np.isfinite(arr).all():
            raise EmbeddingError(f"{self.name}: the model returned NaN or infinite values")
        norms = np.linalg.norm(arr, axis=1, keepdims=True)
        # A zero vector stays zero: dividing would invent a direction.
        return arr / np.where(norms > 0, norms, 1.0)

    def close(self) -> None:
        """Release the cache's file (the model, if any, is freed with the object)."""
        self.cache.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, batch_size={self.batch_size})"
