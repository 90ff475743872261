"""A pytest plugin: how much resident memory each test module leaves behind, printed at the end of a run.

A whole run is one process, so memory a module keeps (an engine heap that grew, a model held in a
cache, a torch allocator that does not give back) adds up; per-module growth of the resident set
(`VmRSS`, Linux; nothing is printed elsewhere) names the modules to look at, like `--durations`
names the slow ones. The figure is taken after the module's own fixtures are torn down.

It also prints the highest resident set reached *during* each module (`VmHWM`, reset before every
module through `/proc/self/clear_refs`), so the run's peak memory and the module that reached it are
on record in every CI log (issue 13's "under 4 GB" goal). Child processes a test starts are not in it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")
_GROWTH: dict[str, tuple[int, int]] = {}
"""Module node id → (resident KiB before, after)."""
_PEAK: dict[str, int] = {}
"""Module node id → highest resident KiB while the module ran."""


def _status_kib(field: str) -> int | None:
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def resident_kib() -> int | None:
    """This process's resident set now, in KiB (None where /proc is not there)."""
    return _status_kib("VmRSS:")


def _reset_peak() -> bool:
    """Start a new high-water mark (Linux: writing 5 to clear_refs resets VmHWM); False where that is not possible."""
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


@pytest.fixture(autouse=True, scope="module")
def _resident_growth(request: pytest.FixtureRequest) -> Iterator[None]:
    """Set up before and torn down after the module's other fixtures: the growth is what the module kept."""
    before = resident_kib()
    peak_known = _reset_peak()
    yield
    peak = _status_kib("VmHWM:") if peak_known else None
    after = resident_kib()
    if before is not None and after is not None:
        _GROWTH[request.node.nodeid] = (before, after)
    if peak is not None:
        _PEAK[request.node.nodeid] = peak


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _PEAK:
        top = sorted(_PEAK.items(), key=lambda kv: -kv[1])[:5]
        terminalreporter.write_sep("=", f"peak resident memory of this process: {top[0][1] / 1024:.0f} MiB in {top[0][0]} (largest 5)")
        for node, peak in top:
            terminalreporter.write_line(f"{peak / 1024:8.0f} MiB  {node}")
    if not _GROWTH:
        return
    peak = max(after for _, after in _GROWTH.values())
    terminalreporter.write_sep("=", f"resident memory kept per module (largest 10; highest after a module {peak / 1024:.0f} MiB)")
    for node, (before, after) in sorted(_GROWTH.items(), key=lambda kv: kv[1][0] - kv[1][1])[:10]:
        terminalreporter.write_line(f"{(after - before) / 1024:+8.0f} MiB  -> {after / 1024:6.0f} MiB  {node}")
