"""`ArcadeDBStore`: the default `GraphStore`, on ArcadeDB (graph + full-text + vectors).

What it adds over the raw engine, and why:
- Upserts by the input's stable `id`. Each row carries a content hash
  (`_hash`); a batch first reads the stored hashes of its keys, then writes
  only rows that are new (CREATE) or changed (MATCH + SET, replacing all
  properties so a removed column disappears). Re-ingesting the same input
  therefore writes nothing, and the counts say so.
- A batch is de-duplicated before it is sent (last row wins, keys reported)
  and runs in one transaction; an exception rolls it back, so a failed batch
  leaves the store as it was. A write that matches fewer endpoints than it
  was given is an error, not a silent partial write.
- DDL is idempotent step by step (type, then property, then index), and a
  property whose stored type differs from the schema is reported instead of
  being silently kept.
- Type and property names come only from a validated `GraphSchema` (they
  cannot be parameters in Cypher); every value is a parameter.
- Telemetry is stored column-wise in buckets: one document per node and
  `bucket_steps` time steps holding the timestamps, a flat float array and
  the labels. 10k nodes × 1 day at 1 min is 10k documents instead of 14M.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import math
import random
import re
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from opsgraph.errors import BatchError, OpsGraphError, QueryError, StoreError, WriteRefusedError
from opsgraph.schema import GraphSchema, PropertyType
from opsgraph.store.base import LiveType, QueryResult, Row, SearchHit, TelemetryFrame, UpsertReport, dedupe
from opsgraph.store.cypher_guard import write_clauses
from opsgraph.store.health import Report, check_database, close_clean, open_checked
from opsgraph.store.journal import Journal
from opsgraph.store.limits import explain_rows
from opsgraph.store.telemetry_cache import DEFAULT_BUDGET_BYTES, Bucket, BucketCache
from opsgraph.store.transport import EmbeddedTransport, Transport
from opsgraph.store.undo_rules import compare as _compare
from opsgraph.store.undo_rules import pair as _pair
from opsgraph.store.undo_rules import plain_record

_ENGINE_TYPES = {
    PropertyType.STRING: "STRING",
    PropertyType.INTEGER: "LONG",
    PropertyType.FLOAT: "DOUBLE",
    PropertyType.BOOLEAN: "BOOLEAN",
    PropertyType.DATETIME: "STRING",
    PropertyType.STRING_LIST: "LIST",
    PropertyType.VECTOR: "ARRAY_OF_FLOATS",
}
VECTOR_SEARCH_WIDTH = 1000
"""vectorNeighbors' search width. bench/rag.py, 10k random 384-d vectors: recall@10 0.939 at 400, 0.998 at 1000
(p50 11.0 → 12.4 ms); the engine's default gave 0.12 at 20k (ENGINE-NOTES)."""
VECTOR_BUILD_TIMEOUT_MS = 30 * 60_000
"""Time limit for the first search of a vector index after writes to its type. The index is declared
before the chunks are loaded, so that search builds the whole graph inside the query (40 s for 10k
random 384-d vectors on a busy 2-core machine, minutes at 100k: bench/rag.py). A build stopped by the
ordinary query timeout is thrown away and the next search starts again, so under that timeout a large
index would never become searchable. Later searches (and searches after small writes) take milliseconds."""
_IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
RECOVERY_WAIT_S = 120.0
"""How long a new block waits for another process's undo of a dead block's journal to finish before writing."""
CONFLICT_RETRIES = 8
"""How often an upsert batch that lost a race with a concurrent writer is retried on fresh hashes."""
_CONFLICTS = ("ConcurrentModificationException", "DuplicatedKeyException", "NeedRetryException", _VANISHED := "deleted by another writer while")
META_TYPE = "OpsgraphMeta"
TELEMETRY_TYPE = "OpsgraphTelemetry"
_JOURNALED_META = ("data_version", "schema")
"""Meta keys a block's journal restores on undo (the data version and the stored schema)."""
_TELEMETRY_UPSERT = (
    f"UPDATE {TELEMETRY_TYPE} SET key = :key, node = :node, node_type = :node_type, bstart = :bstart, "
    "ts = :ts, vals = :vals, labels = :labels, features = :features, _hash = :_hash UPSERT WHERE key = :key"
)


_log = logging.getLogger("opsgraph.store")


def _ident(name: str) -> str:
    """Refuse anything that is not a plain identifier before it enters a statement."""
    if not _IDENT.match(name):
        raise StoreError(f"{name!r} is not a valid type or property name")
    return name


