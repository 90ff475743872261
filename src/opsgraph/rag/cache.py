"""The semantic cache of answers: its protocol, its records, and the work every backend shares.

A question whose embedding lies within `threshold` (cosine distance) of a
cached question *in the same scope* gets the cached answer, if that answer is
still true of the estate. `BaseSemanticCache` does the shared work (input
checks, one embedding per lookup, scope and entity guards, freshness,
statistics); a backend fills in `_search`, `_put`, `_drop`, `_clear`.

Rules every backend keeps:
- **Scope isolation**: an entry is found only by a lookup with the same
  `Scope` (tenant and user). Backends filter by scope *before* ranking, so
  a user's lookup never sees another user's entries, however close.
- **Entity guard**: a lookup may name the estate entities its question links
  to; an entry stored with a different set of entities is refused. Sentence
  embeddings put "Which team owns paymentservice?" and "... cartservice?"
  close together (a near miss distance alone cannot tell apart).
- **Freshness**: an entry records a `Freshness` (the store's data version,
  fingerprints of what the answer used, the query that produced its rows);
  a `FreshnessCheck` (see `opsgraph.rag.freshness`) decides at lookup time.
  A stale entry is not served, is counted as `stale` and dropped.
- **TTL** counts from the store: a hit does not extend it.

This module must not import a database driver or RedisVL; backends live in
`cache_embedded.py` and `redis.py`.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from opsgraph.embed.base import Embedder

DEFAULT_THRESHOLD = 0.1
"""Cosine distance under which a cached question counts as the same question.

