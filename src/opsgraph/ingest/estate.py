"""Read an estate folder and validate all of it before anything is written.

The result is an `EstatePlan`: typed rows ready for the store. Every problem
in every file is collected (file, line/row, field, what was expected) and
raised together as one `IngestError`, so a user fixes a folder in one pass
and the store is never half-written by a folder that was half-valid.

Rules this module enforces:
- a node's type comes from the file name (`nodes/Service.csv`) or, when the
  stem names no type, from each row's `type` field;
- node ids are unique across the whole estate (citations, entity links and
  telemetry refer to a node by id alone);
- an edge's ends must exist in the folder or already in the store, and their
  types must be allowed by the edge type;
- telemetry names existing nodes whose type declares the features used;
- nothing the engine would refuse gets through (`coerce` and `check_id` check
  values against `opsgraph.store.limits`): ints beyond 64 bits, NaN where not
  allowed, control characters, over-long ids and indexed text.
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opsgraph.errors import IngestError, Issue
from opsgraph.ingest.coerce import check_id, coerce
from opsgraph.ingest.files import SourceRow, list_tables, read_table
from opsgraph.schema import GraphSchema, load_schema
from opsgraph.schema.coerce import CoercionError, parse_datetime

IdLookup = Callable[[list[str]], dict[str, str]]
"""Given ids, return id → node type for those already in the store."""


@dataclass
class EstatePlan:
    """Validated, typed rows of an estate, grouped the way the store writes them."""

    schema: GraphSchema
    nodes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Node type → rows (each with `id` and stored properties)."""
    edges: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Edge type → rows with `from`, `to`, `from_type`, `to_type` and properties."""
    telemetry: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Node type → rows `{node, ts, values, label}` with values in the type's feature order."""
    files: int = 0
    """Files read."""

    def counts(self) -> dict[str, int]:
        return {
            "nodes": sum(len(v) for v in self.nodes.values()),
            "edges": sum(len(v) for v in self.edges.values()),
            "telemetry rows": sum(len(v) for v in self.telemetry.values()),
        }


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _typed_rows(folder: Path, root: Path, known: dict[str, Any], kind: str, issues: list[Issue]) -> list[tuple[str, SourceRow]]:
    out = []
    for path in list_tables(folder):
        shown = _rel(path, root)
        file_type = path.stem if path.stem in known else None
        for row in read_table(path, shown, issues):
            type_name = file_type
            if type_name is None:
                raw = row.data.pop("type", None)
                if raw is None:
                    issues.append(Issue(shown, row.line, "type", f"no {kind} type: name the file after a type ({', '.join(sorted(known))}) or give each row a `type`"))
                    continue
                if raw not in known:
                    issues.append(Issue(shown, row.line, "type", f"unknown {kind} type {raw!r}; the schema declares {', '.join(sorted(known))}"))
                    continue
                type_name = str(raw)
            out.append((type_name, row))
    return out


def _coerce_props(row: SourceRow, specs: dict[str, Any], skip: set[str], type_name: str, issues: list[Issue]) -> dict[str, Any] | None:
    out: dict[str, Any] = {}
    ok = True
    for key, value in row.data.items():
        if key in skip:
            continue
        spec = specs.get(key)
        if spec is None:
            issues.append(Issue(row.file, row.line, key, f"{type_name} has no property {key!r}; declared: {', '.join(sorted(specs)) or 'none'}"))
            ok = False
            continue
        if value is None:
            continue
        try:
            out[key] = coerce(value, spec, from_text=row.from_csv)
        except CoercionError as exc:
            issues.append(Issue(row.file, row.line, key, str(exc)))
            ok = False
    for key, spec in specs.items():
        if spec.required and key not in out and key not in skip and row.data.get(key) is None:
            issues.append(Issue(row.file, row.line, key, f"required property of {type_name} is missing"))
            ok = False
    return out if ok else None


