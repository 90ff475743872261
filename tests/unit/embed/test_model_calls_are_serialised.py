"""An embedder runs one model call at a time, so `tune` can embed in a background thread while the linker embeds phrases."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from opsgraph.embed.fake import HashingEmbedder


class Watched(HashingEmbedder):
    """Records how many `_embed` calls overlap (a tokenizer shared by two threads at once fails)."""

    def __init__(self) -> None:
        super().__init__(batch_size=2, cache_size=0)
        self.inside = 0
        self.most_inside = 0
        self.guard = threading.Lock()

    def _embed(self, batch: list[str]) -> np.ndarray:
        with self.guard:
            self.inside += 1
            self.most_inside = max(self.most_inside, self.inside)
        time.sleep(0.01)
        try:
            return super()._embed(batch)
        finally:
            with self.guard:
                self.inside -= 1


def test_two_threads_embedding_at_once_never_overlap_in_the_model() -> None:
    emb = Watched()
    texts = [[f"text {t} {i}" for i in range(10)] for t in range(4)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        out = list(pool.map(emb.embed, texts))
    assert emb.most_inside == 1 and emb.calls == 4 * 5
    assert all(np.allclose(o, HashingEmbedder(batch_size=2, cache_size=0).embed(t)) for o, t in zip(out, texts, strict=True))
