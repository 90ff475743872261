"""The semantic cache of answers: its protocol and the work every backend shares (records: `records.py`).

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
- **Same question**: a candidate within the distance must also pass the verifier: the rules of
  `opsgraph.rag.cache_verify` (numbers, negation, names, type words, word order), then, for the embedder its
  weights were fitted on, the learned scorer of `opsgraph.rag.cache_scorer`.
- **Freshness**: an entry records a `Freshness` (the store's data version,
  fingerprints of what the answer used, the query that produced its rows);
  a `FreshnessCheck` (see `opsgraph.rag.cache.freshness`) decides at lookup time.
  A stale entry is not served, is counted as `stale` and dropped.
- **TTL** counts from the store: a hit does not extend it.

This module must not import a database driver or RedisVL; backends live in
`embedded.py` and `redis.py` beside it.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from opsgraph.embed.base import Embedder
from opsgraph.rag.cache.records import (
    DEFAULT_THRESHOLD,
    CacheHit,
    CacheLookup,
    CacheStats,
    Freshness,
    FreshnessVerdict,
    Scope,
    StoredEntry,
    entry_id,
)
from opsgraph.rag.cache_scorer import PairScorer, default_scorer
from opsgraph.rag.cache_verify import DEFAULT_RULES, same_question


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


@runtime_checkable
class FreshnessCheck(Protocol):
    """Decides whether a recorded answer is still true of the store."""

    def check(self, recorded: Freshness) -> FreshnessVerdict: ...


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

    verify_rules: frozenset[str] = DEFAULT_RULES
    """Checks a candidate within the distance must pass to be served (`opsgraph.rag.cache_verify`); empty: distance only."""
    type_words: tuple[str, ...] = ()
    """The estate's type words, for the verifier's `types` check."""
    learned_verifier: bool = True
    """After the rules, ask the learned scorer (`opsgraph.rag.cache_scorer`) too, when the embedder is the one its
    weights were fitted for (other embedders: rules only)."""

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
            same = same_question(entry.prompt, prompt, type_words=self.type_words, rules=self.verify_rules)
            if not same.ok:
                # Within the distance but another question: other numbers, a negation, other names (cache_verify.py).
                self._count("guarded")
                result.candidates.append({**note, "why": f"another question ({same.rule}: {same.detail})"})
                continue
            scorer = self._scorer()
            if scorer is not None:
                served, p = scorer.same(entry.prompt, prompt, self.embed(entry.prompt), vec)
                if not served:
                    self._count("guarded")
                    why = f"another question (learned verifier: p {p:.2f} < {scorer.min_probability:.2f})"
                    result.candidates.append({**note, "why": why})
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

    def _scorer(self) -> PairScorer | None:
        if not self.learned_verifier:
            return None
        scorer = default_scorer()
        return scorer if scorer.applies_to(self.embedder.name, self.embedder.dims) else None

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
