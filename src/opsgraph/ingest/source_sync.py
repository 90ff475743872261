"""Sync one file source with what its last sync left in the home, so a re-sync costs what changed.

Two files per source under the caller's cache folder (the app passes `<home>/cache/sources`):
- `<name>.docs`: the parsed documents of each file by content hash (`sources.doc_cache`), so an
  unchanged file is not parsed again, and what readers keep per file: an unchanged file whose inputs from
  outside it still answer the same is handed to the plan as one block (`sources.carried`) when the claims
  file below is of the sync the cache is from;
- `<name>.claims`: the source's claim hashes after its last applied sync, with that sync's mark
  (`ingest.sync.KnownClaims`), so the plan compares the new facts with them in memory and reads
  from the store only the claims that differ, instead of every hash of the source.
Both are only ever an optimisation: a missing, unreadable, corrupted or other-version file is
ignored (the sync then parses every file and reads every hash), the claims file is used only
while its mark is the store's, and both are written (atomically) only after the sync's writes
committed: a dry run or a failed sync leaves the previous files as they were.
"""

from __future__ import annotations

import contextlib
import gc
import marshal
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from opsgraph._files import atomic_write_bytes
from opsgraph.errors import OpsGraphError
from opsgraph.ingest.sync import KnownClaims, SyncPlan, state_from_facts, sync_state
from opsgraph.schema import GraphSchema
from opsgraph.sources import KnownIds, SourceConfig, read_source
from opsgraph.sources.doc_cache import DocumentCache
from opsgraph.store.base import GraphStore

CLAIMS_FORMAT = "known-claims 1"
Progress = Callable[[str, int, int], None]


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a source's documents become facts, a plan and writes.

    Reading builds hundreds of thousands of long-lived objects (documents, rows) and no cycles; the
    collector's repeated passes over them took about a third of the read of 10k workloads here, and
    half of the plan's comparison of 50k claim hashes when it ran after the read (the objects the read
    left alive made each of its full passes long). Restores the previous state (a caller that had
    switched it off keeps it off)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


LIST_TYPE_BELOW = 200
"""A typed lookup of at least this many ids lists the ids of each asked type holding no more nodes than were asked."""


def typed_lookup(store: GraphStore, schema: GraphSchema) -> KnownIds:
    """`store.node_types`, except that a lookup of many ids in a few types reads those types' own ids instead.

    A reader asks whether any of its 10k workload ids is held as another component type (a Datastore, a
    Queue): sending the 10k ids to a query per type took 0.5-1.5 s here, while those types hold a handful of
    nodes. A type of the schema holding no more nodes than ids asked is listed whole (its count first) and
    intersected here; other types are asked as before. Same answers; an id held as several of the asked types
    keeps the first of them in the order asked."""

    def known(ids: list[str], types: list[str] | None = None) -> dict[str, str]:
        if types is None or len(ids) < LIST_TYPE_BELOW:
            return store.node_types(ids, types)
        wanted, out, rest = set(ids), {}, []
        for t in types:
            if t not in schema.nodes:
                rest.append(t)
                continue
            try:
                count = store.query(f"MATCH (n:`{t}`) RETURN count(n) AS c").rows
                held = int(count[0]["c"]) if count else 0
                if held > len(ids):
                    rest.append(t)
                    continue
                rows = store.query(f"MATCH (n:`{t}`) RETURN n.id AS id", limit=held + 1).rows if held else []
            except OpsGraphError:  # a type the store does not hold yet, or anything odd: ask it the old way
                rest.append(t)
                continue
            for r in rows:
                i = r.get("id")
                if i in wanted and i not in out:
                    out[str(i)] = t
        if rest:
            for i, t in store.node_types(ids, rest).items():
                out.setdefault(i, t)
        return out

    return known


def cache_files(folder: Path, source: str) -> tuple[Path, Path]:
    """The document cache and the known-claims file of `source` under `folder`."""
    return folder / f"{source}.docs", folder / f"{source}.claims"


