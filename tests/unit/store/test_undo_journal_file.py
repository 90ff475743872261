"""The undo journal: durable records, undone marks, torn last lines, one store's journals only."""

from __future__ import annotations

from pathlib import Path

from opsgraph.store.journal import Journal
from opsgraph.store.limits import explain_rows


def test_records_come_back_newest_first_without_the_undone_ones(tmp_path: Path) -> None:
    journal = Journal.begin(tmp_path, "store", "ingest estate/x", {"data_version": "7", "schema": None})
    journal.append("nodes", type="Service", created=["a"], old=[])
    journal.append("edges", type="OWNS", ft="Team", tt="Service", created=[["t", "a"]], old=[])
    journal.append("telemetry", created=["k"], old=[])
    journal.mark_undone(3)
    journal.close()
    again = Journal.pending(tmp_path, "store")
    assert [j.path for j in again] == [journal.path]
    header, records = again[0].read()
    assert header["label"] == "ingest estate/x" and header["meta"] == {"data_version": "7", "schema": None}
    assert [r["seq"] for r in records] == [2, 1]
    assert "/" not in journal.path.name.removeprefix("store.")


def test_a_torn_last_line_is_ignored(tmp_path: Path) -> None:
    journal = Journal.begin(tmp_path, "store", "x", {})
    journal.append("nodes", type="A", created=["1"], old=[])
    journal.close()
    with journal.path.open("a") as fh:
        fh.write('{"kind": "undo", "seq": 2, "op": "nod')  # killed while appending: that batch never committed
    _, records = Journal(journal.path).read()
    assert [r["seq"] for r in records] == [1]


def test_other_stores_journals_are_left_alone(tmp_path: Path) -> None:
    Journal.begin(tmp_path, "other", "x", {}).close()
    assert Journal.pending(tmp_path, "store") == []
    mine = Journal.begin(tmp_path, "store", "x", {})
    mine.remove()
    assert Journal.pending(tmp_path, "store") == [] and len(list(tmp_path.glob("*.jsonl"))) == 1


def test_a_refused_batch_is_explained_by_row_and_field() -> None:
    rows = [{"id": "a", "port": 1, "_hash": "x"}, {"id": "b", "port": 2**64, "tier": "t" * 300_000}]
    text = explain_rows(rows, {"tier": "notunique"})
    assert "row id 'b', field 'port'" in text and "64-bit" in text
    assert "row id 'b', field 'tier'" in text and "300,000 bytes" in text
    assert explain_rows([{"id": "a", "port": 1}], {}) == ""


def test_a_live_blocks_journal_cannot_be_claimed_until_its_owner_lets_go(tmp_path: Path) -> None:
    live = Journal.begin(tmp_path, "store", "ingest", {})
    (seen,) = Journal.pending(tmp_path, "store")
    assert not seen.claim(), "its owner holds it: a recovery must not undo a running block"
    live.release()  # the owner died (the kernel drops its lock) or its undo failed
    assert seen.claim()
    assert not Journal(live.path).claim(), "one recovery at a time"
    seen.remove()
    assert Journal.pending(tmp_path, "store") == [] and not Journal(live.path).claim()
    assert not list(tmp_path.glob("*.new")), "a journal is only ever listed once it is locked"


def test_notes_of_versions_and_meta_come_back_from_the_file(tmp_path: Path) -> None:
    journal = Journal.begin(tmp_path, "store", "x", {"data_version": "3", "schema": None})
    journal.bumped(4)
    journal.set_meta("schema", "{}")
    journal.bumped(5)
    journal.close()
    reread = Journal(journal.path)
    header, _ = reread.read()
    assert header["pid"] > 0 and reread.bumps == [4, 5] and reread.meta == {"schema": "{}"}


def _dead_pid() -> int:
    import subprocess
    import sys

    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    return int(child.stdout)


def test_a_writer_waits_for_another_process_undoing_a_dead_block_but_not_for_a_live_block(tmp_path: Path) -> None:
    import json
    import threading
    import time

    dead = tmp_path / "store.ingest-1.jsonl"
    dead.write_text(json.dumps({"kind": "begin", "label": "ingest", "store": "store", "meta": {}, "pid": _dead_pid()}) + "\n")
    undoing = Journal(dead)
    assert undoing.claim()  # another process is undoing the dead block
    threading.Timer(0.3, undoing.remove).start()
    began = time.monotonic()
    assert not Journal(dead).claim_when_settled(5.0), "gone once its undo finished: nothing left to claim"
    assert 0.25 < time.monotonic() - began < 3.0

    live = Journal.begin(tmp_path, "store", "ingest", {})  # this (live) process's running block
    began = time.monotonic()
    assert not Journal(live.path).claim_when_settled(5.0) and time.monotonic() - began < 0.2
    live.remove()
