"""Start, watch and stop a throw-away server process: the part `redis_stack.py` and `prometheus.py` share.

Each script knows its own server (binaries, arguments, readiness probe); this
module knows processes: a free local port, whether a pid still runs (reaping
our own finished child), waiting until a probe says ready (or the process
died, showing its log's tail), and stopping with a grace period before
SIGKILL. Standard library only: the scripts run before anything is installed.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["alive", "free_port", "stop_process", "wait_ready"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def alive(pid: int) -> bool:
    """Whether `pid` still runs; a finished child we started ourselves is reaped (else it stays a zombie)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        return True


def wait_ready(proc: subprocess.Popen[bytes], ready: Callable[[], bool], *, name: str, logfile: Path,
               timeout: float, interval: float = 0.1) -> float:
    """Poll `ready()` until it holds; seconds waited. `SystemExit` with the log's tail when the process exits first,
    or (after killing it) when `timeout` passes."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        if proc.poll() is not None:
            tail = logfile.read_text(errors="replace")[-2000:] if logfile.exists() else ""
            raise SystemExit(f"{name} exited with code {proc.returncode}:\n{tail}")
        try:
            if ready():
                return time.monotonic() - began
        except OSError:
            pass
        time.sleep(interval)
    proc.kill()
    raise SystemExit(f"{name} was not ready within {timeout:.0f} s (log: {logfile})")


def stop_process(pid: int, *, workdir: Path | None = None, timeout: float = 15.0, terminate: bool = True) -> None:
    """SIGTERM `pid` (unless `terminate` is False: the caller asked the server itself), wait up to `timeout`,
    SIGKILL what is left, then remove `workdir`."""
    if terminate and alive(pid):
        os.kill(pid, signal.SIGTERM)
    began = time.monotonic()
    while alive(pid) and time.monotonic() - began < timeout:
        time.sleep(0.05)
    if alive(pid):
        os.kill(pid, signal.SIGKILL)
    if workdir is not None:
        shutil.rmtree(workdir, ignore_errors=True)
