"""The undo's compare-and-set rule on a `MockTransport`: a row goes back to its pre-image only while it still holds
what the dead batch wrote; rows another writer changed, created or deleted since are kept and named; an undo that
keeps losing write conflicts is retried, then fails naming its journal, which is kept (and unlocked) for the next try.

The same rule against a real ArcadeDB server: tests/integration/store/test_recovery_keeps_newer_writes_on_a_server.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from opsgraph.errors import QueryError, StoreError
from opsgraph.store import MockTransport, Statement, arcadedb
from opsgraph.store.arcadedb import ArcadeDBStore, record_hash
from opsgraph.store.journal import Journal


class Held:
    """What the store holds now: node id → `_hash`; answers the undo's reads, records its writes, can refuse deletes."""

    def __init__(self, nodes: dict[str, str], *, conflicts: int = 0) -> None:
        self.nodes = nodes
        self.conflicts = conflicts
        """How many DELETEs fail with a write conflict before one goes through."""

    def __call__(self, s: Statement) -> list[dict[str, Any]]:
        if "RETURN n.id AS id, n._hash AS h" in s.text:
            return [{"id": i, "h": self.nodes[i]} for i in s.params["ids"] if i in self.nodes]
        if "RETURN n.id AS id" in s.text:
            return [{"id": i} for i in s.params["ids"] if i in self.nodes]
        if "DETACH DELETE" in s.text and self.conflicts:
            self.conflicts -= 1
            raise QueryError("ConcurrentModificationException: the record was changed by another transaction")
        if "SELECT value FROM OpsgraphMeta" in s.text:
            return []
        return []


def _dead_block(folder: Path) -> Path:
    """A journal as a killed process leaves it: its lock gone with it, one batch that created a, b, c and changed x, y, z."""
    journal = Journal.begin(folder, "store", "ingest estate", {})
    journal.append(
        "nodes", type="Service", created=["a", "b", "c"],
        old=[{"id": "x", "v": 0, "_hash": "x0"}, {"id": "y", "v": 0, "_hash": "y0"}, {"id": "z", "v": 0, "_hash": "z0"}],
        wrote={"a": "a1", "b": "b1", "c": "c1", "x": "x1", "y": "y1", "z": "z1"},
    )
    journal.release()  # the process died: the kernel dropped its lock
    return journal.path


def _store(handler: Held, folder: Path) -> tuple[ArcadeDBStore, MockTransport]:
    transport = MockTransport(handler)
    transport.open()
    return ArcadeDBStore(transport=transport, journal_dir=folder), transport


def test_only_rows_still_holding_what_the_batch_wrote_are_undone(tmp_path: Path) -> None:
    path = _dead_block(tmp_path)
    # since the crash: b rewritten, c deleted, y rewritten, z deleted (by other writers); a and x untouched
    held = Held({"a": "a1", "b": "b2", "x": "x1", "y": "y2"})
    store, t = _store(held, tmp_path)
    assert store.recover_journals() == ["ingest estate"]
    (delete,) = [s for s in t.statements if "DETACH DELETE" in s.text]
    assert delete.params["ids"] == ["a"]
    (restore,) = [s for s in t.statements if "SET n = row" in s.text]
    assert restore.params["rows"] == [{"id": "x", "v": 0, "_hash": "x0"}]
    assert not [s for s in t.statements if "CREATE" in s.text], "a row deleted since stays deleted"
    assert t.outcomes == ["commit"] and delete.transaction == restore.transaction
    notes = store.recovery_notes
    assert len(notes) == 3 and all(n.startswith("ingest estate: Service node ") for n in notes)
    assert any("'b' was changed by another writer since: its newer value kept" in n for n in notes)
    assert not any("'c'" in n for n in notes), "a created row now absent is where its undo would put it: nothing to say"
    assert any("'y' was changed" in n for n in notes) and any("'z' was deleted" in n for n in notes)
    assert not path.exists()


