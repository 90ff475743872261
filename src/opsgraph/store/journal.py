"""The undo journal behind `ArcadeDBStore.atomic()`: pre-images on disk before each batch commits.

Why a file and not one engine transaction: an ingest interleaves DDL, reads of
its own writes and minutes of embedding work, and the engine keeps a whole
transaction in the heap; batches of 1,000 rows committed one by one keep
memory flat. To make the run all-or-nothing anyway, each batch first appends
what it is about to change (ids it creates, full old rows it replaces or
deletes, old telemetry buckets) to a JSON-lines file in the store's home and
fsyncs it; only then does the batch commit. Undo replays the records newest
first with compensating writes, marking each record done in the same file, so
an undo killed half-way is finished by the next `open()`.

Format, one JSON object per line:
- first line `{"kind": "begin", "label", "store", "started", "meta": {key: old value or null}}`;
- `{"kind": "undo", "seq": n, "op": ..., ...}`: one batch's pre-image (op-specific fields);
- `{"kind": "undone", "seq": n}`: record n has been compensated.
A torn last line (a crash inside `append`) is ignored: its batch never committed.

This module only reads and writes the file; it knows nothing of the engine.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Journal:
    """One all-or-nothing block's journal file (append-only, fsynced per record)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.records = 0
        """Pre-image records appended by this process (0: the block wrote nothing)."""
        self._fh: Any = None

    # -- writing ---------------------------------------------------------------
    @classmethod
    def begin(cls, folder: Path, store: str, label: str, meta: dict[str, str | None]) -> Journal:
        """Create the file with its header (fsynced, and the folder entry too)."""
        folder.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + f"-{time.time_ns() % 1_000_000_000:09d}"
        path = folder / f"{_SAFE.sub('_', store)}.{_SAFE.sub('_', label)[:60]}-{stamp}.jsonl"
        journal = cls(path)
        journal._fh = path.open("x", encoding="utf-8")
        journal._write({"kind": "begin", "label": label, "store": store, "started": time.time(), "meta": meta})
        _fsync_dir(folder)
        return journal

    def _write(self, entry: dict[str, Any]) -> None:
        if self._fh is None:
            self._fh = self.path.open("a", encoding="utf-8")
        self._fh.write(json.dumps(entry, separators=(",", ":"), default=str) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def append(self, op: str, **fields: Any) -> None:
        """Record one batch's pre-image; durable when this returns (call it before the batch commits)."""
        self.records += 1
        self._write({"kind": "undo", "seq": self.records, "op": op, **fields})

    def mark_undone(self, seq: int) -> None:
        self._write({"kind": "undone", "seq": seq})

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def remove(self) -> None:
        """The block is settled (committed, or fully undone): forget it."""
        self.close()
        self.path.unlink(missing_ok=True)
        _fsync_dir(self.path.parent)

    # -- reading ---------------------------------------------------------------
    def read(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The header and the records not yet undone, newest first."""
        header: dict[str, Any] = {}
        records: dict[int, dict[str, Any]] = {}
        undone: set[int] = set()
        for line in _lines(self.path):
            kind = line.get("kind")
            if kind == "begin":
                header = line
            elif kind == "undo":
                records[int(line["seq"])] = line
            elif kind == "undone":
                undone.add(int(line["seq"]))
        self.records = max(records, default=0)
        return header, [records[s] for s in sorted(records, reverse=True) if s not in undone]

    @staticmethod
    def pending(folder: Path, store: str) -> list[Journal]:
        """Unfinished journals of `store` in `folder`, newest first."""
        if not folder.is_dir():
            return []
        prefix = f"{_SAFE.sub('_', store)}."
        found = sorted((p for p in folder.glob("*.jsonl") if p.name.startswith(prefix)), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        return [Journal(p) for p in found]


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        for raw in fh:
            if not raw.endswith("\n"):
                return  # torn final write: its batch never committed
            try:
                yield json.loads(raw)
            except json.JSONDecodeError:
                return
