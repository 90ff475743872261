"""Shared fixtures: temporary estates and real embedded stores."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from helpers import SMALL_SCHEMA, write
from opsgraph.app import sample_estate_path

pytest_plugins = ["memory_report"]  # prints the resident memory each test module kept, at the end of a run


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the `training` tests first, in their collected order, while the process is still small.

    A whole run is one process, and every module leaves some memory behind (an engine heap that grew, imported
    libraries, allocator arenas: ~1.5 GB by the end). Training a language model needs ~2.3 GB on top of what the
    process holds, so run late it made the run's peak (4.0 GB); run first it adds to the process's smallest size.
    """
    items.sort(key=lambda item: item.get_closest_marker("training") is None)  # stable: the rest keep their order


@pytest.fixture(autouse=True)
def _no_embedder_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """CLI runs in tests skip documents unless a test asks for them (loading the model takes seconds)."""
    monkeypatch.setenv("OPSGRAPH_EMBEDDER", "none")


@pytest.fixture
def sample_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped sample estate."""
    dst = tmp_path / "estate"
    shutil.copytree(sample_estate_path(), dst)
    return dst


@pytest.fixture
def small_estate(tmp_path: Path) -> Path:
    """A tiny estate in every file format."""
    root = tmp_path / "small"
    write(root / "schema.yaml", SMALL_SCHEMA)
    write(root / "nodes" / "Service.csv", "id,name,tier,port,healthy,tags\napi,API,critical,8080,true,edge;public\ndb-proxy,DB Proxy,high,5432,false,\nworker,Worker,low,,,batch\n")
    write(root / "nodes" / "teams.yaml", "- {type: Team, id: core, name: Core}\n- {type: Team, id: data, name: Data}\n")
    write(root / "edges" / "DEPENDS_ON.json", '[{"from": "api", "to": "db-proxy", "critical": true}, {"from": "worker", "to": "db-proxy"}]\n')
    write(root / "edges" / "OWNS.yaml", "- {from: core, to: api}\n- {from: data, to: db-proxy}\n- {from: data, to: worker}\n")
    lines = ["timestamp,node,cpu,latency,label"]
    for i in range(10):
        lines.append(f"2026-01-01T00:{i:02d}:00Z,api,{0.1 * i:.2f},{20 + i},{1 if i > 7 else 0}")
        lines.append(f"2026-01-01T00:{i:02d}:00Z,worker,{0.2 * i:.2f},,")
    write(root / "telemetry" / "metrics.csv", "\n".join(lines) + "\n")
    return root


# The embedded engine's JVM, llama.cpp and torch each install native state; tearing all
# three down at interpreter exit sometimes crashes (seen once in CI: every test passed, then
# "Segmentation fault", exit 139). Fixtures have stopped their servers and closed their stores
# by the time pytest unconfigures, so leave then, with pytest's own exit status.
_EXIT_STATUS: list[int] = []


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _EXIT_STATUS.append(int(exitstatus))


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    if _EXIT_STATUS and not hasattr(config, "workerinput"):
        import os
        import sys

        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_EXIT_STATUS[-1])
