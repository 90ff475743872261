"""`EmbeddingCache`: vectors keyed by (model name, sha256 of the text), in memory and optionally on disk.

The in-memory part is an LRU of at most `max_entries` vectors. The on-disk
part is one sqlite file (`embeddings.sqlite`) in a folder the caller names;
it survives restarts and may be shared by processes (sqlite locks the file).
The folder is chosen by the caller (the app layer): nothing here reads
configuration. Opening the file is deferred to the first lookup, so building
a cache does no I/O.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

CACHE_FILE = "embeddings.sqlite"
"""File name of the on-disk cache inside its folder."""

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS embeddings ("
    " model TEXT NOT NULL, key TEXT NOT NULL, dims INTEGER NOT NULL, vector BLOB NOT NULL,"
    " PRIMARY KEY (model, key)) WITHOUT ROWID"
)


class EmbeddingCache:
    """An LRU of vectors plus an optional sqlite file; safe to share between threads.

    Args:
        max_entries: vectors kept in memory (default 10,000; 0 keeps none in memory).
        folder: where to keep `embeddings.sqlite`; `None` keeps vectors in memory only.
    """

    def __init__(self, max_entries: int = 10_000, folder: str | Path | None = None) -> None:
        if max_entries < 0:
            raise ValueError(f"max_entries must be >= 0, got {max_entries}")
        self.max_entries = max_entries
        self.folder = Path(folder) if folder is not None else None
        self._memory: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self.hits = 0
        """Lookups answered from memory or disk."""
        self.misses = 0
        """Lookups that found nothing."""

    def _conn(self) -> sqlite3.Connection | None:
        if self.folder is None:
            return None
        if self._db is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.folder / CACHE_FILE, timeout=30, check_same_thread=False)
            db.execute(_SCHEMA)
            db.commit()
            self._db = db
        return self._db

    def _remember(self, key: tuple[str, str], vector: np.ndarray) -> None:
        if self.max_entries == 0:
            return
        self._memory[key] = vector
        self._memory.move_to_end(key)
        while len(self._memory) > self.max_entries:
            self._memory.popitem(last=False)

    def get_many(self, model: str, keys: Iterable[str]) -> dict[str, np.ndarray]:
        """Vectors found for `keys` (text hashes) of `model`; missing keys are left out."""
        wanted = list(keys)
        out: dict[str, np.ndarray] = {}
        with self._lock:
            missing = []
            for k in wanted:
                v = self._memory.get((model, k))
                if v is None:
                    missing.append(k)
                else:
                    self._memory.move_to_end((model, k))
                    out[k] = v
            db = self._conn() if missing else None
            if db is not None:
                for start in range(0, len(missing), 500):
                    part = missing[start : start + 500]
                    marks = ",".join("?" * len(part))
                    rows = db.execute(
                        f"SELECT key, dims, vector FROM embeddings WHERE model = ? AND key IN ({marks})", [model, *part]
                    ).fetchall()
                    for key, dims, blob in rows:
                        vec = np.frombuffer(blob, dtype=np.float32, count=int(dims)).copy()
                        out[key] = vec
                        self._remember((model, key), vec)
            self.hits += len(out)
            self.misses += len(wanted) - len(out)
        return out

    def put_many(self, model: str, vectors: Mapping[str, np.ndarray]) -> None:
        """Store vectors of `model` by text hash (memory, then disk in one transaction)."""
        with self._lock:
            for k, v in vectors.items():
                self._remember((model, k), np.asarray(v, dtype=np.float32))
            db = self._conn()
            if db is not None and vectors:
                with db:
                    db.executemany(
                        "INSERT OR REPLACE INTO embeddings (model, key, dims, vector) VALUES (?, ?, ?, ?)",
                        [(model, k, int(np.asarray(v).shape[0]), np.asarray(v, dtype=np.float32).tobytes()) for k, v in vectors.items()],
                    )

    def clear_memory(self) -> None:
        """Forget the in-memory vectors (the disk file stays)."""
        with self._lock:
            self._memory.clear()

    def __len__(self) -> int:
        return len(self._memory)

    def close(self) -> None:
        """Close the sqlite file; safe to call twice (a later lookup reopens it)."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
