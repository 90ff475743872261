"""Undoing a killed process's unfinished block on a shared ArcadeDB server keeps what other processes wrote since.

A child process opens a block, commits batches of node and edge upserts into a real server and is killed (SIGKILL)
before the block ends: its undo journal stays behind. Then
(a) another writer rewrites, deletes and creates some of those rows; the recovery that follows undoes every row that
    still holds what the dead block wrote and leaves the other writer's rows: the result equals a serial replay in
    which the dead block never ran and the other writer's writes did, and the recovery names each row it kept;
(b) recovery runs while another writer upserts the same rows round after round (and a second recovery races for the
    same journal): no exception, one recovery, and the rows end as the writer's last round wrote them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from opsgraph.schema import parse_schema
from opsgraph.store.http_transport import server_store
from opsgraph.store.server_process import ServerInfo

SCHEMA = parse_schema(
    "version: 1\nname: r\nnodes:\n  N: {properties: {val: string}}\nedges:\n  L: {from: N, to: N, properties: {w: integer}}\n"
)
SRC = Path(__file__).resolve().parents[3] / "src"
CRASH = """
import json, os, signal, sys
from opsgraph.store.http_transport import server_store
url, db, journal_dir, nodes, edges = sys.argv[1:6]
store = server_store(url, database=db, password=os.environ["PW"], create=False, journal_dir=journal_dir, batch_size=50)
store.open()
with store.atomic("ingest that crashed"):
    store.upsert_nodes("N", json.loads(nodes))
    store.upsert_edges("L", json.loads(edges))
    os.kill(os.getpid(), signal.SIGKILL)  # killed mid-block: its batches are committed, its journal is left behind
