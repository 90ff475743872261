"""Sync one source into the store: read its facts, plan (create / update / delete / unchanged), apply atomically.

Provenance, and why it is shaped this way:
- every node and edge a sync writes carries the hidden property `_sources`: the sorted names
  of the sources that assert it (`(hand)` when it was in the store before any source claimed
  it: hand ingestion, or a store filled before provenance existed). Plain Cypher on the
  schema's labels keeps working; `describe()` and prompts hide `_`-prefixed properties;
- what each source asserted (its properties and evidence) is a hidden claim record per
  (source, node or edge). A claim's content hash is what the next sync compares, so a
  re-sync reads the source's claim hashes once and writes only what changed: writes grow
  with the change, not with the estate. A claim was last seen at its source's last sync
  (kept per source in the store settings, `source_status`), since every sync re-asserts
  all of a source's live claims;
- two sources asserting the same node: each property comes from the source with the lowest
  `precedence` that has it, and every disagreement is reported as a conflict;
- a sync deletes what the same source asserted before and no longer does, only when no other
  source still asserts it and it was not in the store before provenance (`(hand)`); a node
  still joined by an edge of another source or of hand ingestion is kept and reported.

The apply step runs inside `store.atomic(...)`: graph writes, claims and the change log
(`history.py`) commit together or not at all.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from opsgraph.errors import IngestError, Issue, OpsGraphError
from opsgraph.ingest.estate import EstatePlan
from opsgraph.ingest.history import Change, ensure_history
from opsgraph.schema import GraphSchema
from opsgraph.sources import Facts
from opsgraph.sources.carried import CarriedFile
from opsgraph.store.arcadedb import is_write_conflict, row_hash
from opsgraph.store.base import GraphStore
from opsgraph.store.history import first_run_key

CLAIM = "OpsgraphClaim"
"""Hidden record type: what one source asserts about one node or edge."""
CLAIM_FIELDS = {
    "source": "STRING", "ent": "STRING", "kind": "STRING", "type": "STRING", "a": "STRING", "b": "STRING",
    "ft": "STRING", "tt": "STRING", "h": "STRING", "props": "STRING", "since": "DOUBLE",
}  # fmt: skip
MARK = "OpsgraphSyncMark"
"""Hidden record type, one per source: the run that last changed its claims, written in the same atomic block.

A copy of a source's claim hashes kept outside the store (`KnownClaims`) is trusted only while it names
this run: anything that changed the claims since (another home's sync, an undone block) changed the mark too."""
MARK_FIELDS = {"source": "STRING", "run": "STRING"}
HAND = "(hand)"
"""Pseudo-source of facts that were in the store before any source claimed them."""
SOURCES = "_sources"
"""Hidden property: who asserts a node or an edge."""
SHOW = 5
ALL_ROWS = 100_000_000
"""Row limit for reads that must see every row (the store's default limit is a safety net for users' queries)."""
"""Ids shown per type and operation in a plan."""

Progress = Callable[[str, int, int], None]


class Entity(NamedTuple):
    """A node (`b` empty) or an edge of one type (a tuple: hashed and compared in C, once per fact of a source)."""

    kind: str
    type: str
    a: str
    b: str = ""

    @property
    def ent(self) -> str:
        return f"{self.kind}|{self.type}|{self.a}|{self.b}"

    @property
    def label(self) -> str:
        return self.a if self.kind == "node" else f"{self.a}->{self.b}"


@dataclass
class SourceState:
    """A source's facts, normalised: per entity its asserted properties and evidence."""

    name: str
    kind: str
    precedence: int = 100
    location: str = ""
    nodes: dict[Entity, dict[str, Any]] = field(default_factory=dict)
    edges: dict[Entity, dict[str, Any]] = field(default_factory=dict)
    """Edge → properties plus `from_type` / `to_type` where known."""
    evidence: dict[Entity, str] = field(default_factory=dict)
    problems: list[Issue] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    files: int = 0
    replayed: set[Entity] = field(default_factory=set)
    """Entities whose one row the reader copied unchanged from its last sync's kept results (`Facts.replayed`)."""
    carried: list[CarriedFile] = field(default_factory=list)
    """Files whose facts the reader carried as blocks (`Facts.carried`): planned from the claim hashes a caller kept."""


@dataclass(frozen=True)
class KnownClaims:
    """A source's claim hashes as of its sync run `mark` (kept between syncs by the caller, e.g. in the home)."""

    mark: str
    hashes: Mapping[str, str]


@dataclass
class Conflict:
    """Sources that disagree on one property; `winner` is the one whose value is stored."""

    entity: str
    type: str
    property: str
    values: dict[str, Any]
    winner: str

    def __str__(self) -> str:
        shown = ", ".join(f"{s}={v!r}" for s, v in sorted(self.values.items()))
        return f"{self.type} {self.entity}.{self.property}: {shown}; {self.winner} wins (precedence)"


@dataclass
class TypePlan:
    """What a sync does to one node or edge type."""

    kind: str
    type: str
    create: list[str] = field(default_factory=list)
    update: list[str] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)
    unchanged: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "type": self.type, "create": len(self.create), "update": len(self.update), "delete": len(self.delete),
            "unchanged": self.unchanged, "first": {"create": self.create[:SHOW], "update": self.update[:SHOW], "delete": self.delete[:SHOW]},
        }  # fmt: skip


