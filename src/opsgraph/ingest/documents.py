"""Documents of an estate (`docs/`): load, chunk, embed, link to entities, and keep the store in sync.

What ends up in the store (types added by `with_document_types`):

    (:Document {id: "docs/x.md", title, content_hash, build_hash, chunk_count})
        -[:HAS_CHUNK]->
    (:Chunk {id: "docs/x.md#0", doc_id, position, text, heading_path, content_hash, embedding})
        -[:MENTIONS {method, score, surface}]-> (any estate node)

`sync_documents` makes the store match the folder, doing as little as it can:

- a document whose `content_hash` (sha256 of its bytes) and `build_hash`
  (chunking settings, embedder, linker fingerprint) are unchanged is skipped:
  no chunking, no embedding, no writes;
- a document whose text or chunking/embedder changed is rebuilt: its old
  chunks (and with them their `HAS_CHUNK` and `MENTIONS` edges) are deleted
  and the new ones written;
- a document whose text is unchanged but whose links would change (an alias
  was added to the estate) is only re-linked: its `MENTIONS` edges are
  replaced, its chunks and embeddings stay;
- a document whose file is gone loses its node, chunks and links.

All or nothing: a sync runs inside `store.atomic()`, so a failure undoes every
batch it committed and a crash is undone by the next open of the store. As a
second line of defence a changed document is first marked pending (its
`content_hash` set to ""), then its chunks and edges are written, and only
then does it get its real hashes: a document left pending is rebuilt. All
chunking, embedding and linking of a group of documents happens before the
group's first write, so an embedder failure writes nothing.

Every file is read and decoded before the first write; unreadable files are
reported together as one `IngestError`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opsgraph.embed.base import Embedder
from opsgraph.errors import IngestError, Issue
from opsgraph.ingest.chunking import CHUNKERS, TextChunk, chunk_text, markdown_sections
from opsgraph.ingest.linking import EntityLinker, Link, entities_from_store, link_settings
from opsgraph.schema import EdgeType, GraphSchema, NodeType, PropertySpec, PropertyType
from opsgraph.schema.loader import SchemaError, SchemaIssue
from opsgraph.store.base import GraphStore

DOCUMENT = "Document"
CHUNK = "Chunk"
HAS_CHUNK = "HAS_CHUNK"
MENTIONS = "MENTIONS"
DOCUMENT_TYPES = frozenset({DOCUMENT, CHUNK, HAS_CHUNK, MENTIONS})
"""Type names opsgraph adds to an estate's schema for documents."""

DOCUMENT_SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".txt": "text"}
"""File suffix → kind of document."""

CHUNKER_VERSION = "1"
"""Bump when chunking changes, so documents are re-chunked (it is part of `build_hash`)."""

Progress = Callable[[str, int, int], None]
"""`progress(task, done, total)`, as in `opsgraph.ingest.pipeline`."""


# -- schema -------------------------------------------------------------------------

def _document_nodes(dims: int) -> dict[str, NodeType]:
    s = PropertyType.STRING
    return {
        DOCUMENT: NodeType(
            description="A document of the estate (a runbook, a note); its id is its path relative to the estate folder.",
            name_property="title",
            properties={
                "title": PropertySpec(type=s, fulltext=True, description="First heading, or the file name."),
                "content_hash": PropertySpec(type=s, description="sha256 of the file's bytes; empty while a rebuild is under way."),
                "build_hash": PropertySpec(type=s, description="Fingerprint of chunking settings, embedder and entity linker."),
                "chunk_count": PropertySpec(type=PropertyType.INTEGER, description="Number of chunks."),
            },
        ),
        CHUNK: NodeType(
            description="A passage of a document, embedded for vector search; id is '<document id>#<position>'.",
            name_property=None,
            properties={
                "doc_id": PropertySpec(type=s, indexed=True, description="Id of the document it was cut from."),
                "position": PropertySpec(type=PropertyType.INTEGER, description="0-based order within the document."),
                "text": PropertySpec(type=s, fulltext=True, description="The passage as written."),
                "heading_path": PropertySpec(type=s, description="Enclosing headings, e.g. 'Payment service: elevated 5xx > Diagnosis'."),
                "content_hash": PropertySpec(type=s, description="sha256 of heading path and text."),
                "embedding": PropertySpec(type=PropertyType.VECTOR, dimensions=dims, description="Embedding of heading path and text."),
            },
        ),
    }


