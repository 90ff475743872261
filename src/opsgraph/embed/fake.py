"""`HashingEmbedder`: a deterministic, model-free embedder for tests (yours and ours).

Each lower-cased word (and each word's character trigrams, at half weight)
is hashed to a signed position of the vector, so texts sharing words are
close and unrelated texts are nearly orthogonal. It counts `_embed` calls
and texts, so a test can assert that a cache or a no-op sync did not embed.
It is no substitute for a real model when measuring retrieval quality.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import numpy as np

from opsgraph.embed.base import BaseEmbedder

_WORD = re.compile(r"\w+")


class HashingEmbedder(BaseEmbedder):
    """Bag of hashed words and trigrams. Args: dims (default 64), name, plus `BaseEmbedder`'s."""

    def __init__(self, dims: int = 64, *, name: str = "hashing", **base: Any) -> None:
        super().__init__(**base)
        if dims < 2:
            raise ValueError(f"dims must be >= 2, got {dims}")
        self._dims = dims
        self._name = f"{name}-{dims}"
        self.calls = 0
        """`_embed` calls so far."""
        self.texts_embedded = 0
        """Texts sent to `_embed` so far."""

    @property
    def name(self) -> str:
        return self._name

    @property
    def dims(self) -> int:
        return self._dims

    def _slot(self, feature: str) -> tuple[int, float]:
        h = int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "little")
        return h % self._dims, (1.0 if (h >> 63) & 1 else -1.0)

    def _embed(self, batch: list[str]) -> np.ndarray:
        self.calls += 1
        self.texts_embedded += len(batch)
        out = np.zeros((len(batch), self._dims), dtype=np.float32)
        for row, text in enumerate(batch):
            for word in _WORD.findall(text.lower()):
                i, s = self._slot("w:" + word)
                out[row, i] += s
                padded = f"#{word}#"
                for j in range(len(padded) - 2):
                    i, s = self._slot("t:" + padded[j : j + 3])
                    out[row, i] += 0.5 * s
        return out
