"""`opsgraph._procs`: one judgement of "does this process still run" for journals, the server's state file and job records."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from opsgraph._procs import pid_alive, process_state, start_ticks


def test_this_process_runs_and_has_a_start_time() -> None:
    assert pid_alive(os.getpid())
    assert process_state(os.getpid()) in {"R", "S"}
    assert isinstance(start_ticks(os.getpid()), int)


def test_a_zombie_does_not_run_and_a_reaped_child_is_gone() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 10
    while process_state(child.pid) != "Z" and time.monotonic() < deadline:
        time.sleep(0.02)
    assert process_state(child.pid) == "Z"  # exited, not reaped yet
    assert not pid_alive(child.pid)
    child.wait()
    assert not pid_alive(child.pid)
    assert process_state(child.pid) is None


def test_a_running_child_runs_and_no_pid_is_not_a_process() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert pid_alive(child.pid)
        assert start_ticks(child.pid) != start_ticks(os.getpid()) or child.pid != os.getpid()
    finally:
        child.kill()
        child.wait()
    assert not pid_alive(0)
    assert not pid_alive(-5)


def test_another_users_process_counts_as_the_caller_says(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(pid: int, sig: int) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "kill", refused)  # what a process of another user answers to signal 0
    assert pid_alive(424242, foreign=True)
    assert not pid_alive(424242, foreign=False)