def _document_edges(entity_types: Sequence[str]) -> dict[str, EdgeType]:
    return {
        HAS_CHUNK: EdgeType.model_validate({"from": DOCUMENT, "to": CHUNK, "description": "The document was cut into this chunk."}),
        MENTIONS: EdgeType.model_validate(
            {
                "from": CHUNK,
                "to": list(entity_types),
                "description": "The chunk names this node.",
                "properties": {
                    "method": {"type": "string", "indexed": True, "description": "'exact' (id or name), 'alias' or 'fuzzy'."},
                    "score": {"type": "float", "description": "Confidence in [0, 1]."},
                    "surface": {"type": "string", "description": "The text that matched."},
                },
            }
        ),
    }


def with_document_types(schema: GraphSchema, dims: int) -> GraphSchema:
    """`schema` plus `Document`, `Chunk`, `HAS_CHUNK` and `MENTIONS` (to every estate node type).

    Refuses a schema that declares any of those names itself, unless it is
    already exactly this extension (so the function is safe to repeat).
    """
    if dims < 1:
        raise ValueError(f"dims must be >= 1, got {dims}")
    entity_types = [t for t in schema.nodes if t not in DOCUMENT_TYPES]
    nodes, edges = _document_nodes(dims), _document_edges(entity_types)
    clashes = sorted((set(schema.nodes) | set(schema.edges)) & DOCUMENT_TYPES)
    if clashes:
        same = all(schema.nodes.get(n) == nodes[n] for n in nodes) and all(schema.edges.get(e) == edges[e] for e in edges)
        if same:
            return schema
        raise SchemaError(
            [
                SchemaIssue(
                    "schema.yaml",
                    None,
                    f"nodes.{name}" if name in schema.nodes else f"edges.{name}",
                    f"{name!r} is a type opsgraph adds for documents ({', '.join(sorted(DOCUMENT_TYPES))}); "
                    "rename the estate's type",
                )
                for name in clashes
            ]
        )
    data = schema.model_dump(by_alias=True)
    data["nodes"].update({k: v.model_dump(by_alias=True) for k, v in nodes.items()})
    data["edges"].update({k: v.model_dump(by_alias=True) for k, v in edges.items()})
    return GraphSchema.model_validate(data)


# -- loading ----------------------------------------------------------------------

@dataclass(frozen=True)
class SourceDocument:
    """A document file, read and decoded."""

    id: str
    """Path relative to the estate folder, with forward slashes (e.g. "docs/payment.md")."""
    title: str
    """First level-1 heading (markdown), else the first line, else the file name."""
    text: str
    """Decoded text, line endings normalised to "\\n"."""
    kind: str
    """"markdown" or "text"."""
    content_hash: str
    """sha256 of the file's bytes."""


def list_documents(folder: Path) -> list[Path]:
    """Document files under `folder` (recursively; hidden files and folders skipped), sorted."""
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and p.suffix.lower() in DOCUMENT_SUFFIXES and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def _title(text: str, kind: str, fallback: str) -> str:
    if kind == "markdown":
        for sec in markdown_sections(text):
            if sec.level == 1:
                return sec.heading_path
    for line in text.splitlines():
        if line.strip():
            return line.strip().lstrip("#").strip()[:200] or fallback
    return fallback


def load_document(path: Path, root: Path) -> SourceDocument:
    """Read one document; raises `OSError` or `UnicodeDecodeError` as the file does."""
    raw = path.read_bytes()
    text = raw.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    kind = DOCUMENT_SUFFIXES[path.suffix.lower()]
    doc_id = path.relative_to(root).as_posix()
    return SourceDocument(doc_id, _title(text, kind, path.stem), text, kind, hashlib.sha256(raw).hexdigest())


