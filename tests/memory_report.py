"""A pytest plugin: how much resident memory each test module leaves behind, printed at the end of a run.

A whole run is one process, so memory a module keeps (an engine heap that grew, a model held in a
cache, a torch allocator that does not give back) adds up; per-module growth of the resident set
(`VmRSS`, Linux; nothing is printed elsewhere) names the modules to look at, like `--durations`
names the slow ones. The figure is taken after the module's own fixtures are torn down.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

_STATUS = Path("/proc/self/status")
_GROWTH: dict[str, tuple[int, int]] = {}
"""Module node id → (resident KiB before, after)."""


def resident_kib() -> int | None:
    """This process's resident set now, in KiB (None where /proc is not there)."""
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


@pytest.fixture(autouse=True, scope="module")
def _resident_growth(request: pytest.FixtureRequest) -> Iterator[None]:
    """Set up before and torn down after the module's other fixtures: the growth is what the module kept."""
    before = resident_kib()
    yield
    after = resident_kib()
    if before is not None and after is not None:
        _GROWTH[request.node.nodeid] = (before, after)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _GROWTH:
        return
    peak = max(after for _, after in _GROWTH.values())
    terminalreporter.write_sep("=", f"resident memory kept per module (largest 10; highest after a module {peak / 1024:.0f} MiB)")
    for node, (before, after) in sorted(_GROWTH.items(), key=lambda kv: kv[1][0] - kv[1][1])[:10]:
        terminalreporter.write_line(f"{(after - before) / 1024:+8.0f} MiB  -> {after / 1024:6.0f} MiB  {node}")
