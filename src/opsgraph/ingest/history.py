"""The estate's history: a change log written with every sync, read back as words, intervals or a past state.

Every change a sync applies (create / update / delete of a node or an edge) is
one hidden record, written inside the same atomic block as the change itself,
with the old and the new property values. Nothing is ever lost: a removed
dependency, a bumped version, a service that went away all stay readable.

Three readers sit on the log:
- `list_changes` / `describe_change`: what changed, newest first, in words;
- `edge_intervals`: when each edge was true (for training on each time step's own topology);
- `materialize_as_of`: the estate as it was at a time (the current state with every later
  change reversed), written into another (temporary) store where any query runs unchanged.

Records are documents, not vertices: a Cypher `MATCH` never sees them and `describe()` never
lists them, so current-state queries and prompts are as before. Writes not made by a sync
(`opsgraph query --write`, documents, telemetry) are not logged and so are not reversed.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from opsgraph.errors import OpsGraphError
from opsgraph.schema import GraphSchema
from opsgraph.schema.coerce import CoercionError, parse_datetime
from opsgraph.store.base import GraphStore
from opsgraph.store.history import CHANGE, CHANGE_FIELDS, CHANGE_INDEXED, Interval, topology_at
from opsgraph.store.history import edge_intervals as _edge_intervals


class HistoryError(OpsGraphError):
    """A time or a history request could not be understood."""


@dataclass(frozen=True)
class Change:
    """One applied change of one node or edge."""

    ts: float
    """When it was applied (epoch seconds, UTC)."""
    seq: int
    """Order within its run."""
    run: str
    """The sync run that applied it."""
    source: str
    """The source whose sync applied it."""
    op: str
    """`create`, `update` or `delete`."""
    kind: str
    """`node` or `edge`."""
    type: str
    """Node or edge type."""
    a: str
    """Node id, or the edge's from id."""
    b: str
    """The edge's to id ("" for nodes)."""
    ft: str
    """Type of `a` (node type for nodes, from type for edges)."""
    tt: str
    """Type of `b` ("" for nodes)."""
    old: dict[str, Any] | None
    """Properties before (None for a create)."""
    new: dict[str, Any] | None
    """Properties after (None for a delete)."""

    @property
    def key(self) -> str:
        return self.a if self.kind == "node" else f"{self.a}->{self.b}"

    def record(self) -> dict[str, Any]:
        return {
            "key": f"{self.run}:{self.seq:07d}", "ts": self.ts, "seq": self.seq, "run": self.run, "source": self.source, "op": self.op,
            "kind": self.kind, "type": self.type, "a": self.a, "b": self.b, "ft": self.ft, "tt": self.tt,
            "old": None if self.old is None else json.dumps(self.old, sort_keys=True, default=str),
            "new": None if self.new is None else json.dumps(self.new, sort_keys=True, default=str),
        }  # fmt: skip

    @classmethod
    def from_record(cls, r: dict[str, Any]) -> Change:
        return cls(
            ts=float(r["ts"]), seq=int(r["seq"]), run=str(r["run"]), source=str(r["source"]), op=str(r["op"]), kind=str(r["kind"]),
            type=str(r["type"]), a=str(r["a"]), b=str(r.get("b") or ""), ft=str(r.get("ft") or ""), tt=str(r.get("tt") or ""),
            old=json.loads(r["old"]) if r.get("old") else None, new=json.loads(r["new"]) if r.get("new") else None,
        )  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        return {
            "time": _iso(self.ts), "source": self.source, "run": self.run, "op": self.op, "kind": self.kind, "type": self.type,
            "key": self.key, "from": self.a if self.kind == "edge" else None, "to": self.b or None, "old": self.old, "new": self.new,
            "text": describe_change(self),
        }  # fmt: skip


def ensure_history(store: GraphStore) -> None:
    store.ensure_records(CHANGE, CHANGE_FIELDS, CHANGE_INDEXED)


