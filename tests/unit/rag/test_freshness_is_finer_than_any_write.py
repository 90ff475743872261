"""`StoreFreshness`: what makes a cached answer stale, on a fake store that counts its reads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from opsgraph.rag.cache.freshness import StoreFreshness, rows_hash
from opsgraph.store import QueryResult


class FakeStore:
    """Nodes as {id: (type, hash, [rels])}; one answer query with rows the test sets."""

    def __init__(self) -> None:
        self.version = 10
        self.nodes: dict[str, tuple[str, str, list[list[Any]]]] = {
            "paymentservice": ("Service", "h1", [["DEPENDS_ON", False, "checkoutservice", "e1"]]),
            "checkoutservice": ("Service", "h2", []),
            "docs/pay.md#0": ("Chunk", "c1", []),
            "rachel.kim": ("Person", "p1", []),
        }
        self.rows: list[dict[str, Any]] = [{"id": "checkoutservice", "name": "Checkout", "via": [["a"], ["b"]]}]
        self.reads = 0

    def data_version(self) -> int:
        return self.version

    def node_types(self, ids: Sequence[str]) -> dict[str, str]:
        return {i: self.nodes[i][0] for i in ids if i in self.nodes}

    def query(self, cypher: str, params: Mapping[str, Any] | None = None, **kw: Any) -> QueryResult:
        self.reads += 1
        params = params or {}
        if "OPTIONAL MATCH" in cypher:
            label = cypher.split("(n:`")[1].split("`")[0]
            rows = [{"id": i, "h": self.nodes[i][1], "rels": self.nodes[i][2]} for i in params["ids"] if i in self.nodes and self.nodes[i][0] == label]
            return QueryResult(columns=["id", "h", "rels"], rows=rows)
        return QueryResult(columns=["id", "name", "via"], rows=[dict(r) for r in self.rows])

    def touch(self, node_id: str, **change: Any) -> None:
        t, h, rels = self.nodes[node_id]
        self.nodes[node_id] = (t, change.get("h", h), change.get("rels", rels))
        self.version += 1


def test_unchanged_data_is_fresh_without_reading_fingerprints() -> None:
    store = FakeStore()
    fresh = StoreFreshness(store)  # type: ignore[arg-type]
    rec = fresh.record(["paymentservice", "docs/pay.md#0"])
    store.reads = 0
    verdict = fresh.check(rec)
    assert verdict.fresh and "unchanged" in verdict.reason and store.reads == 0


def test_a_write_elsewhere_keeps_the_answer_and_restamps_it() -> None:
    store = FakeStore()
    fresh = StoreFreshness(store)  # type: ignore[arg-type]
    rec = fresh.record(["paymentservice", "docs/pay.md#0"])
    store.touch("rachel.kim", h="p2")
    verdict = fresh.check(rec)
    assert verdict.fresh and "not the 2 source(s)" in verdict.reason
    assert verdict.restamp is not None and verdict.restamp.data_version == store.version


def test_a_changed_cited_node_or_one_of_its_relationships_makes_it_stale() -> None:
    store = FakeStore()
    fresh = StoreFreshness(store)  # type: ignore[arg-type]
    rec = fresh.record(["paymentservice", "docs/pay.md#0"])
    store.touch("paymentservice", rels=[["DEPENDS_ON", False, "checkoutservice", "e2"]])
    assert fresh.check(rec).reason == "Service paymentservice changed"
    rec = fresh.record(["paymentservice", "docs/pay.md#0"])
    store.touch("docs/pay.md#0", h="c2")
    assert fresh.check(rec).reason == "Chunk docs/pay.md#0 changed"


def test_a_deleted_source_makes_it_stale() -> None:
    store = FakeStore()
    fresh = StoreFreshness(store)  # type: ignore[arg-type]
    rec = fresh.record(["checkoutservice"])
    del store.nodes["checkoutservice"]
    store.version += 1
    assert not fresh.check(rec).fresh and "deleted" in fresh.check(rec).reason


def test_a_query_answer_is_stale_only_when_its_rows_change() -> None:
    store = FakeStore()
    fresh = StoreFreshness(store)  # type: ignore[arg-type]
    rec = fresh.record([], query="MATCH ... RETURN n.id AS id", params={"anchor": "paymentservice"})
    store.rows = [{"id": "checkoutservice", "name": "Checkout", "via": [["b"], ["a"]]}]  # collect order is not the answer
    store.version += 1
    assert fresh.check(rec).fresh
    store.rows.append({"id": "frontend", "name": "Frontend", "via": []})
    store.version += 1
    assert fresh.check(rec).reason == "its query now returns other rows"


def test_other_settings_or_nothing_to_check_are_stale() -> None:
    store = FakeStore()
    rec = StoreFreshness(store, variant="a").record(["paymentservice"])  # type: ignore[arg-type]
    assert "settings" in StoreFreshness(store, variant="b").check(rec).reason  # type: ignore[arg-type]
    fresh = StoreFreshness(store)  # type: ignore[arg-type]
    empty = fresh.record([])
    store.version += 1
    assert "no sources" in fresh.check(empty).reason


def test_another_store_at_the_same_version_is_checked_by_content() -> None:
    here, there = FakeStore(), FakeStore()
    rec = StoreFreshness(there, store_id="replica-2").record(["paymentservice"])  # type: ignore[arg-type]
    mine = StoreFreshness(here, store_id="replica-1")  # type: ignore[arg-type]
    here.reads = 0
    verdict = mine.check(rec)  # same version number, but it counts in another store: fingerprints decide
    assert verdict.fresh and verdict.reason.startswith("made on another store") and here.reads > 0
    assert verdict.restamp is not None and verdict.restamp.store == "replica-1"
    here.nodes["paymentservice"] = ("Service", "other", [])
    assert mine.check(rec).reason == "Service paymentservice changed"


def test_rows_hash_ignores_row_and_list_order() -> None:
    assert rows_hash([{"a": 1, "l": [2, 1]}, {"a": 2}]) == rows_hash([{"a": 2}, {"l": [1, 2], "a": 1}])
    assert rows_hash([{"a": 1}]) != rows_hash([{"a": 2}])