def load_known(path: Path, source: str) -> KnownClaims | None:
    """The claim hashes a previous sync of `source` kept at `path`; None when absent or not trustworthy as a file."""
    try:
        data = marshal.loads(path.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if not isinstance(data, dict) or data.get("format") != CLAIMS_FORMAT or data.get("source") != source:
        return None
    mark, hashes = data.get("mark"), data.get("hashes")
    if not isinstance(mark, str) or not mark or not isinstance(hashes, dict):
        return None
    if not {type(k) for k in hashes} <= {str} or not {type(v) for v in hashes.values()} <= {str}:  # one pass each in C (50k hashes)
        return None
    return KnownClaims(mark, hashes)


def save_known(path: Path, plan: SyncPlan) -> None:
    """Keep an applied plan's claim hashes and mark (atomically)."""
    atomic_write_bytes(path, marshal.dumps({"format": CLAIMS_FORMAT, "source": plan.source, "mark": plan.mark, "hashes": dict(plan.claim_hashes)}))


def _same_as_known(plan: SyncPlan, known: KnownClaims | None) -> bool:
    """Are an applied plan's claim hashes and mark those of the claims file it planned with (one comparison in C)?"""
    return known is not None and plan.mark == known.mark and plan.claim_hashes == known.hashes


def _read_and_sync(store: GraphStore, schema: GraphSchema, config: SourceConfig, docs: DocumentCache, known: KnownClaims | None, *, dry_run: bool,
                   precedence: Mapping[str, int] | None, progress: Progress | None) -> tuple[SyncPlan, dict[str, int]]:  # fmt: skip
    """Read, plan and (unless `dry_run`) apply; also the files read and what the reader reused (`reused` counts)."""
    # The cache holds the results of the sync the claims file is from: a reader may carry unchanged files as blocks,
    # whose claim hashes the plan takes from that file (and expands to rows when the store's claims moved on since).
    docs.carry = bool(known is not None and docs.generation and docs.generation == known.mark)
    facts = read_source(config, schema, known_ids=typed_lookup(store, schema), cache=docs)
    state = state_from_facts(facts, precedence=config.precedence, location=str(config.path or ""))
    if not dry_run:
        store.ensure_schema(schema)
    # Rows the reader copied from the results it kept in the sync the claims file is from carry that sync's hashes.
    replayed_known = bool(known is not None and docs.generation and docs.generation == known.mark)
    plan = sync_state(store, schema, state, dry_run=dry_run, precedence=precedence, progress=progress, known=known, replayed_known=replayed_known)
    return plan, {"read": len(facts.files), **facts.reused}


def sync_source(
    store: GraphStore,
    schema: GraphSchema,
    config: SourceConfig,
    *,
    cache_dir: Path | None,
    dry_run: bool = False,
    precedence: Mapping[str, int] | None = None,
    progress: Progress | None = None,
) -> SyncPlan:
    """Read a source (unchanged files from the document cache), plan against what changed, apply unless `dry_run`.

    `cache_dir` None: no cache (every file parsed, every claim hash read). `plan.files` says how many files
    were read, parsed and served from the cache."""
    docs_path, claims_path = cache_files(cache_dir, config.name) if cache_dir is not None else (None, None)
    docs = DocumentCache(docs_path).load()
    known = load_known(claims_path, config.name) if claims_path is not None else None
    with _collector_paused():
        # The facts and the state are freed (by reference count) when this returns, before the collector runs again:
        # its first pass after the pause then does not walk them (it took 0.1-0.4 s at 10k workloads).
        plan, counts = _read_and_sync(store, schema, config, docs, known, dry_run=dry_run, precedence=precedence, progress=progress)
    plan.files = {"read": counts.pop("read"), "parsed": len(docs.parsed), "cached": len(docs.reused), "documents_parsed": docs.documents_parsed,
                  **{f"reused_{k}": v for k, v in counts.items()}}  # fmt: skip
    if plan.applied and docs_path is not None and claims_path is not None:
        try:
            docs.generation = plan.mark
            if (docs.parsed or docs.reused) and docs.changed():  # an unchanged re-sync rewrites nothing
                docs.save()
            if not _same_as_known(plan, known):  # an unchanged re-sync keeps the file it trusted (3 MB at 10k workloads)
                save_known(claims_path, plan)
        except OSError:
            # The sync committed; a cache that could not be written is only slower next time: the old
            # documents are keyed by content, and an old claims file names an old mark, so it is ignored.
            plan.files["cache_not_saved"] = 1
    return plan
