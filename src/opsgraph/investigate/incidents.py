"""Incidents as records: open one on a component, close it with its cause and fix, import a pager tool's export.

Every write goes through the store's write methods inside one `store.atomic(...)` block, with the type,
edge and property names of the schema's `incidents:` section: an Incident node (`status` open or
resolved, the start and end properties, `title`, `severity`, `summary`, `fix`), AFFECTED edges to the
components it degraded and a CAUSED_BY edge to its root cause (its `detail` says the fix). Importing
a file (CSV with a header row, or a JSON list of objects) goes through the same `record_incident`.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from opsgraph.investigate._errors import IncidentRecordError
from opsgraph.schema import GraphSchema, IncidentSettings
from opsgraph.store.base import GraphStore

FIX = "fix"
"""Property of the incident that says what fixed it."""
_ID = re.compile(r"^INC-(\d+)$")
LIST_SPLIT = re.compile(r"[;|,]\s*")


def _settings(schema: GraphSchema) -> IncidentSettings:
    if schema.incidents is None or schema.incidents.type not in schema.nodes:
        raise IncidentRecordError("the schema has no `incidents:` section (or its type is not a node type): "
                                  "add one to schema.yaml to record incidents")
    return schema.incidents


def _iso(value: Any, what: str) -> str:
    if isinstance(value, int | float):
        return datetime.fromtimestamp(float(value), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        dt = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise IncidentRecordError(f"{what}: expected an ISO time such as 2026-03-01T12:00:00Z, got {value!r}") from exc
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _existing(store: GraphStore, inc: IncidentSettings, iid: str) -> dict[str, Any] | None:
    rows = store.query(f"MATCH (i:`{inc.type}` {{id: $id}}) RETURN i AS i", {"id": iid}).rows
    return dict(rows[0]["i"]) if rows else None


def _check_nodes(store: GraphStore, ids: Sequence[str], what: str) -> None:
    missing = sorted(set(ids) - set(store.node_types(list(ids))))
    if missing:
        raise IncidentRecordError(f"{what}: no component with id {', '.join(repr(m) for m in missing)} in the store")


def next_id(store: GraphStore, schema: GraphSchema) -> str:
    inc = _settings(schema)
    rows = store.query(f"MATCH (i:`{inc.type}`) RETURN i.id AS id", limit=1_000_000).rows
    nums = [int(m.group(1)) for r in rows if (m := _ID.match(str(r.get("id") or "")))]
    return f"INC-{(max(nums) + 1) if nums else 1}"


def _clean(props: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if not k.startswith("_") and v is not None and k not in ("@rid", "@type", "@cat")}


def record_incident(
    store: GraphStore, schema: GraphSchema, *, id: str | None = None, title: str, affected: Sequence[str], started_at: Any,
    severity: str = "sev3", summary: str = "", resolved_at: Any = None, cause: str | None = None, fix: str = "",
    what: str = "incident",
) -> str:
    """Create or update one incident with its edges, all or nothing; returns its id."""
    inc = _settings(schema)
    if not title.strip():
        raise IncidentRecordError(f"{what}: field 'title' is required")
    if not affected:
        raise IncidentRecordError(f"{what}: field 'affected' needs at least one component id")
    _check_nodes(store, affected, f"{what}: field 'affected'")
    if cause:
        _check_nodes(store, [cause], f"{what}: field 'cause'")
    iid = id or next_id(store, schema)
    old = _existing(store, inc, iid) or {}
    props = {**_clean(old), "id": iid, "title": title, "severity": severity, inc.start: _iso(started_at, f"{what}: field '{inc.start}'")}
    if summary:
        props["summary"] = summary
    if fix:
        props[FIX] = fix
    done = resolved_at is not None and resolved_at != ""
    props["status"] = "resolved" if done else "open"
    if inc.end and done:
        props[inc.end] = _iso(resolved_at, f"{what}: field '{inc.end}'")
    types = store.node_types([*affected, *([cause] if cause else [])])
    with store.atomic(f"incident {iid}"):
        store.upsert_nodes(inc.type, [props])
        store.upsert_edges(inc.affected, [{"from": iid, "to": n, "from_type": inc.type, "to_type": types[n]} for n in affected])
        if cause and inc.caused_by:
            edge: dict[str, Any] = {"from": iid, "to": cause, "from_type": inc.type, "to_type": types[cause]}
            caused = schema.edges.get(inc.caused_by)
            if fix and caused is not None and "detail" in caused.properties:
                edge["detail"] = fix
            store.upsert_edges(inc.caused_by, [edge])
    return iid


def open_incident(store: GraphStore, schema: GraphSchema, service: str, title: str, *, started_at: Any = None,
                  severity: str = "sev3", summary: str = "", now: float | None = None) -> str:
    """Open an incident on `service` (started now unless given); returns its new id."""
    start = started_at if started_at is not None else (now if now is not None else datetime.now(UTC).timestamp())
    return record_incident(store, schema, title=title, affected=[service], started_at=start, severity=severity, summary=summary)


def close_incident(store: GraphStore, schema: GraphSchema, iid: str, *, cause: str, fix: str, resolved_at: Any = None,
                   now: float | None = None) -> str:
    """Close incident `iid`: its root cause, what fixed it, when impact ended (now unless given)."""
    inc = _settings(schema)
    old = _existing(store, inc, iid)
    if old is None:
        raise IncidentRecordError(f"no incident with id {iid!r}")
    affected = [str(r["n"]) for r in store.query(f"MATCH (i:`{inc.type}` {{id: $id}})-[:`{inc.affected}`]->(n) RETURN n.id AS n",
                                                 {"id": iid}).rows]
    end = resolved_at if resolved_at is not None else (now if now is not None else datetime.now(UTC).timestamp())
    return record_incident(store, schema, id=iid, title=str(old.get("title") or iid), affected=affected or [cause],
                           started_at=old.get(inc.start), severity=str(old.get("severity") or "sev3"),
                           summary=str(old.get("summary") or ""), resolved_at=end, cause=cause, fix=fix, what=f"incident {iid}")


def read_incident_file(path: str | Path) -> list[dict[str, Any]]:
    """Rows of a CSV (header row) or JSON (list of objects, or {"incidents": [...]}) export."""
    path = Path(path)
    if not path.is_file():
        raise IncidentRecordError(f"{path}: no such file")
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise IncidentRecordError(f"{path}: line {exc.lineno}: not valid JSON ({exc.msg})") from exc
        if isinstance(data, dict):
            data = data.get("incidents")
        if not isinstance(data, list) or not all(isinstance(x, dict) for x in data):
            raise IncidentRecordError(f"{path}: expected a list of incident objects (or {{\"incidents\": [...]}})")
        return data
    with path.open(newline="", encoding="utf-8") as fh:
        return [dict(r) for r in csv.DictReader(fh)]


def import_incidents(store: GraphStore, schema: GraphSchema, path: str | Path) -> list[str]:
    """Record every incident of a CSV/JSON export (fields: id, title, affected, started_at, and optionally
    severity, summary, resolved_at, cause, fix; `affected` a list or `;`-separated); all or nothing."""
    inc = _settings(schema)
    rows = read_incident_file(path)
    ids = []
    with store.atomic(f"import incidents from {Path(path).name}"):
        for n, row in enumerate(rows):
            where = f"{path}: {'row' if Path(path).suffix.lower() != '.json' else 'item'} {n + (2 if Path(path).suffix.lower() != '.json' else 0)}"
            affected = row.get("affected")
            if isinstance(affected, str):
                affected = [a for a in LIST_SPLIT.split(affected.strip()) if a]
            start = row.get(inc.start, row.get("started_at"))
            if not start:
                raise IncidentRecordError(f"{where}: field '{inc.start}' is required")
            ids.append(record_incident(
                store, schema, id=str(row["id"]) if row.get("id") else None, title=str(row.get("title") or ""),
                affected=list(affected or []), started_at=start, severity=str(row.get("severity") or "sev3"),
                summary=str(row.get("summary") or ""), resolved_at=row.get(inc.end or "resolved_at", row.get("resolved_at")) or None,
                cause=str(row["cause"]) if row.get("cause") else None, fix=str(row.get("fix") or ""), what=where))
    return ids
