"""Long work (ingest, risk training) as jobs: run one at a time on a writer thread, polled or streamed.

A job records its state (`queued` ▸ `running` ▸ `succeeded` | `failed`),
its progress per task (`{"nodes:Service": {"done": 3, "total": 14}}`), its
result or error, and a list of events a client can follow from any index
(the HTTP API streams them as server-sent events). All writes of a server
run on the single writer thread, so they never interleave.
"""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from opsgraph.api.errors import ApiError, describe_error

ProgressFn = Callable[[str, int, int], None]
"""`progress(task, done, total)`."""

_MAX_KEPT = 100
"""Finished jobs kept for polling; older ones are forgotten."""


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Job:
    """One unit of long work and what is known about it."""

    id: str
    kind: str
    """`ingest` or `train`."""
    params: dict[str, Any]
    state: str = "queued"
    created: str = field(default_factory=_now)
    started: str | None = None
    finished: str | None = None
    progress: dict[str, dict[str, int]] = field(default_factory=dict)
    result: Any = None
    error: dict[str, Any] | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    """Every state change and progress step, in order (`{"event": ..., "data": ...}`)."""
    _last_emit: dict[str, float] = field(default_factory=dict, repr=False)

    @property
    def done(self) -> bool:
        return self.state in ("succeeded", "failed")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "params": self.params, "state": self.state, "created": self.created,
            "started": self.started, "finished": self.finished, "progress": self.progress, "result": self.result,
            "error": self.error,
        }


class JobRunner:
    """Runs jobs one at a time on a writer thread, holding `write_lock` while each runs."""

    def __init__(self, write_lock: threading.Lock) -> None:
        self.write_lock = write_lock
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._seq = itertools.count(1)

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="opsgraph-writer")
        return self._pool

    def submit(self, kind: str, params: dict[str, Any], work: Callable[[ProgressFn], Any]) -> Job:
        """Queue `work(progress)`; refuse a second job of the same kind while one is pending."""
        with self._lock:
            pending = next((j for j in self._jobs.values() if j.kind == kind and not j.done), None)
            if pending is not None:
                raise ApiError(409, "job_running", f"a {kind} job is already {pending.state}: follow it at /v1/jobs/{pending.id}",
                               {"job": pending.id})
            job = Job(f"{kind}-{next(self._seq):04d}-{uuid.uuid4().hex[:6]}", kind, params)
            self._jobs[job.id] = job
            self._emit(job, "state", {"state": job.state})
            self._forget_old()
        self._executor().submit(self._run, job, work)
        return job

    def get(self, job_id: str) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise ApiError(404, "job_not_found", f"no job {job_id!r} on this server (finished jobs are kept until {_MAX_KEPT} newer ones exist)")
        return job

    def list(self) -> list[Job]:
        with self._lock:
            return list(self._jobs.values())

    def counts(self) -> dict[str, int]:
        out = {"queued": 0, "running": 0, "succeeded": 0, "failed": 0}
        for j in self.list():
            out[j.state] += 1
        return out

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    # -- internals -----------------------------------------------------------------
    def _emit(self, job: Job, event: str, data: dict[str, Any]) -> None:
        job.events.append({"event": event, "data": {"job": job.id, **data}})

    def _forget_old(self) -> None:
        finished = [j for j in self._jobs.values() if j.done]
        for j in finished[: max(0, len(finished) - _MAX_KEPT)]:
            del self._jobs[j.id]

    def _progress(self, job: Job) -> ProgressFn:
        def progress(task: str, done: int, total: int) -> None:
            with self._lock:
                job.progress[task] = {"done": int(done), "total": int(total)}
                # At most ~10 events a second per task, but always the last step.
                now = time.monotonic()
                if done >= total or now - job._last_emit.get(task, 0.0) >= 0.1:
                    job._last_emit[task] = now
                    self._emit(job, "progress", {"task": task, "done": int(done), "total": int(total)})
        return progress

    def _run(self, job: Job, work: Callable[[ProgressFn], Any]) -> None:
        with self._lock:
            job.state, job.started = "running", _now()
            self._emit(job, "state", {"state": job.state})
        try:
            with self.write_lock:
                result = work(self._progress(job))
        except Exception as exc:  # reported on the job, never raised into the pool
            info = describe_error(exc)
            with self._lock:
                job.state, job.finished = "failed", _now()
                job.error = info.body()["error"]
                self._emit(job, "state", {"state": job.state, "error": job.error})
            if info.code == "internal":
                import logging

                logging.getLogger("opsgraph.api").exception("job %s failed", job.id)
            return
        with self._lock:
            job.state, job.finished, job.result = "succeeded", _now(), result
            self._emit(job, "state", {"state": job.state, "result": result})