def read_documents(root: str | Path, schema: GraphSchema) -> list[SourceDocument]:
    """Every document of the estate at `root`; raises `IngestError` listing every unreadable file."""
    root = Path(root)
    docs, issues = [], []
    for path in list_documents(root / schema.documents.folder):
        shown = path.relative_to(root).as_posix()
        try:
            docs.append(load_document(path, root))
        except UnicodeDecodeError as exc:
            issues.append(Issue(shown, None, "", f"not UTF-8 text ({exc.reason} at byte {exc.start})"))
        except OSError as exc:
            issues.append(Issue(shown, None, "", f"cannot read file: {exc}"))
    if issues:
        raise IngestError(issues)
    return docs


# -- sync ---------------------------------------------------------------------------

@dataclass
class DocumentReport:
    """What `sync_documents` did; document lists hold document ids."""

    created: list[str] = field(default_factory=list)
    """Documents new to the store."""
    updated: list[str] = field(default_factory=list)
    """Documents re-chunked and re-embedded (text, chunking or embedder changed)."""
    relinked: list[str] = field(default_factory=list)
    """Documents whose text was unchanged but whose entity links were rebuilt."""
    unchanged: list[str] = field(default_factory=list)
    """Documents left as they were."""
    deleted: list[str] = field(default_factory=list)
    """Documents removed because their file is gone."""
    chunks_written: int = 0
    """Chunks created (old chunks of updated documents are deleted first)."""
    chunks_deleted: int = 0
    """Chunks removed (of updated and deleted documents)."""
    links_written: int = 0
    """MENTIONS edges written."""
    texts_embedded: int = 0
    """Texts handed to the embedder (some may have come from its cache)."""

    def changed(self) -> bool:
        return bool(self.created or self.updated or self.relinked or self.deleted)

    def counts(self) -> dict[str, int]:
        return {
            "created": len(self.created),
            "updated": len(self.updated),
            "relinked": len(self.relinked),
            "unchanged": len(self.unchanged),
            "deleted": len(self.deleted),
            "chunks_written": self.chunks_written,
            "chunks_deleted": self.chunks_deleted,
            "links_written": self.links_written,
        }


@dataclass
class _Built:
    doc: SourceDocument
    chunks: list[TextChunk]
    links: list[list[Link]]
    vectors: Any = None
    rechunked: bool = True


