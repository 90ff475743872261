"""Long work (ingest, risk training, investigations) as jobs: run one at a time on a writer thread, polled or streamed.

A job records its state (`queued` ▸ `running` ▸ `succeeded` | `failed`),
its progress per task (`{"nodes:Service": {"done": 3, "total": 14}}`), its
result or error, and a list of events a client can follow from any index
(the HTTP API streams them as server-sent events). All writes of a server
process run on its single writer thread, so they never interleave.

Given a folder (a served home's `jobs/`), every job is also kept there as a
record (`api/job_records.py`) that each worker process of `serve --workers N`
reads: any worker answers for any job, lists them all, refuses a second job of
a kind pending in another worker, and reports a job whose worker died as
failed. Without a folder, jobs live in this process only.
"""

from __future__ import annotations

import builtins
import contextlib
import itertools
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from opsgraph.api.errors import ApiError, describe_error
from opsgraph.api.job_records import JobFolder, Owner, owner_alive, this_process

_log = logging.getLogger("opsgraph.api")

ProgressFn = Callable[[str, int, int], None]
"""`progress(task, done, total)`."""

_MAX_KEPT = 100
"""Finished jobs kept for polling; older ones are forgotten."""
_RECORD_EVERY = 0.5
"""Seconds between two rewrites of a running job's record for progress alone (state changes are written at once)."""


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Job:
    """One unit of long work and what is known about it."""

    id: str
    kind: str
    """`ingest`, `train` or `investigation`."""
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
    worker: int | None = None
    """The pid of the process that runs it."""
    _last_emit: dict[str, float] = field(default_factory=dict, repr=False)
    _last_record: float = field(default=0.0, repr=False)
    """`time.monotonic()` of the last write of this job's record."""

    @property
    def done(self) -> bool:
        return self.state in ("succeeded", "failed")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "params": self.params, "state": self.state, "created": self.created,
            "started": self.started, "finished": self.finished, "progress": self.progress, "result": self.result,
            "error": self.error, "worker": self.worker,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Job:
        """The job a record (`JobFolder.read`) holds."""
        d = record["job"]
        return cls(id=d["id"], kind=d["kind"], params=d.get("params") or {}, state=d["state"], created=d["created"],
                   started=d.get("started"), finished=d.get("finished"), progress=d.get("progress") or {}, result=d.get("result"),
                   error=d.get("error"), events=list(record.get("events") or []), worker=d.get("worker"))


