"""Whether a process still runs, judged one way everywhere (a leaf module, no opsgraph imports).

Three places ask it: a write journal (is the process that owns it gone, so its
block may be undone?), the ArcadeDB server's state file (does the recorded
server still run?) and a job record (did the process that ran the job die?).
Each used to carry its own copy; they differed in whether a zombie (exited,
not yet reaped by its parent) counts as running. Here it never does.

`pid_alive(pid, foreign=...)` decides what a process of another user holding
the pid means: `True` (it may be ours under another uid: do not undo its work)
or `False` (a job record's pid was reused by someone else: not our job any
more). `start_ticks` tells a reused pid from the original process on Linux.
"""

from __future__ import annotations

import os

__all__ = ["pid_alive", "process_state", "start_ticks"]


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name, or None where it cannot be read."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as fh:
            return fh.read().rsplit(") ", 1)[1].split()
    except (OSError, IndexError):
        return None


def process_state(pid: int) -> str | None:
    """The one-letter state of process `pid` ('R', 'S', 'Z', ...), or None where /proc does not say."""
    fields = _stat_fields(pid)
    return fields[0] if fields else None


def start_ticks(pid: int) -> int | None:
    """When process `pid` started (clock ticks after boot: field 22 of /proc/<pid>/stat), or None where /proc is missing."""
    fields = _stat_fields(pid)
    return int(fields[19]) if fields and len(fields) > 19 else None


def pid_alive(pid: int, *, foreign: bool = True) -> bool:
    """Whether process `pid` runs; a zombie does not. `foreign`: the answer when the pid belongs to another user."""
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return foreign
    return process_state(pid) != "Z"
