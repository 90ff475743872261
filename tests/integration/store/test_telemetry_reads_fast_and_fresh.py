"""Telemetry read through the fast path (one crossing per list, decoded buckets cached by content hash) equals the
element-wise read exactly, windows slice the same way, and a rewritten bucket is never served from the cache."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from opsgraph.schema.loader import parse_schema
from opsgraph.store import create_store
from opsgraph.store.arcadedb import ArcadeDBStore
from opsgraph.store.telemetry_cache import BucketCache

SCHEMA = """\
version: 1
name: t
nodes:
  Service:
    properties: {name: string}
    telemetry: [cpu, latency]
edges: {}
"""
T0 = 1_767_225_600  # 2026-01-01T00:00:00Z, a bucket start


class _ElementWise:
    """The transport without its fast numeric read: each value converted on its own."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        if name == "query_numeric":
            raise AttributeError(name)
        return getattr(self._inner, name)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ArcadeDBStore]:
    s = create_store("arcadedb-embedded", path=tmp_path_factory.mktemp("tel") / "store", bucket_steps=30)
    assert isinstance(s, ArcadeDBStore)
    s.open()
    s.ensure_schema(parse_schema(SCHEMA))
    rng = np.random.default_rng(4)
    rows = []
    for t in range(75):  # three buckets of 30 steps, the last one partial
        for n in ("api", "db"):
            cpu, lat = float(rng.normal() * 1e3), float(rng.random() * 1e-7)
            rows.append({"node": n, "ts": T0 + 60 * t, "values": [cpu, None if (t % 7 == 0 and n == "db") else lat],
                         "label": 1 if t == 40 and n == "api" else None})
    s.write_telemetry("Service", ["cpu", "latency"], rows)
    try:
        yield s
    finally:
        s.close()


def _slow(store: ArcadeDBStore, *args: Any) -> Any:
    fast, cache = store.transport, store.telemetry_cache
    store.transport, store.telemetry_cache = _ElementWise(fast), BucketCache(0)  # type: ignore[assignment]
    try:
        return store.read_telemetry(*args)
    finally:
        store.transport, store.telemetry_cache = fast, cache


@pytest.mark.parametrize("window", [(None, None), (T0 + 60 * 25, T0 + 60 * 47), (T0 + 60 * 70, None), (T0 - 600, T0 + 60)])
def test_fast_and_cached_reads_equal_the_element_wise_read(store: ArcadeDBStore, window: tuple[int | None, int | None]) -> None:
    expected = _slow(store, "Service", None, *window)
    for _ in range(2):  # cold, then from the cache
        got = store.read_telemetry("Service", None, *window)
        assert got.node_ids == expected.node_ids and got.features == expected.features
        assert got.timestamps.tolist() == expected.timestamps.tolist()
        np.testing.assert_array_equal(got.values, expected.values)  # NaN where missing, bit for bit otherwise
        np.testing.assert_array_equal(got.labels, expected.labels)
    assert store.telemetry_cache.hits > 0


def test_a_window_reads_only_its_steps(store: ArcadeDBStore) -> None:
    part = store.read_telemetry("Service", ["db"], T0 + 60 * 28, T0 + 60 * 32)
    assert part.timestamps.tolist() == [T0 + 60 * t for t in range(28, 32)]  # across a bucket boundary
    assert part.node_ids == ["db"] and np.isnan(part.values[0, 0, 1])  # t=28 is a multiple of 7: no latency stored


def test_a_rewritten_bucket_is_read_fresh(store: ArcadeDBStore) -> None:
    store.read_telemetry("Service", ["api"])  # cache every api bucket
    store.write_telemetry("Service", ["cpu", "latency"], [{"node": "api", "ts": T0 + 60 * 31, "values": [12345.5, 0.25], "label": 0}])
    got = store.read_telemetry("Service", ["api"], T0 + 60 * 31, T0 + 60 * 32)
    assert got.values[0, 0].tolist() == [12345.5, 0.25] and got.labels[0, 0] == 0
