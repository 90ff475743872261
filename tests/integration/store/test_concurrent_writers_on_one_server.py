"""Four processes upsert overlapping batches into one ArcadeDB server for 30 s while 20 readers (4 processes × 5
threads) query it: no errors, no torn rows, and the final state equals a serial replay of the same batches (nothing
lost, nothing half-written). The issue's size; it takes ~40 s."""

from __future__ import annotations

import json
import os
import subprocess
import sys
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
from server_workers import edge_batch, node_batch

WRITERS, READER_PROCESSES, READER_THREADS, SECONDS = 4, 4, 5, 30.0
MAX_ROUNDS = 100_000
"""The writers stop after SECONDS, at the end of a round all of them finished."""
SCHEMA = parse_schema(
    "version: 1\nname: c\nnodes:\n  N: {properties: {round: integer, val: string, tags: string_list}}\n"
    "edges:\n  L: {from: N, to: N, properties: {round: integer}}\n"
)


def _password(server: ServerInfo) -> str:
    return Path(server.password_file).read_text(encoding="utf-8").strip()


@pytest.fixture
def databases(arcadedb_server: ServerInfo) -> Iterator[tuple[str, str]]:
    """Two fresh databases with the schema: one for the concurrent run, one for the serial replay."""
    names = (f"c{uuid.uuid4().hex[:10]}", f"s{uuid.uuid4().hex[:10]}")
    for name in names:
        with server_store(arcadedb_server.url, database=name, password=_password(arcadedb_server), journal=False) as store:
            store.ensure_schema(SCHEMA)
    yield names
    for name in names:
        httpx.post(f"{arcadedb_server.url}/api/v1/server", json={"command": f"drop database {name}"}, auth=("root", _password(arcadedb_server)), timeout=60)


def snapshot(server: ServerInfo, database: str) -> dict[str, Any]:
    with server_store(server.url, database=database, password=_password(server), journal=False) as store:
        nodes = store.query("MATCH (n:N) RETURN n.id AS id, properties(n) AS p ORDER BY id").rows
        edges = store.query("MATCH (a:N)-[r:L]->(b:N) RETURN a.id AS a, b.id AS b, properties(r) AS p ORDER BY a, b").rows
        return {"nodes": nodes, "edges": edges, "version": store.data_version() > 0}


def test_four_writers_and_readers_end_where_a_serial_replay_ends(arcadedb_server: ServerInfo, databases: tuple[str, str], tmp_path: Path) -> None:
    concurrent, serial = databases
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[2]), str(Path(__file__).resolve().parents[3] / "src")])}
    stop = tmp_path / "stop"
    sync = tmp_path / "sync"
    sync.mkdir()
    base = [sys.executable, "-m", "server_workers"]
    args = [arcadedb_server.url, concurrent, arcadedb_server.password_file]
    readers = [subprocess.Popen([*base, "reader", *args, str(READER_THREADS), str(stop)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
               for _ in range(READER_PROCESSES)]
    began = time.monotonic()
    writers = [subprocess.Popen([*base, "writer", *args, str(w), str(WRITERS), str(MAX_ROUNDS), str(sync), str(SECONDS)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env) for w in range(WRITERS)]
    written = [p.communicate(timeout=SECONDS + 300) for p in writers]
    elapsed = time.monotonic() - began
    stop.touch()
    read = [p.communicate(timeout=120) for p in readers]
    for out, errs in written + read:
        assert out.strip(), errs[-2000:]
    writer_reports = [json.loads(out) for out, _ in written]
    reader_reports = [json.loads(out) for out, _ in read]
    assert [r["errors"] for r in writer_reports] == [[]] * WRITERS
    rounds = writer_reports[0]["rounds"]
    assert rounds > 1 and [r["rounds"] for r in writer_reports] == [rounds] * WRITERS
    assert elapsed >= SECONDS
    assert [r["errors"] for r in reader_reports] == [[]] * READER_PROCESSES
    reads = sum(r["reads"] for r in reader_reports)
    assert reads > 0
    print(f"\n{WRITERS} writers × {rounds} rounds + {READER_PROCESSES * READER_THREADS} readers: {elapsed:.1f} s, {reads} reads, 0 errors")

    with server_store(arcadedb_server.url, database=serial, password=_password(arcadedb_server), journal=False) as store:
        for rnd in range(rounds):
            for w in range(WRITERS):
                store.upsert_nodes("N", node_batch(w, rnd))
                store.upsert_edges("L", edge_batch(w, rnd))
    got, want = snapshot(arcadedb_server, concurrent), snapshot(arcadedb_server, serial)
    assert len(got["nodes"]) == 100 and len(got["edges"]) == 100
    assert got == want