# -- reading times ------------------------------------------------------------------------------
_AGO = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|d|w)\s*(?:ago)?\s*$", re.I)
_UNIT = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_when(text: str | float | datetime, *, now: float | None = None) -> float:
    """`2026-03-01T12:00Z`, `2026-03-01`, epoch seconds, or a span back from now (`90m`, `24h`, `7d`) → epoch seconds."""
    if isinstance(text, (int, float)):
        return float(text)
    if isinstance(text, str) and (m := _AGO.match(text)):
        base = datetime.now(UTC).timestamp() if now is None else now
        return base - float(m.group(1)) * _UNIT[m.group(2).lower()]
    try:
        return parse_datetime(text).timestamp()
    except CoercionError as exc:
        raise HistoryError(f"cannot read the time {text!r}: give an ISO time (2026-03-01T12:00:00Z), a date, or a span back such as 24h or 7d") from exc


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _short_time(ts: float, now: float | None = None) -> str:
    dt = datetime.fromtimestamp(ts, tz=UTC)
    today = datetime.fromtimestamp(now, tz=UTC) if now else datetime.now(UTC)
    return dt.strftime("%H:%M") if dt.date() == today.date() else dt.strftime("%Y-%m-%d %H:%M")


# -- the log ------------------------------------------------------------------------------------
def list_changes(store: GraphStore, *, since: float | None = None, node: str | None = None, provenance: bool = True) -> list[Change]:
    """Applied changes, newest first; `since` (epoch seconds) and `node` (either end of an edge, or the node) narrow it;
    `provenance=False` leaves out updates that changed only which sources assert a fact."""
    rows: list[dict[str, Any]] = []
    span = ("ts", since) if since is not None else None
    if node is None:
        rows = store.read_records(CHANGE, since=span)
    else:
        seen: set[str] = set()
        for end in ("a", "b"):
            for r in store.read_records(CHANGE, {end: node}, since=span):
                if r["key"] not in seen:
                    seen.add(r["key"])
                    rows.append(r)
    changes = [Change.from_record(r) for r in rows]
    if not provenance:
        changes = [c for c in changes if not provenance_only(c)]
    changes.sort(key=lambda c: (c.ts, c.run, c.seq), reverse=True)
    return changes


def _value(v: Any) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(map(str, v)) + "]"
    return "(none)" if v is None else str(v)


