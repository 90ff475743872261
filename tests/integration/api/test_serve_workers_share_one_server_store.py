"""A real `opsgraph serve --workers 2` on a real ArcadeDB server: both workers answer on one port, a write made
through one worker is read through the other, a worker that dies is replaced, and SIGTERM ends every process.

The embedded store allows one process, so `--workers 2` on it is refused before anything is bound.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from opsgraph.api.http.workers import WORKER_HEADER
from opsgraph.cli.main import app as cli
from opsgraph.store.server_process import ServerInfo

SCHEMA = """version: 1
name: teams
description: Teams.
nodes:
  Team:
    description: "A team."
    name_property: name
    properties:
      name: {type: string, required: true, description: "Team name."}
"""


def _estate(folder: Path, teams: list[tuple[str, str]]) -> Path:
    (folder / "nodes").mkdir(parents=True, exist_ok=True)
    (folder / "schema.yaml").write_text(SCHEMA, encoding="utf-8")
    (folder / "nodes" / "Team.csv").write_text("id,name\n" + "".join(f"{i},{n}\n" for i, n in teams), encoding="utf-8")
    return folder


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is gone for our purpose
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
            return f.read().split(") ")[1][0] != "Z"
    except OSError:
        return False


@pytest.fixture
def served(arcadedb_server: ServerInfo, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str, Path]]:
    home = tmp_path / "home"
    home.mkdir()
    database = f"w{uuid.uuid4().hex[:10]}"
    (home / "opsgraph.yaml").write_text(
        f"embed: {{provider: none}}\nllm: {{provider: none}}\nserve: {{ingest_roots: ['{tmp_path}']}}\n"
        f"store: {{backend: arcadedb-server, url: '{arcadedb_server.url}', database: {database}, password_file: '{arcadedb_server.password_file}'}}\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSGRAPH_")}
    env.update(OPSGRAPH_CONFIG=str(home / "opsgraph.yaml"), OMP_NUM_THREADS="1", PYTHONPATH=str(Path(__file__).resolve().parents[3] / "src"))
    proc = subprocess.Popen([sys.executable, "-m", "opsgraph.cli.main", "serve", "--home", str(home), "--port", "0", "--workers", "2", "--no-mcp"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    first = proc.stdout.readline()
    match = re.search(r"at (http://\S+) with 2 workers", first)
    try:
        if match is None:
            proc.kill()
            pytest.fail(f"serve --workers 2 did not start: {first!r}\n{proc.communicate(timeout=30)[1][-3000:]}")
        yield proc, match.group(1), home
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)
        password = Path(arcadedb_server.password_file).read_text(encoding="utf-8").strip()
        httpx.post(f"{arcadedb_server.url}/api/v1/server", json={"command": f"drop database {database}"}, auth=("root", password), timeout=60)


def _worker_of_a_new_connection(url: str) -> tuple[int, httpx.Response]:
    with httpx.Client(base_url=url, timeout=30) as c:
        r = c.get("/healthz")
        return int(r.headers[WORKER_HEADER]), r


def _client_on(url: str, pid: int, attempts: int = 300) -> httpx.Client:
    """A kept-alive client whose connection the worker `pid` accepted."""
    for _ in range(attempts):
        c = httpx.Client(base_url=url, timeout=60)
        if int(c.get("/healthz").headers[WORKER_HEADER]) == pid:
            return c
        c.close()
    raise AssertionError(f"no connection reached worker {pid} in {attempts} attempts")


def test_two_workers_serve_one_store_and_stop_together(served: tuple[subprocess.Popen[str], str, Path], tmp_path: Path) -> None:
    proc, url, home = served
    info = json.loads((home / "serve.json").read_text(encoding="utf-8"))
    assert info["pid"] == proc.pid and info["workers"] == 2 and info["url"] == url

    seen = {_worker_of_a_new_connection(url)[0] for _ in range(60)}
    assert len(seen) == 2 and proc.pid not in seen, seen
    a, b = sorted(seen)

    token = (home / "serve.token").read_text(encoding="utf-8").strip()
    estate = _estate(tmp_path / "estate", [("team-a", "Alpha"), ("team-b", "Bravo")])
    with contextlib.closing(_client_on(url, a)) as ca:
        job = ca.post("/v1/ingest", json={"path": str(estate), "documents": False}, headers={"Authorization": f"Bearer {token}"})
        assert job.status_code == 202, job.text
        job_id = job.json()["id"]
        deadline = time.monotonic() + 120
        while (state := ca.get(f"/v1/jobs/{job_id}").json())["state"] not in ("succeeded", "failed"):
            assert time.monotonic() < deadline, state
            time.sleep(0.2)
        assert state["state"] == "succeeded", state
    with contextlib.closing(_client_on(url, b)) as cb:
        r = cb.post("/v1/query", json={"cypher": "MATCH (t:Team) RETURN t.id AS id, t.name AS name ORDER BY id"})
        assert r.headers[WORKER_HEADER] == str(b)
        assert r.json()["rows"] == [{"id": "team-a", "name": "Alpha"}, {"id": "team-b", "name": "Bravo"}]

    os.kill(a, signal.SIGKILL)  # a worker dies: reported, replaced, the port keeps answering
    deadline = time.monotonic() + 120
    while True:
        now = {_worker_of_a_new_connection(url)[0] for _ in range(30)}
        if len(now) == 2 and a not in now:
            break
        assert time.monotonic() < deadline, now
        time.sleep(0.5)
    workers = now

    proc.send_signal(signal.SIGTERM)
    _, errs = proc.communicate(timeout=60)
    assert proc.returncode == 0, errs[-3000:]
    assert f"pid {a}) ended (signal 9)" in errs
    assert not (home / "serve.json").exists()
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(p) for p in workers)
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/healthz", timeout=5)


def test_more_than_one_worker_on_the_embedded_store_is_refused(tmp_path: Path) -> None:
    home = tmp_path / "home"
    r = CliRunner().invoke(cli, ["serve", "--home", str(home), "--port", "0", "--workers", "2"])
    assert r.exit_code == 1
    assert "--workers 2 needs store.backend: arcadedb-server" in r.stderr and "arcadedb-embedded" in r.stderr
    assert not (home / "serve.json").exists() and not (home / "store").exists()