"""


def _password(server: ServerInfo) -> str:
    return Path(server.password_file).read_text(encoding="utf-8").strip()


@pytest.fixture
def databases(arcadedb_server: ServerInfo) -> Iterator[tuple[str, str]]:
    """A fresh database for the run and one for the serial replay, both with the schema."""
    names = (f"r{uuid.uuid4().hex[:10]}", f"s{uuid.uuid4().hex[:10]}")
    for name in names:
        with server_store(arcadedb_server.url, database=name, password=_password(arcadedb_server), journal=False) as store:
            store.ensure_schema(SCHEMA)
    yield names
    for name in names:
        httpx.post(f"{arcadedb_server.url}/api/v1/server", json={"command": f"drop database {name}"}, auth=("root", _password(arcadedb_server)), timeout=60)


def _store(server: ServerInfo, db: str, journal_dir: Path | None = None) -> Any:
    if journal_dir is None:
        return server_store(server.url, database=db, password=_password(server), create=False, journal=False, batch_size=50)
    return server_store(server.url, database=db, password=_password(server), create=False, journal_dir=journal_dir, batch_size=50)


def _crash(server: ServerInfo, db: str, journal_dir: Path, nodes: list[dict[str, Any]], edges: list[dict[str, Any]]) -> Path:
    import json

    env = {**os.environ, "PW": _password(server), "PYTHONPATH": str(SRC)}
    child = subprocess.run([sys.executable, "-c", textwrap.dedent(CRASH), server.url, db, str(journal_dir), json.dumps(nodes), json.dumps(edges)],
                           capture_output=True, text=True, timeout=120, env=env, check=False)
    assert child.returncode == -signal.SIGKILL, child.stderr[-3000:]
    (journal,) = journal_dir.glob("*.jsonl")
    return journal


def _edges(pairs: range | list[int], w: int) -> list[dict[str, Any]]:
    return [{"from": f"n{i}", "to": f"n{i + 1}", "from_type": "N", "to_type": "N", "w": w} for i in pairs]


def snapshot(store: Any) -> dict[str, Any]:
    return {
        "nodes": store.query("MATCH (n:N) RETURN n.id AS id, properties(n) AS p ORDER BY id").rows,
        "edges": store.query("MATCH (a:N)-[r:L]->(b:N) RETURN a.id AS a, b.id AS b, properties(r) AS p ORDER BY a, b").rows,
    }


def _before(store: Any) -> None:
    store.upsert_nodes("N", [{"id": f"n{i}", "val": "old"} for i in range(100)])
    store.upsert_edges("L", _edges(range(50), 0))


def _other_writer(store: Any) -> None:
    """What another process writes after the crash: rows the dead block changed (n10-n19, edge n5->n6) and created
    (n150-n159), one it created deleted (n120), one edge it created deleted (n60->n61)."""
    store.upsert_nodes("N", [{"id": f"n{i}", "val": "B"} for i in [*range(10, 20), *range(150, 160)]])
    store.delete_nodes("N", ["n120"])
    store.upsert_edges("L", _edges([5], 7))
    store.delete_edges("L", [("n60", "n61")])


def test_recovery_undoes_the_dead_blocks_rows_and_keeps_the_ones_written_since(
    arcadedb_server: ServerInfo, databases: tuple[str, str], tmp_path: Path
) -> None:
    db, serial = databases
    journal_dir = tmp_path / "journal"
    with _store(arcadedb_server, db) as store:
        _before(store)
    # the dead block: n0-n99 changed, n100-n199 created, edges 0-49 changed and 50-149 created
    journal = _crash(arcadedb_server, db, journal_dir, [{"id": f"n{i}", "val": "dead"} for i in range(200)], _edges(range(150), 1))
    with _store(arcadedb_server, db) as other:  # another process (a CLI on another host: no journal of its own here)
        _other_writer(other)
        version = other.data_version()
    with _store(arcadedb_server, db, journal_dir) as store:
        assert store.recovered == ["ingest that crashed"] and not journal.exists()
        got, notes = snapshot(store), store.recovery_notes
        assert store.data_version() == version + 1, "another writer moved the version: the undo moves it on, never back"
    with _store(arcadedb_server, serial) as store:  # the same history without the dead block
        _before(store)
        _other_writer(store)
        want = snapshot(store)
    assert got == want
    assert [r["p"]["val"] for r in got["nodes"] if r["id"] == "n15"] == ["B"] and len(got["nodes"]) == 110
    kept = {n.split("ingest that crashed: ", 1)[1].split(" was ")[0] for n in notes}
    # named: the rows whose newer value was kept (the rows it created that were deleted since are simply gone, as
    # the undo would have left them)
    assert kept == {*(f"N node 'n{i}'" for i in [*range(10, 20), *range(150, 160)]), "L edge 'n5->n6'"}, sorted(kept)
    assert all(" was changed by another writer since: its newer value kept" in n for n in notes)


ROUNDS = 12
WRITTEN = range(0, 200, 2)
"""The rows the concurrent writer upserts every round: every other one of the dead block's 600 created nodes' first 200."""


def test_recovery_while_another_writer_upserts_the_same_rows_ends_with_the_writers_last_round(
    arcadedb_server: ServerInfo, databases: tuple[str, str], tmp_path: Path
) -> None:
    db, _ = databases
    journal_dir = tmp_path / "journal"
    with _store(arcadedb_server, db) as store:
        store.upsert_nodes("N", [{"id": f"p{i}", "val": "old"} for i in range(100)])
    dead = [{"id": f"n{i}", "val": "dead"} for i in range(600)] + [{"id": f"p{i}", "val": "dead"} for i in range(100)]
    _crash(arcadedb_server, db, journal_dir, dead, [])

    times: dict[str, float] = {}
    errors: list[str] = []
    recovered: list[list[str]] = []
    round_done = threading.Event()

    def writer() -> None:
        try:
            with _store(arcadedb_server, db) as store:
                times["writer_start"] = time.monotonic()
                for rnd in range(ROUNDS):
                    store.upsert_nodes("N", [{"id": f"n{i}", "val": f"w{rnd}"} for i in WRITTEN])
                    round_done.set()
                times["writer_end"] = time.monotonic()
        except Exception as exc:
            errors.append(f"writer: {type(exc).__name__}: {exc}")

    def recover() -> None:
        round_done.wait(60)
        store = _store(arcadedb_server, db, journal_dir)
        times.setdefault("recovery_start", time.monotonic())
        try:
            store.open()  # opening the store recovers
            recovered.append(list(store.recovered))
            times["recovery_end"] = max(times.get("recovery_end", 0.0), time.monotonic())
        except Exception as exc:
            errors.append(f"recovery: {type(exc).__name__}: {exc}")
        finally:
            store.close()

    threads = [threading.Thread(target=writer), threading.Thread(target=recover), threading.Thread(target=recover)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert sorted(recovered) == [[], ["ingest that crashed"]], "two recoveries at once: one undoes, the other finds it taken"
    assert times["recovery_start"] < times["writer_end"], times
    print(f"\nwriter {times['writer_end'] - times['writer_start']:.2f} s, recovery {times['recovery_end'] - times['recovery_start']:.2f} s, "
          f"recovery began {times['recovery_start'] - times['writer_start']:.2f} s after the writer")
    with _store(arcadedb_server, db) as store:
        rows = {r["id"]: r["val"] for r in store.query("MATCH (n:N) RETURN n.id AS id, n.val AS val", limit=None).rows}
    assert {i: v for i, v in rows.items() if i.startswith("n")} == {f"n{i}": f"w{ROUNDS - 1}" for i in WRITTEN}
    assert {i: v for i, v in rows.items() if i.startswith("p")} == {f"p{i}": "old" for i in range(100)}
    assert not list(journal_dir.glob("*.jsonl"))
