"""Parsed YAML documents kept between syncs, so a re-sync parses only the files that changed.

Parsing is most of a reader's time on a large manifest folder (10k workloads: seconds), and
between two syncs most files are byte for byte the same. `DocumentCache` keeps, per file (its
resolved path), the blake2b hash of its bytes and its documents as `marshal` bytes; a file
whose bytes hash the same is served from there, any other is parsed as before (and its errors
raised as before: only files that parsed cleanly are ever cached).

What it must never do is change a result or fail a sync:
- the cache file carries a version (this module's `FORMAT`, the opsgraph, PyYAML and loader
  versions, the marshal and Python versions): from another version it is ignored and rebuilt;
- a missing, unreadable or corrupted cache file is ignored (every file is parsed);
- documents `marshal` cannot hold (a YAML timestamp becomes a `datetime`) leave that file out;
- documents are stored as bytes as soon as they are parsed, so a reader that mutates what it
  was given cannot change what the next sync reads; a hit returns fresh objects each time.
`save()` keeps only the files read since `load()` (a removed file leaves the cache) and writes
atomically (`opsgraph._files`); callers save only after the sync's writes committed.

This module does no store work and reads no settings: the caller says where the file lives.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import marshal
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from opsgraph._files import atomic_write_bytes

FORMAT = 1
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
    _old: dict[str, tuple[str, bytes]] = field(default_factory=dict, repr=False)
    _new: dict[str, tuple[str, bytes]] = field(default_factory=dict, repr=False)

    def load(self) -> DocumentCache:
        """Read the cache file; anything wrong with it is recorded in `ignored`, never raised."""
        self._old, self._new, self.parsed, self.reused, self.ignored = {}, {}, [], [], ""
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
            if isinstance(key, str) and isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[0], str) and isinstance(entry[1], bytes):
                self._old[key] = entry
        return self

    def documents(self, file: Path, data: bytes, parse: Any) -> Documents:
        """The documents of `file` whose bytes are `data`: cached when they hash the same, else `parse()` (then kept)."""
        key = str(file.resolve())
        digest = hashlib.blake2b(data, digest_size=16).hexdigest()
        hit = self._old.get(key) or self._new.get(key)
        if hit is not None and hit[0] == digest:
            try:
                docs = marshal.loads(hit[1])
            except (ValueError, EOFError, TypeError):
                docs = None
            if isinstance(docs, list):
                self._new[key] = hit
                self.reused.append(key)
                return docs
        docs = list(parse())
        self.parsed.append(key)
        try:
            self._new[key] = (digest, marshal.dumps(docs))
        except ValueError:  # a value marshal cannot hold (a YAML timestamp): this file is parsed every time
            self._new.pop(key, None)
        return docs

    def save(self) -> None:
        """Write the files read since `load()` (and only those) atomically; no-op without a path."""
        if self.path is None:
            return
        atomic_write_bytes(self.path, marshal.dumps({"version": self.version, "files": dict(self._new)}))
