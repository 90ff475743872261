"""The contract every source reader fulfils: configuration in, `Facts` out.

A reader turns one place where an estate lives (Kubernetes manifests, compose
files, a Backstage catalog) into nodes and edges shaped by the estate schema,
each with the evidence it was inferred from. Readers never write to the store:
the sync plan in `ingest` compares their facts with what the store holds.

Conventions every reader follows:
- document indexes in errors and evidence are **1-based** (`file.yaml#3` is the
  third YAML document of the file), like line numbers;
- only properties the schema declares for the target type are kept (after
  `mapping.rename`, narrowed by `mapping.keep`), coerced to the declared type;
- an edge whose endpoint is neither produced by the source nor known through
  `known_ids` is dropped and reported in `Facts.problems`.

This module imports only `opsgraph.schema` and `opsgraph.errors`.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from opsgraph.errors import Issue, SourceError
from opsgraph.schema import GraphSchema, PropertySpec, PropertyType
from opsgraph.schema.coerce import coerce_type
from opsgraph.sources.carried import CarriedFile, ent_key
from opsgraph.sources.doc_cache import DocumentCache
from opsgraph.sources.prometheus_settings import PrometheusSettings

__all__ = [
    "Evidence",
    "Facts",
    "KnownIds",
    "SourceConfig",
    "SourceError",
    "SourceMapping",
    "read_source",
    "reader_kinds",
    "register_reader",
]

_SOURCE_NAME = re.compile(r"^[a-z0-9_-]+$")

KnownIds = Callable[[list[str]], dict[str, str]]
"""Given ids, return `{id: node type}` for those the store already holds.

A lookup may also take a keyword `types` (a list of node types) and then answer only for ids held as one
of those types (`GraphStore.node_types` does): readers call it so through `known_of_types`."""


def known_of_types(known_ids: KnownIds, ids: list[str], types: list[str]) -> dict[str, str]:
    """`{id: node type}` of those `ids` the store holds as one of `types`; asks only those types when the lookup takes `types`."""
    if not ids or not types:
        return {}
    try:
        takes_types = "types" in inspect.signature(known_ids).parameters
    except (TypeError, ValueError):  # a callable without an inspectable signature: ask for every type
        takes_types = False
    found = known_ids(ids, types=types) if takes_types else known_ids(ids)  # type: ignore[call-arg]
    wanted = set(types)
    return {i: t for i, t in found.items() if t in wanted}


class SourceMapping(BaseModel):
    """How a source's objects map onto the estate schema."""

    model_config = ConfigDict(extra="forbid")

    workload_type: str = "Service"
    """Node type a workload / compose service / Backstage Component becomes."""
    team_type: str = "Team"
    """Node type a team label / Backstage Group becomes."""
    person_type: str = "Person"
    """Node type a Backstage User becomes."""
    dependency_edge: str = "DEPENDS_ON"
    """Edge type of an inferred or declared dependency (consumer -> provider)."""
    ownership_edge: str = "OWNS"
    """Edge type team -> workload."""
    membership_edge: str = "MEMBER_OF"
    """Edge type person -> team."""
    team_labels: list[str] = Field(default_factory=lambda: ["team", "owner", "app.kubernetes.io/part-of"])
    """Labels tried in order; the first present one names the owning team."""
    keep: list[str] | None = None
    """Properties to keep (default: every property the schema declares for the type)."""
    rename: dict[str, str] = Field(default_factory=dict)
    """Reader property name -> schema property name."""
    types: dict[str, str] = Field(default_factory=dict)
    """Source kind -> node type, e.g. Backstage `{"Resource": "Datastore"}`; kinds without a type are skipped."""
    call_edge: str = "CALLS"
    """Edge type of an observed call (traces): caller -> callee, with rates and latencies."""
    call_window_s: int = Field(60, ge=1)
    """Width of the windows spans are aggregated in (traces)."""
    call_retention_s: int = Field(86400, ge=1)
    """A call edge not seen for this long before the newest span is no longer asserted (the sync closes it in history)."""


