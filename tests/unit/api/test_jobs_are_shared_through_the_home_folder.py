"""Two runners on one jobs folder (as two worker processes of one home): each reads the other's jobs with their progress,
events and result, lists them all, refuses a kind pending in the other, and reports a job whose process is gone as failed."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from opsgraph.api import jobs as jobs_module
from opsgraph.api.errors import ApiError
from opsgraph.api.job_records import JobFolder, this_process
from opsgraph.api.jobs import Job, JobRunner


def _wait(runner: JobRunner, job_id: str, timeout: float = 10) -> Job:
    deadline = time.monotonic() + timeout
    while not (job := runner.get(job_id)).done:
        assert time.monotonic() < deadline, "job did not finish"
        time.sleep(0.01)
    return job


def test_another_runner_sees_progress_events_and_result(tmp_path: Path) -> None:
    a, b = JobRunner(threading.Lock(), tmp_path / "jobs"), JobRunner(threading.Lock(), tmp_path / "jobs")
    step, go_on = threading.Event(), threading.Event()

    def work(progress: Any) -> dict[str, int]:
        progress("nodes:Team", 2, 5)
        step.set()
        go_on.wait(5)
        progress("nodes:Team", 5, 5)
        return {"written": 5}

    job = a.submit("ingest", {"path": "/x"}, work)
    assert step.wait(5)
    seen = b.get(job.id)
    assert seen.state == "running" and seen.progress == {"nodes:Team": {"done": 2, "total": 5}} and seen.worker == job.worker
    assert [e["event"] for e in seen.events] == ["state", "state", "progress"]
    go_on.set()
    done = _wait(b, job.id)
    assert done.state == "succeeded" and done.result == {"written": 5} and done.progress["nodes:Team"]["done"] == 5
    assert done.to_dict() == a.get(job.id).to_dict() and done.events == a.get(job.id).events
    assert [j.id for j in b.list()] == [job.id] and b.counts()["succeeded"] == 1
    a.shutdown()
    b.shutdown()


def test_a_kind_pending_in_another_runner_is_refused_and_lists_merge(tmp_path: Path) -> None:
    a, b = JobRunner(threading.Lock(), tmp_path / "jobs"), JobRunner(threading.Lock(), tmp_path / "jobs")
    release = threading.Event()
    first = a.submit("ingest", {}, lambda progress: release.wait(5))
    with pytest.raises(ApiError) as refused:
        b.submit("ingest", {}, lambda progress: None)
    assert refused.value.status == 409 and first.id in refused.value.message
    other = b.submit("train", {}, lambda progress: {"version": "v0001"})
    _wait(a, other.id)
    assert {j.id for j in a.list()} == {j.id for j in b.list()} == {first.id, other.id}
    release.set()
    _wait(b, first.id)
    b.submit("ingest", {}, lambda progress: None)  # no longer pending anywhere
    a.shutdown()
    b.shutdown()


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_job_whose_process_died_is_failed_for_every_reader(tmp_path: Path) -> None:
    folder = JobFolder(tmp_path / "jobs")
    gone = {**this_process(), "pid": _dead_pid()}
    job = Job("ingest-0001-abcdef", "ingest", {"path": "/x"}, state="running", started="2026-01-01T00:00:00.000000Z",
              progress={"nodes": {"done": 1, "total": 9}}, worker=gone["pid"])
    folder.write(job.to_dict(), [{"event": "state", "data": {"job": job.id, "state": "running"}}], gone)
    runner = JobRunner(threading.Lock(), tmp_path / "jobs")
    seen = runner.get(job.id)
    assert seen.state == "failed" and seen.error is not None and seen.error["code"] == "worker_ended"
    assert str(gone["pid"]) in seen.error["message"] and seen.progress == {"nodes": {"done": 1, "total": 9}}
    assert seen.events[-1]["data"]["state"] == "failed"
    record = json.loads((tmp_path / "jobs" / f"{job.id}.json").read_text(encoding="utf-8"))
    assert record["job"]["state"] == "failed"  # judged once, recorded for every other reader
    runner.submit("ingest", {}, lambda progress: None)  # a dead job does not block its kind
    runner.shutdown()


def test_a_live_process_with_a_reused_pid_is_not_the_owner(tmp_path: Path) -> None:
    folder = JobFolder(tmp_path / "jobs")
    me = this_process()
    if me["start"] is None:
        pytest.skip("no /proc: process start times are unknown here")
    impostor = {**me, "start": me["start"] - 1}
    job = Job("train-0001-abcdef", "train", {}, state="queued", worker=me["pid"])
    folder.write(job.to_dict(), [], impostor)
    assert JobRunner(threading.Lock(), tmp_path / "jobs").get(job.id).state == "failed"


def test_old_finished_jobs_are_forgotten_and_odd_ids_name_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jobs_module, "_MAX_KEPT", 2)
    runner = JobRunner(threading.Lock(), tmp_path / "jobs")
    ids = []
    for _ in range(4):
        ids.append(runner.submit("ingest", {}, lambda progress: None).id)
        _wait(runner, ids[-1])
    kept = {p.stem for p in (tmp_path / "jobs").glob("*.json")}
    assert kept <= set(ids[-3:]) and ids[-1] in kept and len(kept) <= 3
    for odd in ("../serve", "ingest-0001-abcdef/../../x", ids[0]):
        with pytest.raises(ApiError) as missing:
            runner.get(odd)
        assert missing.value.status == 404
    runner.shutdown()


def test_a_queued_job_a_stopping_runner_will_not_run_is_recorded_failed(tmp_path: Path) -> None:
    a, b = JobRunner(threading.Lock(), tmp_path / "jobs"), JobRunner(threading.Lock(), tmp_path / "jobs")
    release = threading.Event()
    running = a.submit("ingest", {}, lambda progress: release.wait(5))
    queued = a.submit("train", {}, lambda progress: {"never": True})
    deadline = time.monotonic() + 5
    while running.state != "running":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    a.shutdown()
    release.set()
    assert _wait(b, running.id).state == "succeeded"
    stopped = b.get(queued.id)
    assert stopped.state == "failed" and stopped.error is not None and stopped.error["code"] == "server_stopped" and stopped.result is None


def test_progress_rewrites_the_record_at_most_every_half_second_but_keeps_every_event(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    writes: list[int] = []
    original = JobFolder.write

    def counting(self: JobFolder, job: dict[str, Any], events: list[dict[str, Any]], owner: Any) -> None:
        writes.append(len(events))
        original(self, job, events, owner)

    monkeypatch.setattr(JobFolder, "write", counting)
    clock = [1000.0]
    monkeypatch.setattr(jobs_module.time, "monotonic", lambda: clock[0])
    a, b = JobRunner(threading.Lock(), tmp_path / "jobs"), JobRunner(threading.Lock(), tmp_path / "jobs")

    def work(progress: Any) -> None:
        for done in range(1, 51):  # 50 steps, 0.15 s apart: every step is an event (>= 0.1 s apart)
            clock[0] += 0.15
            progress("nodes:Service", done, 50)

    job = a.submit("ingest", {}, work)
    finished = _wait(a, job.id)
    progress = [e for e in finished.events if e["event"] == "progress"]
    assert [e["data"]["done"] for e in progress] == list(range(1, 51))
    # created + running + the first step + one every 0.5 s (every 4th step at 0.15 s) + the last + succeeded
    assert len(writes) <= 3 + 50 * 0.15 / 0.5 + 2, writes
    assert len(b.get(job.id).events) == len(finished.events), "the last record holds every event"
