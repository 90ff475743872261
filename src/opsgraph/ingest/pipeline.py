"""Ingest an estate folder into a store: validate everything, then write in order.

Order matters for safety: the whole folder is read and validated first
(`read_estate`), so a bad file refuses the ingest before the first write.
Then the folder is synced as a source of kind `estate` (`sync.py`): a plan of
creates, updates and deletes, applied with telemetry and documents inside one
`store.atomic()` block: if any step fails the store undoes the committed
batches, so a failed ingest leaves the store exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

from opsgraph.embed.base import Embedder
from opsgraph.ingest.documents import DocumentReport, read_documents, sync_documents
from opsgraph.ingest.estate import EstatePlan, read_estate
from opsgraph.ingest.sync import SyncPlan, apply_plan, estate_source_name, plan_sync, state_from_estate
from opsgraph.store.base import GraphStore, Row, UpsertReport, dedupe

Progress = Callable[[str, int, int], None]
"""`progress(task, done, total)`: called as work advances (the CLI draws bars from it)."""


@dataclass
class IngestReport:
    """What an ingest did, per type."""

    estate: str
    nodes: dict[str, UpsertReport] = field(default_factory=dict)
    edges: dict[str, UpsertReport] = field(default_factory=dict)
    telemetry: dict[str, UpsertReport] = field(default_factory=dict)
    """Per node type; counted in stored buckets (node × day), not rows."""
    documents: DocumentReport | None = None
    """What happened to the estate's documents; None when they were not synced (no embedder or no docs folder)."""
    data_version: int = 0
    deleted: dict[str, int] = field(default_factory=dict)
    """Node or edge type → rows deleted because the folder no longer has them (and no other source asserts them)."""
    sync: SyncPlan | None = None
    """The sync plan that was applied (the estate folder is a source of kind `estate`)."""

    def totals(self) -> UpsertReport:
        total = UpsertReport()
        for group in (self.nodes, self.edges, self.telemetry):
            for r in group.values():
                total = total + r
        return total

    def changed(self) -> bool:
        t = self.totals()
        return bool(t.created or t.updated) or (self.documents is not None and self.documents.changed())


def _batched(call: Callable[[list[dict[str, Any]]], UpsertReport], rows: list[dict[str, Any]], task: str, progress: Progress | None, size: int) -> UpsertReport:
    report = UpsertReport()
    total = len(rows)
    for start in range(0, total, size):
        report = report + call(rows[start : start + size])
        if progress:
            progress(task, min(start + size, total), total)
    if progress and total == 0:
        progress(task, 0, 0)
    return report


def _unique(rows: list[dict[str, Any]], key: Callable[[Row], Hashable]) -> tuple[list[dict[str, Any]], tuple[str, ...]]:
    # The store de-duplicates within one call; a key repeated across our chunks
    # would otherwise count as "updated" by its own file. Merge first.
    unique, repeated = dedupe(rows, key)
    return unique, tuple(repeated)


def write_plan(store: GraphStore, plan: EstatePlan, *, progress: Progress | None = None, chunk: int = 5000) -> IngestReport:
    """Write a validated plan: schema, then nodes, edges and telemetry, type by type; all or nothing."""
    with store.atomic(f"write-{plan.schema.name}"):
        return _write_plan(store, plan, progress=progress, chunk=chunk)


def _write_plan(store: GraphStore, plan: EstatePlan, *, progress: Progress | None, chunk: int) -> IngestReport:
    report = IngestReport(estate=plan.schema.name)
    store.ensure_schema(plan.schema)
    for type_name, rows in plan.nodes.items():
        unique, repeated = _unique(rows, lambda r: r["id"])
        done = _batched(partial(store.upsert_nodes, type_name), unique, f"nodes {type_name}", progress, chunk)
        report.nodes[type_name] = replace(done, duplicates=repeated + done.duplicates)
    for type_name, rows in plan.edges.items():
        unique, repeated = _unique(rows, lambda r: (r["from"], r["to"]))
        done = _batched(partial(store.upsert_edges, type_name), unique, f"edges {type_name}", progress, chunk)
        report.edges[type_name] = replace(done, duplicates=repeated + done.duplicates)
    for type_name, rows in plan.telemetry.items():
        features = plan.schema.nodes[type_name].telemetry
        report.telemetry[type_name] = _batched(partial(store.write_telemetry, type_name, features), rows, f"telemetry {type_name}", progress, chunk * 10)
    report.data_version = store.data_version()
    return report


def ingest_estate(
    store: GraphStore,
    root: str | Path,
    *,
    progress: Progress | None = None,
    embedder: Embedder | None = None,
    source: str | None = None,
    precedence: int = 100,
    others: Mapping[str, int] | None = None,
    dry_run: bool = False,
) -> IngestReport:
    """Validate the estate at `root` completely, then sync it as a source of kind `estate`. Raises `IngestError` before any write.

    Rows removed from the folder since its last ingest are deleted (with their edges) unless
    another source still asserts them or they were stored before provenance existed
    (`ingest/sync.py`). Nodes, edges, their claims, the change log and telemetry are written in
    one atomic block. `source` names the facts (default: the estate's name); `others` gives
    other sources' precedence for merging properties.

    With an `embedder`, the estate's documents folder (when it has one) is synced after the
    nodes: chunks, embeddings and MENTIONS links (`sync_documents`). Without a folder, stored
    documents are left alone.
    """
    root = Path(root)
    plan = read_estate(root, lookup_ids=store.node_types)
    docs = None
    if embedder is not None and (root / plan.schema.documents.folder).is_dir():
        docs = read_documents(root, plan.schema)  # unreadable documents refuse the ingest before the first write
    with store.atomic(f"ingest-{root.name}"):
        name = source or estate_source_name(plan.schema, root)
        state, repeated = state_from_estate(plan, name, precedence=precedence, location=str(root))
        store.ensure_schema(plan.schema)
        sync = plan_sync(store, plan.schema, state, precedence=others)
        report = IngestReport(estate=plan.schema.name, sync=sync)
        for (kind, t), tp in sync.types.items():
            group = report.nodes if kind == "node" else report.edges
            group[t] = UpsertReport(len(tp.create), len(tp.update), tp.unchanged, repeated.get((kind, t), ()))
            if tp.delete:
                report.deleted[t] = len(tp.delete)
        for (kind, t), dups in repeated.items():
            group = report.nodes if kind == "node" else report.edges
            if t not in group:
                group[t] = UpsertReport(duplicates=dups)
        if dry_run:
            report.data_version = store.data_version()
            return report

        def telemetry() -> None:
            for type_name, rows in plan.telemetry.items():
                features = plan.schema.nodes[type_name].telemetry
                report.telemetry[type_name] = _batched(partial(store.write_telemetry, type_name, features), rows, f"telemetry {type_name}", progress, 50_000)

        apply_plan(store, sync, progress=progress, extra=telemetry)
        report.data_version = store.data_version()
        if embedder is not None and docs is not None:
            report.documents = sync_documents(store, plan.schema, root, embedder, progress=progress, documents=docs)
            report.data_version = store.data_version()
    return report
