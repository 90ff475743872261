"""Parsed YAML documents kept between syncs, so a re-sync parses only the documents that changed.

Parsing is most of a reader's time on a large manifest folder (10k workloads: seconds), and
between two syncs most files are byte for byte the same. `DocumentCache` keeps, per file (its
resolved path), the blake2b hash of its bytes and its documents as `marshal` bytes; a file
whose bytes hash the same is served from there. A changed file keeps the hash of each of its
documents' text, so the caller (`yamldocs`) parses only the documents whose text changed and
takes the others from here; anything odd sends it back to parsing the whole file as before (and
its errors are raised as before: only files that parsed cleanly are ever cached).

Readers may also keep what they derived from a document (`recall` / `keep`: marshal-able
values by a key the reader builds from everything the value depends on), so an unchanged
workload is not mapped again; `generation` names the sync whose results the file holds (the
caller sets it before `save()`), so a caller can tell whether kept values belong to the same
sync as its other caches. `unchanged(file, data)` tells a reader that a file's bytes are the ones
cached without loading its documents (the Kubernetes reader then rebuilds its objects from the
summary it kept, and loads a document only when a workload must be mapped again).

What it must never do is change a result or fail a sync:
- the cache file carries a version (this module's `FORMAT`, the opsgraph, PyYAML and loader
  versions, the marshal and Python versions): from another version it is ignored and rebuilt;
- a missing, unreadable or corrupted cache file is ignored (every file is parsed);
- documents `marshal` cannot hold (a YAML timestamp becomes a `datetime`) leave that file out;
- documents are stored as bytes as soon as they are parsed, so a reader that mutates what it
  was given cannot change what the next sync reads; a hit returns fresh objects each time.
`save()` keeps only the files read since `load()` (a removed file leaves the cache); callers save
only after the sync's writes committed.

On disk it is content-addressed, so a re-sync writes what changed, not the whole cache (24 MB at
10k workloads): each file's documents and each kept value are a blob named by the hash of its
bytes in the folder `<cache>.d/`, written once, all the new blobs of a save in one pack file
(`sources.blob_packs`), and the cache file itself is a small index (path -> content hash and blob
name; key -> blob name; blob name -> its place in a pack) replaced atomically after them. A blob is
read only when asked for and used only when its bytes hash to its name: one torn by a crash,
missing or changed by hand counts as not cached. Packs (and loose blobs of older caches) holding no
blob the index names any more are removed after the index is written.

This module does no store work and reads no settings: the caller says where the file lives.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import marshal
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from opsgraph._files import atomic_write_bytes
from opsgraph.sources.blob_packs import Where, blob_name, read_blob, save_blobs, valid_where

FORMAT = 3
"""Bumped whenever what a cached entry means changes (the parser, the document numbering)."""


def _opsgraph_version() -> str:
    try:
        return importlib.metadata.version("opsgraph")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def cache_version() -> str:
    """Everything a cached parse depends on; a cache from another version is ignored."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader).__name__
    py = f"{sys.version_info[0]}.{sys.version_info[1]}"
    return f"doc-cache {FORMAT}|opsgraph {_opsgraph_version()}|pyyaml {yaml.__version__} {loader}|marshal {marshal.version}|python {py}"


Documents = list[tuple[int, Any]]
"""`(1-based document index, parsed document)` of a file's non-empty documents."""