@dataclass
class SyncPlan:
    """The plan of one source's sync: per type, and the writes that carry it out."""

    source: str
    kind: str
    location: str
    types: dict[tuple[str, str], TypePlan] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    """Nodes this source no longer asserts, kept because facts of others still join them."""
    problems: list[Issue] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)
    claims_write: list[dict[str, Any]] = field(default_factory=list)
    claims_delete: list[str] = field(default_factory=list)
    asserted: dict[str, int] = field(default_factory=dict)
    """What the source holds after the sync: `nodes` and `edges` it asserts."""
    applied: bool = False
    run: str = ""
    seconds: float = 0.0
    data_version: int = 0
    telemetry: dict[str, Any] | None = None
    """For telemetry sources (`kind: prometheus`): what the pull fetched and stored (`PullReport.as_dict()`)."""
    hashes_from: str = "store"
    """Where the plan read the source's previous claim hashes: `store` (every one) or `known` (a copy naming the stored mark)."""
    claim_hashes: dict[str, str] = field(default_factory=dict)
    """The source's claim hashes once this plan is applied (what a caller keeps as `KnownClaims`)."""
    mark: str = ""
    """The source's sync mark once this plan is applied (`run` when it writes one, else the stored mark)."""
    write_mark: bool = False
    files: dict[str, int] = field(default_factory=dict)
    """Files the reader read, and of them parsed and served from the document cache (set by the caller)."""

    def writes(self) -> int:
        """Graph changes (nodes and edges created, updated, deleted)."""
        return len(self.changes)

    def changed(self) -> bool:
        return bool(self.changes or self.claims_write or self.claims_delete)

    def totals(self) -> dict[str, int]:
        out = {"create": 0, "update": 0, "delete": 0, "unchanged": 0}
        for t in self.types.values():
            out["create"] += len(t.create)
            out["update"] += len(t.update)
            out["delete"] += len(t.delete)
            out["unchanged"] += t.unchanged
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source, "kind": self.kind, "location": self.location, "applied": self.applied, "run": self.run,
            "totals": self.totals(), "types": [t.as_dict() for t in self.types.values()], "conflicts": [c.__dict__ for c in self.conflicts],
            "kept": self.kept, "problems": [str(p) for p in self.problems], "skipped": self.skipped, "asserted": self.asserted,
            "seconds": round(self.seconds, 3), "data_version": self.data_version, "hashes_from": self.hashes_from,
            **({"files": self.files} if self.files else {}),
            **({"telemetry": self.telemetry} if self.telemetry is not None else {}),
        }  # fmt: skip

    def _type(self, kind: str, type_name: str) -> TypePlan:
        return self.types.setdefault((kind, type_name), TypePlan(kind, type_name))


# -- facts in ----------------------------------------------------------------------------------
_EDGE_KEYS = frozenset(("from", "to", "from_type", "to_type"))


def state_from_facts(facts: Facts, *, precedence: int = 100, location: str = "") -> SourceState:
    """A source reader's `Facts` as a `SourceState` (edge endpoint types are resolved at planning)."""
    st = SourceState(facts.source, facts.kind, precedence, location, problems=list(facts.problems), skipped=dict(facts.skipped), files=len(facts.files),
                     carried=list(facts.carried))  # fmt: skip
    _add_rows(st, facts.nodes, facts.edges, facts.replayed)
    return st