def read_estate(root: Path, *, lookup_ids: IdLookup | None = None, schema: GraphSchema | None = None) -> EstatePlan:
    """Read and validate the estate at `root`; raise `IngestError` listing every problem."""
    root = Path(root)
    if not root.is_dir():
        raise IngestError([Issue(str(root), None, "", "estate folder does not exist")])
    if schema is None:
        schema = load_schema(root / "schema.yaml")
    issues: list[Issue] = []
    plan = EstatePlan(schema=schema)

    # Nodes -------------------------------------------------------------------
    id_home: dict[str, tuple[str, str, int | None]] = {}  # id → (type, file, line)
    node_rows = _typed_rows(root / "nodes", root, schema.nodes, "node", issues)
    for type_name, row in node_rows:
        ntype = schema.nodes[type_name]
        raw_id = row.data.get(ntype.id_property)
        if raw_id is None or str(raw_id).strip() == "":
            issues.append(Issue(row.file, row.line, ntype.id_property, f"missing id: every {type_name} row needs `{ntype.id_property}`"))
            continue
        node_id = str(raw_id).strip()
        bad_id = check_id(node_id)
        if bad_id is not None:
            issues.append(Issue(row.file, row.line, ntype.id_property, bad_id))
            continue
        home = id_home.get(node_id)
        if home is not None and home[0] != type_name:
            issues.append(Issue(row.file, row.line, ntype.id_property, f"id {node_id!r} is already a {home[0]} ({home[1]}:{home[2]}); ids must be unique across the estate"))
            continue
        id_home[node_id] = (type_name, row.file, row.line)
        specs = {k: v for k, v in ntype.properties.items() if k != ntype.id_property}
        props = _coerce_props(row, specs, {ntype.id_property, "id"}, type_name, issues)
        if props is not None:
            props["id"] = node_id
            plan.nodes.setdefault(type_name, []).append(props)
    plan.files += len(list_tables(root / "nodes"))

    # Ids that live in the store already (for edges and telemetry to name, and to catch type clashes).
    stored: dict[str, str] = lookup_ids(list(id_home)) if lookup_ids and id_home else {}
    for node_id, stype in stored.items():
        ftype, file, line = id_home[node_id]
        if stype != ftype:
            issues.append(Issue(file, line, "id", f"id {node_id!r} is stored as a {stype}, this file says {ftype}; ids must be unique across the estate"))

    def type_of(ids: list[str]) -> dict[str, str]:
        found = {i: id_home[i][0] for i in ids if i in id_home}
        missing = [i for i in ids if i not in found]
        if missing and lookup_ids:
            found.update(lookup_ids(missing))
        return found

    # Edges -------------------------------------------------------------------
    edge_rows = _typed_rows(root / "edges", root, schema.edges, "edge", issues)
    ends = type_of(sorted({str(r.data.get(k)) for _, r in edge_rows for k in ("from", "to") if r.data.get(k) is not None}))
    for type_name, row in edge_rows:
        etype = schema.edges[type_name]
        ok = True
        resolved: dict[str, str] = {}
        for side, allowed in (("from", etype.from_types), ("to", etype.to_types)):
            value = row.data.get(side)
            if value is None or str(value).strip() == "":
                issues.append(Issue(row.file, row.line, side, f"missing `{side}`: every {type_name} edge needs a {side} node id"))
                ok = False
                continue
            nid = str(value).strip()
            end_type = ends.get(nid)
            if end_type is None:
                issues.append(Issue(row.file, row.line, side, f"edge to unknown node {nid!r}: no node has this id in the estate or the store"))
                ok = False
            elif end_type not in allowed:
                issues.append(Issue(row.file, row.line, side, f"{type_name} cannot {'start at' if side == 'from' else 'end at'} a {end_type} ({nid!r}); allowed: {', '.join(allowed)}"))
                ok = False
            else:
                resolved[side] = nid
                resolved[f"{side}_type"] = end_type
        props = _coerce_props(row, dict(etype.properties), {"from", "to"}, type_name, issues)
        if ok and props is not None:
            plan.edges.setdefault(type_name, []).append({**resolved, **props})
    plan.files += len(list_tables(root / "edges"))

    # Telemetry ---------------------------------------------------------------
    _read_telemetry(root, schema, plan, type_of, issues)

    if issues:
        raise IngestError(issues)
    return plan