Chosen by `bench/cache.py` with all-MiniLM-L6-v2: the best F0.5 on 3,000
labelled Quora pairs (0.10 and 0.15 tie; the stricter wins). There, 0.10 gives
precision 0.65 (0.76 counting only hits on the pair's own, labelled question)
at recall 0.40; 0.20 gives 0.56 at 0.68. Quora's negatives are near misses by
construction, so these are pessimistic; on operations questions about the
sample estate 0.10 served 240 of 256 paraphrases, and the entity guard refused
the 2 of 960 entity-swapped questions that came within it."""

Outcome = Literal["hit", "miss", "stale"]
_SCOPE_PART = re.compile(r"^[A-Za-z0-9_.@+\-]{1,128}$")


class Scope(BaseModel):
    """Whose cache entries a lookup may see: exactly those stored with the same tenant and user."""

    model_config = ConfigDict(frozen=True)
    tenant: str = "default"
    """The estate or organisation; entries of one tenant are never served to another."""
    user: str = "anonymous"
    """The user; entries are private to one user (give a team one user name to share answers)."""

    @field_validator("tenant", "user")
    @classmethod
    def _plain(cls, value: str) -> str:
        if not _SCOPE_PART.match(value):
            raise ValueError(f"{value!r}: use 1-128 letters, digits and _ . @ + - (it becomes a filter value)")
        return value

    @property
    def key(self) -> str:
        """`tenant/user`: the one string a backend partitions by."""
        return f"{self.tenant}/{self.user}"

    def allows(self, entry_scope: Scope) -> bool:
        """Whether a lookup in this scope may see an entry stored in `entry_scope`."""
        return self.tenant == entry_scope.tenant and self.user == entry_scope.user


class Freshness(BaseModel):
    """What a cached answer depended on, recorded when it was stored."""

    data_version: int
    """The store's `data_version()` when the answer was made."""
    sources: dict[str, dict[str, str]] = Field(default_factory=dict)
    """Node type → {node id → fingerprint} for every node and chunk the answer was given."""
    query: str | None = None
    """The read-only Cypher whose rows *are* the answer, re-run to check them."""
    params: dict[str, Any] = Field(default_factory=dict)
    """Its parameters."""
    rows_hash: str | None = None
    """Hash of its rows when the answer was made."""
    variant: str = ""
    """Hash of the settings that shape answers (model, k, hops); a different value is a different answer."""
    store: str = ""
    """Which store instance `data_version` counts in (versions of two stores are not comparable)."""


class FreshnessVerdict(BaseModel):
    """Whether a cached answer still holds, and why."""

    fresh: bool
    reason: str
    ms: float = 0.0
    """Time spent checking."""
    restamp: Freshness | None = None
    """An updated record to store with the entry (same fingerprints, newer data version), so the next check is fast."""


@runtime_checkable
class FreshnessCheck(Protocol):
    """Decides whether a recorded answer is still true of the store."""

    def check(self, recorded: Freshness) -> FreshnessVerdict: ...


class CacheHit(BaseModel):
    """A cached answer served for a lookup."""

    entry_id: str
    """Cache entry identifier."""
    prompt: str
    """The question the entry was stored for."""
    answer: str
    """The cached answer text."""
    distance: float
    """Cosine distance between the lookup's question and `prompt`."""
    created_at: float
    """Epoch seconds when the entry was stored."""
    age_s: float
    """Seconds since it was stored."""
    expires_at: float | None = None
    """Epoch seconds when it expires; None: never (until stale or cleared)."""
    scope: Scope
    """The scope it was stored in (always equal to the lookup's)."""
    metadata: dict[str, Any] = Field(default_factory=dict)
    """What the caller stored with it (opsgraph keeps the full answer here)."""
    entities: list[str] = Field(default_factory=list)
    """Entity ids its question linked to."""
    freshness: Freshness | None = None
    """What it depended on."""
    verdict: str = ""
    """Why it was judged fresh."""


class StoredEntry(BaseModel):
    """A backend's record of one entry (what `_search` returns and `_put` receives)."""

    entry_id: str
    prompt: str
    answer: str
    scope: Scope
    created_at: float
    expires_at: float | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    entities: list[str] = Field(default_factory=list)
    freshness: Freshness | None = None
    distance: float = 0.0
    """Filled by `_search`: distance to the lookup vector."""


@dataclass
class CacheStats:
    """Counts since the cache object was opened."""

    hits: int = 0
    """Lookups served from the cache."""
    misses: int = 0
    """Lookups with no usable entry within the threshold."""
    stale: int = 0
    """Lookups whose best entries were no longer true of the estate (not served, dropped)."""
    stores: int = 0
    """Entries written."""
    guarded: int = 0
    """Entries refused because their question named other entities (counted inside misses)."""

    def as_dict(self) -> dict[str, int]:
        return {"hits": self.hits, "misses": self.misses, "stale": self.stale, "stores": self.stores, "guarded": self.guarded}


@dataclass
class CacheLookup:
    """Everything one lookup found: the outcome, the hit if any, and what was passed over."""

    outcome: Outcome
    hit: CacheHit | None = None
    nearest_distance: float | None = None
    """Distance of the nearest entry in scope within the threshold (served or not)."""
    threshold: float = DEFAULT_THRESHOLD
    candidates: list[dict[str, Any]] = field(default_factory=list)
    """The entries considered: id, distance, and why each was passed over."""
    ms: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"outcome": self.outcome, "threshold": self.threshold, "ms": round(self.ms, 2)}
        if self.nearest_distance is not None:
            out["nearest_distance"] = round(self.nearest_distance, 4)
        if self.hit is not None:
            out.update(entry_id=self.hit.entry_id, distance=round(self.hit.distance, 4), age_s=round(self.hit.age_s, 1), matched=self.hit.prompt)
            out["freshness"] = self.hit.verdict
        if self.candidates:
            out["passed_over"] = self.candidates
        return out


@runtime_checkable
class SemanticCache(Protocol):
    """Answers to questions, found again by meaning, per scope, while they hold."""

    def open(self) -> None:
        """Connect or load (all I/O starts here)."""

    def close(self) -> None:
        """Release connections and files; safe to call twice."""

    def check(self, prompt: str, *, threshold: float | None = None, scope: Scope | None = None) -> CacheHit | None:
        """The freshest entry within `threshold` of `prompt` in `scope`, or None."""

    def store(
        self,
        prompt: str,
        answer: str,
        metadata: Mapping[str, Any] | None = None,
        ttl: int | None = None,
        scope: Scope | None = None,
        *,
        freshness: Freshness | None = None,
        entities: Iterable[str] = (),
    ) -> str:
        """Cache `answer` for `prompt` in `scope`; returns the entry id (same prompt and scope: replaced)."""

    def clear(self, scope: Scope | None = None) -> int:
        """Drop the entries of `scope` (all entries when None); returns how many were dropped."""

    @property
    def stats(self) -> CacheStats:
        """Counts since opened."""


def entry_id(prompt: str, scope: Scope) -> str:
    """Stable id of (scope, prompt): storing the same question again replaces its entry."""
    return hashlib.blake2b(f"{scope.key}\n{prompt}".encode(), digest_size=12).hexdigest()