def _add_rows(st: SourceState, node_rows: Mapping[str, list[dict[str, Any]]], edge_rows: Mapping[str, list[dict[str, Any]]], replayed: set[tuple[str, ...]]) -> None:
    """A reader's rows into a state (two rows of one fact: a node's properties merge, an edge's last row wins)."""
    nodes, edges, evidence, copied = st.nodes, st.edges, st.evidence, st.replayed
    # Inline, no call per row: these loops run once per fact of the source (50k at 10k workloads).
    for t, rows in node_rows.items():
        for row in rows:
            ent = Entity("node", t, str(row["id"]))
            props = {k: v for k, v in row.items() if k != "id" and v is not None and k[:1] != "_"}
            if ent in nodes:
                copied.discard(ent)  # two rows merged: not one row copied unchanged
                props = {**nodes[ent], **props}
            elif replayed and ("node", t, row["id"]) in replayed:
                copied.add(ent)
            nodes[ent] = props
            evidence[ent] = str(row.get("_evidence") or "")
    for t, rows in edge_rows.items():
        for row in rows:
            ent = Entity("edge", t, str(row["from"]), str(row["to"]))
            props = {k: v for k, v in row.items() if k not in _EDGE_KEYS and v is not None and k[:1] != "_"}
            if ent in edges:
                copied.discard(ent)
            elif replayed and ("edge", t, row["from"], row["to"]) in replayed:
                copied.add(ent)
            edges[ent] = props
            evidence[ent] = str(row.get("_evidence") or "")


def _expand(st: SourceState, cf: CarriedFile) -> None:
    """A carried file's facts as rows of the state (a block the plan cannot take as a block)."""
    st.carried.remove(cf)
    nodes, edges = cf.final_rows()
    _add_rows(st, nodes, edges, set())


def state_from_estate(plan: EstatePlan, name: str, *, precedence: int = 100, location: str = "") -> tuple[SourceState, dict[tuple[str, str], tuple[str, ...]]]:
    """An estate folder's validated plan as a `SourceState`; also the keys repeated within a type (last row won)."""
    st = SourceState(name, "estate", precedence, location, files=plan.files)
    repeated: dict[tuple[str, str], tuple[str, ...]] = {}
    for t, rows in plan.nodes.items():
        dups = []
        for row in rows:
            ent = Entity("node", t, str(row["id"]))
            if ent in st.nodes:
                dups.append(ent.a)
                del st.nodes[ent]  # the last row wins, in the winning row's order
            st.nodes[ent] = {k: v for k, v in row.items() if k != "id" and v is not None}
            st.evidence[ent] = location
        repeated[("node", t)] = tuple(dups)
    for t, rows in plan.edges.items():
        dups = []
        for row in rows:
            ent = Entity("edge", t, str(row["from"]), str(row["to"]))
            if ent in st.edges:
                dups.append(f"{ent.a}->{ent.b}")
                del st.edges[ent]
            st.edges[ent] = {k: v for k, v in row.items() if k not in ("from", "to") and v is not None}
            st.evidence[ent] = location
        repeated[("edge", t)] = tuple(dups)
    return st, repeated


# -- planning ------------------------------------------------------------------------------------
def ensure_sync_records(store: GraphStore) -> None:
    store.ensure_records(CLAIM, CLAIM_FIELDS, ("source", "ent"))
    store.ensure_records(MARK, MARK_FIELDS)
    ensure_history(store)


def _claim_key(source: str, e: Entity) -> str:
    return f"{source}|{e.ent}"


