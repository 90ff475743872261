"""`EmbeddedSemanticCache`: exact nearest-neighbour search in numpy, entries kept in one sqlite file.

No server: the index lives in the process, one float32 matrix per scope
(tenant/user), so a lookup multiplies only the asking user's vectors and
cannot see anyone else's. Entries (question, answer, metadata, freshness,
vector, expiry) are written to `<folder>/answers.sqlite` in the same call,
so the cache survives restarts; `open()` loads the vectors back.

Why not the store's own vector index (an `OpsgraphCache` vertex type)?
Measured in `bench/cache.py`: exact numpy search is faster at every size
tried and exact, where the engine's LSM vector index is approximate (its
recall drops with size), rebuilds its graph on the first search after a
bulk load, and filters by scope only after the search; and every cache write
would bump the store's `data_version`, which is what freshness is judged by.

One process uses a folder at a time (like the store it sits beside); threads
share the object.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from opsgraph.embed.base import Embedder
from opsgraph.rag.cache.base import BaseSemanticCache
from opsgraph.rag.cache.records import Freshness, Scope, StoredEntry

CACHE_FILE = "answers.sqlite"
"""File name of the cache inside its folder."""
PURGE_EVERY_S = 600.0
"""Expired entries are masked at once and deleted at most this often (on a write)."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    user_id TEXT NOT NULL,
    model TEXT NOT NULL,
    prompt TEXT NOT NULL,
    answer TEXT NOT NULL,
    record TEXT NOT NULL,
    vector BLOB NOT NULL,
    created REAL NOT NULL,
    expires REAL
);
CREATE INDEX IF NOT EXISTS entries_scope ON entries (tenant, user_id);
"""


class _Partition:
    """The vectors of one scope: a growable matrix with tombstones."""

    def __init__(self, dims: int) -> None:
        self.dims = dims
        self.ids: list[str] = []
        self.pos: dict[str, int] = {}
        self.matrix = np.zeros((16, dims), dtype=np.float32)
        self.expires = np.full(16, np.inf)
        self.alive = np.zeros(16, dtype=bool)
        self.n = 0
        self.dead = 0

    def add(self, entry_id: str, vector: np.ndarray, expires: float | None) -> None:
        i = self.pos.get(entry_id)
        if i is None:
            if self.n == len(self.matrix):
                grow = len(self.matrix)
                self.matrix = np.vstack([self.matrix, np.zeros((grow, self.dims), dtype=np.float32)])
                self.expires = np.concatenate([self.expires, np.full(grow, np.inf)])
                self.alive = np.concatenate([self.alive, np.zeros(grow, dtype=bool)])
            i = self.n
            self.n += 1
            self.ids.append(entry_id)
            self.pos[entry_id] = i
        self.matrix[i] = vector
        self.expires[i] = np.inf if expires is None else expires
        self.alive[i] = True

    def expired(self, now: float) -> list[str]:
        return [self.ids[i] for i in np.flatnonzero(self.alive[: self.n] & (self.expires[: self.n] <= now))]

    def remove(self, entry_id: str) -> bool:
        i = self.pos.pop(entry_id, None)
        if i is None:
            return False
        self.alive[i] = False
        self.dead += 1
        if self.dead > 64 and self.dead * 4 > self.n:
            self._compact()
        return True

    def _compact(self) -> None:
        keep = np.flatnonzero(self.alive[: self.n])
        ids = [self.ids[i] for i in keep]
        self.matrix = self.matrix[keep].copy() if len(keep) else np.zeros((16, self.dims), dtype=np.float32)
        self.expires = self.expires[keep].copy() if len(keep) else np.full(16, np.inf)
        self.alive = np.ones(max(len(keep), 16), dtype=bool)
        self.alive[len(keep) :] = False
        self.ids = ids
        self.pos = {e: i for i, e in enumerate(ids)}
        self.n = len(ids)
        self.dead = 0

    def nearest(self, vector: np.ndarray, threshold: float, k: int, now: float) -> list[tuple[str, float]]:
        if self.n == 0:
            return []
        dist = 1.0 - self.matrix[: self.n] @ vector
        usable = self.alive[: self.n] & (self.expires[: self.n] > now) & (dist <= threshold)
        idx = np.flatnonzero(usable)
        if len(idx) > k:
            idx = idx[np.argpartition(dist[idx], k - 1)[:k]]
        idx = idx[np.argsort(dist[idx], kind="stable")]
        return [(self.ids[i], float(dist[i])) for i in idx]


class EmbeddedSemanticCache(BaseSemanticCache):
    """The default semantic cache: numpy per scope in memory, sqlite on disk.

    Args:
        embedder: see `BaseSemanticCache`.
        folder: where `answers.sqlite` lives; None keeps everything in memory.
        **base: `threshold`, `ttl`, `freshness`, `candidates`, `clock` (see `BaseSemanticCache`).
    """

    def __init__(self, embedder: Embedder, folder: str | Path | None = None, **base: Any) -> None:
        super().__init__(embedder, **base)
        self.folder = Path(folder) if folder is not None else None
        self._db: sqlite3.Connection | None = None
        self._parts: dict[str, _Partition] = {}
        self._lock = threading.RLock()
        self._next_purge = 0.0

    # -- lifecycle -------------------------------------------------------------------
    def open(self) -> None:
        with self._lock:
            if self._db is not None:
                return
            if self.folder is not None:
                self.folder.mkdir(parents=True, exist_ok=True)
                target = str(self.folder / CACHE_FILE)
            else:
                target = ":memory:"
            db = sqlite3.connect(target, timeout=30, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
            with db:
                # Vectors of another model live in another space: they can never match.
                db.execute("DELETE FROM entries WHERE model != ? OR (expires IS NOT NULL AND expires <= ?)", (self.embedder.name, self.clock()))
            self._db = db
            self._parts = {}
            for eid, tenant, user, blob, expires in db.execute("SELECT id, tenant, user_id, vector, expires FROM entries"):
                vec = np.frombuffer(blob, dtype=np.float32)
                if vec.shape[0] != self.embedder.dims:
                    continue
                self._part(f"{tenant}/{user}").add(eid, vec, expires)

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
            self._parts = {}

    def __len__(self) -> int:
        with self._lock:
            return sum(len(p.pos) for p in self._parts.values())

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError("the cache is not open: call open() or use it as a context manager")
        return self._db

    def _part(self, key: str) -> _Partition:
        part = self._parts.get(key)
        if part is None:
            part = self._parts[key] = _Partition(self.embedder.dims)
        return part

    # -- backend ---------------------------------------------------------------------
    def _search(self, vector: np.ndarray, scope: Scope, threshold: float, k: int, now: float) -> list[StoredEntry]:
        with self._lock:
            db = self._conn()
            part = self._parts.get(scope.key)
            if part is None:
                return []
            found = part.nearest(vector, threshold, k, now)
            if not found:
                return []
            marks = ",".join("?" * len(found))
            rows = {
                r[0]: r
                for r in db.execute(
                    f"SELECT id, tenant, user_id, prompt, answer, record, created, expires FROM entries WHERE id IN ({marks})",
                    [eid for eid, _ in found],
                )
            }
        out = []
        for eid, dist in found:
            row = rows.get(eid)
            if row is None:
                continue
            _, tenant, user, prompt, answer, record, created, expires = row
            rec = json.loads(record)
            out.append(
                StoredEntry(
                    entry_id=eid,
                    prompt=prompt,
                    answer=answer,
                    scope=Scope(tenant=tenant, user=user),
                    created_at=created,
                    expires_at=expires,
                    metadata=rec.get("metadata") or {},
                    entities=rec.get("entities") or [],
                    freshness=Freshness.model_validate(rec["freshness"]) if rec.get("freshness") else None,
                    distance=dist,
                )
            )
        return out

    def _put(self, entries: Sequence[StoredEntry], vectors: np.ndarray) -> list[str]:
        rows = []
        for e, v in zip(entries, vectors, strict=True):
            record = {"metadata": e.metadata, "entities": e.entities, "freshness": e.freshness.model_dump() if e.freshness else None}
            rows.append(
                (e.entry_id, e.scope.tenant, e.scope.user, self.embedder.name, e.prompt, e.answer, json.dumps(record, default=str),
                 np.asarray(v, dtype=np.float32).tobytes(), e.created_at, e.expires_at)
            )
        with self._lock:
            db = self._conn()
            with db:
                db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            for e, v in zip(entries, vectors, strict=True):
                self._part(e.scope.key).add(e.entry_id, np.asarray(v, dtype=np.float32), e.expires_at)
            now = self.clock()
            if now >= self._next_purge:
                self._next_purge = now + PURGE_EVERY_S
                gone = [eid for part in self._parts.values() for eid in part.expired(now)]
                if gone:
                    self._drop(gone)
        return [e.entry_id for e in entries]

    def _drop(self, entry_ids: Sequence[str]) -> None:
        with self._lock:
            db = self._conn()
            with db:
                db.executemany("DELETE FROM entries WHERE id = ?", [(e,) for e in entry_ids])
            for part in self._parts.values():
                for e in entry_ids:
                    part.remove(e)

    def _clear(self, scope: Scope | None) -> int:
        with self._lock:
            db = self._conn()
            with db:
                # Expired entries are already gone as far as anyone can tell: do not count them.
                db.execute("DELETE FROM entries WHERE expires IS NOT NULL AND expires <= ?", (self.clock(),))
                if scope is None:
                    n = db.execute("DELETE FROM entries").rowcount
                    self._parts = {}
                else:
                    n = db.execute("DELETE FROM entries WHERE tenant = ? AND user_id = ?", (scope.tenant, scope.user)).rowcount
                    self._parts.pop(scope.key, None)
            return int(n)

    def _restamp(self, entry: StoredEntry, freshness: Freshness) -> None:
        record = {"metadata": entry.metadata, "entities": entry.entities, "freshness": freshness.model_dump()}
        with self._lock:
            db = self._conn()
            with db:
                db.execute("UPDATE entries SET record = ? WHERE id = ?", (json.dumps(record, default=str), entry.entry_id))
