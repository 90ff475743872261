"""A real Prometheus and a real VictoriaMetrics holding the sample estate's telemetry, started by `scripts/prometheus.py`
once per session for the watch-loop tests."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "prometheus.py"


def _start(kind: str, work: Path) -> dict[str, Any]:
    done = subprocess.run([sys.executable, str(SCRIPT), "start", "--kind", kind, "--json", "--sample", "--dir", str(work)],
                          capture_output=True, text=True, timeout=1800, check=False)  # fmt: skip
    if done.returncode != 0:
        pytest.fail(f"scripts/prometheus.py could not start {kind}:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout))


def _served(kind: str, work: Path) -> Iterator[str]:
    info = _start(kind, work)
    try:
        yield str(info["url"])
    finally:
        subprocess.run([sys.executable, str(SCRIPT), "stop", "--pid", str(info["pid"]), "--dir", str(info["dir"])], timeout=60, check=False)


@pytest.fixture(scope="session")
def sample_prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Prometheus on 127.0.0.1 with the sample estate's 36 h of service telemetry (`estate_<feature>{service=...}`)."""
    yield from _served("prometheus", tmp_path_factory.mktemp("prometheus"))


@pytest.fixture(scope="session")
def sample_victoria(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """VictoriaMetrics with the same telemetry; it also takes new samples over HTTP (`/api/v1/import/prometheus`)."""
    yield from _served("victoria-metrics", tmp_path_factory.mktemp("victoria"))