def _group(types: Mapping[str, str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for i, t in types.items():
        out[t].append(i)
    return out


def _stored_nodes(store: GraphStore, node_type: str, ids: list[str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), 2000):
        rows = store.query(f"MATCH (n:{node_type}) WHERE n.id IN $ids RETURN properties(n) AS p", {"ids": ids[start : start + 2000]}, limit=ALL_ROWS).rows
        for r in rows:
            out[str(r["p"]["id"])] = {k: v for k, v in r["p"].items() if k != "_hash"}
    return out


def _stored_edges(store: GraphStore, edge_type: str, ft: str, tt: str, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for start in range(0, len(pairs), 2000):
        chunk = [{"a": a, "b": b} for a, b in pairs[start : start + 2000]]
        rows = store.query(
            f"UNWIND $rows AS row MATCH (a:{ft} {{id: row.a}})-[r:{edge_type}]->(b:{tt} {{id: row.b}}) "
            "RETURN a.id AS a, b.id AS b, labels(a)[0] AS ft, labels(b)[0] AS tt, properties(r) AS p",
            {"rows": chunk},
            limit=ALL_ROWS,
        ).rows
        for r in rows:
            out[(str(r["a"]), str(r["b"]))] = {**{k: v for k, v in (r["p"] or {}).items() if k != "_hash"}, "from_type": r["ft"], "to_type": r["tt"]}
    return out


def _merge(entity: Entity, claims: list[tuple[int, str, dict[str, Any]]], conflicts: list[Conflict]) -> dict[str, Any]:
    """Property by property, the value of the lowest-precedence claim that has it; disagreements reported."""
    claims = sorted(claims, key=lambda c: (c[0], c[1]))
    merged: dict[str, Any] = {}
    keys = sorted({k for _, _, p in claims for k in p})
    for k in keys:
        having = [(src, p[k]) for _, src, p in claims if k in p]
        merged[k] = having[0][1]
        distinct = {json.dumps(v, sort_keys=True, default=str) for _, v in having}
        if len(distinct) > 1:
            conflicts.append(Conflict(entity.label, entity.type, k, dict(having), having[0][0]))
    return merged


def _asserted(props: Mapping[str, Any]) -> dict[str, Any]:
    """What a claim records of an entity's properties (edge endpoint types are the store's business)."""
    return {k: v for k, v in props.items() if k not in ("from_type", "to_type")}


def _same(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def sync_mark(store: GraphStore, source: str) -> str | None:
    """The run that last changed `source`'s claims (None before its first sync, or in a store older than marks)."""
    rows = store.read_records(MARK, {"key": source})
    return str(rows[0]["run"]) if rows and rows[0].get("run") else None


def plan_sync(store: GraphStore, schema: GraphSchema, state: SourceState, *, precedence: Mapping[str, int] | None = None, now: float | None = None,
              known: KnownClaims | None = None, replayed_known: bool = False) -> SyncPlan:  # fmt: skip
    """Compare a source's facts with its claims and the store; nothing is written. Raises `IngestError` on facts the store cannot take.

    `known`: the source's claim hashes as a caller kept them after its last sync; used instead of reading every
    hash from the store when its mark is the stored one (else ignored), so only claims that differ are read.
    `replayed_known`: the caller vouches that `state.replayed` rows are the rows of the sync `known` was kept
    from (their caches name the same mark); their claim hashes are then taken from `known`, not recomputed.
    `state.carried` files (blocks of facts, `sources.carried`) are planned as blocks under the same two conditions
    (their claim hashes from `known`, never compared again); a block with a key `known` lacks, or with an edge to a
    node leaving the store, is planned from its rows instead."""
    ensure_sync_records(store)
    prec = dict(precedence or {})
    prec[state.name] = state.precedence
    now = time.time() if now is None else now
    run = f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime(now))}-{uuid.uuid4().hex[:6]}"
    plan = SyncPlan(state.name, state.kind, state.location, problems=list(state.problems), skipped=dict(state.skipped), run=run)
    issues: list[Issue] = []
    prefix = f"{state.name}|"

    # This source's claim hashes before, and the claim hashes of the files carried as blocks: those of the same
    # sync the hashes are from (the caller vouches for it with `replayed_known`), each key present.
    stored_mark = sync_mark(store, state.name)
    if known is not None and stored_mark is not None and known.mark == stored_mark:
        hashes: Mapping[str, Any] = known.hashes
        plan.hashes_from = "known"
    else:
        hashes = store.record_values(CLAIM, {"source": state.name}, "h")
    blocks: dict[str, dict[str, str]] = {}
    for cf in list(state.carried):
        keys = [prefix + x for x in cf.ents]
        got: list[Any] = list(map(hashes.get, keys)) if replayed_known and plan.hashes_from == "known" else [None]
        if None in got:
            _expand(state, cf)
        else:
            blocks[cf.file] = dict(zip(keys, got, strict=True))

    # 0. Edges naming a node that only this source asserted and no longer does: that node is
    #    going, so are its edges (reported, not refused: removing a row removes its edges).
    ends = {x for e in state.edges for x in (e.a, e.b)}
    ids = {e.a for e in state.nodes}
    for cf in state.carried:
        ends.update(cf.ends)
        ends.update(cf.unknown)
        ids.update(cf.nodes)
    external = sorted(ends - ids)
    if external:
        going: set[str] = set()
        for t, of_type in _group(store.node_types(external)).items():
            going |= {i for i, p in _stored_nodes(store, t, of_type).items() if p.get(SOURCES) == [state.name]}
        for cf in [cf for cf in state.carried if not (going.isdisjoint(cf.ends) and going.isdisjoint(cf.unknown))]:
            _expand(state, cf)
            del blocks[cf.file]
        for e in [e for e in state.edges if e.a in going or e.b in going]:
            end = e.a if e.a in going else e.b
            plan.problems.append(Issue(state.evidence.get(e) or state.location, None, e.type, f"edge {e.a}->{e.b} dropped: {end!r} is no longer in this source"))
            del state.edges[e]
    plan.asserted = {"nodes": len(state.nodes) + sum(len(cf.nodes) for cf in state.carried), "edges": len(state.edges) + sum(cf.edges for cf in state.carried)}
    carried_hashes: dict[str, str] = {}
    for block_hashes in blocks.values():
        carried_hashes.update(block_hashes)

    # 1. This source's claims before and now: only what differs is looked at further.
    new: dict[str, tuple[Entity, dict[str, Any], str]] = {}
    same = state.replayed if (replayed_known and plan.hashes_from == "known") else set()
    for e, props in [*state.nodes.items(), *state.edges.items()]:
        key = prefix + e.ent  # _claim_key, inline: once per fact of the source
        kept = hashes.get(key) if e in same else None
        if kept is not None:  # the same row as in the sync these hashes are from: the same hash
            new[key] = (e, props, str(kept))
            continue
        body = {"props": _asserted(props), "evidence": state.evidence.get(e, "")}
        new[key] = (e, props, row_hash(body))
    touched: dict[Entity, dict[str, Any] | None] = {}
    if carried_hashes:  # carried claims are unchanged by construction: compare the rest (sorted: a set has no order)
        differ = sorted(k for k in hashes.keys() - carried_hashes.keys() if k not in new or str(hashes[k]) != new[k][2])
    else:
        differ = [k for k in hashes if k not in new or str(hashes[k]) != new[k][2]]
    old: dict[str, dict[str, Any]] = {}
    for start in range(0, len(differ), 2000):  # full records only of claims that changed or went: O(change)
        old.update({str(r["key"]): r for r in store.read_records(CLAIM, {"key": differ[start : start + 2000]})})
    unchanged: dict[tuple[str, str], int] = {}
    for key, (e, raw, h) in new.items():
        before = old.get(key) if old else None
        if key not in hashes or before is not None:
            props = _asserted(raw)
            touched[e] = props
            plan.claims_write.append({
                "key": key, "source": state.name, "ent": e.ent, "kind": e.kind, "type": e.type, "a": e.a, "b": e.b,
                "h": h, "props": json.dumps({"props": props, "evidence": state.evidence.get(e, "")}, sort_keys=True, default=str),
                "since": float(before["since"]) if before is not None and before.get("since") is not None else now,
            })  # fmt: skip
        else:
            unchanged[(e.kind, e.type)] = unchanged.get((e.kind, e.type), 0) + 1
    for cf in state.carried:
        for (kind, type_name), n in cf.counts.items():
            unchanged[(kind, type_name)] = unchanged.get((kind, type_name), 0) + n
    for (kind, type_name), n in unchanged.items():
        plan._type(kind, type_name).unchanged += n
    for key, r in old.items():
        if key not in new:
            e = Entity(str(r["kind"]), str(r["type"]), str(r["a"]), str(r.get("b") or ""))
            touched[e] = None
            plan.claims_delete.append(key)
    plan.claim_hashes = {**carried_hashes, **{key: h for key, (_, _, h) in new.items()}}
    plan.write_mark = bool(plan.claims_write or plan.claims_delete or stored_mark is None)
    plan.mark = run if plan.write_mark else str(stored_mark)

    # 2. Unknown node types and types the schema lacks are refused before anything is read further.
    for e in touched:
        declared = schema.nodes if e.kind == "node" else schema.edges
        if e.type not in declared:
            issues.append(Issue(state.location or state.name, None, e.type, f"{e.kind} type {e.type!r} is not in the estate schema"))
    if issues:
        raise IngestError(issues)

    # 3. Node types of every endpoint of a touched edge (this source's nodes first, then the store),
    #    the touched entities as stored, and what other sources claim about them.
    node_type: dict[str, str] = {}
    for cf in state.carried:
        node_type.update(cf.nodes)
    node_type.update({e.a: e.type for e in state.nodes})
    missing = sorted({x for e in touched if e.kind == "edge" for x in (e.a, e.b)} - set(node_type))
    if missing:
        node_type.update({k: v for k, v in store.node_types(missing).items() if k not in node_type})
    for r in old.values():  # endpoints of edges no longer asserted may be gone from the source: their claim knows the types
        if r.get("kind") == "edge":
            for end_id, end_type in ((r["a"], r.get("ft")), (r.get("b"), r.get("tt"))):
                if end_id and end_type and end_id not in node_type and Entity("edge", str(r["type"]), str(r["a"]), str(r.get("b") or "")) in touched:
                    node_type[str(end_id)] = str(end_type)
    for w in plan.claims_write:
        if w["kind"] == "edge":
            w["ft"], w["tt"] = node_type.get(w["a"], ""), node_type.get(w["b"], "")
    by_type: dict[tuple[str, str, str, str], list[Entity]] = defaultdict(list)
    for e in touched:
        if e.kind == "node":
            by_type[("node", e.type, "", "")].append(e)
        elif e.a in node_type and e.b in node_type:
            by_type[("edge", e.type, node_type[e.a], node_type[e.b])].append(e)
    stored: dict[Entity, dict[str, Any]] = {}
    for (kind, t, ft, tt), ents in by_type.items():
        if kind == "node":
            found = _stored_nodes(store, t, [e.a for e in ents])
            stored.update({e: found[e.a] for e in ents if e.a in found})
        else:
            found_e = _stored_edges(store, t, ft, tt, [(e.a, e.b) for e in ents])
            stored.update({e: found_e[(e.a, e.b)] for e in ents if (e.a, e.b) in found_e})
    others: dict[Entity, list[tuple[int, str, dict[str, Any]]]] = defaultdict(list)
    ents_of = {e.ent: e for e in touched}
    ent_keys = list(ents_of)
    for start in range(0, len(ent_keys), 2000):
        for r in store.read_records(CLAIM, {"ent": ent_keys[start : start + 2000]}):
            if r["source"] != state.name:
                body = json.loads(r["props"])
                others[ents_of[str(r["ent"])]].append((prec.get(str(r["source"]), 100), str(r["source"]), body["props"]))

    # 4. Per touched entity: who asserts it afterwards, its merged properties, the operation.
    targets: dict[Entity, dict[str, Any] | None] = {}
    for e, mine in touched.items():
        have = stored.get(e)
        had_sources = set(have.get(SOURCES) or []) if have is not None else set()
        if have is not None and not have.get(SOURCES):
            had_sources = {HAND} if have.get(SOURCES) is None else set()
        claimants = {s for _, s, _ in others.get(e, [])}
        if mine is not None:
            claimants.add(state.name)
        if HAND in had_sources:
            claimants.add(HAND)
        if not claimants:
            targets[e] = None
            continue
        real = [*others.get(e, [])]
        if mine is not None:
            real.append((state.precedence, state.name, mine))
        if real:
            merged = _merge(e, real, plan.conflicts)
            if had_sources == {HAND} and have is not None:  # facts from before provenance that a source now overrides
                for k, v in merged.items():
                    if k in have and not _same(have[k], v):
                        winner = min((p, s) for p, s, props in real if k in props)[1]
                        plan.conflicts.append(Conflict(e.label, e.type, k, {HAND: have[k], winner: v}, winner))
        else:  # only hand ingestion still asserts it: keep it as it is
            merged = {k: v for k, v in (have or {}).items() if k not in ("id", SOURCES, "from_type", "to_type")}
        targets[e] = {**merged, SOURCES: sorted(claimants)}

    # 5. A node leaving the store must not take facts of others with it; this source's edges must not dangle.
    deleting = {e.a for e, goal in targets.items() if e.kind == "node" and goal is None and e in stored}
    if deleting:
        leaving_edges = {(e.type, e.a, e.b) for e, goal in targets.items() if e.kind == "edge" and goal is None}
        rows = store.query(
            "MATCH (n)-[r]-(m) WHERE n.id IN $ids RETURN n.id AS n, type(r) AS t, startNode(r).id AS a, endNode(r).id AS b, r._sources AS s",
            {"ids": sorted(deleting)},
            limit=ALL_ROWS,
        ).rows
        for r in rows:
            if (r["t"], r["a"], r["b"]) in leaving_edges:
                continue
            srcs = set(r["s"] or [HAND])
            if srcs - {state.name}:
                nid = str(r["n"])
                if nid in deleting:
                    deleting.discard(nid)
                    plan.kept.append(f"{nid} (still joined by {r['t']} {r['a']}->{r['b']} of {', '.join(sorted(srcs - {state.name}))})")
                    ent = next(e for e in targets if e.kind == "node" and e.a == nid)
                    have = stored[ent]
                    targets[ent] = {**{k: v for k, v in have.items() if k not in ("id", SOURCES)}, SOURCES: []}
    for e, goal in targets.items():
        if e.kind == "edge" and goal is not None:
            for end in (e.a, e.b):
                if end in deleting:
                    issues.append(Issue(state.evidence.get(e, state.location), None, e.type, f"edge {e.a}->{e.b} names {end!r}, which this source no longer asserts"))
                elif end not in node_type:
                    issues.append(Issue(state.evidence.get(e, state.location), None, e.type, f"edge {e.a}->{e.b}: no node {end!r} in the source or the store"))
    if issues:
        raise IngestError(issues)

    # 6. Operations and the change log.
    seq = 0
    for e, target in targets.items():
        have = stored.get(e)
        tp = plan._type(e.kind, e.type)
        old_props = None if have is None else {k: v for k, v in have.items() if k not in ("from_type", "to_type", "id")}
        if e.kind == "edge":
            ft = (have or {}).get("from_type") or node_type.get(e.a, "")
            tt = (have or {}).get("to_type") or node_type.get(e.b, "")
        else:
            ft, tt = e.type, ""
        if target is None:
            if have is None:
                continue
            op = "delete"
            tp.delete.append(e.label)
        elif have is None:
            op = "create"
            tp.create.append(e.label)
        elif _same(old_props, target):
            tp.unchanged += 1
            continue
        else:
            op = "update"
            tp.update.append(e.label)
        plan.changes.append(Change(now, seq, run, state.name, op, e.kind, e.type, e.a, e.b, str(ft), str(tt), old_props, target))
        seq += 1
    plan.kept.sort()
    return plan


# -- applying ------------------------------------------------------------------------------------
ONE_TRANSACTION_UP_TO = 5_000
"""A plan writing at most this many rows (graph changes, claims, change records) is applied as one store transaction."""


def apply_plan(store: GraphStore, plan: SyncPlan, *, progress: Progress | None = None, extra: Callable[[], None] | None = None) -> SyncPlan:
    """Carry a plan out inside one `store.atomic` block: edges and nodes, claims, the change log (and `extra` writes).

    A small plan (a re-sync's change, `ONE_TRANSACTION_UP_TO`) is one store transaction: one commit instead of a
    journaled commit per batch (each with its pre-image read and fsynced first); a large one keeps the journaled
    batches (the engine holds a transaction in its heap). Either is all or nothing. A small plan whose one
    transaction lost a race with another writer is applied again as journaled batches (they retry theirs).
    The caller has applied the schema (`store.ensure_schema`) before planning."""
    began = time.perf_counter()
    rows = len(plan.changes) * 2 + len(plan.claims_write) + len(plan.claims_delete) + 1
    one = rows <= ONE_TRANSACTION_UP_TO
    try:
        _write_plan(store, plan, progress, extra, one_transaction=one)
    except OpsGraphError as exc:
        if not (one and is_write_conflict(exc)):
            raise
        one = False
        _write_plan(store, plan, progress, extra, one_transaction=False)
    plan.applied = True
    plan.seconds += time.perf_counter() - began
    plan.data_version = store.data_version()
    if not one:  # one transaction recorded it in its own commit
        record_sync(store, plan)
    if plan.changes and store.get_meta(first_run_key(plan.source)) is None:
        store.set_meta(first_run_key(plan.source), plan.run)  # its initial load: the risk layer's topology over time
    return plan


def _write_plan(store: GraphStore, plan: SyncPlan, progress: Progress | None, extra: Callable[[], None] | None, *, one_transaction: bool) -> None:
    with store.atomic(f"sync {plan.source} {plan.run}", one_transaction=one_transaction):
        by: dict[tuple[str, str, str], list[Change]] = defaultdict(list)
        for c in plan.changes:
            by[(c.kind, c.op if c.op == "delete" else "upsert", c.type)].append(c)
        for (kind, op, t), group in sorted(by.items(), key=lambda kv: _order(kv[0])):
            task = f"{'delete' if op == 'delete' else 'write'} {kind} {t}"
            if kind == "edge" and op == "delete":
                store.delete_edges(t, [(c.a, c.b) for c in group])
            elif kind == "node" and op == "delete":
                store.delete_nodes(t, [c.a for c in group])
            elif kind == "node":
                store.upsert_nodes(t, [{**(c.new or {}), "id": c.a} for c in group])
            else:
                store.upsert_edges(t, [{**(c.new or {}), "from": c.a, "to": c.b, "from_type": c.ft, "to_type": c.tt} for c in group])
            if progress:
                progress(task, len(group), len(group))
        if plan.claims_delete:
            store.delete_records(CLAIM, plan.claims_delete)
        if plan.claims_write:
            store.write_records(CLAIM, plan.claims_write)
        if plan.write_mark:
            store.write_records(MARK, [{"key": plan.source, "source": plan.source, "run": plan.mark}])
        if plan.changes:
            from opsgraph.ingest.history import CHANGE

            store.write_records(CHANGE, [c.record() for c in plan.changes])
        if extra is not None:
            extra()
        if one_transaction:
            record_sync(store, plan)  # a setting, no data version: in the same commit (in journaled batches it follows the block)


def _order(key: tuple[str, str, str]) -> tuple[int, str]:
    kind, op, t = key
    rank = {("edge", "delete"): 0, ("node", "delete"): 1, ("node", "upsert"): 2, ("edge", "upsert"): 3}[(kind, op)]
    return rank, t


def record_sync(store: GraphStore, plan: SyncPlan) -> None:
    """Remember when this source last synced and what it holds (a store setting: no data version change)."""
    status = {"kind": plan.kind, "location": plan.location, "last_synced": time.time(), "run": plan.run, **plan.asserted, "last_changes": len(plan.changes)}
    store.set_meta(f"source:{plan.source}", json.dumps(status))


def source_status(store: GraphStore, name: str) -> dict[str, Any] | None:
    raw = store.get_meta(f"source:{name}")
    return json.loads(raw) if raw else None


def claims_of(store: GraphStore, source: str | None = None) -> list[dict[str, Any]]:
    """Claim records (all, or one source's), with their properties decoded."""
    ensure_sync_records(store)
    rows = store.read_records(CLAIM, {"source": source} if source else None)
    for r in rows:
        r["props"] = json.loads(r["props"])
    return rows


def sync_state(store: GraphStore, schema: GraphSchema, state: SourceState, *, dry_run: bool = False, precedence: Mapping[str, int] | None = None, progress: Progress | None = None,
               known: KnownClaims | None = None, replayed_known: bool = False) -> SyncPlan:  # fmt: skip
    """Plan, and unless `dry_run`, apply."""
    began = time.perf_counter()
    plan = plan_sync(store, schema, state, precedence=precedence, known=known, replayed_known=replayed_known)
    plan.seconds = time.perf_counter() - began
    if dry_run:
        return plan
    return apply_plan(store, plan, progress=progress)


def estate_source_name(schema: GraphSchema, folder: Path) -> str:
    """The source name `opsgraph ingest DIR` records facts under: the estate's name (else the folder's), `[a-z0-9_-]`."""
    raw = (schema.name or folder.name).lower()
    name = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in raw).strip("-")
    return name or "estate"
