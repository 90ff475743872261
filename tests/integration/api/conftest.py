"""Fixtures for the HTTP API, MCP server and web page tests.

One home is prepared per test session (the sample estate with its last 480
telemetry steps, documents embedded with the model-free hashing embedder,
a 3-epoch risk model) and copied for each user: the embedded store allows
one process per home, and copying a folder is much faster than ingesting
and training again. No language model (`llm: none`): answers are
extractive, with citations, which is what these tests check.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from opsgraph.app import OpsGraph, Settings, sample_estate_path

TELEMETRY_STEPS = 480
SETTINGS: dict[str, Any] = {
    "embed": {"provider": "hashing"},
    "llm": {"provider": "none"},
    "risk": {"config": {"epochs": 3, "patience": 2}},
    "store": {"heap": "1g"},
}
CONFIG_YAML = "embed: {provider: hashing}\nllm: {provider: none}\nrisk: {config: {epochs: 3, patience: 2}}\nstore: {heap: 1g}\n"
OPSGRAPH = Path(sys.executable).parent / "opsgraph"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
"""Debian's Chromium (from `scripts/setup_browser.sh`, run by `make test`; Playwright's own download cannot work on this
closed network), with the flags this machine needs: no sandbox (root), no background networking (refused here)."""
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
"""Screenshots of the browser tests (git-ignored)."""


@dataclass(frozen=True)
class Base:
    home: Path
    """A closed home with the sample estate, documents and a trained risk model."""
    estate: Path
    """The estate folder it was ingested from."""


def api_settings(home: Path, **overrides: Any) -> Settings:
    return Settings(home=home, **{**SETTINGS, **overrides})


def copy_home(base: Base, dst: Path) -> Path:
    shutil.copytree(base.home, dst)
    (dst / "opsgraph.yaml").write_text(CONFIG_YAML, encoding="utf-8")
    return dst


def subprocess_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSGRAPH_")}
    env.update(OPSGRAPH_CONFIG=str(home / "opsgraph.yaml"), OPSGRAPH_EMBEDDER="hashing", OPSGRAPH_LLM="none", OMP_NUM_THREADS="1")
    return env


@pytest.fixture(scope="session")
def api_base(tmp_path_factory: pytest.TempPathFactory) -> Base:
    root = tmp_path_factory.mktemp("api-base")
    estate = root / "estate"
    shutil.copytree(sample_estate_path(), estate)
    telemetry = estate / "telemetry" / "services.csv"
    header, *rows = telemetry.read_text(encoding="utf-8").splitlines()
    services = 14
    telemetry.write_text("\n".join([header, *rows[-TELEMETRY_STEPS * services :]]) + "\n", encoding="utf-8")
    home = root / "home"
    with OpsGraph(api_settings(home)) as og:
        og.ingest(estate)
        og.risk.train()
    return Base(home, estate)


@contextmanager
def served_client(home: Path, *, token: str | None = None, mcp: bool = False, **served: Any) -> Iterator[tuple[Any, OpsGraph]]:
    """A TestClient over an app on an opened facade of `home` (lifespan run)."""
    from fastapi.testclient import TestClient

    from opsgraph.api.http.app import create_app
    from opsgraph.api.mcp.server import build_mcp_server
    from opsgraph.api.service import Served

    with OpsGraph(api_settings(home)) as og:
        s = Served(og, **served)
        app = create_app(s, token=token, mcp_server=build_mcp_server(lambda: s) if mcp else None,
                         mcp_hosts=["testserver"] if mcp else None)
        with TestClient(app, raise_server_exceptions=False) as client:
            yield client, og


@dataclass
class LiveServer:
    url: str
    home: Path
    proc: subprocess.Popen[str]
    stderr: Path


@pytest.fixture(scope="session")
def live_server(api_base: Base, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """`opsgraph serve --port 0` in a subprocess on a copy of the prepared home; stopped with SIGTERM at the end."""
    root = tmp_path_factory.mktemp("live")
    home = copy_home(api_base, root / "home")
    with serve_process(home, root) as server:
        yield server


@contextmanager
def serve_process(home: Path, root: Path, *args: str) -> Iterator[LiveServer]:
    """`opsgraph serve --port 0 [args]` on `home` in a subprocess until the block ends (then SIGTERM, and a clean exit is checked)."""
    err = root / "serve.stderr"
    with err.open("w") as err_file:
        proc = subprocess.Popen([str(OPSGRAPH), "serve", "--home", str(home), "--port", "0", *args], stdout=subprocess.PIPE,
                                stderr=err_file, text=True, env=subprocess_env(home))
    reader: list[threading.Thread] = []
    try:
        url = _read_url(proc, err, timeout=90, threads=reader)
        _wait_ready(url, proc, err, timeout=90)
        yield LiveServer(url, home, proc, err)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        for t in reader:
            t.join(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
    assert proc.returncode == 0, f"serve exited with {proc.returncode}: {err.read_text()[-2000:]}"
    assert not (home / "serve.json").exists(), "serve.json must be removed when the server stops"


def _read_url(proc: subprocess.Popen[str], err: Path, timeout: float, threads: list[threading.Thread]) -> str:
    found: dict[str, str] = {}

    def reader() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            m = re.search(r" at (http://\S+)", line)
            if m and "url" not in found:
                found["url"] = m.group(1)

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    threads.append(thread)
    deadline = time.monotonic() + timeout
    while "url" not in found:
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"opsgraph serve did not print its URL (exit {proc.poll()}): {err.read_text()[-3000:]}")
        time.sleep(0.1)
    return found["url"]


def _wait_ready(url: str, proc: subprocess.Popen[str], err: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"opsgraph serve exited ({proc.returncode}): {err.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=10) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"opsgraph serve at {url} was not ready in {timeout} s")


@dataclass(frozen=True)
class ApiTools:
    """Helpers for tests (test modules cannot import this conftest by name)."""

    base: Base
    tmp: pytest.TempPathFactory

    def home(self, name: str = "home") -> Path:
        """A fresh copy of the prepared home."""
        return copy_home(self.base, self.tmp.mktemp(name) / "home")

    def client(self, home: Path, **kwargs: Any) -> Any:
        return served_client(home, **kwargs)

    def settings(self, home: Path, **overrides: Any) -> Settings:
        return api_settings(home, **overrides)

    def env(self, home: Path) -> dict[str, str]:
        return subprocess_env(home)

    def serve(self, home: Path, root: Path, *args: str) -> Any:
        """A context manager: `opsgraph serve` on `home` in a subprocess (a `LiveServer`)."""
        return serve_process(home, root, *args)


@pytest.fixture(scope="session")
def api(api_base: Base, tmp_path_factory: pytest.TempPathFactory) -> ApiTools:
    return ApiTools(api_base, tmp_path_factory)


@dataclass(frozen=True)
class BrowserPage:
    page: Any
    """A Playwright page in a fresh headless Chromium profile, 1400 × 900."""
    artifacts: Path
    """Where screenshots go."""


@pytest.fixture
def browser_page() -> Iterator[BrowserPage]:
    """One page in real headless Chromium; the browser is closed afterwards and no page error may have happened."""
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is missing: run scripts/setup_browser.sh (make test does)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.on("pageerror", lambda e: errors.append(str(e)))
            yield BrowserPage(page, ARTIFACTS)
        finally:
            browser.close()
    assert not errors, errors