def _chunk_hash(schema: GraphSchema, embedder: Embedder) -> str:
    blob = json.dumps({"chunker": CHUNKER_VERSION, "chunking": schema.documents.chunking.model_dump(), "embedder": [embedder.name, embedder.dims]}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def build_hash(schema: GraphSchema, embedder: Embedder, linker: EntityLinker) -> str:
    """Fingerprint of what shapes a document's chunks and links besides its text: "<chunking+embedder>-<linker>"."""
    return f"{_chunk_hash(schema, embedder)}-{linker.fingerprint()}"


def embedding_text(chunk: TextChunk, title: str) -> str:
    """What is embedded for a chunk: its heading path (or the document title) above its text.

    The path goes in even when the chunk starts with its own heading line: "## Diagnosis"
    alone does not say which runbook's diagnosis it is.
    """
    head = chunk.heading_path or title
    return f"{head}\n\n{chunk.text}" if head else chunk.text


def _rows(store: GraphStore, cypher: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    return store.query(cypher, params, limit=10_000_000).rows


def sync_documents(
    store: GraphStore,
    schema: GraphSchema,
    estate_root: str | Path,
    embedder: Embedder,
    *,
    progress: Progress | None = None,
    linker: EntityLinker | None = None,
    documents: Sequence[SourceDocument] | None = None,
    group_size: int = 64,
) -> DocumentReport:
    """Make the store's documents, chunks and links match the estate's document folder.

    Args:
        store: an open store that already holds the estate's nodes (links point at them).
        schema: the estate's schema (without the document types; they are added here).
        estate_root: the estate folder; documents are read from `schema.documents.folder` under it.
        embedder: embeds chunks (and n-grams, for fuzzy linking and the semantic strategy).
        progress: `progress(task, done, total)` as documents and embeddings advance.
        linker: defaults to an `EntityLinker` over the store's current nodes, with fuzzy matching.
        documents: the estate's documents if already read (`read_documents`, e.g. to validate them
            before an estate's first write); by default they are read here, before any write.
        group_size: documents prepared in memory before their writes (bounds memory use).
    """
    if schema.documents.chunking.strategy not in CHUNKERS:
        raise ValueError(f"unknown chunking strategy {schema.documents.chunking.strategy!r}")
    with store.atomic(f"documents-{Path(estate_root).name}"):  # a failure undoes every document written so far
        return _sync(store, schema, Path(estate_root), embedder, progress, linker, documents, group_size)


def _sync(
    store: GraphStore,
    schema: GraphSchema,
    root: Path,
    embedder: Embedder,
    progress: Progress | None,
    linker: EntityLinker | None,
    documents: Sequence[SourceDocument] | None,
    group_size: int,
) -> DocumentReport:
    docs = list(documents) if documents is not None else read_documents(root, schema)
    full = with_document_types(schema, embedder.dims)
    store.ensure_schema(full)
    if linker is None:
        linker = EntityLinker(entities_from_store(store, schema, exclude=DOCUMENT_TYPES), embedder=embedder, settings=link_settings(schema))
    wanted_build = build_hash(schema, embedder, linker)
    wanted_chunks = wanted_build.split("-")[0]
    stored = {
        str(r["id"]): (r.get("h") or "", r.get("b") or "")
        for r in _rows(store, f"MATCH (d:{DOCUMENT}) RETURN d.id AS id, d.content_hash AS h, d.build_hash AS b")
    }
    report = DocumentReport()

    # Deleted files first, so a renamed document never has two live copies.
    gone = sorted(set(stored) - {d.id for d in docs})
    if gone:
        chunk_ids = [str(r["id"]) for r in _rows(store, f"MATCH (c:{CHUNK}) WHERE c.doc_id IN $ids RETURN c.id AS id", {"ids": gone})]
        report.chunks_deleted += store.delete_nodes(CHUNK, chunk_ids)
        store.delete_nodes(DOCUMENT, gone)
        report.deleted = gone
    # Chunks whose document node is missing (written by a run that died before its document) are swept too.
    live = [d.id for d in docs]
    orphans = [str(r["id"]) for r in _rows(store, f"MATCH (c:{CHUNK}) WHERE NOT c.doc_id IN $ids RETURN c.id AS id", {"ids": live})]
    if orphans:
        report.chunks_deleted += store.delete_nodes(CHUNK, orphans)

    todo: list[tuple[SourceDocument, str]] = []  # (document, "create" | "update" | "relink")
    for doc in docs:
        have = stored.get(doc.id)
        if have is None:
            todo.append((doc, "create"))
        elif have == (doc.content_hash, wanted_build):
            report.unchanged.append(doc.id)
        elif have[0] == doc.content_hash and have[1].split("-")[0] == wanted_chunks:
            todo.append((doc, "relink"))
        else:
            todo.append((doc, "update"))
    total = len(docs)
    done = len(report.unchanged)
    if progress:
        progress("documents", done, total)
    for start in range(0, len(todo), group_size):
        group = todo[start : start + group_size]
        built = _prepare(group, schema, embedder, linker, progress)
        _write(store, built, wanted_build, report)
        for doc, action in group:
            {"create": report.created, "update": report.updated, "relink": report.relinked}[action].append(doc.id)
        done += len(group)
        if progress:
            progress("documents", done, total)
    return report


def _prepare(group: list[tuple[SourceDocument, str]], schema: GraphSchema, embedder: Embedder, linker: EntityLinker, progress: Progress | None) -> list[_Built]:
    """Chunk, embed and link a group of documents in memory (no writes)."""
    settings = schema.documents.chunking
    built = []
    for doc, action in group:
        chunks = chunk_text(doc.text, settings, markdown=doc.kind == "markdown", embedder=embedder)
        # Only the chunk's own text can mention a node; the whole document is the evidence for weak mentions.
        links = linker.link_many([c.text for c in chunks], document=doc.text)
        built.append(_Built(doc, chunks, links, rechunked=action != "relink"))
    texts = [embedding_text(c, b.doc.title) for b in built if b.rechunked for c in b.chunks]
    if texts:
        vectors = embedder.embed(texts, progress=(lambda d, t: progress("embeddings", d, t)) if progress else None)
        i = 0
        for b in built:
            if b.rechunked:
                b.vectors = vectors[i : i + len(b.chunks)]
                i += len(b.chunks)
    return built


def _chunk_id(doc_id: str, position: int) -> str:
    return f"{doc_id}#{position}"


def _doc_row(b: _Built, content_hash: str, build: str) -> dict[str, Any]:
    return {"id": b.doc.id, "title": b.doc.title, "content_hash": content_hash, "build_hash": build, "chunk_count": len(b.chunks)}


def _write(store: GraphStore, built: list[_Built], wanted_build: str, report: DocumentReport) -> None:
    # 1. Mark pending: a crash from here on makes the next run rebuild these documents.
    store.upsert_nodes(DOCUMENT, [_doc_row(b, "", "") for b in built])
    rebuilt = [b for b in built if b.rechunked]
    relinked = [b for b in built if not b.rechunked]
    # 2. Old chunks of rebuilt documents go, with their edges; relinked documents lose only their MENTIONS.
    if rebuilt:
        ids = [b.doc.id for b in rebuilt]
        old = [str(r["id"]) for r in _rows(store, f"MATCH (c:{CHUNK}) WHERE c.doc_id IN $ids RETURN c.id AS id", {"ids": ids})]
        report.chunks_deleted += store.delete_nodes(CHUNK, old)
    if relinked:
        pairs = _rows(store, f"MATCH (c:{CHUNK})-[:{MENTIONS}]->(n) WHERE c.doc_id IN $ids RETURN c.id AS f, n.id AS t", {"ids": [b.doc.id for b in relinked]})
        store.delete_edges(MENTIONS, [(str(r["f"]), str(r["t"])) for r in pairs])
    # 3. New chunks and their edges.
    chunk_rows, has_rows = [], []
    for b in rebuilt:
        for pos, (c, vec) in enumerate(zip(b.chunks, b.vectors, strict=True)):
            cid = _chunk_id(b.doc.id, pos)
            chunk_rows.append(
                {
                    "id": cid,
                    "doc_id": b.doc.id,
                    "position": pos,
                    "text": c.text,
                    "heading_path": c.heading_path,
                    "content_hash": hashlib.sha256(f"{c.heading_path}\n{c.text}".encode()).hexdigest(),
                    "embedding": [float(x) for x in vec],
                }
            )
            has_rows.append({"from": b.doc.id, "to": cid, "from_type": DOCUMENT, "to_type": CHUNK})
    if chunk_rows:
        store.upsert_nodes(CHUNK, chunk_rows)
        store.upsert_edges(HAS_CHUNK, has_rows)
        report.chunks_written += len(chunk_rows)
    mention_rows = [
        {
            "from": _chunk_id(b.doc.id, pos),
            "to": link.node_id,
            "from_type": CHUNK,
            "to_type": link.node_type,
            "method": link.method,
            "score": float(link.score),
            "surface": link.surface,
        }
        for b in built
        for pos, links in enumerate(b.links)
        for link in links
    ]
    if mention_rows:
        store.upsert_edges(MENTIONS, mention_rows)
        report.links_written += len(mention_rows)
    report.texts_embedded += sum(len(b.chunks) for b in rebuilt)
    # 4. Done: the real hashes make the next run skip these documents.
    store.upsert_nodes(DOCUMENT, [_doc_row(b, b.doc.content_hash, wanted_build) for b in built])


def document_ids(store: GraphStore) -> list[str]:
    """Ids of the documents in the store."""
    return sorted(str(r["id"]) for r in _rows(store, f"MATCH (d:{DOCUMENT}) RETURN d.id AS id"))


def chunk_links(store: GraphStore, doc_id: str) -> dict[str, set[str]]:
    """Chunk id → ids of the nodes it mentions, for one document (handy in tests and debugging)."""
    out: dict[str, set[str]] = {}
    for r in _rows(
        store,
        f"MATCH (c:{CHUNK})-[:{MENTIONS}]->(n) WHERE c.doc_id = $d RETURN c.id AS c, n.id AS n",
        {"d": doc_id},
    ):
        out.setdefault(str(r["c"]), set()).add(str(r["n"]))
    return out

