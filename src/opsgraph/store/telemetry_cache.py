"""Decoded telemetry buckets kept in memory, keyed by the bucket's content hash, so repeated reads skip the engine.

Reading a day-sized bucket means moving every value of that day out of the engine and decoding it,
however small the window asked for (an investigation wants an hour around an onset). The store
asks the engine for the `(key, _hash)` of the buckets a read needs (a few bytes each), takes the
buckets whose hash it has already decoded from here, and fetches only the others. A bucket
rewritten with different content has a different hash, so a stale copy is never served; nothing
depends on the data version moving forward (an undo moves it back).

Bounded by bytes (least recently used out first); safe to share between threads.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

DEFAULT_BUDGET_BYTES = 128 * 1024 * 1024
"""A day of per-minute telemetry with 5 features is about 41 kB per node: ~3,000 node-days."""


@dataclass(frozen=True)
class Bucket:
    """One node's telemetry for one bucket span, decoded."""

    node: str
    features: tuple[str, ...]
    ts: np.ndarray
    """int64 [T], ascending."""
    values: np.ndarray
    """float32 [T, F], NaN where a value is missing."""
    labels: np.ndarray
    """int8 [T], -1 where no label."""

    @property
    def nbytes(self) -> int:
        return int(self.ts.nbytes + self.values.nbytes + self.labels.nbytes) + 64 * (len(self.features) + 2)


class BucketCache:
    """key -> (content hash, decoded bucket), least recently used out first past `budget_bytes`."""

    def __init__(self, budget_bytes: int = DEFAULT_BUDGET_BYTES) -> None:
        self.budget_bytes = max(0, int(budget_bytes))
        self._items: OrderedDict[str, tuple[str, Bucket]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: str, content_hash: str) -> Bucket | None:
        """The decoded bucket when the cached copy has this hash, else None."""
        with self._lock:
            item = self._items.get(key)
            if item is None or item[0] != content_hash:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item[1]

    def put(self, key: str, content_hash: str, bucket: Bucket) -> None:
        size = bucket.nbytes
        if size > self.budget_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1].nbytes
            self._items[key] = (content_hash, bucket)
            self._bytes += size
            while self._bytes > self.budget_bytes and self._items:
                _, (_, dropped) = self._items.popitem(last=False)
                self._bytes -= dropped.nbytes

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._items)

    @property
    def size_bytes(self) -> int:
        return self._bytes
