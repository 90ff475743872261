"""Content-addressed blobs written as one pack file per save, so a re-sync's cache save creates one file, not hundreds.

Why: the document cache (`sources.doc_cache`) wrote each new blob as a file of its own: a re-sync of 10k
workloads with 1 % changed wrote 227 of them (8 MB), and creating, writing and renaming them took 0.4-0.6 s on a
loaded machine, much of it per file. A save now writes all its new blobs into one pack, itself named by the
hash of its bytes and written like a blob was (`_files.write_named_by_content`: renamed into place, unsynced);
the cache's index says where each blob lives (`Where`: pack, offset, length).

What stays as before: a blob is used only when its bytes hash to its name (`read_blob`), so a pack torn by a
crash, truncated or edited counts as not cached for the blobs it damaged; the index is written after the pack.
A pack lives while the index names a blob in it; one whose named blobs are under `COMPACT_BELOW` of its bytes
has them copied into the new pack and is then removed, so dead bytes stay a bounded share of the folder. Loose
blobs (a file per blob, written by the previous version of the cache) are still read and kept while named,
never written any more.

This module knows nothing of documents: it stores and finds bytes by name.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from opsgraph._files import write_named_by_content

Where = tuple[str, int, int]
"""Pack file name, offset and length of a blob inside it."""

PACK_PREFIX = "pack-"
COMPACT_BELOW = 0.25
"""A pack whose named blobs make up less than this share of its bytes is rewritten into the next save's pack."""


def blob_name(data: bytes) -> str:
    """The name of a blob: the hash of its bytes."""
    return hashlib.blake2b(data, digest_size=20).hexdigest()


def _safe(name: Any) -> bool:
    return isinstance(name, str) and bool(name) and "/" not in name and not name.startswith(".")


def valid_where(raw: Any) -> dict[str, Where]:
    """The `name -> Where` entries of an index that are well formed (anything else is dropped: those blobs read as missing)."""
    out: dict[str, Where] = {}
    if not isinstance(raw, dict):
        return out
    for name, w in raw.items():
        if (_safe(name) and isinstance(w, tuple) and len(w) == 3 and _safe(w[0]) and type(w[1]) is int and type(w[2]) is int
                and w[1] >= 0 and w[2] >= 0):  # fmt: skip
            out[name] = w
    return out


def read_blob(folder: Path, name: str, where: Where | None) -> bytes | None:
    """The bytes of blob `name` (in its pack when `where`, else its own file), or None when missing or not hashing to `name`."""
    if not _safe(name):
        return None
    try:
        if where is None:
            data = (folder / name).read_bytes()
        else:
            with (folder / where[0]).open("rb") as fh:
                fh.seek(where[1])
                data = fh.read(where[2])
    except OSError:
        return None
    return data if len(data) == (where[2] if where else len(data)) and blob_name(data) == name else None


def save_blobs(folder: Path, named: Iterable[str], new: dict[str, bytes], where: dict[str, Where], held: set[str]) -> tuple[dict[str, Where], set[str]]:
    """Make every blob in `named` findable: keep those a live pack or loose file already holds, pack the rest into one new file.

    `new`: bytes of blobs made since the load (by name); `where`: the loaded index's pack entries (minus those found bad);
    `held`: the folder's file names. Returns the new index's pack entries and the files it needs (everything else in the
    folder that is no temporary file may be removed). A named blob with no bytes anywhere is left out: it reads as missing."""
    names = set(named)
    live: dict[str, int] = {}
    for n in names:
        w = where.get(n)
        if w is not None and w[0] in held:
            live[w[0]] = live.get(w[0], 0) + w[2]
    compact: set[str] = set()
    for pack, used in live.items():
        try:
            size = (folder / pack).stat().st_size
        except OSError:
            continue
        if used < size * COMPACT_BELOW:
            compact.add(pack)
    out: dict[str, Where] = {}
    loose: set[str] = set()
    to_write: dict[str, bytes] = {}
    for n in sorted(names):
        w = where.get(n)
        if w is not None and w[0] in held and w[0] not in compact:
            out[n] = w
            continue
        if w is None and n in held:
            loose.add(n)
            continue
        data = new.get(n)
        if data is None and w is not None and w[0] in compact:
            data = read_blob(folder, n, w)
        if data is not None:
            to_write[n] = data
    if to_write:
        parts, offset = [], 0
        placed: dict[str, tuple[int, int]] = {}
        for n, data in to_write.items():
            parts.append(data)
            placed[n] = (offset, len(data))
            offset += len(data)
        body = b"".join(parts)
        pack = PACK_PREFIX + blob_name(body)
        write_named_by_content(folder, {pack: body})
        out.update({n: (pack, off, length) for n, (off, length) in placed.items()})
    return out, loose | {w[0] for w in out.values()}
