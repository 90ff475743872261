"""Run a test on each store backend: the embedded engine, or a fresh database on a real ArcadeDB server.

Importable as `server_backends` (tests/ is on pytest's pythonpath); the session's server itself is the
`arcadedb_server` fixture of tests/integration/conftest.py.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from opsgraph.app import OpsGraph, Settings
from opsgraph.store.server_process import ServerInfo


@contextlib.contextmanager
def backend_og(backend: str, home: Path, server: ServerInfo | None, **settings: Any) -> Iterator[OpsGraph]:
    """An opened facade on `backend`: the embedded store in `home`, or a fresh database on `server` (dropped afterwards)."""
    settings.setdefault("embed", {"provider": "none"})
    if backend == "embedded":
        with OpsGraph(Settings(home=home, **settings)) as graph:
            yield graph
        return
    assert server is not None
    database = f"t{uuid.uuid4().hex[:12]}"
    store = {"backend": "arcadedb-server", "url": server.url, "database": database, "password_file": server.password_file}
    try:
        with OpsGraph(Settings(home=home, store=store, **settings)) as graph:
            yield graph
    finally:
        password = Path(server.password_file).read_text(encoding="utf-8").strip()
        httpx.post(f"{server.url}/api/v1/server", json={"command": f"drop database {database}"}, auth=("root", password), timeout=60)


BACKENDS = ["embedded", "server"]
"""Parameters of a fixture that runs its tests on both backends."""
