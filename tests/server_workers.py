"""Writer and reader processes for the concurrency test on one ArcadeDB server (tests/integration/store/).

`python -m server_workers writer URL DB PASSWORD_FILE WRITER WRITERS ROUNDS SYNC_DIR [SECONDS]` upserts its batches round
by round (waiting at a file barrier after each round, so every writer is in the same round), for ROUNDS rounds or, with
SECONDS, until writer 0 finds that time is up (it says so before it reaches the round's barrier, so all stop together);
`python -m server_workers reader URL DB PASSWORD_FILE THREADS STOP_FILE` queries until STOP_FILE exists.
Each prints one JSON line: what it did and every error it met. No JVM runs in these processes (HTTP only).
"""

from __future__ import annotations

import itertools
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

from opsgraph.store.http_transport import server_store

NODES = 100
"""Node ids n0..n99; writer w writes 60 of them from 30·w on (mod 100): each node is written by 2 or 3 writers per round."""


def node_batch(writer: int, rnd: int) -> list[dict[str, Any]]:
    ids = [(writer * 30 + i) % NODES for i in range(60)]
    return [{"id": f"n{i}", "round": rnd, "val": f"n{i}-{rnd}", "tags": [f"r{rnd}", f"k{i % 7}"]} for i in ids]


def edge_batch(writer: int, rnd: int) -> list[dict[str, Any]]:
    """Edges n_i -> n_i+1 between this writer's own nodes (written just before, so both ends exist)."""
    ids = [(writer * 30 + i) % NODES for i in range(60)]
    return [{"from": f"n{a}", "to": f"n{b}", "from_type": "N", "to_type": "N", "round": rnd} for a, b in itertools.pairwise(ids)]


def _store(url: str, db: str, password_file: str) -> Any:
    password = Path(password_file).read_text(encoding="utf-8").strip()
    return server_store(url, database=db, password=password, create=False, journal=False)


def writer(url: str, db: str, password_file: str, me: int, writers: int, rounds: int, sync: str, seconds: float = 0.0) -> dict[str, Any]:
    store = _store(url, db, password_file)
    store.open()
    errors: list[str] = []
    done = 0
    began = time.monotonic()
    try:
        for rnd in range(rounds):
            try:
                store.upsert_nodes("N", node_batch(me, rnd))
                store.upsert_edges("L", edge_batch(me, rnd))
                done += 1
            except Exception as exc:  # every error is reported to the test, none is hidden
                errors.append(f"round {rnd}: {type(exc).__name__}: {exc}")
            if me == 0 and seconds and time.monotonic() - began >= seconds:
                Path(sync, f"end-r{rnd}").touch()  # before writer 0's barrier mark: every writer past the barrier sees it
            Path(sync, f"r{rnd}-w{me}").touch()
            deadline = time.monotonic() + 120
            while sum(Path(sync, f"r{rnd}-w{w}").exists() for w in range(writers)) < writers and time.monotonic() < deadline:
                time.sleep(0.01)
            if Path(sync, f"end-r{rnd}").exists():
                break
    finally:
        store.close()
    return {"writer": me, "rounds": done, "seconds": round(time.monotonic() - began, 1), "errors": errors}


READS = [
    "MATCH (n:N) RETURN n.id AS id, n.round AS round, n.val AS val, n.tags AS tags",
    "MATCH (a:N)-[r:L]->(b:N) RETURN a.id AS a, b.id AS b, r.round AS round",
    "MATCH (a:N {id: 'n5'})-[:L*1..4]->(b) RETURN count(DISTINCT b) AS c",
]


def reader(url: str, db: str, password_file: str, threads: int, stop: str) -> dict[str, Any]:
    store = _store(url, db, password_file)
    store.open()
    errors: list[str] = []
    count = [0]
    lock = threading.Lock()

    def loop(k: int) -> None:
        i = k
        while not Path(stop).exists():
            cypher = READS[i % len(READS)]
            i += 1
            try:
                rows = store.query(cypher).rows
                if cypher is READS[0]:
                    torn = [r for r in rows if r["val"] != f"{r['id']}-{r['round']}" or r["tags"][0] != f"r{r['round']}"]
                    if torn:
                        raise AssertionError(f"a node mixes two writes: {torn[:2]}")
                with lock:
                    count[0] += 1
            except Exception as exc:
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}")

    workers = [threading.Thread(target=loop, args=(k,)) for k in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    store.close()
    return {"reads": count[0], "errors": errors}


def main(argv: list[str]) -> None:
    kind, url, db, password_file, *rest = argv
    if kind == "writer":
        out = writer(url, db, password_file, int(rest[0]), int(rest[1]), int(rest[2]), rest[3], float(rest[4]) if len(rest) > 4 else 0.0)
    else:
        out = reader(url, db, password_file, int(rest[0]), rest[1])
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