def _plain(props: dict[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (props or {}).items() if not k.startswith("_") and k != "id"}


def describe_change(c: Change, *, pair: Change | None = None, now: float | None = None) -> str:
    """One line in words: "paymentservice: version 1.4.0 → 1.5.0 (k8s-prod, 10:42)"."""
    when = f"({c.source}, {_short_time(c.ts, now)})"
    if c.kind == "node":
        what = c.type.lower()
        if c.op == "create":
            return f"{c.a}: {what} added {when}"
        if c.op == "delete":
            return f"{c.a}: {what} gone {when}"
        old, new = _plain(c.old), _plain(c.new)
        parts = [f"{k} {_value(old.get(k))} → {_value(new.get(k))}" for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
        if not parts:
            parts = _provenance(c)
        return f"{c.a}: {'; '.join(parts) or 'provenance updated'} {when}"
    rel = c.type
    if pair is not None:  # a delete and a create of the same ownership edge type to the same node in one run
        return f"{c.b}: {rel.lower().replace('_', ' ')} {pair.a} → {c.a} {when}"
    if c.op == "create":
        return f"{c.a}: new {rel} → {c.b} {when}"
    if c.op == "delete":
        return f"{c.a}: {rel} → {c.b} removed {when}"
    old, new = _plain(c.old), _plain(c.new)
    parts = [f"{k} {_value(old.get(k))} → {_value(new.get(k))}" for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
    return f"{c.a} {rel} → {c.b}: {'; '.join(parts or _provenance(c)) or 'provenance updated'} {when}"


def _provenance(c: Change) -> list[str]:
    was, now_ = set((c.old or {}).get("_sources") or []), set((c.new or {}).get("_sources") or [])
    gained, lost = sorted(now_ - was), sorted(was - now_)
    return ([f"now also asserted by {', '.join(gained)}"] if gained else []) + ([f"no longer asserted by {', '.join(lost)}"] if lost else [])


def provenance_only(c: Change) -> bool:
    """An update that changed only who asserts a fact, not the fact."""
    return c.op == "update" and _plain(c.old) == _plain(c.new)


def change_lines(changes: Sequence[Change], *, now: float | None = None) -> list[tuple[Change, str]]:
    """Each change with its line; an ownership moved in one run (edge to X removed, another to X added) is one line."""
    owned = defaultdict(list)
    for c in changes:
        if c.kind == "edge" and "OWN" in c.type.upper() and c.op in ("create", "delete"):
            owned[(c.run, c.type, c.b)].append(c)
    out: list[tuple[Change, str]] = []
    skip: set[int] = set()
    for c in changes:
        if id(c) in skip:
            continue
        group = owned.get((c.run, c.type, c.b), [])
        creates = [g for g in group if g.op == "create"]
        deletes = [g for g in group if g.op == "delete"]
        if c in group and len(creates) == 1 and len(deletes) == 1:
            skip.update((id(creates[0]), id(deletes[0])))
            out.append((creates[0], describe_change(creates[0], pair=deletes[0], now=now)))
            continue
        out.append((c, describe_change(c, now=now)))
    return out


# -- intervals: `store/history.py` (the risk layer reads them from there) ------------------------
def edge_intervals(store: GraphStore, schema: GraphSchema, edge_types: Iterable[str] | None = None) -> dict[tuple[str, str, str], list[Interval]]:
    """(edge type, from, to) → when that edge was true (default: every edge type of the schema)."""
    return _edge_intervals(store, [t for t in (edge_types if edge_types is not None else schema.edges) if t in schema.edges])


# -- as of ----------------------------------------------------------------------------------------
def _nodes(store: GraphStore, node_type: str) -> dict[str, dict[str, Any]]:
    rows = store.query(f"MATCH (n:{node_type}) RETURN properties(n) AS p", limit=10_000_000).rows
    return {str(r["p"]["id"]): {k: v for k, v in r["p"].items() if k != "_hash"} for r in rows}


def _edges(store: GraphStore, edge_type: str) -> dict[tuple[str, str], dict[str, Any]]:
    rows = store.query(
        f"MATCH (a)-[r:{edge_type}]->(b) RETURN a.id AS a, b.id AS b, labels(a)[0] AS ft, labels(b)[0] AS tt, properties(r) AS p",
        limit=10_000_000,
    ).rows
    return {(str(r["a"]), str(r["b"])): {**{k: v for k, v in (r["p"] or {}).items() if k != "_hash"}, "from_type": r["ft"], "to_type": r["tt"]} for r in rows}


def state_as_of(store: GraphStore, schema: GraphSchema, at: float) -> tuple[dict[str, dict[str, dict[str, Any]]], dict[str, dict[tuple[str, str], dict[str, Any]]]]:
    """(nodes by type, edges by type) as they were at `at`: the current state with every later change reversed."""
    nodes = {t: _nodes(store, t) for t in schema.nodes}
    edges = {t: _edges(store, t) for t in schema.edges}
    later = list_changes(store, since=at)  # newest first: undo in that order
    for c in later:
        if c.kind == "node":
            table = nodes.setdefault(c.type, {})
            if c.op == "create":
                table.pop(c.a, None)
            else:
                table[c.a] = dict(c.old or {}) | {"id": c.a}
        else:
            etable = edges.setdefault(c.type, {})
            if c.op == "create":
                etable.pop((c.a, c.b), None)
            else:
                etable[(c.a, c.b)] = dict(c.old or {}) | {"from_type": c.ft, "to_type": c.tt}
    return nodes, edges


def materialize_as_of(store: GraphStore, target: GraphStore, schema: GraphSchema, at: float, *, progress: Callable[[str, int, int], None] | None = None) -> dict[str, int]:
    """Write the estate as it was at `at` into `target` (an empty store); return node and edge counts."""
    nodes, edges = state_as_of(store, schema, at)
    target.ensure_schema(schema)
    n = e = 0
    for t, table in nodes.items():
        if table and t in schema.nodes:
            target.upsert_nodes(t, list(table.values()))
            n += len(table)
            if progress:
                progress(f"nodes {t}", len(table), len(table))
    for t, etable in edges.items():
        rows = [{"from": a, "to": b, **props} for (a, b), props in etable.items() if a in nodes.get(props["from_type"], {}) and b in nodes.get(props["to_type"], {})]
        if rows and t in schema.edges:
            target.upsert_edges(t, rows)
            e += len(rows)
    return {"nodes": n, "edges": e}


def history_span(store: GraphStore) -> tuple[float | None, int]:
    """(time of the oldest recorded change, number of changes)."""
    rows = store.read_records(CHANGE, order="ts")
    return (float(rows[0]["ts"]) if rows else None, len(rows))


def since_span(text: str | None) -> float | None:
    """`--since 24h` → epoch seconds; None stays None."""
    if text is None:
        return None
    return parse_when(text)


__all__ = [
    "CHANGE",
    "Change",
    "HistoryError",
    "change_lines",
    "describe_change",
    "edge_intervals",
    "ensure_history",
    "list_changes",
    "materialize_as_of",
    "parse_when",
    "provenance_only",
    "state_as_of",
    "topology_at",
]