def row_hash(props: Mapping[str, Any]) -> str:
    """A stable hash of a row's properties (key order does not matter)."""
    blob = json.dumps(props, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.blake2b(blob.encode(), digest_size=12).hexdigest()


def record_hash(row: Mapping[str, Any]) -> str:
    """`row_hash` of a hidden record as the engine gives it back (`plain_record`): what an undo compares records by."""
    return row_hash(plain_record(row))


def _hash_of(row: Mapping[str, Any]) -> str | None:
    """The `_hash` a pre-image row holds (what the row holds again once undone)."""
    h = row.get("_hash")
    return None if h is None else str(h)


def _all_there(out: Sequence[Mapping[str, Any]], expected: int, what: str) -> None:
    """An update of rows read a moment ago that matched fewer: another writer (or an undo) deleted some in between.
    A conflict: the batch is rolled back and retried on fresh hashes (`_retrying`), so the rows are created instead."""
    got = int(out[0]["c"]) if out else expected
    if got < expected:
        raise QueryError(f"{expected - got} of {expected} {what} to update were {_VANISHED} this batch ran (a write conflict)")


def is_write_conflict(exc: BaseException) -> bool:
    """Whether an error is a lost race with another writer (a retry on fresh reads may succeed)."""
    return any(c in str(exc) for c in _CONFLICTS)


class ArcadeDBStore:
    """The default graph store. Use as a context manager or call `open()`/`close()`."""

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        transport: Transport | None = None,
        batch_size: int = 1000,
        bucket_steps: int = 1440,
        default_limit: int = 10_000,
        timeout_ms: int = 30_000,
        vector_search_width: int = VECTOR_SEARCH_WIDTH,
        telemetry_cache_bytes: int = DEFAULT_BUDGET_BYTES,
        journal_dir: str | Path | None = None,
        journal: bool = True,
        heap: str = "2g",
    ) -> None:
        if transport is None:
            if path is None:
                raise StoreError("give ArcadeDBStore a database path or a transport")
            transport = EmbeddedTransport(path, heap=heap)
        self.transport = transport
        self.batch_size = batch_size
        self.bucket_steps = bucket_steps
        self.default_limit = default_limit
        self.timeout_ms = timeout_ms
        self.vector_search_width = vector_search_width
        """Search width passed to `vectorNeighbors` (bench/rag.py measures recall against exact search per width)."""
        self.telemetry_cache = BucketCache(telemetry_cache_bytes)
        """Decoded telemetry buckets by content hash (0 bytes turns it off): bench/investigate.py measures it."""
        self._schema: GraphSchema | None = None
        self.health: Report | None = None
        """The integrity check run by the last `open()` (after an unclean close or changed files), else None."""
        self._vector_ready: set[str] = set()
        """`Type[prop]` vector indexes searched since the last write to their type (their graph is built)."""
        home = getattr(transport, "path", None)
        self.journal_dir = Path(journal_dir) if journal_dir is not None else (Path(home).parent / "journal" if home is not None else None)
        """Where `atomic()` keeps its undo journals (default: `journal/` beside the database folder). A transport
        with no local folder (a test's `MockTransport`) and no `journal_dir` has none: its blocks cannot undo."""
        self.journal = journal
        """False turns `atomic()` into a plain block (no pre-images, no undo): for throwaway bulk loads and for measuring the guarantee's cost."""
        self._journal_store = Path(home).name if home is not None else "store"
        self._journal: Journal | None = None
        self._journal_owner: int | None = None
        """The thread whose block `_journal` belongs to; other threads' writes wait for it (`_write_lock`)."""
        self._tx_owner: int | None = None
        """The thread whose block runs as one engine transaction (`atomic(..., one_transaction=True)`): its batches join it."""
        self._write_lock = threading.RLock()
        self.recovered: list[str] = []
        """Labels of unfinished blocks (a crash) that `open()` undid."""
        self.recovery_notes: list[str] = []
        """Rows an undo left because another writer changed them after the block wrote them (newest write wins)."""
        self._tls = threading.local()
        """This thread's data version set by its current batch (`_bump_version`), noted in the journal on commit."""

    # -- lifecycle -----------------------------------------------------------
    def open(self) -> None:
        self.health = open_checked(self.transport)  # the transport's open, plus store health (store/health.py)
        self.transport.set_timeout(self.timeout_ms)
        self._ensure_meta()
        self.recover_journals()

    def close(self) -> None:
        close_clean(self.transport)

    def check(self) -> Report:
        """Run the engine's integrity check now (`opsgraph check`); `Report.ok` says whether the store is whole."""
        return check_database(self.transport, getattr(self.transport, "path", None))

    def __enter__(self) -> ArcadeDBStore:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- all or nothing --------------------------------------------------------
    @contextlib.contextmanager
    def atomic(self, label: str, *, one_transaction: bool = False) -> Iterator[None]:
        """Every write inside the block is undone if the block raises; nested blocks join the outer one.

        `one_transaction`: the block is one engine transaction (its batches join it, one commit, no journal):
        for a block of few writes (a re-sync's change), where the journal's pre-image reads, fsyncs and a commit
        per batch cost more than the writes. The engine keeps the whole transaction in the heap, so a caller
        asks for it only when the block is small. A failure rolls it back; a crash leaves nothing of it (the
        engine's own write-ahead log); a concurrent writer's conflicting commit makes the block fail whole.

        Each batch appends its pre-image to a journal file (fsynced) before it
        commits (`store/journal.py`). On an exception the committed batches are
        compensated newest first, the journal is deleted and the error is
        re-raised saying that nothing was changed. A crash leaves the journal
        behind; the next `open()` of the store, or the next block of any process
        sharing the journal folder, finishes the undo (`recover_journals`), before
        this block writes: a re-ingest after a crash does not find the dead
        block's rows "unchanged" and then see them undone.
        """
        if self._in_block():
            yield
            return
        if one_transaction:
            with self._write_lock:
                if self.journal and self.journal_dir is not None:
                    self.recover_journals(wait_s=RECOVERY_WAIT_S)
                yield from self._one_transaction(label)
            return
        if not self.journal or self.journal_dir is None:
            yield  # no journal (switched off, or a transport with no local folder and no journal_dir): a plain block
            return
        with self._write_lock:  # one writer's block at a time: an undo must not clobber another thread's writes
            self.recover_journals(wait_s=RECOVERY_WAIT_S)
            yield from self._block(label)

    def _one_transaction(self, label: str) -> Iterator[None]:
        """The block as one engine transaction: every batch joins it (`_tx`), the engine rolls all of it back on an error."""
        self._tx_owner = threading.get_ident()
        try:
            with self.transport.transaction():
                yield
        except Exception as exc:
            note = f"{label} was rolled back (it ran as one transaction): nothing was changed"
            if isinstance(exc, OpsGraphError):
                first = str(exc.args[0]) if exc.args else str(exc)
                exc.args = (f"{first}\n{note}", *exc.args[1:])
                raise
            raise StoreError(f"{label} failed: {type(exc).__name__}: {exc}\n{note}") from exc
        finally:
            self._tx_owner = None

    def _tx(self) -> contextlib.AbstractContextManager[None]:
        """A batch's transaction: its own, or the block's when the block is one transaction."""
        if self._tx_owner is not None and self._tx_owner == threading.get_ident():
            return contextlib.nullcontext()
        return self.transport.transaction()

    def in_one_transaction(self) -> bool:
        """True inside this thread's `atomic(..., one_transaction=True)` block."""
        return self._tx_owner is not None and self._tx_owner == threading.get_ident()

    def _block(self, label: str) -> Iterator[None]:
        folder = self._journal_folder()
        meta = {key: self._get_meta(key) for key in _JOURNALED_META}
        journal = Journal.begin(folder, self._journal_store, label, meta)
        self._journal, self._journal_owner = journal, threading.get_ident()
        try:
            yield
        except BaseException as exc:
            self._journal = self._journal_owner = None
            journal.close()
            wrote = journal.records
            try:
                self.recovery_notes.extend(self._undo(journal))
            except Exception as undo_exc:
                raise StoreError(
                    f"{label} failed ({exc}) and undoing the batches it had committed failed too: "
                    f"{undo_exc}. The journal {journal.path} is kept: the next open of the store (or the next write) finishes the undo."
                ) from undo_exc
            if not wrote or not isinstance(exc, Exception):
                raise
            note = f"{label} was undone (every batch it had committed was reverted): nothing was changed"
            if isinstance(exc, OpsGraphError):
                first = str(exc.args[0]) if exc.args else str(exc)
                exc.args = (f"{first}\n{note}", *exc.args[1:])
                raise
            raise StoreError(f"{label} failed: {type(exc).__name__}: {exc}\n{note}") from exc
        else:
            self._journal = self._journal_owner = None
            journal.remove()

    def _in_block(self) -> bool:
        """True inside an `atomic()` block opened by this thread."""
        return (self._journal is not None and self._journal_owner == threading.get_ident()) or self.in_one_transaction()

    def _journal_folder(self) -> Path:
        if self.journal_dir is None:
            raise StoreError("this store has no folder for its undo journal: give ArcadeDBStore(journal_dir=...)")
        return self.journal_dir

    @contextlib.contextmanager
    def _journaled(self, label: str) -> Iterator[None]:
        """A public write joins the caller's block, or is a block of its own (all its batches or none).

        A transport with several servers (`HttpTransport`) is pinned to its write leader for the block, so the
        hashes a batch compares against, and its undo, are read where the batch writes (never from a replica).
        """
        pinned = getattr(self.transport, "pinned", None)
        with pinned() if pinned is not None else contextlib.nullcontext(), contextlib.nullcontext() if self._in_block() else self.atomic(label):
            yield

    def recover_journals(self, *, wait_s: float = 0.0) -> list[str]:
        """Undo every block a crash left unfinished (newest first); return their labels. Safe to repeat, and safe while
        other processes write: a journal whose process is alive (its block runs) is skipped, and rows written since
        the crash are left as they are (`recovery_notes` says which). A journal another process is undoing right now
        is waited for, up to `wait_s` (a block about to write waits: it would otherwise find the dead block's rows
        "unchanged", skip them, and then see the undo remove them)."""
        if self.journal_dir is None:
            return []
        done = []
        for journal in Journal.pending(self.journal_dir, self._journal_store):
            if not (journal.claim_when_settled(wait_s) if wait_s > 0 else journal.claim()):
                continue
            header, _ = journal.read()
            try:
                kept = self._undo(journal)
            except OpsGraphError as exc:
                raise StoreError(
                    f"the store holds the unfinished writes of {header.get('label') or 'a block'} (a crash), and undoing them "
                    f"from {journal.path} failed: {exc}. The journal is kept; opening the store again retries."
                ) from exc
            label = str(header.get("label") or journal.path.name)
            done.append(label)
            for note in kept:
                _log.warning("recovering %s (pid %s) from %s: %s", label, header.get("pid", "?"), journal.path.name, note)
            self.recovery_notes.extend(f"{label}: {note}" for note in kept)
        self.recovered.extend(done)
        return done

    def _undo(self, journal: Journal) -> list[str]:
        """Compensate every record not yet undone, newest first, marking each; then the meta; then forget the file.

        Returns what was left because another writer changed it since (see `_undo_record`). On failure the journal
        is released and kept, every record already undone marked, for the next recovery."""
        header, records = journal.read()
        kept: list[str] = []
        try:
            for rec in records:
                what = f"batch {rec.get('seq')} ({rec.get('op')} {rec.get('type', '')})"
                kept.extend(self._undo_retrying(what, journal, functools.partial(self._undo_record, rec)))
                journal.mark_undone(int(rec["seq"]))
            meta = header.get("meta") or {}
            kept.extend(self._undo_retrying("the data version and schema", journal, lambda: self._undo_meta(meta, journal, undid=bool(records))))
            self._schema = self.stored_schema() if self._schema is not None else None
        except BaseException:
            journal.release()
            raise
        finally:
            journal.close()
            self._vector_ready.clear()
        journal.remove()
        return kept

    def _undo_retrying(self, what: str, journal: Journal, step: Callable[[], list[str]]) -> list[str]:
        """One step of an undo (a record's compensation, or the meta), repeated on fresh reads when it loses a race
        with another writer (a record another process changed, the data version every batch moves)."""
        for attempt in range(CONFLICT_RETRIES + 1):
            try:
                return step()
            except (QueryError, StoreError) as exc:
                if not any(c in str(exc) for c in _CONFLICTS):
                    raise
                if attempt == CONFLICT_RETRIES:
                    raise StoreError(
                        f"undoing {what} of {journal.path} lost to concurrent "
                        f"writers {CONFLICT_RETRIES + 1} times ({exc}); the journal is kept with what was undone so far marked, "
                        "and the next recovery (opening the store, or its next write) continues it"
                    ) from exc
                time.sleep(random.uniform(0.005, 0.02) * (2**attempt))
        raise AssertionError("unreachable")

    def _undo_meta(self, old: Mapping[str, Any], journal: Journal, *, undid: bool) -> list[str]:
        """Put the block's meta back, each key only while it still holds what the block left there.

        The data version goes back to its old value only when the block's own batches were the only ones to move
        it (its `bumped` notes run old+1, old+2, ... up to the current value); when another writer moved it too,
        or a note was lost, it moves forward one instead, so a cache never sees an old number again. The schema
        goes back only if the block set it and nobody has set another since."""
        kept: list[str] = []
        if "data_version" not in old and not ("schema" in old and "schema" in journal.meta):
            return kept
        with self.transport.transaction():  # read and set in one transaction: a batch committing in between is a conflict (retried)
            if "data_version" in old:
                base = int(old["data_version"] or 0)
                current = int(self._meta_in_tx("data_version") or 0)
                ours = journal.bumps == list(range(base + 1, base + 1 + len(journal.bumps)))
                if ours and current == base + len(journal.bumps):
                    if current != base:
                        self._put_meta_in_tx("data_version", old["data_version"])
                elif undid or journal.bumps:
                    self._put_meta_in_tx("data_version", str(current + 1))
            if "schema" in old and "schema" in journal.meta:
                if self._meta_in_tx("schema") == journal.meta["schema"]:
                    self._put_meta_in_tx("schema", old["schema"])
                else:
                    kept.append("the stored schema was set by another writer since: kept")
        return kept

    def _meta_in_tx(self, key: str) -> str | None:
        rows, _ = self.transport.query("sql", f"SELECT value FROM {META_TYPE} WHERE key = :key", {"key": key}, 1)
        return str(rows[0]["value"]) if rows else None

    def _put_meta_in_tx(self, key: str, value: str | None) -> None:
        if value is None:
            self.transport.command("sql", f"DELETE FROM {META_TYPE} WHERE key = :key", {"key": key})
        else:
            self.transport.command("sql", f"UPDATE {META_TYPE} SET key = :key, value = :value UPSERT WHERE key = :key", {"key": key, "value": str(value)})

    def _undo_record(self, rec: Mapping[str, Any]) -> list[str]:
        """One batch's compensating writes, in one transaction, compare-and-set: a row is set back to its pre-image
        only while it still holds exactly what the batch wrote (`wrote`: its hash, or null for a row the batch
        deleted), read inside the same transaction. A row another writer changed, created or deleted since is newer
        and is left (last write wins); the notes returned name them. Repeating it is harmless.

        A journal written before `wrote` existed undoes unconditionally, as it always did."""
        op = rec["op"]
        t = self.transport
        kept: list[str] = []
        with t.transaction():
            if op == "nodes":
                label = _ident(rec["type"])
                created = [str(i) for i in rec.get("created") or []]
                old = list(rec.get("old") or [])
                now = self._node_hashes(label, [*created, *(str(r["id"]) for r in old)])
                undone = {**dict.fromkeys(created), **{str(r["id"]): _hash_of(r) for r in old}}
                same = _compare(rec.get("wrote"), now, kept, f"{label} node", undone)
                gone = [i for i in created if same(i)]
                if gone:
                    t.command("cypher", f"MATCH (n:{label}) WHERE n.id IN $ids DETACH DELETE n", {"ids": gone})
                self._put_nodes(label, [r for r in old if same(str(r["id"]))])
            elif op == "edges":
                rel, ft, tt = _ident(rec["type"]), _ident(rec["ft"]), _ident(rec["tt"])
                made = [(str(f), str(to)) for f, to in rec.get("created") or []]
                before = list(rec.get("old") or [])
                now = self._edge_hashes(rel, ft, tt, [*made, *((str(e["from"]), str(e["to"])) for e in before)])
                wrote = rec.get("wrote")
                undone = {**{_pair(*pair): None for pair in made}, **{_pair(e["from"], e["to"]): _hash_of(e.get("props") or {}) for e in before}}
                same = _compare(None if wrote is None else {_pair(f, to): h for f, to, h in wrote}, now, kept, f"{rel} edge", undone)
                unmade = [pair for pair in made if same(_pair(*pair))]
                if unmade:
                    t.command(
                        "cypher",
                        f"UNWIND $rows AS row MATCH (a:{ft} {{id: row.f}})-[r:{rel}]->(b:{tt} {{id: row.t}}) DELETE r",
                        {"rows": [{"f": f, "t": to} for f, to in unmade]},
                    )
                self._put_edges(rel, ft, tt, [e for e in before if same(_pair(e["from"], e["to"]))])
            elif op == "delete_nodes":
                label = _ident(rec["type"])
                rows = list(rec.get("rows") or [])
                strict = "wrote" in rec  # the batch wrote absence: put a row back only while it is still absent
                now = self._node_hashes(label, [str(r["id"]) for r in rows]) if strict else {}
                same = _compare({str(r["id"]): None for r in rows} if strict else None, now, kept, f"{label} node", {str(r["id"]): _hash_of(r) for r in rows})
                back = [r for r in rows if same(str(r["id"]))]
                self._put_nodes(label, back)
                back_ids = {str(r["id"]) for r in back}
                edges = [e for e in rec.get("edges") or [] if not strict or {str(e["from"]), str(e["to"])} & back_ids]
                kept.extend(self._put_absent_edges(edges) if strict else self._put_edge_list(edges))
            elif op == "delete_edges":
                edges = list(rec.get("edges") or [])
                kept.extend(self._put_absent_edges(edges) if "wrote" in rec else self._put_edge_list(edges))
            elif op == "records":
                name = _ident(rec["type"])
                created = [str(k) for k in rec.get("created") or []]
                old = list(rec.get("old") or [])
                now = self._record_hashes(name, [*created, *(str(r["key"]) for r in old)]) if rec.get("wrote") is not None else {}
                same = _compare(rec.get("wrote"), now, kept, f"{name} record", {**dict.fromkeys(created), **{str(r["key"]): record_hash(r) for r in old}})
                back = [r for r in old if same(str(r["key"]))]
                gone = [*(k for k in created if same(k)), *(str(r["key"]) for r in back)]
                if gone:
                    t.command("sql", f"DELETE FROM `{name}` WHERE key IN :keys", {"keys": gone})
                if back:
                    t.command("sql", f"INSERT INTO `{name}` CONTENT :rows", {"rows": back})
            elif op == "telemetry":
                created = [str(k) for k in rec.get("created") or []]
                old = list(rec.get("old") or [])
                now = self._telemetry_hashes([*created, *(str(d["key"]) for d in old)]) if rec.get("wrote") is not None else {}
                same = _compare(rec.get("wrote"), now, kept, "telemetry bucket", {**dict.fromkeys(created), **{str(d["key"]): _hash_of(d) for d in old}})
                gone = [k for k in created if same(k)]
                if gone:
                    t.command("sql", f"DELETE FROM {TELEMETRY_TYPE} WHERE key IN :keys", {"keys": gone})
                for doc in old:
                    if same(str(doc["key"])):
                        t.command("sql", _TELEMETRY_UPSERT, doc)
            else:
                raise StoreError(f"unknown undo record {op!r} in the journal")
        return kept

    # -- what rows hold now (compare-and-set undo) ---------------------------------
    def _node_hashes(self, label: str, ids: Sequence[str]) -> dict[str, str | None]:
        """`_hash` of those of `ids` that exist (inside the undo's transaction)."""
        if not ids:
            return {}
        rows, _ = self.transport.query("cypher", f"MATCH (n:{label}) WHERE n.id IN $ids RETURN n.id AS id, n._hash AS h", {"ids": list(ids)}, None)
        return {str(r["id"]): None if r["h"] is None else str(r["h"]) for r in rows}

    def _edge_hashes(self, rel: str, ft: str, tt: str, pairs: Sequence[tuple[str, str]]) -> dict[str, str | None]:
        if not pairs:
            return {}
        rows, _ = self.transport.query(
            "cypher",
            f"UNWIND $rows AS row MATCH (a:{ft} {{id: row.f}})-[r:{rel}]->(b:{tt} {{id: row.t}}) RETURN a.id AS f, b.id AS t, r._hash AS h",
            {"rows": [{"f": f, "t": to} for f, to in pairs]},
            None,
        )
        return {_pair(r["f"], r["t"]): None if r["h"] is None else str(r["h"]) for r in rows}

    def _record_hashes(self, name: str, keys: Sequence[str]) -> dict[str, str | None]:
        if not keys:
            return {}
        return {str(r["key"]): record_hash(r) for r in self._records_pre_image(name, list(keys))}

    def _telemetry_hashes(self, keys: Sequence[str]) -> dict[str, str | None]:
        if not keys:
            return {}
        rows, _ = self.transport.query("sql", f"SELECT key, _hash FROM {TELEMETRY_TYPE} WHERE key IN :keys", {"keys": list(keys)}, None)
        return {str(r["key"]): None if r.get("_hash") is None else str(r["_hash"]) for r in rows}

    def _put_absent_edges(self, edges: Sequence[Mapping[str, Any]]) -> list[str]:
        """Put back deleted edges that are still absent (an edge another writer created since is newer: kept)."""
        kept: list[str] = []
        groups: dict[tuple[str, str, str], list[Mapping[str, Any]]] = defaultdict(list)
        for e in edges:
            groups[(_ident(e["type"]), _ident(e["ft"]), _ident(e["tt"]))].append(e)
        for (rel, ft, tt), items in groups.items():
            now = self._edge_hashes(rel, ft, tt, [(str(e["from"]), str(e["to"])) for e in items])
            same = _compare({_pair(e["from"], e["to"]): None for e in items}, now, kept, f"{rel} edge",
                            {_pair(e["from"], e["to"]): _hash_of(e.get("props") or {}) for e in items})
            self._put_edges(rel, ft, tt, [e for e in items if same(_pair(e["from"], e["to"]))])
        return kept

    def _put_nodes(self, label: str, rows: Sequence[Mapping[str, Any]]) -> None:
        """Make each row's node hold exactly these properties (create it if absent). Inside a transaction."""
        if not rows:
            return
        found, _ = self.transport.query("cypher", f"MATCH (n:{label}) WHERE n.id IN $ids RETURN n.id AS id", {"ids": [r["id"] for r in rows]}, None)
        have = {str(r["id"]) for r in found}
        old = [dict(r) for r in rows if str(r["id"]) in have]
        new = [dict(r) for r in rows if str(r["id"]) not in have]
        if old:
            self.transport.command("cypher", f"UNWIND $rows AS row MATCH (n:{label} {{id: row.id}}) SET n = row", {"rows": old})
        if new:
            self.transport.command("cypher", f"UNWIND $rows AS row CREATE (n:{label}) SET n = row", {"rows": new})

    def _put_edges(self, rel: str, ft: str, tt: str, items: Sequence[Mapping[str, Any]]) -> None:
        """Make each (from, to) edge hold exactly `props` (create it if both ends exist). Inside a transaction."""
        if not items:
            return
        rows = [{"from": i["from"], "to": i["to"], "props": i["props"]} for i in items]
        found, _ = self.transport.query(
            "cypher",
            f"UNWIND $rows AS row MATCH (a:{ft} {{id: row.from}})-[r:{rel}]->(b:{tt} {{id: row.to}}) RETURN a.id AS f, b.id AS t",
            {"rows": [{"from": r["from"], "to": r["to"]} for r in rows]},
            None,
        )
        have = {(str(r["f"]), str(r["t"])) for r in found}
        old = [r for r in rows if (r["from"], r["to"]) in have]
        new = [r for r in rows if (r["from"], r["to"]) not in have]
        if old:
            self.transport.command(
                "cypher", f"UNWIND $rows AS row MATCH (a:{ft} {{id: row.from}})-[r:{rel}]->(b:{tt} {{id: row.to}}) SET r = row.props", {"rows": old}
            )
        if new:
            self.transport.command(
                "cypher",
                f"UNWIND $rows AS row MATCH (a:{ft} {{id: row.from}}) MATCH (b:{tt} {{id: row.to}}) CREATE (a)-[r:{rel}]->(b) SET r = row.props",
                {"rows": new},
            )

    def _put_edge_list(self, edges: Sequence[Mapping[str, Any]]) -> list[str]:
        groups: dict[tuple[str, str, str], list[Mapping[str, Any]]] = defaultdict(list)
        for e in edges:
            groups[(_ident(e["type"]), _ident(e["ft"]), _ident(e["tt"]))].append(e)
        for (rel, ft, tt), items in groups.items():
            self._put_edges(rel, ft, tt, items)
        return []

    def _record(self, op: str, **fields: Any) -> None:
        """Append a batch's pre-image to the open journal (durable before the batch commits)."""
        if self._journal is not None:
            self._journal.append(op, **fields)

    # -- schema ----------------------------------------------------------------
    def _live_types(self) -> dict[str, dict[str, Any]]:
        rows, _ = self.transport.query("sql", "SELECT name, type, properties FROM schema:types", None, None)
        out: dict[str, dict[str, Any]] = {}
        for r in rows:
            props = {}
            for p in r.get("properties") or []:
                if isinstance(p, dict):
                    props[str(p.get("name"))] = str(p.get("type"))
            out[str(r["name"])] = {"kind": str(r["type"]), "properties": props}
        return out

    def _type_kinds(self) -> dict[str, str]:
        """Type name -> kind (`vertex`, `edge`, `document`), without the properties `_live_types` converts (a tenth of its time)."""
        rows, _ = self.transport.query("sql", "SELECT name, type FROM schema:types", None, None)
        return {str(r["name"]): str(r["type"]) for r in rows}

    def _ensure_meta(self) -> None:
        t = self.transport
        t.command("sql", f"CREATE DOCUMENT TYPE {META_TYPE} IF NOT EXISTS")
        t.command("sql", f"CREATE PROPERTY {META_TYPE}.key IF NOT EXISTS STRING")
        t.command("sql", f"CREATE INDEX IF NOT EXISTS ON {META_TYPE} (key) UNIQUE")
        t.command("sql", f"CREATE DOCUMENT TYPE {TELEMETRY_TYPE} IF NOT EXISTS")
        for prop, typ in (("key", "STRING"), ("node", "STRING"), ("node_type", "STRING"), ("bstart", "LONG")):
            t.command("sql", f"CREATE PROPERTY {TELEMETRY_TYPE}.`{prop}` IF NOT EXISTS {typ}")
        t.command("sql", f"CREATE INDEX IF NOT EXISTS ON {TELEMETRY_TYPE} (key) UNIQUE")
        t.command("sql", f"CREATE INDEX IF NOT EXISTS ON {TELEMETRY_TYPE} (node_type) NOTUNIQUE")

    def ensure_schema(self, schema: GraphSchema) -> None:
        """Create types → properties → indexes. Every step is safe to repeat.

        When the store says this very schema was applied last (its `schema` setting, written only after every step
        succeeded, put back by an undo) and holds each of its types as the right kind, there is nothing to create:
        the steps are skipped (a re-sync applied 100+ no-op statements and read every type's properties)."""
        if self._schema_applied(schema):
            self._schema = schema
            return
        live = self._live_types()
        conflicts: list[str] = []
        t = self.transport
        for kind, types in (("VERTEX", schema.nodes), ("EDGE", schema.edges)):
            for name, spec in types.items():
                _ident(name)
                existing = live.get(name)
                if existing is not None and existing["kind"] != kind.lower():
                    conflicts.append(f"type {name} is a {existing['kind']} type in the store, the schema says {kind.lower()}")
                    continue
                t.command("sql", f"CREATE {kind} TYPE `{name}` IF NOT EXISTS")
                props = spec.stored_properties() if kind == "VERTEX" else dict(spec.properties)  # type: ignore[union-attr]
                stored = (existing or {}).get("properties", {})
                for pname, pspec in props.items():
                    _ident(pname)
                    engine_type = _ENGINE_TYPES[pspec.type]
                    have = stored.get(pname)
                    if have is not None and have.upper() != engine_type:
                        conflicts.append(
                            f"property {name}.{pname} is {have} in the store, the schema says {pspec.type.value} "
                            f"({engine_type}); reset the store or rename the property"
                        )
                        continue
                    t.command("sql", f"CREATE PROPERTY `{name}`.`{pname}` IF NOT EXISTS {engine_type}")
                t.command("sql", f"CREATE PROPERTY `{name}`.`_hash` IF NOT EXISTS STRING")
                for index in _schema_indexes(name, kind, props):
                    t.command("sql", index.statement)
        if conflicts:
            raise StoreError("the schema does not match the store:\n  " + "\n  ".join(conflicts))
        self._schema = schema
        self._set_meta("schema", schema.model_dump_json(by_alias=True))

    def _schema_applied(self, schema: GraphSchema) -> bool:
        raw = self._get_meta("schema")
        if raw is None or raw != schema.model_dump_json(by_alias=True):
            return False
        kinds = self._type_kinds()
        if not (all(kinds.get(name) == "vertex" for name in schema.nodes) and all(kinds.get(name) == "edge" for name in schema.edges)):
            return False
        # An index dropped by hand (or lost) is created again: every index the schema asks for must be live.
        rows, _ = self.transport.query("sql", "SELECT typeName, properties, indexType FROM schema:indexes", None, None)
        live = {(str(r.get("typeName")), tuple((r.get("properties") or [[]])[0]), str(r.get("indexType"))) for r in rows}
        wanted = [
            index.key
            for kind, types in (("VERTEX", schema.nodes), ("EDGE", schema.edges))
            for name, spec in types.items()
            for index in _schema_indexes(name, kind, spec.stored_properties() if kind == "VERTEX" else dict(spec.properties))  # type: ignore[union-attr]
        ]
        return all(key in live for key in wanted)

    def stored_schema(self) -> GraphSchema | None:
        """The schema last applied to this store, if any."""
        raw = self._get_meta("schema")
        return GraphSchema.model_validate_json(raw) if raw else None

    def reset(self) -> None:
        """Drop every type and its data, edges first so no vertex type is dropped under an edge."""
        if self._in_block():
            raise StoreError("reset() cannot run inside an all-or-nothing block: it cannot be undone")
        version = self.data_version()
        live = self._live_types()
        order = {"edge": 0, "vertex": 1, "document": 2}
        for name in sorted(live, key=lambda n: order.get(live[n]["kind"], 3)):
            self.transport.command("sql", f"DROP TYPE `{name}` IF EXISTS UNSAFE")
        self._schema = None
        self._vector_ready.clear()
        self.__dict__.pop("_records_ready", None)
        self._ensure_meta()
        # The version keeps growing across a reset so caches never see an old number again.
        self._set_meta("data_version", str(version + 1))
        self._set_meta("data_written_at", f"{time.time():.3f}")

    # -- meta ------------------------------------------------------------------
    def _get_meta(self, key: str) -> str | None:
        rows, _ = self.transport.query("sql", f"SELECT value FROM {META_TYPE} WHERE key = :key", {"key": key}, 1)
        return str(rows[0]["value"]) if rows else None

    def _set_meta(self, key: str, value: str) -> None:
        if key == "schema" and self._in_block() and self._journal is not None:
            self._journal.set_meta(key, value)  # an undo puts the old schema back only while it still holds this one
        with self._tx():
            self.transport.command("sql", f"UPDATE {META_TYPE} SET key = :key, value = :value UPSERT WHERE key = :key", {"key": key, "value": value})

    def data_version(self) -> int:
        raw = self._get_meta("data_version")
        return int(raw) if raw else 0

    def data_written_at(self) -> float | None:
        raw = self._get_meta("data_written_at")
        return float(raw) if raw else None

    def _bump_version(self) -> None:
        # Called inside the batch's transaction so the version (and when it moved) moves with the data.
        value = self.data_version() + 1
        self.transport.command(
            "sql",
            f"UPDATE {META_TYPE} SET key = 'data_version', value = :v UPSERT WHERE key = 'data_version'",
            {"v": str(value)},
        )
        self.transport.command(
            "sql",
            f"UPDATE {META_TYPE} SET key = 'data_written_at', value = :t UPSERT WHERE key = 'data_written_at'",
            {"t": f"{time.time():.3f}"},
        )
        self._tls.bumped = value

    @contextlib.contextmanager
    def _batch_tx(self) -> Iterator[None]:
        """A journaled batch's transaction; once it has committed, the open journal notes the data version it set
        (an undo puts the old version back only if no other writer moved it meanwhile: `_undo_meta`)."""
        self._tls.bumped = None
        with self._tx():
            yield
        bumped, self._tls.bumped = self._tls.bumped, None
        if bumped is not None and self._in_block() and self._journal is not None:
            self._journal.bumped(bumped)

    # -- nodes -----------------------------------------------------------------
    def upsert_nodes(self, node_type: str, rows: Sequence[Row]) -> UpsertReport:
        label = _ident(node_type)
        unique, repeated = dedupe(rows, key=lambda r: r["id"])
        report = UpsertReport(duplicates=tuple(repeated))
        self._vector_written(label)
        with self._journaled(f"upsert_nodes-{label}"):
            empty = self._count(label) == 0
            for start in range(0, len(unique), self.batch_size):
                batch = unique[start : start + self.batch_size]
                report = report + self._retrying(self._node_batch, label, batch, assume_new=empty)
        return report

    def _retrying(self, batch: Callable[..., UpsertReport], *args: Any, assume_new: bool) -> UpsertReport:
        """Run one upsert batch; when it lost a race with another writer (another process on the same server,
        another thread), read the stored hashes again and retry it, a few times with a growing random pause.

        Two writers of the same key both read "absent" and both CREATE (`DuplicatedKeyException`), or both
        update the same record or the data version (`ConcurrentModificationException` at commit): the loser's
        transaction is rolled back whole, so repeating the batch on fresh hashes loses neither's writes.
        """
        for attempt in range(CONFLICT_RETRIES + 1):
            try:
                return batch(*args, assume_new=assume_new and attempt == 0)
            except BatchError as exc:
                # Inside one transaction a failed statement spoils the whole block: it fails, it is not retried here.
                if attempt == CONFLICT_RETRIES or self.in_one_transaction() or not any(c in str(exc) for c in _CONFLICTS):
                    raise
                time.sleep(random.uniform(0.005, 0.02) * (2**attempt))
        raise AssertionError("unreachable")

    def _count(self, label: str) -> int:
        rows, _ = self.transport.query("sql", f"SELECT count(*) AS c FROM `{label}`", None, 1)
        return int(rows[0]["c"]) if rows else 0

    def _node_batch(self, label: str, batch: list[dict[str, Any]], *, assume_new: bool) -> UpsertReport:
        for row in batch:
            row.pop("_hash", None)
            row["_hash"] = row_hash(row)
        stored: dict[str, str] = {}
        if not assume_new:
            found, _ = self.transport.query(
                "cypher", f"MATCH (n:{label}) WHERE n.id IN $ids RETURN n.id AS id, n._hash AS h", {"ids": [r["id"] for r in batch]}, None
            )
            stored = {str(r["id"]): str(r["h"]) for r in found}
        new = [r for r in batch if r["id"] not in stored]
        changed = [r for r in batch if r["id"] in stored and stored[r["id"]] != r["_hash"]]
        if not new and not changed:
            return UpsertReport(unchanged=len(batch))
        if self._journal is not None:
            self._record("nodes", type=label, created=[r["id"] for r in new], old=self._node_rows(label, [r["id"] for r in changed]),
                         wrote={str(r["id"]): r["_hash"] for r in (*new, *changed)})
        try:
            with self._batch_tx():
                if new:
                    self.transport.command("cypher", f"UNWIND $rows AS row CREATE (n:{label}) SET n = row", {"rows": new})
                if changed:
                    out = self.transport.command(
                        "cypher", f"UNWIND $rows AS row MATCH (n:{label} {{id: row.id}}) SET n = row RETURN count(n) AS c", {"rows": changed}
                    )
                    _all_there(out, len(changed), f"{label} nodes")
                self._bump_version()
        except QueryError as exc:
            raise BatchError(f"a batch of {len(batch)} {label} nodes failed and was rolled back: {exc}{explain_rows(batch, self._index_kinds(label))}") from exc
        return UpsertReport(created=len(new), updated=len(changed), unchanged=len(batch) - len(new) - len(changed))

    # -- edges -----------------------------------------------------------------
    def upsert_edges(self, edge_type: str, rows: Sequence[Row]) -> UpsertReport:
        """Rows need `from`, `to`, `from_type`, `to_type`; other keys are edge properties.

        An edge is keyed by its endpoints: at most one edge of a type between
        two nodes. The endpoint types let the engine use each type's id index.
        """
        rel = _ident(edge_type)
        unique, repeated = dedupe(rows, key=lambda r: (r["from"], r["to"]))
        report = UpsertReport(duplicates=tuple(repeated))
        groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for r in unique:
            groups[(_ident(r.pop("from_type")), _ident(r.pop("to_type")))].append(r)
        with self._journaled(f"upsert_edges-{rel}"):
            empty = self._count(rel) == 0
            for (ft, tt), group in groups.items():
                for start in range(0, len(group), self.batch_size):
                    report = report + self._retrying(self._edge_batch, rel, ft, tt, group[start : start + self.batch_size], assume_new=empty)
        return report

    def _edge_batch(self, rel: str, ft: str, tt: str, batch: list[dict[str, Any]], *, assume_new: bool) -> UpsertReport:
        items = []
        for row in batch:
            props = {k: v for k, v in row.items() if k not in ("from", "to", "_hash")}
            props["_hash"] = row_hash(props)
            items.append({"from": row["from"], "to": row["to"], "props": props})
        stored: dict[tuple[str, str], str] = {}
        if not assume_new:
            found, _ = self.transport.query(
                "cypher",
                f"UNWIND $rows AS row MATCH (a:{ft} {{id: row.from}})-[r:{rel}]->(b:{tt} {{id: row.to}}) RETURN a.id AS f, b.id AS t, r._hash AS h",
                {"rows": [{"from": i["from"], "to": i["to"]} for i in items]},
                None,
            )
            stored = {(str(r["f"]), str(r["t"])): str(r["h"]) for r in found}
        new = [i for i in items if (i["from"], i["to"]) not in stored]
        changed = [i for i in items if (i["from"], i["to"]) in stored and stored[(i["from"], i["to"])] != i["props"]["_hash"]]
        if not new and not changed:
            return UpsertReport(unchanged=len(items))
        if self._journal is not None:
            self._record(
                "edges", type=rel, ft=ft, tt=tt, created=[[i["from"], i["to"]] for i in new], old=self._edge_rows(rel, ft, tt, [(i["from"], i["to"]) for i in changed]),
                wrote=[[i["from"], i["to"], i["props"]["_hash"]] for i in (*new, *changed)],
            )
        try:
            with self._batch_tx():
                if new:
                    out = self.transport.command(
                        "cypher",
                        f"UNWIND $rows AS row MATCH (a:{ft} {{id: row.from}}) MATCH (b:{tt} {{id: row.to}}) "
                        f"CREATE (a)-[r:{rel}]->(b) SET r = row.props RETURN count(r) AS c",
                        {"rows": new},
                    )
                    made = int(out[0]["c"]) if out else 0
                    if made != len(new):
                        raise QueryError(
                            f"{len(new) - made} of {len(new)} {rel} edges name a {ft} or {tt} node that does not exist"
                        )
                if changed:
                    out = self.transport.command(
                        "cypher",
                        f"UNWIND $rows AS row MATCH (a:{ft} {{id: row.from}})-[r:{rel}]->(b:{tt} {{id: row.to}}) SET r = row.props RETURN count(r) AS c",
                        {"rows": changed},
                    )
                    _all_there(out, len(changed), f"{rel} edges")
                self._bump_version()
        except QueryError as exc:
            shown = [{"id": f"{i['from']}->{i['to']}", **i["props"]} for i in items]
            raise BatchError(f"a batch of {len(items)} {rel} edges failed and was rolled back: {exc}{explain_rows(shown, self._index_kinds(rel))}") from exc
        return UpsertReport(created=len(new), updated=len(changed), unchanged=len(items) - len(new) - len(changed))

    def _vector_written(self, label: str) -> None:
        self._vector_ready = {k for k in self._vector_ready if not k.startswith(f"{label}[")}

    def delete_nodes(self, node_type: str, ids: Sequence[str]) -> int:
        """Delete nodes and their edges, batch by batch, all or nothing; return how many existed."""
        label = _ident(node_type)
        ids = list(dict.fromkeys(str(i) for i in ids))
        if not ids:
            return 0
        self._vector_written(label)
        deleted = 0
        with self._journaled(f"delete_nodes-{label}"):
            for start in range(0, len(ids), self.batch_size):
                batch = ids[start : start + self.batch_size]
                if self._journal is not None:
                    rows = self._node_rows(label, batch)
                    if not rows:
                        continue
                    self._record("delete_nodes", type=label, rows=rows, edges=self._edges_touching(label, [str(r["id"]) for r in rows]), wrote="absent")
                try:
                    with self._batch_tx():
                        out = self.transport.command(
                            "cypher", f"MATCH (n:{label}) WHERE n.id IN $ids DETACH DELETE n RETURN count(*) AS c", {"ids": batch}
                        )
                        self._bump_version()
                except QueryError as exc:
                    raise BatchError(f"deleting {len(batch)} {label} nodes failed and was rolled back: {exc}") from exc
                deleted += int(out[0]["c"]) if out else 0
        return deleted

    def delete_edges(self, edge_type: str, pairs: Sequence[tuple[str, str]]) -> int:
        """Delete `edge_type` edges between (from id, to id) pairs, all or nothing; return how many existed."""
        rel = _ident(edge_type)
        wanted = list(dict.fromkeys((str(f), str(t)) for f, t in pairs))
        if not wanted:
            return 0
        types = self.node_types(sorted({i for p in wanted for i in p}))
        groups: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
        for f, t in wanted:
            if f in types and t in types:
                groups[(types[f], types[t])].append((f, t))
        deleted = 0
        with self._journaled(f"delete_edges-{rel}"):
            for (ft, tt), group in groups.items():
                for start in range(0, len(group), self.batch_size):
                    batch = group[start : start + self.batch_size]
                    old = self._edge_rows(rel, _ident(ft), _ident(tt), batch)
                    if not old:
                        continue
                    self._record("delete_edges", edges=[{"type": rel, "ft": ft, "tt": tt, **e} for e in old], wrote="absent")
                    try:
                        with self._batch_tx():
                            self.transport.command(
                                "cypher",
                                f"UNWIND $rows AS row MATCH (a:{ft} {{id: row.f}})-[r:{rel}]->(b:{tt} {{id: row.t}}) DELETE r",
                                {"rows": [{"f": e["from"], "t": e["to"]} for e in old]},
                            )
                            self._bump_version()
                    except QueryError as exc:
                        raise BatchError(f"deleting {len(old)} {rel} edges failed and was rolled back: {exc}") from exc
                    deleted += len(old)
        return deleted

    # -- pre-images --------------------------------------------------------------
    def _node_rows(self, label: str, ids: Sequence[str]) -> list[dict[str, Any]]:
        """Full stored properties (with `_hash`) of those of `ids` that exist."""
        if not ids:
            return []
        rows, _ = self.transport.query("cypher", f"MATCH (n:{label}) WHERE n.id IN $ids RETURN properties(n) AS p", {"ids": list(ids)}, None)
        return [dict(r["p"]) for r in rows]

    def _edge_rows(self, rel: str, ft: str, tt: str, pairs: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
        """`{from, to, props}` of those (from, to) `rel` edges that exist."""
        if not pairs:
            return []
        rows, _ = self.transport.query(
            "cypher",
            f"UNWIND $rows AS row MATCH (a:{ft} {{id: row.f}})-[r:{rel}]->(b:{tt} {{id: row.t}}) RETURN a.id AS f, b.id AS t, properties(r) AS p",
            {"rows": [{"f": f, "t": t} for f, t in pairs]},
            None,
        )
        return [{"from": str(r["f"]), "to": str(r["t"]), "props": dict(r["p"] or {})} for r in rows]

    def _edges_touching(self, label: str, ids: Sequence[str]) -> list[dict[str, Any]]:
        """Every edge into or out of these nodes, with both ends' ids and types (what DETACH DELETE removes)."""
        out: dict[tuple[str, str, str], dict[str, Any]] = {}
        for cypher in (
            f"MATCH (n:{label})-[r]->(b) WHERE n.id IN $ids RETURN type(r) AS type, n.id AS f, b.id AS t, '{label}' AS ft, labels(b)[0] AS tt, properties(r) AS p",
            f"MATCH (a)-[r]->(n:{label}) WHERE n.id IN $ids RETURN type(r) AS type, a.id AS f, n.id AS t, labels(a)[0] AS ft, '{label}' AS tt, properties(r) AS p",
        ):
            rows, _ = self.transport.query("cypher", cypher, {"ids": list(ids)}, None)
            for r in rows:
                key = (str(r["type"]), str(r["f"]), str(r["t"]))
                out[key] = {"type": key[0], "from": key[1], "to": key[2], "ft": str(r["ft"]), "tt": str(r["tt"]), "props": dict(r["p"] or {})}
        return list(out.values())

    def _index_kinds(self, label: str) -> dict[str, str]:
        """Property → index kind (`unique`, `notunique`, `fulltext`) of a type, from the applied schema."""
        if self._schema is None:
            return {"id": "unique"}
        spec = self._schema.nodes.get(label) or self._schema.edges.get(label)
        kinds = {"id": "unique"} if label in self._schema.nodes else {}
        for name, prop in (spec.properties.items() if spec is not None else ()):
            if prop.fulltext:
                kinds[name] = "fulltext"
            elif prop.indexed and name != "id":
                kinds[name] = "notunique"
        return kinds

    # -- search ----------------------------------------------------------------
    @staticmethod
    def _filter_sql(filters: Mapping[str, Any] | None, params: dict[str, Any]) -> str:
        clauses = []
        for i, (key, value) in enumerate((filters or {}).items()):
            params[f"f{i}"] = list(value) if isinstance(value, (list, tuple, set)) else value
            op = "IN" if isinstance(value, (list, tuple, set)) else "="
            clauses.append(f"`{_ident(key)}` {op} :f{i}")
        return " AND ".join(clauses)

    @staticmethod
    def _hit_props(row: dict[str, Any], skip: str) -> dict[str, Any]:
        return {k: v for k, v in row.items() if k not in (skip, "_hash", "distance", "score") and not k.startswith("@")}

    def vector_search(
        self, node_type: str, prop: str, vector: Sequence[float], k: int = 10, filters: Mapping[str, Any] | None = None
    ) -> list[SearchHit]:
        label, field = _ident(node_type), _ident(prop)
        params: dict[str, Any] = {"v": [float(x) for x in vector]}
        where = self._filter_sql(filters, params)
        # Filters apply after the index search, so fetch more candidates when filtering.
        fetch = k * 5 if where else k
        sql = f"SELECT FROM (SELECT expand(vectorNeighbors('{label}[{field}]', :v, {int(fetch)}, {int(self.vector_search_width)})))"
        if where:
            sql += f" WHERE {where}"
        index = f"{label}[{field}]"
        building = index not in self._vector_ready
        if building:
            self.transport.set_timeout(max(self.timeout_ms, VECTOR_BUILD_TIMEOUT_MS))
        try:
            rows, _ = self.transport.query("sql", sql, params, k)
        finally:
            if building:
                self.transport.set_timeout(self.timeout_ms)
        self._vector_ready.add(index)
        return [SearchHit(str(r["id"]), 1.0 - float(r.get("distance") or 0.0), self._hit_props(r, field)) for r in rows]

    def text_search(
        self, node_type: str, prop: str, text: str, k: int = 10, filters: Mapping[str, Any] | None = None
    ) -> list[SearchHit]:
        label, field = _ident(node_type), _ident(prop)
        params: dict[str, Any] = {"q": text}
        where = self._filter_sql(filters, params)
        extra = f" AND {where}" if where else ""
        sql = (
            f"SELECT *, $score AS score FROM `{label}` WHERE SEARCH_INDEX('{label}[{field}]', :q) = true{extra} "
            f"ORDER BY score DESC LIMIT {int(k)}"
        )
        rows, _ = self.transport.query("sql", sql, params, k)
        return [SearchHit(str(r["id"]), float(r.get("score") or 0.0), self._hit_props(r, "")) for r in rows]

    # -- queries ---------------------------------------------------------------
    def query(
        self,
        cypher: str,
        params: Mapping[str, Any] | None = None,
        *,
        read_only: bool = True,
        limit: int | None = None,
        timeout_ms: int | None = None,
    ) -> QueryResult:
        """Run Cypher. Read-only by default: a static check first, then the engine's own guard.

        `limit` bounds the rows fetched (default `default_limit`); `timeout_ms`
        bounds the time (default the store's `timeout_ms`): the engine stops
        the query and `QueryTimeoutError` is raised.
        """
        if read_only:
            writes = write_clauses(cypher)
            if writes:
                raise WriteRefusedError(
                    f"this query writes ({', '.join(dict.fromkeys(writes))}) but was run read-only; "
                    "pass --write (or read_only=False) if you mean it",
                    cypher=cypher,
                )
        cap = self.default_limit if limit is None else limit
        began = time.perf_counter()
        if timeout_ms is not None:
            self.transport.set_timeout(timeout_ms)
        try:
            if read_only:
                rows, truncated = self.transport.query("cypher", cypher, params, cap)
            else:
                if self._in_block():
                    raise WriteRefusedError(
                        "a Cypher write cannot run inside an all-or-nothing block (it could not be undone); "
                        "use the store's write methods (upsert_nodes, upsert_edges, delete_nodes, delete_edges)",
                        cypher=cypher,
                    )
                self._vector_ready.clear()  # a write of any shape may load vectors
                with self.transport.transaction():
                    rows = self.transport.command("cypher", cypher, params)
                    self._bump_version()
                truncated = len(rows) > cap
                rows = rows[:cap]
        finally:
            if timeout_ms is not None:
                self.transport.set_timeout(self.timeout_ms)
        elapsed = (time.perf_counter() - began) * 1000
        columns = list(rows[0].keys()) if rows else []
        return QueryResult(columns=columns, rows=rows, truncated=truncated, elapsed_ms=elapsed)

    def neighbors(self, ids: Sequence[str], hops: int = 1, edge_types: Sequence[str] | None = None) -> dict[str, int]:
        """Breadth-first, one query per hop and node type, so each step uses the id index.

        A variable-length Cypher pattern enumerates every path, which grows
        exponentially with hops on a dense graph; BFS visits each node once.
        """
        if hops < 1:
            return {}
        rels = "|".join(_ident(e) for e in edge_types) if edge_types else ""
        pattern = f"[:{rels}]" if rels else "[]"
        types = self._node_types()
        frontier = self._types_of(list(ids), types)
        seen: dict[str, int] = {i: 0 for ids_ in frontier.values() for i in ids_}
        for hop in range(1, hops + 1):
            nxt: dict[str, list[str]] = defaultdict(list)
            for label, group in frontier.items():
                rows, _ = self.transport.query(
                    "cypher",
                    f"MATCH (a:{_ident(label)})-{pattern}-(b) WHERE a.id IN $ids RETURN DISTINCT b.id AS id, labels(b)[0] AS t",
                    {"ids": group},
                    None,
                )
                for r in rows:
                    nid = r["id"]
                    if nid is not None and nid not in seen:
                        seen[nid] = hop
                        nxt[str(r["t"])].append(nid)
            frontier = nxt
            if not frontier:
                break
        for i in ids:
            seen.pop(i, None)
        return seen

    def _node_types(self) -> list[str]:
        return [n for n, kind in self._type_kinds().items() if kind == "vertex"]

    def node_types(self, ids: Sequence[str], types: Sequence[str] | None = None) -> dict[str, str]:
        """Id → node type for the ids that exist in the store (only as one of `types`, when given: fewer queries)."""
        out: dict[str, str] = {}
        ids = list(ids)
        types = [t for t in self._node_types() if types is None or t in types] if ids else []  # once per call, not per batch
        for start in range(0, len(ids), self.batch_size):
            for label, found in self._types_of(ids[start : start + self.batch_size], types).items():
                out.update(dict.fromkeys(found, label))
        return out

    def _types_of(self, ids: list[str], types: list[str]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = defaultdict(list)
        for label in types:
            rows, _ = self.transport.query("cypher", f"MATCH (n:{_ident(label)}) WHERE n.id IN $ids RETURN n.id AS id", {"ids": ids}, None)
            for r in rows:
                out[label].append(str(r["id"]))
        return out

    def describe(self) -> list[LiveType]:
        """Types with their properties and counts; edge endpoints sampled from the data."""
        out = []
        for name, info in sorted(self._live_types().items()):
            if name in (META_TYPE, TELEMETRY_TYPE) or info["kind"] == "document":
                continue
            props = {k: v for k, v in info["properties"].items() if not k.startswith("_")}  # `_hash`, `_sources`: hidden
            count = self._count(name)
            endpoints: list[tuple[str, str]] = []
            if info["kind"] == "edge" and count:
                rows, _ = self.transport.query(
                    "cypher",
                    f"MATCH (a)-[r:{_ident(name)}]->(b) WITH a, b LIMIT 5000 RETURN DISTINCT labels(a)[0] AS f, labels(b)[0] AS t",
                    None,
                    None,
                )
                endpoints = sorted({(str(r["f"]), str(r["t"])) for r in rows})
            out.append(LiveType(name=name, kind="node" if info["kind"] == "vertex" else "edge", count=count, properties=props, endpoints=endpoints))
        return out

    # -- telemetry -------------------------------------------------------------
    def write_telemetry(self, node_type: str, features: Sequence[str], rows: Sequence[Row]) -> UpsertReport:
        """Merge rows into per-node buckets; later values for a (node, ts) win.

        A bucket is rewritten only when its merged content differs from what
        is stored, so re-ingesting the same telemetry writes nothing.
        """
        _ident(node_type)
        features = list(features)
        span = self._bucket_span()
        by_bucket: dict[str, dict[int, Row]] = defaultdict(dict)
        meta: dict[str, tuple[str, int]] = {}
        for r in rows:
            node, ts = str(r["node"]), int(r["ts"])
            bucket = ts - ts % span
            key = f"{node_type}|{node}|{bucket}"
            by_bucket[key][ts] = r
            meta[key] = (node, bucket)
        keys = list(by_bucket)
        report = UpsertReport()
        with self._journaled(f"write_telemetry-{node_type}"):
            for start in range(0, len(keys), max(1, self.batch_size // 10)):
                report = report + self._telemetry_batch(node_type, features, keys[start : start + max(1, self.batch_size // 10)], by_bucket, meta)
        return report

    def _telemetry_batch(
        self, node_type: str, features: list[str], chunk: list[str], by_bucket: Mapping[str, Mapping[int, Row]], meta: Mapping[str, tuple[str, int]]
    ) -> UpsertReport:
        report = UpsertReport()
        existing, _ = self.transport.query(
            "sql",
            f"SELECT key, node, node_type, bstart, ts, vals, labels, features, _hash FROM {TELEMETRY_TYPE} WHERE key IN :keys",
            {"keys": chunk},
            None,
        )
        old = {str(e["key"]): e for e in existing}
        writes = []
        for key in chunk:
            node, b = meta[key]
            merged = self._merge_bucket(old.get(key), by_bucket[key], features)
            h = row_hash(merged)
            if key in old and str(old[key].get("_hash")) == h:
                report = report + UpsertReport(unchanged=1)
                continue
            report = report + (UpsertReport(updated=1) if key in old else UpsertReport(created=1))
            writes.append({"key": key, "node": node, "node_type": node_type, "bstart": b, "_hash": h, **merged})
        if writes:
            self._record(
                "telemetry", created=[w["key"] for w in writes if w["key"] not in old], old=[old[w["key"]] for w in writes if w["key"] in old],
                wrote={w["key"]: w["_hash"] for w in writes},
            )
            try:
                with self._batch_tx():
                    for w in writes:
                        self.transport.command("sql", _TELEMETRY_UPSERT, w)
                    self._bump_version()
            except QueryError as exc:
                raise BatchError(f"a telemetry batch of {len(writes)} buckets failed and was rolled back: {exc}") from exc
        return report

    def _bucket_span(self) -> int:
        interval = self._schema.telemetry.interval_seconds if self._schema else 60
        return interval * self.bucket_steps

    @staticmethod
    def _merge_bucket(old: Mapping[str, Any] | None, new: Mapping[int, Row], features: list[str]) -> dict[str, Any]:
        steps: dict[int, tuple[list[float], int]] = {}
        if old is not None:
            old_features = [str(f) for f in old.get("features") or []]
            width = len(old_features)
            vals = list(old.get("vals") or [])
            for i, ts in enumerate(old.get("ts") or []):
                row = dict(zip(old_features, vals[i * width : (i + 1) * width], strict=False))
                steps[int(ts)] = ([_num(row.get(f)) for f in features], int((old.get("labels") or [])[i]))
        for ts, r in new.items():
            label = r.get("label")
            steps[ts] = ([_num(v) for v in r["values"]], -1 if label is None else int(label))
        ordered = sorted(steps)
        flat: list[float | None] = []
        for ts in ordered:
            flat.extend(None if math.isnan(v) else v for v in steps[ts][0])
        return {"ts": ordered, "vals": flat, "labels": [steps[ts][1] for ts in ordered], "features": features}

    def read_telemetry(
        self,
        node_type: str,
        node_ids: Sequence[str] | None = None,
        start: int | None = None,
        end: int | None = None,
    ) -> TelemetryFrame:
        _ident(node_type)
        span = self._bucket_span()
        where = ["node_type = :node_type"]
        params: dict[str, Any] = {"node_type": node_type}
        if node_ids is not None:
            where.append("node IN :nodes")
            params["nodes"] = list(node_ids)
        if start is not None:
            where.append("bstart >= :bstart")
            params["bstart"] = start - start % span
        if end is not None:
            where.append("bstart < :bend")
            params["bend"] = end
        buckets = self._telemetry_buckets(f"FROM {TELEMETRY_TYPE} WHERE {' AND '.join(where)}", params)
        features: list[str] = []
        for b in buckets:
            features.extend(f for f in b.features if f not in features)
        nodes = list(node_ids) if node_ids is not None else sorted({b.node for b in buckets})
        lo = -(1 << 62) if start is None else start
        hi = 1 << 62 if end is None else end
        spans = [(int(np.searchsorted(b.ts, lo)), int(np.searchsorted(b.ts, hi))) for b in buckets]  # ts ascending per bucket
        parts = [b.ts[i:j] for b, (i, j) in zip(buckets, spans, strict=True)]
        stamps = np.unique(np.concatenate(parts)) if parts else np.zeros(0, np.int64)
        n_index = {n: i for i, n in enumerate(nodes)}
        values = np.full((len(stamps), len(nodes), len(features)), np.nan, dtype=np.float32)
        labels = np.full((len(stamps), len(nodes)), -1, dtype=np.int8)
        for b, (i, j) in zip(buckets, spans, strict=True):
            n = n_index.get(b.node)
            if n is None or j <= i:
                continue
            cols = np.array([features.index(f) for f in b.features], dtype=np.int64)
            rows_t = np.searchsorted(stamps, b.ts[i:j])
            values[rows_t[:, None], n, cols[None, :]] = b.values[i:j]
            labels[rows_t, n] = b.labels[i:j]
        return TelemetryFrame(node_ids=nodes, features=features, timestamps=stamps, values=values, labels=labels)

    def _telemetry_buckets(self, where: str, params: Mapping[str, Any]) -> list[Bucket]:
        """The decoded buckets matching `where` (a `FROM ... WHERE ...` clause): from the cache when their content hash
        is known there, else read from the engine (numbers in one crossing per list when the transport can) and kept."""
        cache = self.telemetry_cache
        wanted: list[tuple[str, str]] = []
        if cache.budget_bytes > 0:
            heads, _ = self.transport.query("sql", f"SELECT key, _hash {where}", params, None)
            wanted = [(str(h["key"]), str(h.get("_hash") or "")) for h in heads]
            found = {k: cache.get(k, h) for k, h in wanted if h}
            missing = [k for k, h in wanted if found.get(k) is None]
        else:
            found, missing = {}, []
        fresh: dict[str, Bucket] = {}
        fast = getattr(self.transport, "query_numeric", None)
        columns = "SELECT key, _hash, node, ts, vals, labels, features"
        statements = ([(f"{columns} {where}", dict(params))] if cache.budget_bytes <= 0 else
                      [(f"{columns} FROM {TELEMETRY_TYPE} WHERE key IN :keys", {"keys": missing[s : s + 500]})
                       for s in range(0, len(missing), 500)])
        for sql, p in statements:
            rows = fast("sql", sql, p, ("ts", "vals", "labels")) if fast is not None else self.transport.query("sql", sql, p, None)[0]
            for r in rows:
                decoded = _decode_bucket(r)
                fresh[str(r["key"])] = decoded
                if r.get("_hash"):
                    cache.put(str(r["key"]), str(r["_hash"]), decoded)
        if cache.budget_bytes <= 0:
            return list(fresh.values())
        return [b for k, _ in wanted if (b := found.get(k) or fresh.get(k)) is not None]

    # -- hidden records (provenance claims, change log) ---------------------------
    def ensure_records(self, record_type: str, fields: Mapping[str, str], indexed: Sequence[str] = ()) -> None:
        """Create a hidden document type keyed by a unique `key` (documents never show in Cypher `MATCH` nor in `describe()`)."""
        name = _ident(record_type)
        ready: set[str] = self.__dict__.setdefault("_records_ready", set())
        if name in ready:
            return
        t = self.transport
        t.command("sql", f"CREATE DOCUMENT TYPE `{name}` IF NOT EXISTS")
        t.command("sql", f"CREATE PROPERTY `{name}`.`key` IF NOT EXISTS STRING")
        t.command("sql", f"CREATE INDEX IF NOT EXISTS ON `{name}` (`key`) UNIQUE")
        for prop, engine_type in fields.items():
            t.command("sql", f"CREATE PROPERTY `{name}`.`{_ident(prop)}` IF NOT EXISTS {_ident(engine_type)}")
        for prop in indexed:
            t.command("sql", f"CREATE INDEX IF NOT EXISTS ON `{name}` (`{_ident(prop)}`) NOTUNIQUE")
        ready.add(name)

    def write_records(self, record_type: str, rows: Sequence[Row]) -> int:
        """Insert or replace hidden records by `key`, one transaction per batch; the data version does not move."""
        name = _ident(record_type)
        unique, _ = dedupe(rows, key=lambda r: r["key"])
        with self._journaled(f"write_records-{name}"):
            for start in range(0, len(unique), self.batch_size):
                self._record_batch(name, unique[start : start + self.batch_size])
        return len(unique)

    def _records_pre_image(self, name: str, keys: list[str]) -> list[dict[str, Any]]:
        found, _ = self.transport.query("sql", f"SELECT FROM `{name}` WHERE key IN :keys", {"keys": keys}, None)
        return [{k: v for k, v in r.items() if not k.startswith("@")} for r in found]

    def _record_batch(self, name: str, batch: list[dict[str, Any]]) -> None:
        keys = [r["key"] for r in batch]
        if self._journal is not None:
            old = self._records_pre_image(name, keys)
            have = {str(r["key"]) for r in old}
            self._record("records", type=name, created=[k for k in keys if k not in have], old=old, wrote={str(r["key"]): record_hash(r) for r in batch})
        try:
            with self._tx():
                self.transport.command("sql", f"DELETE FROM `{name}` WHERE key IN :keys", {"keys": keys})
                # As a script, the inserted records are not sent back (converting them took longer than the insert).
                self.transport.command("sqlscript", f"INSERT INTO `{name}` CONTENT :rows; RETURN 1;", {"rows": batch})
        except QueryError as exc:
            raise BatchError(f"a batch of {len(batch)} {name} records failed and was rolled back: {exc}") from exc

    def delete_records(self, record_type: str, keys: Sequence[str]) -> int:
        """Delete hidden records by `key`; return how many existed."""
        name = _ident(record_type)
        done = 0
        keys = list(keys)
        with self._journaled(f"delete_records-{name}"):
            for start in range(0, len(keys), self.batch_size):
                chunk = keys[start : start + self.batch_size]
                if self._journal is not None:
                    self._record("records", type=name, created=[], old=self._records_pre_image(name, chunk), wrote={str(k): None for k in chunk})
                with self._tx():
                    out = self.transport.command("sql", f"DELETE FROM `{name}` WHERE key IN :keys", {"keys": chunk})
                done += int(out[0].get("count", 0)) if out else 0
        return done

    def read_records(
        self, record_type: str, where: Mapping[str, Any] | None = None, *, since: tuple[str, float] | None = None, order: str | None = None
    ) -> list[dict[str, Any]]:
        """Hidden records matching property equalities (a list means IN), optionally `field > value`, ordered by a field."""
        name = _ident(record_type)
        if name not in self.__dict__.get("_records_ready", ()) and name not in self._type_kinds():
            return []
        params: dict[str, Any] = {}
        clauses = [self._filter_sql(where, params)] if where else []
        if since is not None:
            clauses.append(f"`{_ident(since[0])}` > :since")
            params["since"] = since[1]
        sql = f"SELECT FROM `{name}`" + (f" WHERE {' AND '.join(clauses)}" if clauses else "")
        if order:
            desc = order.startswith("-")
            sql += f" ORDER BY `{_ident(order.lstrip('-'))}` {'DESC' if desc else 'ASC'}"
        rows, _ = self.transport.query("sql", sql, params, None)
        return [{k: v for k, v in r.items() if not k.startswith("@")} for r in rows]

    def record_values(self, record_type: str, where: Mapping[str, Any], field: str) -> dict[str, Any]:
        """`key → field` of the hidden records matching `where`, fetched as two lists (10k records: one row, not 10k)."""
        name = _ident(record_type)
        if name not in self.__dict__.get("_records_ready", ()) and name not in self._type_kinds():
            return {}
        params: dict[str, Any] = {}
        sql = f"SELECT list(key) AS k, list(`{_ident(field)}`) AS v FROM `{name}` WHERE {self._filter_sql(where, params)}"
        rows, _ = self.transport.query("sql", sql, params, None)
        if not rows or not rows[0].get("k"):
            return {}
        return dict(zip((str(k) for k in rows[0]["k"]), rows[0]["v"], strict=True))

    def get_meta(self, key: str) -> str | None:
        """A value from the store's own settings (not data: reading or writing it moves no data version)."""
        return self._get_meta(key)

    def set_meta(self, key: str, value: str) -> None:
        """Set a value in the store's own settings (e.g. when a source last synced)."""
        self._set_meta(key, value)


def _num(value: Any) -> float:
    if value is None:
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _decode_bucket(row: Mapping[str, Any]) -> Bucket:
    """One stored telemetry document as arrays (missing values NaN, missing labels -1)."""
    features = tuple(str(f) for f in row.get("features") or [])
    ts = np.asarray(row.get("ts") or [], dtype=np.int64)
    vals = np.array(row.get("vals") or [], dtype=np.float64).reshape(len(ts), len(features)).astype(np.float32)  # None -> NaN
    labels = np.array([-1 if x is None else x for x in row.get("labels") or []], dtype=np.int8)
    if len(labels) != len(ts):
        labels = np.full(len(ts), -1, dtype=np.int8)
    if len(ts) > 1 and np.any(np.diff(ts) < 0):  # written sorted; a hand-edited document may not be
        order = np.argsort(ts, kind="stable")
        ts, vals, labels = ts[order], vals[order], labels[order]
    for a in (ts, vals, labels):
        a.flags.writeable = False  # shared through the cache
    return Bucket(str(row.get("node")), features, ts, vals, labels)


@dataclass(frozen=True)
class _Index:
    """One index the schema asks for: how the engine lists it (`key`) and the statement that creates it."""

    key: tuple[str, tuple[str, ...], str]
    statement: str


def _schema_indexes(name: str, kind: str, props: Mapping[str, Any]) -> list[_Index]:
    """The indexes of one schema type (`kind` VERTEX or EDGE), in creation order: ensure_schema creates them and its
    shortcut checks that each is live."""
    if kind == "VERTEX":
        out = [_Index((name, ("id",), "LSM_TREE"), f"CREATE INDEX IF NOT EXISTS ON `{name}` (`id`) UNIQUE")]
    else:
        # At most one edge of a type between two nodes, held by the engine: two writers (processes on one server,
        # threads) that both find an edge absent cannot both create it; the loser retries.
        out = [_Index((name, ("@out", "@in"), "LSM_TREE"), f"CREATE INDEX IF NOT EXISTS ON `{name}` (`@out`, `@in`) UNIQUE")]
    for pname, pspec in props.items():
        if pname == "id":
            continue
        if pspec.indexed:
            out.append(_Index((name, (pname,), "LSM_TREE"), f"CREATE INDEX IF NOT EXISTS ON `{name}` (`{pname}`) NOTUNIQUE"))
        if pspec.fulltext and pspec.type is PropertyType.STRING:
            out.append(_Index((name, (pname,), "FULL_TEXT"), f"CREATE INDEX IF NOT EXISTS ON `{name}` (`{pname}`) FULL_TEXT"))
        if pspec.type is PropertyType.VECTOR:
            meta = json.dumps({"dimensions": pspec.dimensions, "similarity": pspec.similarity.upper()})
            out.append(_Index((name, (pname,), "LSM_VECTOR"), f"CREATE INDEX IF NOT EXISTS ON `{name}` (`{pname}`) LSM_VECTOR METADATA {meta}"))
    return out
