"""Is a cached answer still true of the estate? Finer than "any write invalidates everything".

When an answer is cached, `StoreFreshness.record` notes the store's
`data_version()` and a fingerprint of every node and chunk the answer was
given (its `_hash`, the content hash every upsert keeps, plus the node's
own relationships, which graph cards show), and for a query-answered
question the Cypher, its parameters and a hash of its rows.

`check` then decides, cheapest first:
1. the answer settings (model, k, hops) differ → stale;
2. same store instance and the data version is unchanged → fresh (one small
   read, no fingerprints);
3. otherwise (the version moved, or the entry was made on another store, e.g.
   another replica sharing one Redis, or a store deleted and loaded again):
   re-read the fingerprints (one indexed query per node type involved) and
   re-run the answer's query; anything different or missing → stale; all
   equal → fresh, and the entry is re-stamped with this store's version so
   the next check is step 2 again. Fingerprints are content hashes, so they
   compare across stores where version numbers cannot.

What this cannot see, by design: a *new* node or document that would now
rank above the cited ones for a document answer (the TTL bounds that), and
an entity added since that the question names (an answer with no sources
and no query is therefore stale after any write). It only reads.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from opsgraph.errors import QueryError
from opsgraph.rag.cache.records import Freshness, FreshnessVerdict
from opsgraph.store.base import GraphStore

_CHUNK = 500


def rows_hash(rows: Iterable[Mapping[str, Any]]) -> str:
    """Order-insensitive hash of query rows (a collected list's order is not part of the answer)."""
    canon = sorted(json.dumps(_canonical(dict(r)), sort_keys=True, default=str) for r in rows)
    return hashlib.blake2b("\n".join(canon).encode(), digest_size=12).hexdigest()


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return sorted((_canonical(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True, default=str))
    return value


class StoreFreshness:
    """Records and checks what cached answers depend on, in one `GraphStore`.

    Args:
        store: the estate's store (read only).
        variant: hash of the settings that shape answers; entries made under others are stale.
        store_id: which store instance this is (the app passes the store folder's identity).
        ignore_edges: relationship types left out of node fingerprints (the graph cards
            leave out document links, so a new runbook mentioning a service does not change it).
        query_timeout_ms: bound on re-running an answer's query.
    """

    def __init__(
        self, store: GraphStore, *, variant: str = "", store_id: str = "", ignore_edges: Iterable[str] = (), query_timeout_ms: int = 5_000
    ) -> None:
        self.store = store
        self.variant = variant
        self.store_id = store_id
        """Identifies the store instance (its version numbers mean nothing in another one)."""
        self.ignore_edges = sorted(set(ignore_edges))
        self.query_timeout_ms = query_timeout_ms

    # -- recording -------------------------------------------------------------------
    def record(self, source_ids: Iterable[str], *, query: str | None = None, params: Mapping[str, Any] | None = None) -> Freshness:
        """The freshness record of an answer made now from `source_ids` (node and chunk ids) and maybe a query."""
        version = self.store.data_version()
        ids = sorted({i for i in source_ids if i})
        types = self.store.node_types(ids) if ids else {}
        by_type: dict[str, list[str]] = defaultdict(list)
        for node_id, node_type in types.items():
            by_type[node_type].append(node_id)
        sources = {t: self._fingerprints(t, group) for t, group in sorted(by_type.items())}
        rec = Freshness(data_version=version, sources=sources, variant=self.variant, store=self.store_id)
        if query:
            rec.query = query
            rec.params = dict(params or {})
            rec.rows_hash = self._rows_hash(query, rec.params)
        return rec

    # -- checking --------------------------------------------------------------------
    def check(self, recorded: Freshness) -> FreshnessVerdict:
        began = time.perf_counter()

        def verdict(fresh: bool, reason: str, restamp: Freshness | None = None) -> FreshnessVerdict:
            return FreshnessVerdict(fresh=fresh, reason=reason, ms=(time.perf_counter() - began) * 1000, restamp=restamp)

        if recorded.variant != self.variant:
            return verdict(False, "made with other answer settings (model, k or hops)")
        version = self.store.data_version()
        same_store = recorded.store == self.store_id
        if same_store and version == recorded.data_version:
            return verdict(True, f"data unchanged (version {version})")
        if not recorded.sources and recorded.query is None:
            return verdict(False, "the data changed and the answer names no sources to check")
        for node_type, stored in recorded.sources.items():
            now = self._fingerprints(node_type, list(stored))
            for node_id, fp in stored.items():
                if node_id not in now:
                    return verdict(False, f"{node_type} {node_id} was deleted")
                if now[node_id] != fp:
                    return verdict(False, f"{node_type} {node_id} changed")
        if recorded.query is not None:
            try:
                current = self._rows_hash(recorded.query, recorded.params)
            except QueryError as exc:
                return verdict(False, f"its query no longer runs: {str(exc).splitlines()[0][:120]}")
            if current != recorded.rows_hash:
                return verdict(False, "its query now returns other rows")
        n = sum(len(s) for s in recorded.sources.values())
        what = " and ".join(x for x in (f"{n} source(s)" if n else "", "its query's rows" if recorded.query else "") if x)
        change = f"data changed (version {recorded.data_version} -> {version})" if same_store else "made on another store"
        return verdict(True, f"{change} but not the {what} this answer used", recorded.model_copy(update={"data_version": version, "store": self.store_id}))

    # -- reading ---------------------------------------------------------------------
    def _fingerprints(self, node_type: str, ids: list[str]) -> dict[str, str]:
        """id → hash of the node's `_hash` and its relationships (type, direction, other end, edge `_hash`)."""
        out: dict[str, str] = {}
        # The type comes from the store's own answer (node_types), so it is a plain identifier.
        cypher = (
            f"MATCH (n:`{node_type}`) WHERE n.id IN $ids "
            "OPTIONAL MATCH (n)-[r]-(m) WHERE NOT type(r) IN $skip "
            "RETURN n.id AS id, n._hash AS h, collect([type(r), startNode(r) = n, m.id, r._hash]) AS rels"
        )
        for start in range(0, len(ids), _CHUNK):
            part = ids[start : start + _CHUNK]
            rows = self.store.query(cypher, {"ids": part, "skip": self.ignore_edges}, limit=len(part), timeout_ms=self.query_timeout_ms).rows
            for row in rows:
                rels = sorted(json.dumps(r, default=str) for r in row.get("rels") or [] if r and r[0] is not None)
                blob = json.dumps([row.get("h"), rels])
                out[str(row["id"])] = hashlib.blake2b(blob.encode(), digest_size=10).hexdigest()
        return out

    def _rows_hash(self, query: str, params: Mapping[str, Any]) -> str:
        result = self.store.query(query, dict(params), limit=10_000, timeout_ms=self.query_timeout_ms)
        return rows_hash(result.rows)