@dataclass
class DocumentCache:
    """Parsed documents per file, by content hash; `load()` / `save()` do the I/O (the constructor does none)."""

    path: Path | None
    """The cache file; None keeps entries in memory only (tests, one-off reads)."""
    version: str = field(default_factory=cache_version)
    parsed: list[str] = field(default_factory=list)
    """Files parsed since `load()` (their bytes were new or changed)."""
    reused: list[str] = field(default_factory=list)
    """Files served from the cache since `load()`."""
    ignored: str = ""
    """Why the cache file was not used, when it was not (missing, unreadable, other version)."""
    documents_parsed: int = 0
    """Documents parsed since `load()` (all of a new file's, the changed ones of a changed file's)."""
    generation: str = ""
    """The sync whose results this file holds (read by `load()`, set by the caller before `save()`)."""
    carry: bool = False
    """Set by a caller that holds the claim hashes of the sync `generation` names (and the store still has that sync's
    claims): readers may then hand unchanged files over as blocks (`sources.carried`) instead of rows."""
    _old: dict[str, tuple[str, bytes | str]] = field(default_factory=dict, repr=False)
    """Path -> (hash of its bytes, its documents as marshal bytes, or the name of the blob holding them)."""
    _new: dict[str, tuple[str, bytes | str]] = field(default_factory=dict, repr=False)
    _old_chunks: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)
    _new_chunks: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)
    _old_memo: dict[str, bytes | str] = field(default_factory=dict, repr=False)
    _new_memo: dict[str, bytes | str] = field(default_factory=dict, repr=False)
    _loaded_generation: str = field(default="", repr=False)
    _memo_written: bool = field(default=False, repr=False)
    _resolved: dict[Path, str] = field(default_factory=dict, repr=False)
    _where: dict[str, Where] = field(default_factory=dict, repr=False)
    """Blob name -> its place in a pack (blobs not named here are loose files of an older cache)."""

    def load(self) -> DocumentCache:
        """Read the cache file; anything wrong with it is recorded in `ignored`, never raised."""
        self._old, self._new, self.parsed, self.reused, self.ignored = {}, {}, [], [], ""
        self._old_chunks, self._new_chunks, self._old_memo, self._new_memo = {}, {}, {}, {}
        self.documents_parsed, self.generation, self._loaded_generation, self._memo_written = 0, "", "", False
        self._resolved, self._where = {}, {}
        if self.path is None:
            return self
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            self.ignored = "no cache yet"
            return self
        except OSError as exc:
            self.ignored = f"unreadable ({exc.__class__.__name__})"
            return self
        try:
            data = marshal.loads(raw)
        except (ValueError, EOFError, TypeError) as exc:
            self.ignored = f"corrupted ({exc.__class__.__name__})"
            return self
        if not isinstance(data, dict) or data.get("version") != self.version or not isinstance(data.get("files"), dict):
            self.ignored = "another version" if isinstance(data, dict) and "version" in data else "not a document cache"
            return self
        for key, entry in data["files"].items():
            if isinstance(key, str) and isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[0], str) and isinstance(entry[1], str):
                self._old[key] = entry
        chunks, memo = data.get("chunks"), data.get("memo")
        for key, digests in (chunks.items() if isinstance(chunks, dict) else ()):
            if isinstance(key, str) and isinstance(digests, tuple) and all(isinstance(d, str) for d in digests):
                self._old_chunks[key] = digests
        for key, value in (memo.items() if isinstance(memo, dict) else ()):
            if isinstance(key, str) and isinstance(value, str):
                self._old_memo[key] = value
        self._where = valid_where(data.get("packs"))
        generation = data.get("generation")
        self.generation = self._loaded_generation = generation if isinstance(generation, str) else ""
        return self

    def documents(self, file: Path, data: bytes, parse: Any, *, chunked: Any = None) -> Documents:
        """The documents of `file` whose bytes are `data`: cached when they hash the same, else parsed (then kept).

        `parse()` parses the whole file. `chunked(previous)`, when given, is tried first on a file the cache
        held in another version: `previous` maps the text hash of each document it held to that document
        (None for an empty one); it returns `(documents, text hash of every document or None, documents it parsed)`
        or None to have the whole file parsed."""
        key = self._key_of(file)
        digest = hashlib.blake2b(data, digest_size=16).hexdigest()
        hit = self._old.get(key) or self._new.get(key)
        if hit is not None and hit[0] == digest:
            raw = self._bytes(hit[1])
            docs = _loads_list(raw) if raw is not None else None
            if docs is not None:
                self._keep(key, hit)
                return docs
        result = chunked(self._previous(key, hit)) if chunked is not None else None
        if result is not None:
            docs, digests, parsed = result
        else:
            docs, digests = list(parse()), None
            parsed = len(docs)
        self.parsed.append(key)
        self.documents_parsed += parsed
        try:
            self._new[key] = (digest, marshal.dumps(docs))
        except ValueError:  # a value marshal cannot hold (a YAML timestamp): this file is parsed every time
            self._new.pop(key, None)
            self._new_chunks.pop(key, None)
            return docs
        if digests:
            self._new_chunks[key] = tuple(digests)
        else:
            self._new_chunks.pop(key, None)
        return docs

    def _key_of(self, file: Path) -> str:
        """A file's entry key: its resolved path (resolved once per file and load: a file is asked for up to four times)."""
        key = self._resolved.get(file)
        if key is None:
            key = self._resolved[file] = str(file.resolve())
        return key

    def unchanged(self, file: Path, data: bytes) -> str | None:
        """The hash of `data` when the cache holds `file` with these very bytes (then kept for the next sync and
        counted as reused, without loading its documents), else None (the caller reads it through `documents`)."""
        key = self._key_of(file)
        digest = hashlib.blake2b(data, digest_size=16).hexdigest()
        hit = self._old.get(key) or self._new.get(key)
        if hit is None or hit[0] != digest:
            return None
        self._keep(key, hit)
        return digest

    def _keep(self, key: str, hit: tuple[str, bytes | str]) -> None:
        """Carry the entry of an unchanged file (and its per-document digests) into the next save; count it reused."""
        self._new[key] = hit
        chunks = self._old_chunks.get(key) or self._new_chunks.get(key)
        if chunks is not None:
            self._new_chunks[key] = chunks
        if key not in self.reused:
            self.reused.append(key)

    def digest(self, file: Path) -> str | None:
        """The hash of the bytes of `file` as last read through this cache (None when it was not kept)."""
        hit = self._new.get(self._key_of(file))
        return hit[0] if hit is not None else None

    def _previous(self, key: str, hit: tuple[str, bytes | str] | None) -> dict[str, Any]:
        """Text hash -> document of the file's documents as last cached (empty when unknown)."""
        chunks = self._old_chunks.get(key)
        raw = self._bytes(hit[1]) if hit is not None and chunks is not None else None
        docs = _loads_list(raw) if raw is not None else None
        if docs is None or chunks is None:
            return {}
        by_index = {i: d for i, d in docs if isinstance(i, int)} if all(isinstance(x, tuple) and len(x) == 2 for x in docs) else None
        if by_index is None:
            return {}
        return {h: by_index.get(n) for n, h in enumerate(chunks, start=1)}

    def document_hashes(self, file: Path) -> tuple[str, ...] | None:
        """The text hash of each document of `file` (1-based index - 1) as last read through this cache, when known."""
        return self._new_chunks.get(self._key_of(file))

    def recall(self, key: str) -> Any:
        """A value `keep` stored under `key` in the last saved sync (fresh objects each call), or None."""
        ref = self._old_memo.get(key) or self._new_memo.get(key)
        raw = self._bytes(ref) if ref is not None else None
        if raw is None:
            return None
        try:
            value = marshal.loads(raw)
        except (ValueError, EOFError, TypeError):
            return None
        self._new_memo[key] = ref  # type: ignore[assignment]  # ref is not None here
        return value

    def retain(self, key: str) -> bool:
        """Carry the value kept under `key` in the last saved sync into the next save without loading it (False: none)."""
        ref = self._old_memo.get(key)
        if ref is None:
            return False
        self._new_memo.setdefault(key, ref)
        return True

    def keep(self, key: str, value: Any) -> None:
        """Store `value` (marshal-able; anything else is silently not kept) under `key` for the next sync."""
        self._memo_written = True
        try:
            self._new_memo[key] = marshal.dumps(value)
        except ValueError:
            self._new_memo.pop(key, None)

    def changed(self) -> bool:
        """Would `save()` write anything other than what `load()` read (a file parsed, a value kept, an entry gone)?"""
        return bool(
            self.parsed or self._memo_written or self.generation != self._loaded_generation or self._new.keys() != self._old.keys()
            or self._new_memo.keys() != self._old_memo.keys() or self._new_chunks.keys() != self._old_chunks.keys()
        )  # fmt: skip

    def save(self) -> None:
        """Keep the files read and the values recalled or kept since `load()` (and only those); no-op without a path.

        Writes the blobs the folder does not hold yet (one pack), then the index (atomically), then removes the blobs it no
        longer names."""
        if self.path is None:
            return
        folder = self.blob_folder
        assert folder is not None
        blobs: dict[str, bytes] = {}

        def name_of(ref: bytes | str) -> str:
            if isinstance(ref, str):
                return ref
            name = _blob_name(ref)
            blobs[name] = ref
            return name

        files = {k: (digest, name_of(ref)) for k, (digest, ref) in self._new.items()}
        memo = {k: name_of(ref) for k, ref in self._new_memo.items()}
        chunks = {k: v for k, v in self._new_chunks.items() if k in self._new}
        try:
            held = set(os.listdir(folder))
        except OSError:
            held = set()
        folder.mkdir(parents=True, exist_ok=True)
        named = {n for _, n in files.values()} | set(memo.values())
        packs, needed = save_blobs(folder, named, blobs, self._where, held)
        atomic_write_bytes(self.path, marshal.dumps({"version": self.version, "generation": self.generation, "files": files, "chunks": chunks, "memo": memo,
                                                     "packs": packs}))  # fmt: skip
        self._where = packs
        stale = time.time() - STALE_TEMP_S
        for name in held - needed:
            with contextlib.suppress(OSError):
                if not name.startswith("."):
                    (folder / name).unlink()
                elif name.endswith(".tmp") and (folder / name).stat().st_mtime < stale:
                    (folder / name).unlink()  # a blob's temporary file left by a writer that crashed

    @property
    def blob_folder(self) -> Path | None:
        """The folder of the cache's content-addressed blobs (`<cache file>.d`)."""
        return self.path.with_name(self.path.name + ".d") if self.path is not None else None

    def _bytes(self, ref: bytes | str) -> bytes | None:
        """The bytes an entry holds: its own, or its blob's when the blob's bytes hash to its name (else None)."""
        if isinstance(ref, bytes):
            return ref
        folder = self.blob_folder
        if folder is None or not ref or "/" in ref or ref.startswith("."):
            return None
        where = self._where.get(ref)
        data = read_blob(folder, ref, where)
        if data is None and where is not None:  # a pack torn by a crash or edited: the next save writes this blob again
            self._where.pop(ref, None)
        elif data is None:  # a loose blob torn or edited: removed, so the next save writes it again
            with contextlib.suppress(OSError):
                (folder / ref).unlink()
        return data


STALE_TEMP_S = 3600.0
"""A blob's temporary file (`.<name>.<random>.tmp`) older than this was left by a writer that crashed; `save` removes it.
A younger one may belong to a writer at work."""


_blob_name = blob_name


def _loads_list(raw: bytes) -> list[Any] | None:
    try:
        docs = marshal.loads(raw)
    except (ValueError, EOFError, TypeError):
        return None
    return docs if isinstance(docs, list) else None
