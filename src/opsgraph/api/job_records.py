"""Job records every worker process of a home can read: one JSON file per job in `<home>/jobs/`, replaced atomically.

Why: `opsgraph serve --workers N` hands each connection to any of N processes, and
a job (ingest, training, an investigation) runs in the one that accepted it. Its
state, progress, events and result must answer `GET /v1/jobs/{id}` from every
worker, be listed by all of them, and outlive the worker.

How: the worker running a job rewrites `<id>.json` (the job, its events, and its
owner: host, pid, process start time) with `atomic_write_text` at each state change
and each emitted progress step, so a reader sees one complete version or the next.
Readers parse it (cached by modification time and size). A job not finished whose
owner process is gone (on this host: no such pid, a zombie, or a pid reused by a
process started at another time) is reported failed (`worker_ended`) and its file
rewritten so. Starting a job and forgetting old ones hold an exclusive `flock` on
`<folder>/.lock`, so two workers do not both start an ingest.

What it must not do: hold the folder lock while a job runs, or judge the owner of a
record written on another host (a home shared over a network file system): such a
record is taken as it is.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from opsgraph._files import atomic_write_text
from opsgraph._procs import pid_alive, start_ticks

try:
    import fcntl
except ImportError:  # not POSIX: one process per home there, nothing to lock against
    fcntl = None  # type: ignore[assignment]

__all__ = ["JOB_ID", "JobFolder", "Owner", "this_process"]

RECORD_FORMAT = 1
JOB_ID = re.compile(r"^[a-z][a-z_]*-\d{4,}-[0-9a-f]{6}$")
"""A job id as `JobRunner` makes them (`ingest-0001-3fa2c1`); anything else names no file."""
_SUFFIX = ".json"

Owner = dict[str, Any]
"""`{"host": ..., "pid": ..., "start": ...}`: the process that runs a job (start: clock ticks after boot, Linux)."""


def this_process() -> Owner:
    """The owner record of the calling process."""
    pid = os.getpid()
    return {"host": socket.gethostname(), "pid": pid, "start": start_ticks(pid)}


def owner_alive(owner: Owner) -> bool:
    """False when the process that ran a job is known to be gone; True when it lives or cannot be judged (another host)."""
    if owner.get("host") != socket.gethostname():
        return True
    pid = owner.get("pid")
    if not isinstance(pid, int) or not pid_alive(pid, foreign=False):  # another user's process holds a reused pid
        return False
    started = owner.get("start")
    return started is None or start_ticks(pid) in (None, started)


class JobFolder:
    """The records of one home's jobs. No I/O in the constructor."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._cache: dict[str, tuple[tuple[int, int], dict[str, Any]]] = {}
        self._held = threading.local()

    def path(self, job_id: str) -> Path | None:
        """The record file of `job_id`, or None when the id is not one a runner makes (so no path can escape the folder)."""
        return self.folder / f"{job_id}{_SUFFIX}" if JOB_ID.fullmatch(job_id) else None

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the folder's exclusive lock (every process and thread of the home shares it; re-entered by its holder)."""
        depth = getattr(self._held, "depth", 0)
        if depth or fcntl is None:
            self._held.depth = depth + 1
            try:
                yield
            finally:
                self._held.depth = depth
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.folder / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            self._held.depth = 1
            yield
        finally:
            self._held.depth = 0
            os.close(fd)  # closing releases the lock

    def write(self, job: dict[str, Any], events: list[dict[str, Any]], owner: Owner) -> None:
        """Replace the record of `job` (a `Job.to_dict()`) atomically."""
        path = self.path(job["id"])
        if path is None:
            raise ValueError(f"not a job id: {job['id']!r}")
        record = {"format": RECORD_FORMAT, "job": job, "events": events, "owner": owner}
        atomic_write_text(path, json.dumps(record, default=str, separators=(",", ":")))

    def read(self, job_id: str) -> dict[str, Any] | None:
        """The record of `job_id` (`{"job", "events", "owner"}`), or None when there is none (or it is unreadable)."""
        path = self.path(job_id)
        if path is None:
            return None
        try:
            st = path.stat()
            key = (st.st_mtime_ns, st.st_size)
            cached = self._cache.get(job_id)
            if cached is not None and cached[0] == key:
                return cached[1]
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self._cache.pop(job_id, None)
            return None
        if not isinstance(record, dict) or record.get("format") != RECORD_FORMAT or not isinstance(record.get("job"), dict):
            return None
        self._cache[job_id] = (key, record)
        return record

    def ids(self) -> list[str]:
        """Ids of every record in the folder."""
        try:
            names = [p.name for p in self.folder.iterdir()]
        except FileNotFoundError:
            return []
        return [n[: -len(_SUFFIX)] for n in names if n.endswith(_SUFFIX) and JOB_ID.fullmatch(n[: -len(_SUFFIX)])]

    def remove(self, job_id: str) -> None:
        path = self.path(job_id)
        self._cache.pop(job_id, None)
        if path is not None:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