class SourceConfig(BaseModel):
    """One entry of `sources:` in opsgraph.yaml."""

    model_config = ConfigDict(extra="forbid")

    name: str
    """Unique name, `[a-z0-9_-]+`; facts are recorded under it."""
    kind: str
    """`estate`, `kubernetes`, `kubernetes-cluster`, `compose` or `backstage`."""
    path: Path | None = None
    """File or folder; relative paths are resolved by the caller against opsgraph.yaml's folder."""
    precedence: int = 100
    """Lower wins when two sources disagree on a property."""
    mapping: SourceMapping = Field(default_factory=SourceMapping)
    """Mapping onto the estate schema."""
    prometheus: PrometheusSettings | None = None
    """For `kind: prometheus` (Prometheus, VictoriaMetrics or any server with Prometheus' HTTP API): what to pull."""
    context: str | None = None
    """Kubeconfig context, for kind `kubernetes-cluster` (whose `path` is the kubeconfig file)."""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _SOURCE_NAME.match(value):
            raise ValueError(f"source name {value!r} must match {_SOURCE_NAME.pattern}")
        return value

    @model_validator(mode="after")
    def _telemetry_kind(self) -> SourceConfig:
        if (self.kind == "prometheus") != (self.prometheus is not None):
            raise ValueError("`kind: prometheus` goes with a `prometheus:` block (url, queries), and only that kind takes one")
        return self


@dataclass(frozen=True)
class Evidence:
    """Where an inferred fact came from: file, 1-based document, field and value."""

    file: str
    document: int | None
    field: str
    value: str

    def __str__(self) -> str:
        where = self.file if self.document is None else f"{self.file}#{self.document}"
        return f"{where} {self.field}={self.value}"


@dataclass
class Facts:
    """What one source asserts, shaped by the schema; no store has seen it yet."""

    source: str
    kind: str
    nodes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Node type -> rows `{"id", <schema property>: coerced value, "_evidence": str}`."""
    edges: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Edge type -> rows `{"from", "to", <props>, "_evidence": str}`."""
    skipped: dict[str, int] = field(default_factory=dict)
    """Object kinds not mapped (counted, not errors), e.g. `{"Secret": 3}`."""
    problems: list[Issue] = field(default_factory=list)
    """Non-fatal problems (`Issue.file` is `file#document`): dangling references, unknown teams, values that did not fit."""
    files: list[str] = field(default_factory=list)
    """Files read, in reading order."""
    reused: dict[str, int] = field(default_factory=dict)
    """What a reader took from its last sync's kept results instead of mapping again (e.g. `{"nodes": 9950, "dependencies": 9940}`)."""
    replayed: set[tuple[str, ...]] = field(default_factory=set)
    """Rows copied unchanged from the results the reader kept in its last sync: `("node", type, id)` and
    `("edge", type, from, to)`. Their cache names that sync (`DocumentCache.generation`), so a caller holding
    that sync's claim hashes need not hash these rows again."""
    carried: list[CarriedFile] = field(default_factory=list)
    """Unchanged files whose facts are carried as blocks, not rows (`sources.carried`; only when the cache allows it:
    `DocumentCache.carry`). `node_ids()` and `count()` include them."""

    def skip(self, kind: str, n: int = 1) -> None:
        self.skipped[kind] = self.skipped.get(kind, 0) + n

    def problem(self, file: str, document: int | None, fld: str, message: str) -> None:
        """Record a non-fatal problem; the document index goes into `file` as `file#N` (1-based)."""
        where = file if document is None else f"{file}#{document}"
        self.problems.append(Issue(file=where, line=None, field=fld, message=message))

    def node_ids(self) -> dict[str, str]:
        """`{id: node type}` of every node produced (carried blocks' too)."""
        out: dict[str, str] = {}
        for cf in self.carried:
            out.update(cf.nodes)
        out.update({row["id"]: t for t, rows in self.nodes.items() for row in rows})
        return out

    def count(self) -> dict[str, int]:
        """Rows per node and edge type (for reports and tests)."""
        out = {t: len(rows) for t, rows in self.nodes.items()}
        out.update({t: len(rows) for t, rows in self.edges.items()})
        for cf in self.carried:
            for (_, t), n in cf.counts.items():
                out[t] = out.get(t, 0) + n
        return out


