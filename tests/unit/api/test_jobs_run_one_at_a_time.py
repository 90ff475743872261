"""Jobs run one at a time on the writer thread, report progress and errors, and a second job of a kind waits its turn."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from opsgraph.api.errors import ApiError
from opsgraph.api.jobs import JobRunner
from opsgraph.errors import IngestError, Issue


def _wait(job: Any, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not job.done:
        assert time.monotonic() < deadline, "job did not finish"
        time.sleep(0.01)


def test_progress_result_and_events() -> None:
    runner = JobRunner(threading.Lock())

    def work(progress: Any) -> dict[str, int]:
        for i in range(1, 4):
            progress("nodes", i, 3)
        return {"written": 3}

    job = runner.submit("ingest", {"path": "/x"}, work)
    _wait(job)
    assert job.state == "succeeded" and job.result == {"written": 3}
    assert job.progress == {"nodes": {"done": 3, "total": 3}}
    kinds = [e["event"] for e in job.events]
    assert kinds[0] == "state" and kinds[-1] == "state" and "progress" in kinds
    assert job.events[-1]["data"]["state"] == "succeeded"
    runner.shutdown()


def test_failures_are_reported_with_their_code() -> None:
    runner = JobRunner(threading.Lock())

    def work(progress: Any) -> None:
        raise IngestError([Issue("nodes/a.csv", 2, "port", "not an integer")])

    job = runner.submit("ingest", {}, work)
    _wait(job)
    assert job.state == "failed" and job.error is not None
    assert job.error["code"] == "ingest_invalid" and job.error["details"] == ["nodes/a.csv:2 [port]: not an integer"]
    runner.shutdown()


def test_writes_never_overlap_and_a_pending_kind_is_refused() -> None:
    lock = threading.Lock()
    runner = JobRunner(lock)
    release = threading.Event()
    overlap: list[bool] = []

    def slow(progress: Any) -> None:
        overlap.append(not lock.acquire(blocking=False))  # the runner holds the write lock while a job runs
        release.wait(5)

    first = runner.submit("train", {}, slow)
    with pytest.raises(ApiError) as refused:
        runner.submit("train", {}, slow)
    assert refused.value.status == 409 and refused.value.code == "job_running" and first.id in refused.value.message
    second = runner.submit("ingest", {}, slow)  # another kind queues behind it
    time.sleep(0.1)
    assert second.state == "queued"
    release.set()
    _wait(first)
    _wait(second)
    assert overlap == [True, True]
    with pytest.raises(ApiError):
        runner.get("nope")
    runner.shutdown()
