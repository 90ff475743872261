"""The decoded-bucket cache serves a bucket only under the content hash it was stored with, and stays within its byte budget."""

from __future__ import annotations

import numpy as np

from opsgraph.store.telemetry_cache import Bucket, BucketCache


def _bucket(node: str, steps: int = 10) -> Bucket:
    return Bucket(node, ("cpu", "latency"), np.arange(steps, dtype=np.int64) * 60,
                  np.ones((steps, 2), np.float32), np.full(steps, -1, np.int8))


def test_a_bucket_is_served_only_under_its_own_hash() -> None:
    cache = BucketCache()
    b = _bucket("api")
    cache.put("Service|api|0", "h1", b)
    assert cache.get("Service|api|0", "h1") is b
    assert cache.get("Service|api|0", "h2") is None  # rewritten since: never the stale copy
    assert cache.get("Service|web|0", "h1") is None
    assert (cache.hits, cache.misses) == (1, 2)


def test_the_least_recently_used_bucket_leaves_first_past_the_budget() -> None:
    one = _bucket("a").nbytes
    cache = BucketCache(budget_bytes=2 * one + one // 2)
    cache.put("a", "h", _bucket("a"))
    cache.put("b", "h", _bucket("b"))
    assert cache.get("a", "h") is not None  # a is now the most recent
    cache.put("c", "h", _bucket("c"))
    assert cache.get("b", "h") is None and cache.get("a", "h") is not None and cache.get("c", "h") is not None
    assert cache.size_bytes <= cache.budget_bytes and len(cache) == 2


def test_a_zero_budget_keeps_nothing() -> None:
    cache = BucketCache(budget_bytes=0)
    cache.put("a", "h", _bucket("a"))
    assert len(cache) == 0 and cache.get("a", "h") is None
