"""`opsgraph server start|status|stop` runs a real ArcadeDB server for a home, and `opsgraph migrate` moves the
home's whole store into it and back, verified by counts and row hashes on both sides."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from opsgraph.app import OpsGraph, Settings, load_settings
from opsgraph.app.server import migrate, server_store_settings, table_digest
from opsgraph.errors import ConfigError, StoreError

OPSGRAPH = [sys.executable, "-m", "opsgraph.cli.main"]


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSGRAPH_")}
    src = str(Path(__file__).resolve().parents[3] / "src")
    env.update(OPSGRAPH_HOME=str(home), OPSGRAPH_EMBEDDER="none", OPSGRAPH_LLM="none", OMP_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join([src, env.get("PYTHONPATH", "")]), **extra)
    return env


def run(home: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*OPSGRAPH, *args], capture_output=True, text=True, env=_env(home, **extra), timeout=300, cwd=home.parent)


def digests(settings: Settings) -> dict[str, tuple[int, str]]:
    """Every type's (rows, hash) in the home's embedded store."""
    with OpsGraph(settings) as og:
        live = og.store._live_types()  # type: ignore[attr-defined]
        return {name: table_digest(og.store, name, info["kind"]) for name, info in live.items()}


def test_server_command_runs_a_server_and_a_store_moves_to_it_and_back(tmp_path: Path, small_estate: Path) -> None:
    home = tmp_path / "home"
    with OpsGraph(Settings(home=home, embed={"provider": "none"})) as og:
        og.ingest(small_estate, documents=False)
        services = og.query("MATCH (s:Service) RETURN count(s) AS c").rows[0]["c"]
    original = digests(Settings(home=home, embed={"provider": "none"}))

    started = run(home, "server", "start", "--json")
    assert started.returncode == 0, started.stderr
    info = json.loads(started.stdout)
    try:
        password_file = Path(info["password_file"])
        assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
        assert info["url"].startswith("http://127.0.0.1:")
        assert password_file.read_text() not in started.stdout + started.stderr

        moved = run(home, "migrate", "--to", "server", "--json")
        assert moved.returncode == 0, moved.stderr
        report = json.loads(moved.stdout)
        assert report["verified"] and report["moved"]["Service"] == services
        assert report["moved"]["DEPENDS_ON"] == 2 and report["moved"]["OpsgraphTelemetry"] == 2 and report["moved"]["OpsgraphMeta"] >= 2
        assert report["moved"]["OpsgraphClaim"] > 0  # the hidden records (provenance) move too

        status = run(home, "server", "status", "--json")
        assert status.returncode == 0, status.stderr
        state = json.loads(status.stdout)
        assert state["pid"] == info["pid"] and state["answering"] and "opsgraph" in state["databases"]

        # The same home on the server backend finds the server by itself (its state file, its password file).
        server_settings = Settings(home=home, store={"backend": "arcadedb-server"}, embed={"provider": "none"})
        with OpsGraph(server_settings) as og:
            assert og.query("MATCH (s:Service) RETURN count(s) AS c").rows[0]["c"] == services
            assert og.store.transport.last_server == info["url"]  # type: ignore[attr-defined]

        # A second move into a filled target is refused; a copy back into another home is verified.
        with pytest.raises(StoreError, match="already holds data"):
            migrate(load_settings(home=home), to="server")
        other = Settings(home=tmp_path / "other", store={"url": info["url"], "password_file": password_file}, embed={"provider": "none"})
        back = migrate(other, to="embedded")
        assert back.verified and back.moved["Service"] == services
        assert digests(other) == original  # the round trip changed nothing, row for row
    finally:
        stopped = run(home, "server", "stop")
    assert stopped.returncode == 0 and "stopped the server" in stopped.stdout, stopped.stderr
    after = run(home, "server", "status")
    assert after.returncode == 3 and "no server is running" in after.stdout
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{info['url']}/api/v1/ready", timeout=2)


def test_credentials_never_come_from_the_config_file_in_clear(tmp_path: Path) -> None:
    (tmp_path / "opsgraph.yaml").write_text("store:\n  backend: arcadedb-server\n  url: http://127.0.0.1:1\n  password: hunter2\n")
    with pytest.raises(ConfigError, match=r"never read from opsgraph\.yaml"):
        load_settings(home=tmp_path, config_file=tmp_path / "opsgraph.yaml")
    loose = tmp_path / "pw"
    loose.write_text("hunter2")
    loose.chmod(0o644)
    settings = Settings(home=tmp_path, store={"backend": "arcadedb-server", "url": "http://127.0.0.1:1", "password_file": loose})
    with pytest.raises(ConfigError, match="readable by others"):
        server_store_settings(settings)
    loose.chmod(0o600)
    assert server_store_settings(settings)["password"] == "hunter2"
    no_server = Settings(home=tmp_path / "none", store={"backend": "arcadedb-server"})
    with pytest.raises(ConfigError, match="opsgraph server start"):
        server_store_settings(no_server)
