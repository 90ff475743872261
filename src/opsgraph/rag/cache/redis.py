"""The semantic cache on Redis (Stack 7.4+, Redis 8, Redis Cluster) through RedisVL.

- `EmbedderVectorizer`: a RedisVL `BaseVectorizer` that embeds with opsgraph's
  own `Embedder`, so Redis entries and opsgraph's retrieval share one vector
  space; RedisVL's `EmbeddingsCache` in front of it shares embeddings between
  processes and hosts (a repeated question is not embedded twice anywhere).
- `RedisSemanticCache`: `BaseSemanticCache` on RedisVL's `SemanticCache`
  (a FLAT, i.e. exact, cosine index) with `tenant` and `user` tag fields:
  every search is filtered by both inside Redis, so one user's lookup never
  reaches another's entries. TTLs are Redis key expiries, set per entry at
  store and not extended by hits (the cache has no default TTL of its own).

The session history on Redis is `opsgraph.rag.history.redis`.

Everything network-bound happens in `open()`. Import this module only when
Redis is configured: it imports `redis` and `redisvl` (the `[redis]` extra).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import PrivateAttr
from redis.exceptions import RedisError
from redisvl.extensions.cache.embeddings import EmbeddingsCache
from redisvl.extensions.cache.llm import SemanticCache as RedisVLSemanticCache
from redisvl.extensions.cache.llm.schema import CacheEntry
from redisvl.query import FilterQuery
from redisvl.query.filter import FilterExpression, Tag
from redisvl.utils.vectorize import BaseVectorizer

from opsgraph.embed.base import Embedder
from opsgraph.rag._redis import RedisBackendError, connect, slug
from opsgraph.rag.cache.base import BaseSemanticCache
from opsgraph.rag.cache.records import Freshness, Scope, StoredEntry

SCOPE_FIELDS = [{"name": "tenant", "type": "tag"}, {"name": "user", "type": "tag"}]
"""The filterable fields every cache entry carries."""


class EmbedderVectorizer(BaseVectorizer):
    """RedisVL vectorizer over an opsgraph `Embedder` (its name is the RedisVL model name)."""

    _embedder: Any = PrivateAttr()

    def __init__(self, embedder: Embedder, *, cache: EmbeddingsCache | None = None) -> None:
        super().__init__(model=embedder.name, dims=embedder.dims, dtype="float32", cache=cache)
        self._embedder = embedder

    @property
    def type(self) -> str:
        return "opsgraph"

    def _embed(self, content: Any, **kwargs: Any) -> list[float]:
        return [float(x) for x in self._embedder.embed([str(content)])[0]]

    def _embed_many(self, contents: list[Any], batch_size: int = 10, **kwargs: Any) -> list[list[float]]:
        return [[float(x) for x in row] for row in self._embedder.embed([str(c) for c in contents])]


def _scope_filter(scope: Scope) -> FilterExpression:
    return (Tag("tenant") == scope.tenant) & (Tag("user") == scope.user)


class RedisSemanticCache(BaseSemanticCache):
    """The semantic cache on Redis through RedisVL.

    Args:
        embedder: opsgraph's embedder (wrapped in `EmbedderVectorizer`).
        url: `redis://host:port/db` (or `rediss://` for TLS).
        name: prefix of the index and keys; the embedder's name is appended so two models never share an index.
        embeddings_ttl: seconds RedisVL's `EmbeddingsCache` keeps a question's vector (None: forever).
        **base: `threshold`, `ttl`, `freshness`, `candidates`, `clock` (see `BaseSemanticCache`).
    """

    def __init__(self, embedder: Embedder, url: str, *, name: str = "opsgraph", embeddings_ttl: int | None = 7 * 86400, **base: Any) -> None:
        super().__init__(embedder, **base)
        self.url = url
        self.index_name = f"{slug(name)}-answers-{slug(embedder.name)}"
        self.embeddings_name = f"{slug(name)}-embeddings"
        self.embeddings_ttl = embeddings_ttl
        self._client: Any = None
        self._vectorizer: EmbedderVectorizer | None = None
        self._sc: RedisVLSemanticCache | None = None

    def open(self) -> None:
        if self._sc is not None:
            return
        client = connect(self.url)
        embeddings = EmbeddingsCache(name=self.embeddings_name, redis_client=client, ttl=self.embeddings_ttl)
        self._vectorizer = EmbedderVectorizer(self.embedder, cache=embeddings)
        try:
            self._sc = RedisVLSemanticCache(
                name=self.index_name,
                distance_threshold=self.threshold,
                vectorizer=self._vectorizer,
                filterable_fields=SCOPE_FIELDS,
                redis_client=client,
            )
        except (RedisError, ValueError) as exc:
            raise RedisBackendError(f"Redis at {self.url}: cannot create the cache index {self.index_name}: {exc}") from exc
        self._client = client

    def close(self) -> None:
        if self._sc is not None:
            self._sc.disconnect()
        self._sc = None
        self._vectorizer = None
        if self._client is not None:
            self._client.close()
            self._client = None

    def _cache(self) -> RedisVLSemanticCache:
        if self._sc is None:
            raise RuntimeError("the cache is not open: call open()")
        return self._sc

    def embed(self, text: str) -> np.ndarray:
        """Through RedisVL's vectorizer, so its `EmbeddingsCache` answers repeats."""
        if self._vectorizer is None:
            raise RuntimeError("the cache is not open: call open()")
        return np.asarray(self._vectorizer.embed(text), dtype=np.float32)

    # -- backend ---------------------------------------------------------------------
    def _search(self, vector: np.ndarray, scope: Scope, threshold: float, k: int, now: float) -> list[StoredEntry]:
        try:
            found = self._cache().check(
                vector=[float(x) for x in vector], num_results=k, filter_expression=_scope_filter(scope), distance_threshold=threshold
            )
        except RedisError as exc:
            raise RedisBackendError(f"Redis at {self.url}: cache lookup failed: {exc}") from exc
        out = []
        for hit in found:
            meta = hit.get("metadata") or {}
            expires = meta.get("expires_at")
            if expires is not None and expires <= now:
                continue
            out.append(
                StoredEntry(
                    entry_id=hit["entry_id"],
                    prompt=hit["prompt"],
                    answer=hit["response"],
                    scope=Scope(tenant=hit["tenant"], user=hit["user"]),
                    created_at=float(meta.get("created_at", hit.get("inserted_at", now))),
                    expires_at=expires,
                    metadata=meta.get("metadata") or {},
                    entities=meta.get("entities") or [],
                    freshness=Freshness.model_validate(meta["freshness"]) if meta.get("freshness") else None,
                    distance=float(hit["vector_distance"]),
                )
            )
        out.sort(key=lambda e: e.distance)
        return out

    @staticmethod
    def _record(e: StoredEntry) -> dict[str, Any]:
        return {
            "metadata": e.metadata,
            "entities": e.entities,
            "freshness": e.freshness.model_dump() if e.freshness else None,
            "created_at": e.created_at,
            "expires_at": e.expires_at,
        }

    def _put(self, entries: Sequence[StoredEntry], vectors: np.ndarray) -> list[str]:
        sc = self._cache()
        ids = []
        try:
            if len(entries) == 1:
                e = entries[0]
                key = sc.store(
                    e.prompt,
                    e.answer,
                    vector=[float(x) for x in vectors[0]],
                    metadata=json.loads(json.dumps(self._record(e), default=str)),
                    filters={"tenant": e.scope.tenant, "user": e.scope.user},
                    ttl=_ttl(e),
                )
                return [key.rsplit(":", 1)[-1]]
            # Bulk fills (warm-ups, benchmarks) go through the cache's own index in one pipeline per TTL.
            groups: dict[int | None, list[dict[str, Any]]] = {}
            for e, v in zip(entries, vectors, strict=True):
                record = CacheEntry(
                    prompt=e.prompt,
                    response=e.answer,
                    prompt_vector=[float(x) for x in v],
                    metadata=json.loads(json.dumps(self._record(e), default=str)),
                    filters={"tenant": e.scope.tenant, "user": e.scope.user},
                )
                ids.append(str(record.entry_id))
                groups.setdefault(_ttl(e), []).append(record.to_dict(dtype="float32"))
            for ttl, rows in groups.items():
                sc.index.load(rows, ttl=ttl, id_field="entry_id", batch_size=500)
        except RedisError as exc:
            raise RedisBackendError(f"Redis at {self.url}: cache store failed: {exc}") from exc
        return ids

    def _drop(self, entry_ids: Sequence[str]) -> None:
        if entry_ids:
            self._cache().drop(ids=list(entry_ids))

    def _clear(self, scope: Scope | None) -> int:
        sc = self._cache()
        if scope is None:
            count = int(sc.index.info().get("num_docs", 0))
            sc.clear()
            return count
        dropped = 0
        query = FilterQuery(filter_expression=_scope_filter(scope), return_fields=["entry_id"], num_results=1000)
        while True:
            rows = sc.index.query(query)
            if not rows:
                return dropped
            sc.drop(keys=[r["id"] for r in rows])
            dropped += len(rows)

    def _restamp(self, entry: StoredEntry, freshness: Freshness) -> None:
        updated = entry.model_copy(update={"freshness": freshness})
        sc = self._cache()
        sc.update(sc.index.key(entry.entry_id), metadata=json.loads(json.dumps(self._record(updated), default=str)))


def _ttl(entry: StoredEntry) -> int | None:
    if entry.expires_at is None:
        return None
    return max(1, round(entry.expires_at - entry.created_at))


