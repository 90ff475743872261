"""Where the change log lives in a store, and the one reading of it that layers below `ingest` need: edge intervals.

`ingest/history.py` writes the log (every applied change with old and new values) and reads it as
words or a past state; the risk layer (which may import only `schema` and `store`) reads when
each dependency edge was true from here, to train on the topology of each time step's own time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from opsgraph.store.base import GraphStore

CHANGE = "OpsgraphChange"
"""Hidden record type of the change log (documents: never matched by Cypher, never in `describe()`)."""
CHANGE_FIELDS = {
    "ts": "DOUBLE", "seq": "LONG", "run": "STRING", "source": "STRING", "op": "STRING", "kind": "STRING", "type": "STRING",
    "a": "STRING", "b": "STRING", "ft": "STRING", "tt": "STRING", "old": "STRING", "new": "STRING",
}  # fmt: skip
CHANGE_INDEXED = ("ts", "a", "b", "run")
ALL_ROWS = 100_000_000

Interval = tuple[float | None, float | None]
"""[start, end) in epoch seconds; None start: true since before history began; None end: still true."""


def first_run_key(source: str) -> str:
    """Store setting holding the run id of `source`'s first sync that changed anything (its initial load)."""
    return f"history:first-run:{source}"


def _first_run(store: GraphStore, source: str) -> str:
    run = store.get_meta(first_run_key(source))
    if run is not None:
        return run
    # A store written before the setting existed: the earliest run in this source's log.
    rows = store.read_records(CHANGE, {"source": source})
    return str(min(rows, key=lambda r: (float(r["ts"]), str(r["run"])))["run"]) if rows else ""


def edge_intervals(
    store: GraphStore,
    edge_types: Iterable[str],
    current: Mapping[str, Iterable[tuple[str, str]]] | None = None,
    *,
    first_load_open: bool = False,
    since: float | None = None,
) -> dict[tuple[str, str, str], list[Interval]]:
    """(edge type, from, to) → when that edge was true, from the change log and the current state.

    `edge_types` must be names from a validated schema (they enter the query text). `current`, the
    (from, to) pairs of each type the caller has just read, saves reading them again. With
    `first_load_open`, an edge created by the first run of its source (the initial load, which records
    when opsgraph learnt of the edge, not when it began) counts as true since before history began.
    With `since`, only changes after that time are read: the intervals are then exact from `since` on
    (an edge whose creation is older starts at None), which is all a window of telemetry needs."""
    wanted = set(edge_types)
    records = store.read_records(CHANGE, {"kind": "edge"}, since=None if since is None else ("ts", since))
    rows = [r for r in records if r.get("type") in wanted]
    rows.sort(key=lambda r: (float(r["ts"]), str(r["run"]), int(r["seq"])))  # oldest first
    first_run: dict[str, str] = {}
    if first_load_open:
        for src in sorted({str(r.get("source") or "") for r in rows if r["op"] == "create"}):
            first_run[src] = _first_run(store, src)
    open_at: dict[tuple[str, str, str], float | None] = {}
    out: dict[tuple[str, str, str], list[Interval]] = defaultdict(list)
    for r in rows:
        k = (str(r["type"]), str(r["a"]), str(r.get("b") or ""))
        if r["op"] == "create":
            initial = first_load_open and first_run.get(str(r.get("source") or "")) == str(r["run"])
            open_at[k] = None if initial else float(r["ts"])
        elif r["op"] == "delete":
            out[k].append((open_at.pop(k, None), float(r["ts"])))
    for et in sorted(wanted):
        if current is not None:
            pairs: Iterable[tuple[str, str]] = current.get(et, ())
        else:
            pairs = ((r["a"], r["b"]) for r in store.query(f"MATCH (a)-[r:{et}]->(b) RETURN a.id AS a, b.id AS b", limit=ALL_ROWS).rows)
        for a, b in pairs:
            k = (et, str(a), str(b))
            out[k].append((open_at.pop(k, None), None))
    return dict(out)


def topology_at(intervals: dict[tuple[str, str, str], list[Interval]], ts: float) -> list[tuple[str, str, str]]:
    """The edges true at `ts`."""
    return sorted(k for k, spans in intervals.items() if any((s is None or s <= ts) and (e is None or ts < e) for s, e in spans))
