"""Run ArcadeDB's HTTP server (shipped in `arcadedb-embedded`) in its own process, and find it again.

The server is a JVM: running it inside the caller would share that caller's
JVM (and its one-process-per-database-folder lock) with any embedded store it
also opens, so it always gets a child process of its own
(`python -m opsgraph.store.server_process`). The child binds 127.0.0.1 only,
reads its root password from a 0600 file (never from the command line, which
other users can read in `ps`), writes a small state file (pid, url, root
folder) once the server answers, and stops the engine cleanly on SIGTERM.

`start_server` / `stop_server` / `server_status` are what `opsgraph server`,
the tests and bench/server.py use.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from opsgraph._files import atomic_write_text
from opsgraph._procs import pid_alive
from opsgraph.errors import StoreError

STATE_FILE = "server.json"
"""Written into the server's folder once it answers: pid, port, url, root."""
PASSWORD_FILE = "root-password"
"""The generated root password, 0600, in the server's folder."""
LOG_FILE = "server.log"
"""What the engine prints (stdout and stderr of the child)."""
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}
"""Servers this process started, kept so they are reaped when stopped (and not reported as leaked before)."""


@dataclass(frozen=True)
class ServerInfo:
    """A running server, as its state file describes it."""

    pid: int
    port: int
    url: str
    root: str
    """The folder holding its databases."""
    password_file: str
    started: float


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_secret(path: Path, value: str) -> None:
    """Write `value` to `path` readable by its owner only (created 0600, never world-readable in between)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(value)
    os.chmod(path, 0o600)


def read_state(folder: Path) -> ServerInfo | None:
    """The server recorded in `folder`, if its process still runs (a stale file is removed)."""
    path = Path(folder) / STATE_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        info = ServerInfo(**data)
    except (OSError, ValueError, TypeError):
        return None
    if not pid_alive(info.pid):
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    return info


def _ready(url: str, timeout: float = 1.0) -> bool:
    import httpx

    try:
        return httpx.get(f"{url}/api/v1/ready", timeout=timeout).status_code < 500
    except httpx.HTTPError:
        return False


def start_server(folder: str | Path, *, port: int | None = None, heap: str = "1g", wait_s: float = 120.0) -> ServerInfo:
    """Start a server whose databases live in `folder/databases`; return once it answers HTTP.

    A root password is generated on first start (kept in `folder/root-password`, 0600) and reused.
    A server already running for `folder` is returned as it is.
    """
    folder = Path(folder).expanduser().resolve()
    folder.mkdir(parents=True, exist_ok=True)
    running = read_state(folder)
    if running is not None:
        return running
    password_file = folder / PASSWORD_FILE
    if not password_file.is_file():
        write_secret(password_file, secrets.token_urlsafe(24))
    port = port or free_port()
    # The child runs in `folder` (the engine writes a ./log folder where it runs): it must find this opsgraph
    # even when it was found through a relative PYTHONPATH.
    here = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH", "")) if p)}
    log = open(folder / LOG_FILE, "ab")  # handed to the child, closed below
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "opsgraph.store.server_process", "--folder", str(folder), "--port", str(port), "--heap", heap],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            cwd=folder,
            env=env,
            start_new_session=True,  # a ^C in the starting terminal does not reach the server
        )
    finally:
        log.close()
    _CHILDREN[proc.pid] = proc
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        info = read_state(folder)
        if info is not None and info.pid == proc.pid:
            return info
        code = proc.poll()
        if code is not None:
            tail = (folder / LOG_FILE).read_text(encoding="utf-8", errors="replace")[-1500:]
            raise StoreError(f"the ArcadeDB server did not start (exit code {code}); its log {folder / LOG_FILE} ends with:\n{tail}")
        time.sleep(0.1)
    proc.terminate()
    raise StoreError(f"the ArcadeDB server did not answer within {wait_s:.0f} s; see {folder / LOG_FILE}")


def stop_server(folder: str | Path, *, wait_s: float = 60.0) -> ServerInfo | None:
    """Stop the server recorded in `folder` (SIGTERM: the engine closes its databases); None if none ran."""
    folder = Path(folder).expanduser().resolve()
    info = read_state(folder)
    if info is None:
        return None
    os.kill(info.pid, signal.SIGTERM)
    child = _CHILDREN.pop(info.pid, None)
    if child is not None:
        try:
            child.wait(wait_s)
        except subprocess.TimeoutExpired as exc:
            raise StoreError(f"the ArcadeDB server (pid {info.pid}) did not stop within {wait_s:.0f} s") from exc
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if not pid_alive(info.pid) or _zombie(info.pid):
            break
        time.sleep(0.1)
    else:
        raise StoreError(f"the ArcadeDB server (pid {info.pid}) did not stop within {wait_s:.0f} s")
    with contextlib.suppress(OSError):
        (folder / STATE_FILE).unlink()
    return info


def _zombie(pid: int) -> bool:
    """True when `pid` has exited but its parent (this process, for a test's server) has not reaped it yet."""
    try:
        with contextlib.suppress(ChildProcessError):
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done == pid:
                return True
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def server_status(folder: str | Path) -> dict[str, Any] | None:
    """The running server of `folder` with its databases (None when none runs)."""
    import httpx

    folder = Path(folder).expanduser().resolve()
    info = read_state(folder)
    if info is None:
        return None
    out: dict[str, Any] = asdict(info)
    password = Path(info.password_file).read_text(encoding="utf-8").strip()
    try:
        r = httpx.get(f"{info.url}/api/v1/databases", auth=("root", password), timeout=10)
        r.raise_for_status()
        out["databases"] = sorted(r.json().get("result") or [])
        out["answering"] = True
    except httpx.HTTPError as exc:
        out["databases"] = []
        out["answering"] = False
        out["error"] = str(exc)
    return out


# -- the child process ---------------------------------------------------------------------------


def _serve(folder: Path, port: int, heap: str) -> None:
    from opsgraph.store.transport import _start_jvm

    _start_jvm(heap)
    import arcadedb_embedded as arcadedb

    password = (folder / PASSWORD_FILE).read_text(encoding="utf-8").strip()
    server = arcadedb.create_server(
        str(folder / "databases"), root_password=password, config={"host": "127.0.0.1", "http_port": port}
    )
    server.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    url = f"http://127.0.0.1:{port}"
    while not _ready(url):
        time.sleep(0.05)
    info = ServerInfo(os.getpid(), port, url, str(folder / "databases"), str(folder / PASSWORD_FILE), time.time())
    atomic_write_text(folder / STATE_FILE, json.dumps(asdict(info)))
    print(f"opsgraph: ArcadeDB server at {url} (pid {os.getpid()})", flush=True)
    while not stop.wait(0.5):
        pass
    server.stop()
    with contextlib.suppress(OSError):
        (folder / STATE_FILE).unlink()
    print("opsgraph: ArcadeDB server stopped", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run ArcadeDB's HTTP server for opsgraph (started by start_server).")
    parser.add_argument("--folder", required=True, type=Path)
    parser.add_argument("--port", required=True, type=int)
    parser.add_argument("--heap", default="1g")
    args = parser.parse_args(argv)
    _serve(args.folder.resolve(), args.port, args.heap)


if __name__ == "__main__":
    main()
