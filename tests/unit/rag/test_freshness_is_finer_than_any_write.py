"""`StoreFreshness`: what makes a cached answer stale, on an in-memory store that counts its reads."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from memory_store import MemoryStore
from opsgraph.rag.cache.freshness import StoreFreshness, rows_hash
from opsgraph.store import QueryResult


class FingerprintedStore(MemoryStore):
    """Nodes carry a fingerprint `h` and their relationships `rels`; the answer query returns `rows`, which a test sets."""

    def __init__(self) -> None:
        super().__init__(nodes={
            "Service": [{"id": "paymentservice", "h": "h1", "rels": [["DEPENDS_ON", False, "checkoutservice", "e1"]]},
                        {"id": "checkoutservice", "h": "h2", "rels": []}],
            "Chunk": [{"id": "docs/pay.md#0", "h": "c1", "rels": []}],
            "Person": [{"id": "rachel.kim", "h": "p1", "rels": []}],
        }, version=10)
        self.rows: list[dict[str, Any]] = [{"id": "checkoutservice", "name": "Checkout", "via": [["a"], ["b"]]}]
        self.answer(r"OPTIONAL MATCH", self._fingerprints)
        self.answer(r"", lambda _m, _p: QueryResult(columns=["id", "name", "via"], rows=[dict(r) for r in self.rows]))

    @property
    def reads(self) -> int:
        return len(self.queries)

    def _fingerprints(self, _: re.Match[str], params: Mapping[str, Any]) -> QueryResult:
        label = self.queries[-1].split("(n:`")[1].split("`")[0]
        by_id = {r["id"]: r for r in self.nodes.get(label, [])}
        rows = [{"id": i, "h": by_id[i]["h"], "rels": by_id[i]["rels"]} for i in params["ids"] if i in by_id]
        return QueryResult(columns=["id", "h", "rels"], rows=rows)

    def change(self, node_id: str, **change: Any) -> None:
        row = next(r for rows in self.nodes.values() for r in rows if r["id"] == node_id)
        row.update(change)
        self.touch()

    def delete(self, node_id: str) -> None:
        for rows in self.nodes.values():
            rows[:] = [r for r in rows if r["id"] != node_id]
        self.touch()


def test_unchanged_data_is_fresh_without_reading_fingerprints() -> None:
    store = FingerprintedStore()
    fresh = StoreFreshness(store)  # type: ignore[arg-type]
    rec = fresh.record(["paymentservice", "docs/pay.md#0"])
    reads = store.reads
    verdict = fresh.check(rec)
    assert verdict.fresh and "unchanged" in verdict.reason and store.reads == reads


def test_a_write_elsewhere_keeps_the_answer_and_restamps_it() -> None:
    store = FingerprintedStore()
    fresh = StoreFreshness(store)  # type: ignore[arg-type]
    rec = fresh.record(["paymentservice", "docs/pay.md#0"])
    store.change("rachel.kim", h="p2")
    verdict = fresh.check(rec)
    assert verdict.fresh and "not the 2 source(s)" in verdict.reason
    assert verdict.restamp is not None and verdict.restamp.data_version == store.version


def test_a_changed_cited_node_or_one_of_its_relationships_makes_it_stale() -> None:
    store = FingerprintedStore()
    fresh = StoreFreshness(store)  # type: ignore[arg-type]
    rec = fresh.record(["paymentservice", "docs/pay.md#0"])
    store.change("paymentservice", rels=[["DEPENDS_ON", False, "checkoutservice", "e2"]])
    assert fresh.check(rec).reason == "Service paymentservice changed"
    rec = fresh.record(["paymentservice", "docs/pay.md#0"])
    store.change("docs/pay.md#0", h="c2")
    assert fresh.check(rec).reason == "Chunk docs/pay.md#0 changed"


def test_a_deleted_source_makes_it_stale() -> None:
    store = FingerprintedStore()
    fresh = StoreFreshness(store)  # type: ignore[arg-type]
    rec = fresh.record(["checkoutservice"])
    store.delete("checkoutservice")
    assert not fresh.check(rec).fresh and "deleted" in fresh.check(rec).reason


def test_a_query_answer_is_stale_only_when_its_rows_change() -> None:
    store = FingerprintedStore()
    fresh = StoreFreshness(store)  # type: ignore[arg-type]
    rec = fresh.record([], query="MATCH ... RETURN n.id AS id", params={"anchor": "paymentservice"})
    store.rows = [{"id": "checkoutservice", "name": "Checkout", "via": [["b"], ["a"]]}]  # collect order is not the answer
    store.version += 1
    assert fresh.check(rec).fresh
    store.rows.append({"id": "frontend", "name": "Frontend", "via": []})
    store.version += 1
    assert fresh.check(rec).reason == "its query now returns other rows"


def test_other_settings_or_nothing_to_check_are_stale() -> None:
    store = FingerprintedStore()
    rec = StoreFreshness(store, variant="a").record(["paymentservice"])  # type: ignore[arg-type]
    assert "settings" in StoreFreshness(store, variant="b").check(rec).reason  # type: ignore[arg-type]
    fresh = StoreFreshness(store)  # type: ignore[arg-type]
    empty = fresh.record([])
    store.version += 1
    assert "no sources" in fresh.check(empty).reason


def test_another_store_at_the_same_version_is_checked_by_content() -> None:
    here, there = FingerprintedStore(), FingerprintedStore()
    rec = StoreFreshness(there, store_id="replica-2").record(["paymentservice"])  # type: ignore[arg-type]
    mine = StoreFreshness(here, store_id="replica-1")  # type: ignore[arg-type]
    reads = here.reads
    verdict = mine.check(rec)  # same version number, but it counts in another store: fingerprints decide
    assert verdict.fresh and verdict.reason.startswith("made on another store") and here.reads > reads
    assert verdict.restamp is not None and verdict.restamp.store == "replica-1"
    here.nodes["Service"][0].update(h="other", rels=[])
    assert mine.check(rec).reason == "Service paymentservice changed"


def test_rows_hash_ignores_row_and_list_order() -> None:
    assert rows_hash([{"a": 1, "l": [2, 1]}, {"a": 2}]) == rows_hash([{"a": 2}, {"l": [1, 2], "a": 1}])
    assert rows_hash([{"a": 1}]) != rows_hash([{"a": 2}])
