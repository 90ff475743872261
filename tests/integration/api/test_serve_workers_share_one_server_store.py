"""A real `opsgraph serve --workers 2` on a real ArcadeDB server: both workers answer on one port, a write made
through one worker is read through the other, a worker that dies is replaced, and SIGTERM ends every process.

A job started on one worker answers from every worker (state, progress, result, listing, events), and a job whose
worker is killed is reported failed by the others.

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
from typing import Any

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
ROWS = 1500
"""Teams in the estate a job ingests: enough that the job runs for a second or more while both workers are polled."""


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
        _, errs = proc.communicate(timeout=60)
        print(f"serve's stderr (the end):\n{errs[-4000:]}")  # shown when the test failed
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


def _poll_on_a_new_connection(url: str, path: str) -> tuple[int, dict[str, Any]]:
    with httpx.Client(base_url=url, timeout=30) as c:
        r = c.get(path)
        assert r.status_code == 200, (r.headers.get(WORKER_HEADER), r.text)
        return int(r.headers[WORKER_HEADER]), r.json()


def test_a_job_answers_from_every_worker_and_a_dead_workers_job_fails(served: tuple[subprocess.Popen[str], str, Path], tmp_path: Path) -> None:
    _, url, home = served
    auth = {"Authorization": f"Bearer {(home / 'serve.token').read_text(encoding='utf-8').strip()}"}
    seen = {_worker_of_a_new_connection(url)[0] for _ in range(60)}
    assert len(seen) == 2, seen
    a, b = sorted(seen)
    estate = _estate(tmp_path / "estate", [(f"team-{i:05d}", f"Team {i}") for i in range(ROWS)])

    with contextlib.closing(_client_on(url, a)) as ca:
        started = ca.post("/v1/ingest", json={"path": str(estate), "documents": False}, headers=auth)
    assert started.status_code == 202 and started.json()["worker"] == a, started.text
    job_id = started.json()["id"]
    polls: list[tuple[int, dict[str, Any]]] = []
    deadline = time.monotonic() + 180
    while True:  # every poll on a fresh connection: the kernel hands it to either worker
        worker, state = _poll_on_a_new_connection(url, f"/v1/jobs/{job_id}")
        assert state["id"] == job_id and state["worker"] == a and state["state"] in ("queued", "running", "succeeded"), state
        polls.append((worker, state))
        if state["state"] == "succeeded" and {w for w, s in polls if s["state"] == "succeeded"} == {a, b}:
            break
        assert time.monotonic() < deadline, polls[-2:]
    assert any(w == b and s["state"] == "running" for w, s in polls), [(w, s["state"]) for w, s in polls]  # the other worker saw it run
    best: dict[str, int] = {}
    for w, s in polls:  # whichever worker answered, progress never went back
        for task, p in s["progress"].items():
            assert p["done"] >= best.get(task, 0), (w, task, p, best)
            best[task] = p["done"]
    done = [s for _, s in polls if s["state"] == "succeeded"]
    assert all(s == done[0] for s in done) and done[0]["result"]["nodes"]["Team"]["created"] == ROWS, done[0]
    assert done[0]["progress"] and all(p["done"] == p["total"] for p in done[0]["progress"].values()), done[0]["progress"]
    for w in (a, b):  # listed by both, streamed by the one that does not run it
        with contextlib.closing(_client_on(url, w)) as cw:
            listed = cw.get("/v1/jobs").json()
        assert [j["id"] for j in listed] == [job_id] and listed[0] == done[0]
    with contextlib.closing(_client_on(url, b)) as cb:
        events = cb.get(f"/v1/jobs/{job_id}/events").text
    assert "event: progress" in events and events.rstrip().splitlines()[-1].startswith("data:") and '"succeeded"' in events

    # a job whose worker dies mid-run is reported failed by the others (not running forever), and does not block its kind
    estate2 = _estate(tmp_path / "estate2", [(f"crew-{i:05d}", f"Crew {i}") for i in range(ROWS)])
    with contextlib.closing(_client_on(url, a)) as ca:
        second = ca.post("/v1/ingest", json={"path": str(estate2), "documents": False}, headers=auth).json()["id"]
        deadline = time.monotonic() + 120
        while (state := ca.get(f"/v1/jobs/{second}").json())["state"] != "running":  # killed mid-run (validating, writing)
            assert state["state"] == "queued" and time.monotonic() < deadline, state
            time.sleep(0.02)
    os.kill(a, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while (ans := _poll_on_a_new_connection(url, f"/v1/jobs/{second}"))[1]["state"] != "failed":
        assert ans[0] != a and ans[1]["state"] == "running" and time.monotonic() < deadline, ans
        time.sleep(0.2)
    assert ans[1]["error"]["code"] == "worker_ended" and f"pid {a}" in ans[1]["error"]["message"], ans
    # Re-ingest the same rows at once, through the worker that lives, while the replacement worker may be undoing the
    # killed one's unfinished block from its journal as it opens the store: the ingest waits for (or does) that undo
    # before it writes, so it creates every row and none is undone under it; the replacement serves; nothing is down.
    with contextlib.closing(_client_on(url, b)) as cb:
        again = cb.post("/v1/ingest", json={"path": str(estate2), "documents": False}, headers=auth)
        assert again.status_code == 202, again.text
        deadline = time.monotonic() + 180
        while (state := cb.get(f"/v1/jobs/{again.json()['id']}").json())["state"] not in ("succeeded", "failed"):
            assert time.monotonic() < deadline, state
            time.sleep(0.2)
        assert state["state"] == "succeeded" and state["result"]["nodes"]["Team"]["created"] == ROWS, state
        assert [j["state"] for j in cb.get("/v1/jobs").json()] == ["succeeded", "failed", "succeeded"]
        count = cb.post("/v1/query", json={"cypher": "MATCH (t:Team) WHERE t.id STARTS WITH 'crew-' RETURN count(t) AS c"}).json()
        assert count["rows"] == [{"c": ROWS}], count
    deadline = time.monotonic() + 120
    while len(now := {_worker_of_a_new_connection(url)[0] for _ in range(30)}) != 2 or a in now:
        assert time.monotonic() < deadline, now
        time.sleep(0.5)
    info = json.loads((home / "serve.json").read_text(encoding="utf-8"))
    assert "workers_down" not in info, info


def test_a_replacement_that_cannot_start_leaves_the_others_serving_and_is_tried_again(served: tuple[subprocess.Popen[str], str, Path]) -> None:
    proc, url, home = served
    seen = {_worker_of_a_new_connection(url)[0] for _ in range(60)}
    assert len(seen) == 2, seen
    a, b = sorted(seen)
    # A dead process's journal whose undo fails (a record this version cannot undo): a worker opening the store now fails.
    database = re.search(r"database: (\w+)", (home / "opsgraph.yaml").read_text(encoding="utf-8")).group(1)  # type: ignore[union-attr]
    folder = home / "journal" / f"server-{database}"
    folder.mkdir(parents=True, exist_ok=True)
    bad = folder / "store.sync-20261205T000000-000000001.jsonl"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    bad.write_text(json.dumps({"kind": "begin", "label": "sync", "store": "store", "meta": {}, "pid": int(dead.stdout)}) + "\n"
                   + json.dumps({"kind": "undo", "seq": 1, "op": "from-a-newer-version"}) + "\n", encoding="utf-8")

    os.kill(a, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while "did not open" not in str((info := json.loads((home / "serve.json").read_text(encoding="utf-8"))).get("workers_down")):
        assert proc.poll() is None and time.monotonic() < deadline, info
        time.sleep(0.2)
    (why,) = info["workers_down"].values()
    assert str(bad) in why and "from-a-newer-version" in why, why
    for _ in range(10):  # the other worker keeps serving, and so does serve
        worker, r = _worker_of_a_new_connection(url)
        assert worker == b and r.status_code == 200
    assert proc.poll() is None

    bad.unlink()  # whatever was wrong is put right: the next try starts it
    deadline = time.monotonic() + 60
    while "workers_down" in (info := json.loads((home / "serve.json").read_text(encoding="utf-8"))):
        assert proc.poll() is None and time.monotonic() < deadline, info
        time.sleep(0.2)
    now = {_worker_of_a_new_connection(url)[0] for _ in range(60)}
    assert len(now) == 2 and b in now and a not in now, now
    proc.send_signal(signal.SIGTERM)
    _, errs = proc.communicate(timeout=60)
    assert proc.returncode == 0, errs[-3000:]
    assert "could not start" in errs and "the other workers keep serving" in errs and "serves again" in errs, errs[-3000:]