def _read_telemetry(root: Path, schema: GraphSchema, plan: EstatePlan, type_of: Callable[[list[str]], dict[str, str]], issues: list[Issue]) -> None:
    folder = root / schema.telemetry.folder
    if not folder.is_dir():
        return
    interval = schema.telemetry.interval_seconds
    features_of = schema.telemetry_types()
    for path in sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".csv"):
        shown = _rel(path, root)
        plan.files += 1
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            try:
                header = [h.strip() for h in next(reader)]
            except StopIteration:
                continue
            except (csv.Error, UnicodeDecodeError) as exc:
                issues.append(Issue(shown, 1, "", f"malformed CSV header: {exc}"))
                continue
            for col in ("timestamp", "node"):
                if col not in header:
                    issues.append(Issue(shown, 1, col, f"telemetry needs a `{col}` column; the header has {', '.join(header)}"))
            if any(c not in header for c in ("timestamp", "node")):
                continue
            feature_cols = [h for h in header if h not in ("timestamp", "node", "label")]
            raw_rows = []
            try:
                for cells in reader:
                    if not any(c.strip() for c in cells):
                        continue
                    if len(cells) != len(header):
                        issues.append(Issue(shown, reader.line_num, "", f"expected {len(header)} cells, found {len(cells)}"))
                        continue
                    raw_rows.append((reader.line_num, dict(zip(header, cells, strict=True))))
            except (csv.Error, UnicodeDecodeError) as exc:
                issues.append(Issue(shown, reader.line_num, "", f"malformed CSV: {exc}"))
                continue
        node_types = type_of(sorted({r["node"].strip() for _, r in raw_rows}))
        checked_types: set[str] = set()
        for line, r in raw_rows:
            node = r["node"].strip()
            ntype = node_types.get(node)
            if ntype is None:
                issues.append(Issue(shown, line, "node", f"telemetry for unknown node {node!r}"))
                continue
            feats = features_of.get(ntype)
            if not feats:
                issues.append(Issue(shown, line, "node", f"{node!r} is a {ntype}, which declares no telemetry features"))
                continue
            if ntype not in checked_types:
                checked_types.add(ntype)
                extra = [c for c in feature_cols if c not in feats]
                if extra:
                    issues.append(Issue(shown, 1, ",".join(extra), f"{ntype} declares telemetry {', '.join(feats)}; unknown column(s)"))
            try:
                ts = int(parse_datetime(r["timestamp"]).timestamp())
            except CoercionError as exc:
                issues.append(Issue(shown, line, "timestamp", str(exc)))
                continue
            ts -= ts % interval
            values: list[float | None] = []
            bad = False
            for f in feats:
                cell = (r.get(f) or "").strip()
                if cell == "" or cell.lower() == "nan":
                    values.append(None)
                    continue
                try:
                    v = float(cell)
                except ValueError:
                    issues.append(Issue(shown, line, f, f"expected a number, got {cell!r}"))
                    bad = True
                    continue
                if math.isinf(v):
                    issues.append(Issue(shown, line, f, "expected a finite number"))
                    bad = True
                values.append(v)
            label: int | None = None
            raw_label = (r.get("label") or "").strip()
            if raw_label:
                if raw_label not in ("0", "1"):
                    issues.append(Issue(shown, line, "label", f"expected 0 or 1, got {raw_label!r}"))
                    bad = True
                else:
                    label = int(raw_label)
            if not bad:
                plan.telemetry.setdefault(ntype, []).append({"node": node, "ts": ts, "values": values, "label": label})


def group_counts(rows: dict[str, list[dict[str, Any]]]) -> dict[str, int]:
    """Rows per type, for reports."""
    out: dict[str, int] = defaultdict(int)
    for k, v in rows.items():
        out[k] += len(v)
    return dict(out)