class BaseSemanticCache(ABC):
    """Validation, one embedding per call, guards, freshness and statistics around four backend methods.

    Args:
        embedder: turns questions into L2-normalised vectors (opsgraph's own `Embedder`).
        threshold: default cosine distance for a hit (`DEFAULT_THRESHOLD`).
        ttl: default seconds an entry lives (None: until stale or cleared).
        freshness: decides whether an entry still holds; None serves entries without checking.
        candidates: entries within the threshold examined per lookup (a stale or guarded
            nearest entry does not hide a usable second one).
        clock: epoch seconds; tests pass a fake one.
    """

    def __init__(
        self,
        embedder: Embedder,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        ttl: int | None = None,
        freshness: FreshnessCheck | None = None,
        candidates: int = 3,
        clock: Callable[[], float] = time.time,
    ) -> None:
        _check_threshold(threshold)
        if ttl is not None and ttl < 1:
            raise ValueError(f"ttl must be at least 1 second or None, got {ttl}")
        if candidates < 1:
            raise ValueError(f"candidates must be >= 1, got {candidates}")
        self.embedder = embedder
        self.threshold = threshold
        self.ttl = ttl
        self.freshness = freshness
        self.candidates = candidates
        self.clock = clock
        self._stats = CacheStats()
        self._stats_lock = threading.Lock()

    # -- backend -------------------------------------------------------------------
    @abstractmethod
    def open(self) -> None: ...

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def _search(self, vector: np.ndarray, scope: Scope, threshold: float, k: int, now: float) -> list[StoredEntry]:
        """Unexpired entries of `scope` within `threshold` of `vector`, nearest first, at most `k`, `distance` set."""

    @abstractmethod
    def _put(self, entries: Sequence[StoredEntry], vectors: np.ndarray) -> list[str]:
        """Write entries (replacing any with the same id), one vector row each; return their ids."""

    @abstractmethod
    def _drop(self, entry_ids: Sequence[str]) -> None:
        """Delete entries by id (missing ids are ignored)."""

    @abstractmethod
    def _clear(self, scope: Scope | None) -> int:
        """Delete every entry of `scope` (all when None); return how many."""

    def _restamp(self, entry: StoredEntry, freshness: Freshness) -> None:  # noqa: B027 - optional hook
        """Store a newer freshness record with an entry (optional: the next check is then cheaper)."""

    # -- public --------------------------------------------------------------------
    @property
    def stats(self) -> CacheStats:
        with self._stats_lock:
            return CacheStats(**self._stats.as_dict())

    def _count(self, outcome: str, n: int = 1) -> None:
        with self._stats_lock:
            setattr(self._stats, outcome, getattr(self._stats, outcome) + n)

    def embed(self, text: str) -> np.ndarray:
        """The question's vector (the embedder's own cache makes a repeat free)."""
        return np.asarray(self.embedder.embed([text])[0], dtype=np.float32)

    def lookup(
        self,
        prompt: str,
        *,
        threshold: float | None = None,
        scope: Scope | None = None,
        entities: Iterable[str] | None = None,
        vector: np.ndarray | Sequence[float] | None = None,
    ) -> CacheLookup:
        """Like `check`, with what was passed over and why (for traces and benchmarks).

        `entities`: ids the question links to; when given, entries stored with
        another set are refused. `vector`: the prompt's embedding, if known.
        """
        began = time.perf_counter()
        prompt = _prompt(prompt)
        scope = scope or Scope()
        limit = self.threshold if threshold is None else _check_threshold(threshold)
        vec = self.embed(prompt) if vector is None else np.asarray(vector, dtype=np.float32)
        wanted = None if entities is None else sorted(set(entities))
        now = self.clock()
        found = self._search(vec, scope, limit, self.candidates, now)
        result = CacheLookup("miss", threshold=limit, nearest_distance=found[0].distance if found else None)
        stale: list[str] = []
        any_stale = False
        for entry in found:
            if not scope.allows(entry.scope):  # a backend bug must not leak another user's answer
                raise RuntimeError(f"cache backend returned an entry of scope {entry.scope.key} for {scope.key}")
            note = {"entry_id": entry.entry_id, "distance": round(entry.distance, 4), "prompt": entry.prompt}
            if wanted is not None and sorted(entry.entities) != wanted:
                self._count("guarded")
                result.candidates.append({**note, "why": f"names {entry.entities or 'no entity'}, the question {wanted or 'none'}"})
                continue
            verdict = self.freshness.check(entry.freshness) if self.freshness is not None and entry.freshness is not None else None
            if verdict is not None and not verdict.fresh:
                any_stale = True
                stale.append(entry.entry_id)
                result.candidates.append({**note, "why": f"stale: {verdict.reason}"})
                continue
            if verdict is not None and verdict.restamp is not None:
                self._restamp(entry, verdict.restamp)
            result.outcome = "hit"
            result.hit = CacheHit(
                entry_id=entry.entry_id,
                prompt=entry.prompt,
                answer=entry.answer,
                distance=entry.distance,
                created_at=entry.created_at,
                age_s=max(0.0, now - entry.created_at),
                expires_at=entry.expires_at,
                scope=entry.scope,
                metadata=entry.metadata,
                entities=entry.entities,
                freshness=verdict.restamp if verdict is not None and verdict.restamp is not None else entry.freshness,
                verdict=verdict.reason if verdict is not None else "not checked",
            )
            break
        if stale:
            self._drop(stale)
        if result.hit is None and any_stale:
            result.outcome = "stale"
        self._count({"hit": "hits", "miss": "misses", "stale": "stale"}[result.outcome])
        result.ms = (time.perf_counter() - began) * 1000
        return result

    def check(self, prompt: str, *, threshold: float | None = None, scope: Scope | None = None) -> CacheHit | None:
        """The nearest usable entry within `threshold` of `prompt` in `scope`, or None."""
        return self.lookup(prompt, threshold=threshold, scope=scope).hit

    def store(
        self,
        prompt: str,
        answer: str,
        metadata: Mapping[str, Any] | None = None,
        ttl: int | None = None,
        scope: Scope | None = None,
        *,
        freshness: Freshness | None = None,
        entities: Iterable[str] = (),
        vector: np.ndarray | Sequence[float] | None = None,
    ) -> str:
        """Cache `answer` for `prompt` in `scope` for `ttl` seconds (default: the cache's)."""
        prompt = _prompt(prompt)
        vec = self.embed(prompt) if vector is None else np.asarray(vector, dtype=np.float32)
        # After embedding: a slow first embed (the model loading) must not eat into the TTL.
        entry = self._entry(prompt, answer, metadata, ttl, scope or Scope(), freshness, entities)
        written = self._put([entry], vec[None, :])
        self._count("stores")
        return written[0]

    def store_many(
        self, items: Iterable[tuple[str, str]], vectors: np.ndarray, *, scope: Scope | None = None, ttl: int | None = None
    ) -> list[str]:
        """Bulk fill: (prompt, answer) pairs with their precomputed vectors (warm-ups, benchmarks)."""
        entries = [self._entry(_prompt(p), a, None, ttl, scope or Scope(), None, ()) for p, a in items]
        vecs = np.asarray(vectors, dtype=np.float32)
        if vecs.shape != (len(entries), self.embedder.dims):
            raise ValueError(f"expected vectors of shape ({len(entries)}, {self.embedder.dims}), got {vecs.shape}")
        if not entries:
            return []
        written = self._put(entries, vecs)
        self._count("stores", len(entries))
        return written

    def clear(self, scope: Scope | None = None) -> int:
        """Drop the entries of `scope`, or every entry when None."""
        return self._clear(scope)

    def _entry(
        self,
        prompt: str,
        answer: str,
        metadata: Mapping[str, Any] | None,
        ttl: int | None,
        scope: Scope,
        freshness: Freshness | None,
        entities: Iterable[str],
    ) -> StoredEntry:
        if not isinstance(answer, str):
            raise TypeError(f"answer must be a str, not {type(answer).__name__}")
        life = self.ttl if ttl is None else ttl
        if life is not None and life < 1:
            raise ValueError(f"ttl must be at least 1 second, got {life}")
        now = self.clock()
        return StoredEntry(
            entry_id=entry_id(prompt, scope),
            prompt=prompt,
            answer=answer,
            scope=scope,
            created_at=now,
            expires_at=None if life is None else now + life,
            metadata=dict(metadata or {}),
            entities=sorted(set(entities)),
            freshness=freshness,
        )

    def __enter__(self) -> BaseSemanticCache:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(embedder={self.embedder.name!r}, threshold={self.threshold}, ttl={self.ttl})"


def _prompt(prompt: str) -> str:
    if not isinstance(prompt, str):
        raise TypeError(f"prompt must be a str, not {type(prompt).__name__}")
    text = " ".join(prompt.split())
    if not text:
        raise ValueError("the prompt is empty")
    return text


def _check_threshold(threshold: float) -> float:
    if not 0.0 <= float(threshold) <= 2.0:
        raise ValueError(f"threshold is a cosine distance in [0, 2], got {threshold}")
    return float(threshold)