class JobRunner:
    """Runs jobs one at a time on a writer thread, holding `write_lock` while each runs; records them in `folder` if given."""

    def __init__(self, write_lock: threading.Lock, folder: Path | None = None) -> None:
        self.write_lock = write_lock
        self.records = JobFolder(folder) if folder is not None else None
        """Where every process of the home reads this runner's jobs (None: this process only)."""
        self._owner: Owner = this_process()
        self._jobs: dict[str, Job] = {}
        self._futures: dict[str, Future[None]] = {}
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._seq = itertools.count(1)

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="opsgraph-writer")
        return self._pool

    def submit(self, kind: str, params: dict[str, Any], work: Callable[[ProgressFn], Any]) -> Job:
        """Queue `work(progress)`; refuse a second job of the same kind while one is pending (here or in another worker)."""
        with self._lock, self._shared():
            pending = next((j for j in self._jobs.values() if j.kind == kind and not j.done), None)
            if pending is None and self.records is not None:
                pending = next((j for j in self._recorded() if j.kind == kind and not j.done and j.id not in self._jobs), None)
            if pending is not None:
                where = "" if pending.worker in (None, self._owner["pid"]) else f" in worker {pending.worker}"
                raise ApiError(409, "job_running", f"a {kind} job is already {pending.state}{where}: follow it at /v1/jobs/{pending.id}",
                               {"job": pending.id})
            job = Job(f"{kind}-{next(self._seq):04d}-{uuid.uuid4().hex[:6]}", kind, params, worker=self._owner["pid"])
            self._jobs[job.id] = job
            self._emit(job, "state", {"state": job.state})
            self._forget_old()
            self._futures[job.id] = self._executor().submit(self._run, job, work)
        return job

    def get(self, job_id: str) -> Job:
        """The job `job_id`, from this process or (with a folder) from any worker of the home; 404 when unknown."""
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None and self.records is not None:
            record = self.records.read(job_id)
            if record is not None:
                job = self._judged(record)
        if job is None:
            raise ApiError(404, "job_not_found", f"no job {job_id!r} on this server (finished jobs are kept until {_MAX_KEPT} newer ones exist)")
        return job

    def list(self) -> list[Job]:
        """Every job known here (with a folder: of every worker), oldest first."""
        with self._lock:
            own = dict(self._jobs)
        if self.records is None:
            return list(own.values())
        jobs = {j.id: j for j in self._recorded() if j.id not in own}
        jobs.update(own)
        return sorted(jobs.values(), key=lambda j: (j.created, j.id))

    def counts(self) -> dict[str, int]:
        out = {"queued": 0, "running": 0, "succeeded": 0, "failed": 0}
        for j in self.list():
            out[j.state] += 1
        return out

    def shutdown(self) -> None:
        """Stop taking work: queued jobs that never started are recorded as failed; a running one finishes."""
        with self._lock:
            for job_id, future in list(self._futures.items()):
                job = self._jobs.get(job_id)
                if job is not None and job.state == "queued" and future.cancel():
                    job.state, job.finished = "failed", _now()
                    job.error = {"code": "server_stopped", "message": "the server stopped before this job started: start it again"}
                    self._emit(job, "state", {"state": job.state, "error": job.error})
            self._futures.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    # -- internals -----------------------------------------------------------------
    @contextlib.contextmanager
    def _shared(self) -> Iterator[None]:
        if self.records is None:
            yield
        else:
            with self.records.locked():
                yield

    def _emit(self, job: Job, event: str, data: dict[str, Any], *, record: bool = True) -> None:
        """Append an event (the caller holds `_lock`) and, with `record`, rewrite the job's record (all events so far)."""
        job.events.append({"event": event, "data": {"job": job.id, **data}})
        if self.records is not None and record:
            job._last_record = time.monotonic()
            try:
                self.records.write(job.to_dict(), job.events, self._owner)
            except OSError as exc:  # the job goes on; only other workers miss this step
                _log.warning("job %s: its record in %s was not written: %s", job.id, self.records.folder, exc)

    def _recorded(self) -> builtins.list[Job]:
        records = self.records
        out: builtins.list[Job] = []
        if records is None:
            return out
        for job_id in records.ids():
            record = records.read(job_id)
            if record is not None:
                out.append(self._judged(record))
        return out

    def _judged(self, record: dict[str, Any]) -> Job:
        """The job of a record; one not finished whose worker is gone becomes failed (and is recorded so)."""
        job = Job.from_record(record)
        owner = record.get("owner") or {}
        records = self.records
        if records is None or job.done or owner == self._owner or owner_alive(owner):
            return job
        with records.locked():
            fresh = records.read(job.id)  # it may have finished (or been judged) meanwhile
            if fresh is None:
                return job
            job = Job.from_record(fresh)
            if job.done:
                return job
            job.state, job.finished = "failed", _now()
            job.error = {"code": "worker_ended",
                         "message": f"the worker process that ran this job (pid {owner.get('pid')}) ended before it finished: start the job again",
                         "details": [f"it was {record['job']['state']} when the worker ended"]}
            job.events.append({"event": "state", "data": {"job": job.id, "state": job.state, "error": job.error}})
            records.write(job.to_dict(), job.events, owner)
        return job

    def _forget_old(self) -> None:
        finished = [j for j in self._jobs.values() if j.done]
        for j in finished[: max(0, len(finished) - _MAX_KEPT)]:
            del self._jobs[j.id]
        if self.records is not None:
            done = sorted((j for j in self._recorded() if j.done), key=lambda j: (j.finished or "", j.id))
            for j in done[: max(0, len(done) - _MAX_KEPT)]:
                self.records.remove(j.id)
                self._jobs.pop(j.id, None)

    def _progress(self, job: Job) -> ProgressFn:
        def progress(task: str, done: int, total: int) -> None:
            with self._lock:
                job.progress[task] = {"done": int(done), "total": int(total)}
                # At most ~10 events a second per task, but always the last step.
                now = time.monotonic()
                if done >= total or now - job._last_emit.get(task, 0.0) >= 0.1:
                    first = task not in job._last_emit
                    job._last_emit[task] = now
                    # The record (read by the other workers) is rewritten whole, with an fsync: at a task's first and
                    # last step and at most every 0.5 s between, so a long job does not pay one rewrite per event.
                    record = first or done >= total or now - job._last_record >= _RECORD_EVERY
                    self._emit(job, "progress", {"task": task, "done": int(done), "total": int(total)}, record=record)
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
                self._futures.pop(job.id, None)
            if info.code == "internal":
                _log.exception("job %s failed", job.id)
            return
        with self._lock:
            job.state, job.finished, job.result = "succeeded", _now(), result
            self._emit(job, "state", {"state": job.state, "result": result})
            self._futures.pop(job.id, None)