def test_a_batch_that_deleted_rows_puts_back_only_those_still_absent(tmp_path: Path) -> None:
    journal = Journal.begin(tmp_path, "store", "sync", {})
    journal.append("delete_nodes", type="Service", rows=[{"id": "p", "_hash": "p0"}, {"id": "q", "_hash": "q0"}], edges=[], wrote="absent")
    journal.release()
    store, t = _store(Held({"q": "q9"}), tmp_path)  # q was created again by another writer since
    store.recover_journals()
    (create,) = [s for s in t.statements if "CREATE (n:Service)" in s.text]
    assert create.params["rows"] == [{"id": "p", "_hash": "p0"}]
    assert store.recovery_notes == ["sync: Service node 'q' was created by another writer since: kept"]


def test_a_journal_from_before_the_rule_undoes_every_row(tmp_path: Path) -> None:
    journal = Journal.begin(tmp_path, "store", "old", {})
    journal.append("nodes", type="Service", created=["a", "b"], old=[])  # no `wrote`
    journal.release()
    store, t = _store(Held({"a": "whatever", "b": "else"}), tmp_path)
    store.recover_journals()
    assert [s.params["ids"] for s in t.statements if "DETACH DELETE" in s.text] == [["a", "b"]] and store.recovery_notes == []


def test_records_compare_by_content_as_the_engine_gives_it_back() -> None:
    sent = {"key": "k", "weight": 5, "note": None, "tags": ["a"]}
    back = {"@rid": "#3:1", "@type": "Claim", "key": "k", "weight": 5.0, "tags": ["a"]}
    assert record_hash(sent) == record_hash(back)
    assert record_hash(sent) != record_hash({**back, "weight": 5.5})


def test_a_conflicting_undo_is_retried_on_fresh_reads(tmp_path: Path) -> None:
    path = _dead_block(tmp_path)
    held = Held({"a": "a1", "b": "b1", "c": "c1", "x": "x1", "y": "y1", "z": "z1"}, conflicts=2)
    store, t = _store(held, tmp_path)
    assert store.recover_journals() == ["ingest estate"]
    assert t.outcomes == ["rollback", "rollback", "commit"]
    reads = [s for s in t.statements if "n._hash AS h" in s.text]
    assert len(reads) == 3 and {s.transaction for s in reads} == {1, 2, 3}, "each try reads what the rows hold inside its own transaction"
    assert not path.exists() and store.recovery_notes == []


def test_an_undo_that_keeps_losing_fails_naming_its_journal_which_is_kept_for_the_next_try(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pauses: list[float] = []
    monkeypatch.setattr(arcadedb.time, "sleep", pauses.append)  # the growing pauses between tries, recorded instead of slept
    path = _dead_block(tmp_path)
    held = Held({"a": "a1", "x": "x1"}, conflicts=10_000)
    store, _ = _store(held, tmp_path)
    with pytest.raises(StoreError) as err:
        store.recover_journals()
    assert str(path) in str(err.value) and "the journal is kept" in str(err.value) and "lost to concurrent writers" in str(err.value)
    assert path.exists() and len(pauses) == arcadedb.CONFLICT_RETRIES and pauses[-1] > pauses[0]
    (again,) = Journal.pending(tmp_path, "store")
    assert again.claim(), "released for the next recovery"
    again.release()
    held.conflicts = 0
    assert store.recover_journals() == ["ingest estate"] and not path.exists()


def test_rows_an_earlier_killed_undo_already_put_back_need_nothing_and_are_not_reported(tmp_path: Path) -> None:
    _dead_block(tmp_path)
    # a and x were undone by an undo killed before it marked the record done: a is gone, x holds its pre-image again
    store, t = _store(Held({"b": "b1", "c": "c1", "x": "x0", "y": "y1", "z": "z1"}), tmp_path)
    store.recover_journals()
    assert [s.params["ids"] for s in t.statements if "DETACH DELETE" in s.text] == [["b", "c"]]
    assert [[r["id"] for r in s.params["rows"]] for s in t.statements if "SET n = row" in s.text] == [["y", "z"]]
    assert store.recovery_notes == []
