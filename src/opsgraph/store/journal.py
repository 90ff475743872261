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
- `{"kind": "undone", "seq": n}`: record n has been compensated;
- `{"kind": "bumped", "value": v}`: a batch of the block committed and set the data version to v;
- `{"kind": "meta", "key": k, "value": v}`: the block set meta key k to v (its schema).
A torn last line (a crash inside `append`) is ignored: its batch never committed.

Each undo record also says what its batch wrote (`wrote`: a hash per row, or null
for a row it deleted), so an undo changes a row back only while it still holds
exactly that: a row another process wrote since is newer and is left (last write
wins). Several processes share one journal folder on the server backend (the
workers of `opsgraph serve --workers N` and CLIs of one home): the process whose
block a journal belongs to holds an exclusive `flock` on the file until the block
ends, and the kernel drops it when that process dies. Recovery takes only the
journals it can lock (`claim`), so it never undoes a live block, and two processes
never undo the same one at once.

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

from opsgraph._files import fsync_dir, rename_into_place
from opsgraph._procs import pid_alive

try:
    import fcntl
except ImportError:  # not POSIX: one process per home there, nothing to lock against
    fcntl = None  # type: ignore[assignment]

_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")




class Journal:
    """One all-or-nothing block's journal file (append-only, fsynced per record)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.records = 0
        """Pre-image records appended by this process (0: the block wrote nothing)."""
        self.bumps: list[int] = []
        """Data versions the block's committed batches set, in order (from `bumped` lines; filled by `read`)."""
        self.meta: dict[str, str] = {}
        """Meta values the block set, by key (the last one; filled by `read`)."""
        self._fh: Any = None
        self._lock: int | None = None
        """An fd holding the exclusive `flock` that says a live process owns this journal."""

    # -- writing ---------------------------------------------------------------
    @classmethod
    def begin(cls, folder: Path, store: str, label: str, meta: dict[str, str | None]) -> Journal:
        """Create the file with its header (fsynced, and the folder entry too)."""
        folder.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + f"-{time.time_ns() % 1_000_000_000:09d}"
        path = folder / f"{_SAFE.sub('_', store)}.{_SAFE.sub('_', label)[:60]}-{stamp}.jsonl"
        # Written and locked under a name `pending` does not list, then renamed: no other process can take
        # (and undo) a journal in the instant between its creation and its lock.
        draft = path.with_name(path.name + ".new")
        journal = cls(draft)
        journal._fh = draft.open("x", encoding="utf-8")
        journal._lock = _locked(draft, blocking=True)
        journal._write({"kind": "begin", "label": label, "store": store, "started": time.time(), "meta": meta, "pid": os.getpid()})
        rename_into_place(draft, path)
        journal.path = path
        return journal

    def claim(self) -> bool:
        """Take this journal for recovery: False when a live process holds it (its block is running, or another
        process is undoing it) or it is gone. Held until `release` or `remove`."""
        if self._lock is not None:
            return True
        try:
            fd = _locked(self.path, blocking=False)
        except FileNotFoundError:
            return False
        if fd is None:
            return False
        try:
            same = os.fstat(fd).st_ino == self.path.stat().st_ino
        except FileNotFoundError:
            same = False
        if not same:  # its owner finished and removed it while we waited for the lock
            os.close(fd)
            return False
        self._lock = fd
        return True

    def claim_when_settled(self, timeout_s: float) -> bool:
        """`claim`, but when the journal's own process is dead (so the lock is another process's recovery of it),
        wait up to `timeout_s` for that recovery to end: a writer must not run on rows an undo is about to change.
        True: claimed (the recovery failed and left it, or nobody held it); False: gone, or a live block's."""
        if self.claim():
            return True
        try:
            header = next(_lines(self.path), {})
        except FileNotFoundError:
            return False
        pid = int(header.get("pid") or 0)
        if not pid or pid_alive(pid):
            return False  # a running block (or a journal from before pids were written): not ours to wait for
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            time.sleep(0.05)
            if not self.path.exists():
                return False
            if self.claim():
                return True
        return False

    def release(self) -> None:
        """Let go of the journal, keeping the file (an undo that failed: the next recovery takes it)."""
        self.close()
        if self._lock is not None:
            os.close(self._lock)  # closing the fd drops the flock
            self._lock = None

    def _write(self, entry: dict[str, Any], *, durable: bool = True) -> None:
        if self._fh is None:
            self._fh = self.path.open("a", encoding="utf-8")
        self._fh.write(json.dumps(entry, separators=(",", ":"), default=str) + "\n")
        self._fh.flush()
        if durable:
            os.fsync(self._fh.fileno())

    def append(self, op: str, **fields: Any) -> None:
        """Record one batch's pre-image; durable when this returns (call it before the batch commits)."""
        self.records += 1
        self._write({"kind": "undo", "seq": self.records, "op": op, **fields})

    def mark_undone(self, seq: int) -> None:
        self._write({"kind": "undone", "seq": seq})

    def bumped(self, value: int) -> None:
        """A batch of the block committed and set the data version to `value`. Not fsynced: a note lost in a crash
        only makes the undo move the version forward instead of back (`ArcadeDBStore._undo_meta`)."""
        self._write({"kind": "bumped", "value": value}, durable=False)

    def set_meta(self, key: str, value: str) -> None:
        """The block is about to set meta `key` to `value` (durable before it does)."""
        self._write({"kind": "meta", "key": key, "value": value})

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def remove(self) -> None:
        """The block is settled (committed, or fully undone): forget it."""
        self.close()
        self.path.unlink(missing_ok=True)  # still locked: a recovery waiting for the lock finds the file gone
        fsync_dir(self.path.parent)
        self.release()

    # -- reading ---------------------------------------------------------------
    def read(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The header and the records not yet undone, newest first."""
        header: dict[str, Any] = {}
        records: dict[int, dict[str, Any]] = {}
        undone: set[int] = set()
        self.bumps, self.meta = [], {}
        for line in _lines(self.path):
            kind = line.get("kind")
            if kind == "begin":
                header = line
            elif kind == "undo":
                records[int(line["seq"])] = line
            elif kind == "undone":
                undone.add(int(line["seq"]))
            elif kind == "bumped":
                self.bumps.append(int(line["value"]))
            elif kind == "meta":
                self.meta[str(line["key"])] = str(line["value"])
        self.records = max(records, default=0)
        return header, [records[s] for s in sorted(records, reverse=True) if s not in undone]

    @staticmethod
    def pending(folder: Path, store: str) -> list[Journal]:
        """Unfinished journals of `store` in `folder`, newest first."""
        if not folder.is_dir():
            return []
        prefix = f"{_SAFE.sub('_', store)}."
        found: list[tuple[int, Path]] = []
        for p in folder.glob("*.jsonl"):
            if p.name.startswith(prefix):
                try:
                    found.append((p.stat().st_mtime_ns, p))
                except FileNotFoundError:  # its block ended meanwhile (another process)
                    continue
        return [Journal(p) for _, p in sorted(found, key=lambda item: item[0], reverse=True)]


def _locked(path: Path, *, blocking: bool) -> int | None:
    """An fd of `path` holding an exclusive `flock`, or None when another open file holds it (not `blocking`)."""
    fd = os.open(path, os.O_RDONLY)
    if fcntl is None:
        return fd
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return fd


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        for raw in fh:
            if not raw.endswith("\n"):
                return  # torn final write: its batch never committed
            try:
                yield json.loads(raw)
            except json.JSONDecodeError:
                return