# --- shaping rows by the schema -------------------------------------------------------------

class Shaper:
    """Keeps, renames and coerces reader properties for one schema and mapping."""

    def __init__(self, schema: GraphSchema, mapping: SourceMapping, facts: Facts) -> None:
        self.schema = schema
        self.mapping = mapping
        self.facts = facts
        self._node_index: dict[tuple[str, str], dict[str, Any]] = {}
        self._edge_keys: set[tuple[str, str, str]] = set()

    def _props(
        self, declared: Mapping[str, PropertySpec], raw: dict[str, Any], ev: Evidence | None, skip: set[str]
    ) -> dict[str, Any]:
        keep = set(self.mapping.keep) if self.mapping.keep is not None else None
        out: dict[str, Any] = {}
        for key, value in raw.items():
            if value is None:
                continue
            name = self.mapping.rename.get(key, key)
            if name in skip or name not in declared or (keep is not None and name not in keep):
                continue
            spec = declared[name]
            if spec.type is PropertyType.VECTOR:
                continue
            try:
                out[name] = coerce_type(value, spec, from_text=False)
            except ValueError as exc:
                file, doc = (ev.file, ev.document) if ev else ("", None)
                self.facts.problem(file, doc, name, f"{exc}; property left out")
        return out

    def node(self, node_type: str, node_id: str, raw: dict[str, Any], ev: Evidence | str) -> dict[str, Any] | None:
        """Add (or merge into) a node row; `None` when the schema has no such type."""
        nt = self.schema.nodes.get(node_type)
        if nt is None:
            self.facts.skip(f"<no node type {node_type}>")
            return None
        declared = dict(nt.properties)
        props = self._props(declared, raw, ev if isinstance(ev, Evidence) else None, {nt.id_property, "id"})
        key = (node_type, node_id)
        row = self._node_index.get(key)
        if row is None:
            row = {"id": node_id, **props, "_evidence": str(ev)}
            self._node_index[key] = row
            self.facts.nodes.setdefault(node_type, []).append(row)
        else:
            for k, v in props.items():
                row.setdefault(k, v)
        return row

    def has_node(self, node_type: str, node_id: str) -> bool:
        return (node_type, node_id) in self._node_index

    def has_edge(self, edge_type: str, src: str, dst: str) -> bool:
        return (edge_type, src, dst) in self._edge_keys

    def adopt_node(self, node_type: str, row: dict[str, Any]) -> None:
        """Add a node row shaped by an earlier run of the same reader with the same schema and mapping (kept by the caller)."""
        self._node_index[(node_type, row["id"])] = row
        self.facts.nodes.setdefault(node_type, []).append(row)

    def adopt_edge(self, edge_type: str, row: dict[str, Any]) -> None:
        """Add an edge row shaped by an earlier run (as `adopt_node`); duplicates are skipped as `edge` skips them."""
        key = (edge_type, row["from"], row["to"])
        if key in self._edge_keys:
            return
        self._edge_keys.add(key)
        self.facts.edges.setdefault(edge_type, []).append(row)

    def adopt_edges(self, edge_type: str, rows: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
        """`adopt_edge` for each row, in one loop (a re-sync adopts 10k workloads' kept rows); the (type, from, to) adopted."""
        keys, adopted = self._edge_keys, []
        out: list[dict[str, Any]] | None = None
        for row in rows:
            key = (edge_type, row["from"], row["to"])
            if key in keys:
                continue
            keys.add(key)
            if out is None:
                out = self.facts.edges.setdefault(edge_type, [])
            out.append(row)
            adopted.append(key)
        return adopted

    def edge(self, edge_type: str, src: str, dst: str, raw: dict[str, Any], ev: Evidence | str) -> None:
        """Queue an edge row; duplicates (same type and endpoints) keep the first evidence."""
        et = self.schema.edges.get(edge_type)
        if et is None:
            self.facts.skip(f"<no edge type {edge_type}>")
            return
        if src == dst or (edge_type, src, dst) in self._edge_keys:
            return
        self._edge_keys.add((edge_type, src, dst))
        rows = self.facts.edges.setdefault(edge_type, [])
        props = self._props(et.properties, raw, ev if isinstance(ev, Evidence) else None, set()) if raw else {}
        rows.append({"from": src, "to": dst, **props, "_evidence": str(ev)})

    def settle(self, known_ids: KnownIds | None) -> dict[str, str]:
        """The type of every edge endpoint (the source's nodes, then the store's); carried blocks whose endpoints no
        longer answer as they did, or whose facts another file gives too, become rows again (`expand`)."""
        produced = self.facts.node_ids()
        ends = {r[end] for rows in self.facts.edges.values() for r in rows for end in ("from", "to")}
        for cf in self.facts.carried:
            ends.update(cf.ends)
            ends.update(cf.unknown)
        missing = sorted(ends - set(produced))
        known = dict(known_ids(missing)) if (known_ids and missing) else {}
        types = {**known, **produced}
        if self.facts.carried:
            seen = {ent_key("node", t, str(r["id"])) for t, rows in self.facts.nodes.items() for r in rows}
            seen.update(ent_key("edge", t, str(r["from"]), str(r["to"])) for t, rows in self.facts.edges.items() for r in rows)
            for cf in list(self.facts.carried):
                if cf.holds(types) and seen.isdisjoint(cf.ents):
                    seen.update(cf.ents)
                else:
                    self.expand(cf)
        return types

    def expand(self, cf: CarriedFile) -> None:
        """A carried block's rows (before the edge checks) added as rows (its problems were reported when it was carried)."""
        self.facts.carried.remove(cf)
        nodes, edges = cf.rows()
        for node_type, rows in nodes.items():
            for row in rows:
                have = self._node_index.get((node_type, row["id"]))
                if have is None:
                    self.adopt_node(node_type, row)
                else:
                    for k, v in row.items():
                        have.setdefault(k, v)
        for edge_type, rows in edges.items():
            for row in rows:
                self.adopt_edge(edge_type, row)

    def finish(self, known_ids: KnownIds | None, types: dict[str, str] | None = None) -> Facts:
        """Drop edges with an endpoint neither produced nor known, or of the wrong type; report each.

        `types`: what `settle` returned, when the caller called it; carried blocks re-report the edges they dropped."""
        if types is None:
            types = self.settle(known_ids)
        for cf in self.facts.carried:
            self.facts.problems.extend(Issue(*p) for p in cf.dropped)
        for edge_type, rows in list(self.facts.edges.items()):
            et = self.schema.edges[edge_type]
            kept = []
            from_ok, to_ok = set(et.from_types), set(et.to_types)
            for row in rows:
                if types.get(row["from"]) in from_ok and types.get(row["to"]) in to_ok:
                    kept.append(row)
                    continue
                bad = []
                for end, allowed in (("from", et.from_types), ("to", et.to_types)):
                    t = types.get(row[end])
                    if t is None:
                        bad.append(f"{end} {row[end]!r} is neither in this source nor in the store")
                    elif t not in allowed:
                        bad.append(f"{end} {row[end]!r} is a {t}, {edge_type} takes {'/'.join(allowed)}")
                if bad:
                    file, doc = _where(row["_evidence"])
                    self.facts.problem(
                        file, doc, edge_type, f"edge dropped: {'; '.join(bad)} (from {row['_evidence']})"
                    )
                else:
                    kept.append(row)
            self.facts.edges[edge_type] = kept
        self.facts.edges = {k: v for k, v in self.facts.edges.items() if v}
        return self.facts


def _where(evidence: str) -> tuple[str, int | None]:
    """(file, document) from an evidence string `file#doc field=value`."""
    head = evidence.split(" ", 1)[0]
    file, _, doc = head.rpartition("#")
    if file and doc.isdigit():
        return file, int(doc)
    return head, None


def component_types(schema: GraphSchema, mapping: SourceMapping) -> set[str]:
    """Node types a workload may be: targets of the dependency and ownership edges, and the workload type."""
    out = {mapping.workload_type}
    for edge in (mapping.dependency_edge, mapping.ownership_edge):
        if edge in schema.edges:
            out.update(schema.edges[edge].to_types)
    return out


def image_version(image: str) -> str | None:
    """The tag of an image reference (`repo/x:1.2` -> `1.2`), or its digest; None when neither is given."""
    if "@" in image:
        return image.split("@", 1)[1]
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


def add_ownership(
    shaper: Shaper, facts: Facts, mapping: SourceMapping, claims: list[tuple[str, Evidence, str]], known_ids: KnownIds | None
) -> set[str]:
    """Ownership edges for team names that are known teams; the rest become problems. Returns the known team ids named."""
    teams = known_teams(facts, mapping, {team for _, _, team in claims}, known_ids)
    for wid, ev, team in claims:
        if team in teams:
            shaper.edge(mapping.ownership_edge, team, wid, {}, ev)
        else:
            facts.problem(ev.file, ev.document, ev.field, f"{team!r} is not a known {mapping.team_type} id; no ownership edge for {wid}")
    return teams


def known_teams(facts: Facts, mapping: SourceMapping, names: set[str], known_ids: KnownIds | None) -> set[str]:
    """Those of `names` that are team ids: teams this source produces, else teams the store holds."""
    produced = {i for i, t in facts.node_ids().items() if t == mapping.team_type} & names
    wanted = sorted(names - produced)
    known = known_ids(wanted) if (known_ids and wanted) else {}
    return produced | {i for i, t in known.items() if t == mapping.team_type}


# --- the registry ------------------------------------------------------------------------------

Reader = Callable[[SourceConfig, GraphSchema, KnownIds | None, DocumentCache | None], Facts]
"""A reader: config, schema, ids the store holds, and the parsed-document cache (file readers use it, others ignore it)."""
_READERS: dict[str, Reader] = {}


def register_reader(kind: str) -> Callable[[Reader], Reader]:
    """Decorator: make `reader` the one for `kind` (a new source kind is one module plus this line)."""

    def deco(reader: Reader) -> Reader:
        _READERS[kind] = reader
        return reader

    return deco


def reader_kinds() -> list[str]:
    """Source kinds this package reads (the `estate` kind is read by `ingest`)."""
    return sorted(_READERS)


def read_source(config: SourceConfig, schema: GraphSchema, *, known_ids: KnownIds | None = None, cache: DocumentCache | None = None) -> Facts:
    """Read one source into facts; `SourceError` when its input cannot be read at all.

    `cache` (loaded by the caller) serves files unchanged since they were last parsed; the caller saves it."""
    if config.kind == "estate":
        raise SourceError(f"source {config.name!r}: estate folders are read by opsgraph.ingest, not by a source reader")
    reader = _READERS.get(config.kind)
    if reader is None:
        raise SourceError(
            f"source {config.name!r}: unknown kind {config.kind!r}; expected one of estate, {', '.join(reader_kinds())}"
        )
    if config.path is None:
        raise SourceError(f"source {config.name!r} ({config.kind}) needs a `path` (file or folder)")
    if not config.path.exists():
        raise SourceError(f"source {config.name!r}: {config.path} does not exist (expected a file or folder)")
    _check_mapping(config, schema)
    return reader(config, schema, known_ids, cache)


def _check_mapping(config: SourceConfig, schema: GraphSchema) -> None:
    """Types a mapping names explicitly must exist in the schema (defaults that do not are simply not produced)."""
    m = config.mapping
    wrong: list[str] = []
    for fld in ("workload_type", "team_type", "person_type"):
        if fld in m.model_fields_set and getattr(m, fld) not in schema.nodes:
            wrong.append(f"mapping.{fld}: {getattr(m, fld)!r} is not a node type (declared: {', '.join(sorted(schema.nodes))})")
    for fld in ("dependency_edge", "ownership_edge", "membership_edge"):
        if fld in m.model_fields_set and getattr(m, fld) not in schema.edges:
            wrong.append(f"mapping.{fld}: {getattr(m, fld)!r} is not an edge type (declared: {', '.join(sorted(schema.edges))})")
    for kind, node_type in m.types.items():
        if node_type not in schema.nodes:
            wrong.append(f"mapping.types.{kind}: {node_type!r} is not a node type (declared: {', '.join(sorted(schema.nodes))})")
    if wrong:
        raise SourceError(f"source {config.name!r}: " + "; ".join(wrong))
