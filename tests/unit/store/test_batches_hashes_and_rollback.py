"""The store's own work on a `MockTransport`: batching, de-duplication, change detection by hash, rollback.

The same behaviours run against the real engine in tests/integration/ingest (test_ingest_is_idempotent.py,
test_bad_estates_are_refused_before_any_write.py); here they take milliseconds and show each statement sent.
"""

from __future__ import annotations

from typing import Any

import pytest

from opsgraph.errors import BatchError, QueryError, StoreError
from opsgraph.store import MockTransport, Statement
from opsgraph.store.arcadedb import ArcadeDBStore, row_hash


class FakeEngine:
    """Just enough of a node table for the statements `upsert_nodes` sends; `fail_on` makes one CREATE fail."""

    def __init__(self, stored: dict[str, dict[str, Any]] | None = None, fail_on: str | None = None) -> None:
        self.stored = dict(stored or {})
        self.fail_on = fail_on

    def __call__(self, s: Statement) -> list[dict[str, Any]]:
        if "count(*)" in s.text:
            return [{"c": len(self.stored)}]
        if s.text.startswith("MATCH (n:Service) WHERE n.id IN $ids"):
            return [{"id": i, "h": self.stored[i]["_hash"]} for i in s.params["ids"] if i in self.stored]
        if "CREATE (n:Service)" in s.text and any(r["id"] == self.fail_on for r in s.params["rows"]):
            raise QueryError("duplicate key on purpose")
        return []


def _store(engine: FakeEngine, batch_size: int = 2) -> tuple[ArcadeDBStore, MockTransport]:
    transport = MockTransport(engine)
    store = ArcadeDBStore(transport=transport, batch_size=batch_size)
    store.open()
    return store, transport


def _rows(*ids: str, tier: str = "high") -> list[dict[str, Any]]:
    return [{"id": i, "name": i.upper(), "tier": tier} for i in ids]


def test_rows_go_in_batches_each_in_its_own_transaction() -> None:
    store, t = _store(FakeEngine(), batch_size=2)
    report = store.upsert_nodes("Service", _rows("a", "b", "c", "d", "e"))
    creates = t.writes("CREATE (n:Service)")
    assert [[r["id"] for r in s.params["rows"]] for s in creates] == [["a", "b"], ["c", "d"], ["e"]]
    assert [s.transaction for s in creates] == [1, 2, 3] and t.outcomes == ["commit"] * 3
    assert (report.created, report.updated, report.unchanged) == (5, 0, 0)
    assert t.timeout_ms == store.timeout_ms and t.is_open


def test_duplicates_are_dropped_before_sending_last_row_wins() -> None:
    store, t = _store(FakeEngine(), batch_size=10)
    report = store.upsert_nodes("Service", [*_rows("a", tier="low"), *_rows("b"), *_rows("a", tier="critical")])
    (create,) = t.writes("CREATE (n:Service)")
    assert sorted((r["id"], r["tier"]) for r in create.params["rows"]) == [("a", "critical"), ("b", "high")]
    assert report.duplicates == ("a",) and report.created == 2


def test_only_rows_whose_hash_changed_are_written() -> None:
    same, old = _rows("same")[0], _rows("moved", tier="low")[0]
    stored = {"same": {"_hash": row_hash(same)}, "moved": {"_hash": row_hash(old)}}
    store, t = _store(FakeEngine(stored), batch_size=10)
    report = store.upsert_nodes("Service", [*_rows("same"), *_rows("moved", tier="critical"), *_rows("new")])
    assert [r["id"] for r in t.writes("CREATE (n:Service)")[0].params["rows"]] == ["new"]
    assert [r["id"] for r in t.writes("MATCH (n:Service {id: row.id}) SET n = row")[0].params["rows"]] == ["moved"]
    assert (report.created, report.updated, report.unchanged) == (1, 1, 1)
    assert all(r["_hash"] == row_hash({k: v for k, v in r.items() if k != "_hash"}) for r in t.writes("CREATE (n:Service)")[0].params["rows"])


def test_nothing_is_written_when_nothing_changed() -> None:
    rows = _rows("a", "b")
    store, t = _store(FakeEngine({r["id"]: {"_hash": row_hash(r)} for r in rows}))
    report = store.upsert_nodes("Service", _rows("a", "b"))
    assert report.unchanged == 2 and t.writes("Service") == [] and t.outcomes == []


def test_a_failed_batch_is_rolled_back_and_earlier_batches_stand() -> None:
    store, t = _store(FakeEngine(fail_on="c"), batch_size=2)
    with pytest.raises(BatchError, match="a batch of 2 Service nodes failed and was rolled back: duplicate key on purpose"):
        store.upsert_nodes("Service", _rows("a", "b", "c", "d", "e"))
    assert t.outcomes == ["commit", "rollback"], "the third batch was never sent"
    assert [s.params["rows"][0]["id"] for s in t.writes("CREATE (n:Service)")] == ["a", "c"]
    assert not any("data_version" in s.text for s in t.statements if s.transaction == 2), "the version did not move with the failed batch"


def test_the_mock_refuses_use_before_open_and_nested_transactions() -> None:
    t = MockTransport()
    with pytest.raises(StoreError, match="not open"):
        t.query("sql", "SELECT 1", None, None)
    t.open()
    assert t.query("sql", "SELECT 1", None, None) == ([], False)
    with pytest.raises(StoreError, match="nest"), t.transaction(), t.transaction():
        pass
    assert t.outcomes == ["rollback"]
