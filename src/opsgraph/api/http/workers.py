"""`opsgraph serve --workers N`: one listening socket, N API worker processes, each with its own facade.

Why: one process serves requests on one event loop and one writer thread; on the
`arcadedb-server` backend the store is shared by any number of processes, so
several workers answer more clients at once. The embedded store allows one process
per home, so more than one worker needs the server backend (`check_workers` says so).

How: the parent binds the socket once (a port of 0 works and every worker serves
the same port), writes `<home>/serve.json` once, and starts N children with the
`spawn` method (the engine's JVM does not survive `fork()`; a child re-imports
opsgraph). Each child opens its own facade and runs uvicorn on the inherited
socket; the kernel hands each new connection to one of them. A response carries
the pid of the worker that made it in `X-Opsgraph-Worker`. SIGTERM / SIGINT to the
parent reach every worker, which finish their requests and close their stores;
the parent then removes `serve.json` and exits. A worker that dies while serving is
reported on stderr and replaced; a worker that cannot start stops them all.

What it must not do: open a store in the parent, or run the background watch loop
in more than one worker (only worker 0 runs it, when `serve.watch` is on).
Jobs (ingest, training, investigations) run in the worker that started them and are
recorded in `<home>/jobs/` (`api/job_records.py`): any worker answers for any job,
and a job whose worker died is reported failed.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import Any

from opsgraph.api.http.server import WORKER_HEADER, with_worker_header
from opsgraph.app import OpsGraph, Settings
from opsgraph.errors import ConfigError, OpsGraphError

__all__ = ["WORKER_HEADER", "check_workers", "run_workers"]

SERVER_BACKEND = "arcadedb-server"
START_TIMEOUT_S = 300.0
"""How long a worker may take to open its facade before the start is abandoned."""
STOP_TIMEOUT_S = 20.0
"""How long workers get to finish after SIGTERM before they are killed."""


def check_workers(settings: Settings, workers: int) -> None:
    """Refuse a worker count this home cannot serve, before anything is bound or opened."""
    if workers < 1:
        raise ConfigError(f"--workers must be at least 1 (got {workers})")
    if workers == 1:
        return
    if settings.store.backend != SERVER_BACKEND:
        raise ConfigError(
            f"--workers {workers} needs store.backend: {SERVER_BACKEND} (this home uses {settings.store.backend}, whose store "
            "one process holds at a time): serve with --workers 1, or move the store to a server "
            "(`opsgraph server start`, then `opsgraph migrate --to server`)"
        )
    if settings.tenant is None and settings.all_tenants():
        raise ConfigError(f"--workers {workers} serves one estate: this home has tenants; serve one with `opsgraph --tenant NAME serve --workers {workers}`")


@dataclass(frozen=True)
class WorkerSpec:
    """What every worker serves: the same settings, socket address, tokens and switches."""

    settings: Settings
    host: str
    port: int
    token: str | None
    write_token: str | None
    allow_writes: bool
    mcp: bool
    mcp_writes: bool
    access_log: bool


def _worker_main(spec: WorkerSpec, sock: socket.socket, index: int, events: Any) -> None:
    """One worker (a spawned child): open a facade, serve `sock` until SIGTERM / SIGINT, close the facade."""
    from opsgraph.api.http.server import served_app, uvicorn_server

    settings = spec.settings
    if index > 0 and settings.serve.watch:  # the watch loop writes: one worker runs it
        settings = settings.model_copy(update={"serve": settings.serve.model_copy(update={"watch": False})})
    try:
        og = OpsGraph(settings).open()
    except OpsGraphError as exc:
        events.put(("failed", os.getpid(), str(exc)))
        sys.exit(1)
    try:
        app = served_app(og, host=spec.host, port=spec.port, token=spec.token, write_token=spec.write_token, allow_writes=spec.allow_writes,
                         mcp=spec.mcp, mcp_writes=spec.mcp_writes)
        server = uvicorn_server(with_worker_header(app), access_log=spec.access_log)
        events.put(("ready", os.getpid(), ""))
        server.run(sockets=[sock])
    finally:
        og.close()


class _Stop:
    """Set by SIGTERM / SIGINT in the parent."""

    def __init__(self) -> None:
        self.signum: int | None = None

    def __call__(self, signum: int, _frame: object) -> None:
        self.signum = signum


def run_workers(
    settings: Settings,
    workers: int,
    *,
    host: str,
    port: int,
    token: str | None,
    allow_writes: bool = True,
    mcp: bool = True,
    mcp_writes: bool = False,
    access_log: bool = False,
    on_ready: Callable[[str, list[int]], None] | None = None,
    report: Callable[[str], None] | None = None,
) -> int:
    """Serve with `workers` processes until SIGTERM / SIGINT; the exit status (0: stopped cleanly)."""
    from opsgraph.api.http.server import _remove_serve_file, _write_serve_file, bind, check_bind, serve_write_token, url_for

    say = report or (lambda line: print(line, file=sys.stderr, flush=True))
    check_workers(settings, workers)
    check_bind(host, token)
    home = settings.home
    home.mkdir(parents=True, exist_ok=True)
    sock = bind(host, port)
    actual = sock.getsockname()[1]
    url = url_for(host, actual)
    wtoken = serve_write_token(home, token, allow_writes=allow_writes, mcp=mcp, mcp_writes=mcp_writes)
    spec = WorkerSpec(settings, host, actual, token, wtoken, allow_writes, mcp, mcp_writes, access_log)
    ctx = multiprocessing.get_context("spawn")
    events = ctx.Queue()
    stop = _Stop()
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    children: dict[int, Any] = {}  # index -> Process

    def start(index: int) -> None:
        proc = ctx.Process(target=_worker_main, args=(spec, sock, index, events), name=f"opsgraph-worker-{index}", daemon=False)
        proc.start()
        children[index] = proc

    def await_ready(indexes: list[int]) -> str | None:
        """Wait until the workers `indexes` serve; the reason one could not, or None."""
        waiting = {children[i].pid for i in indexes}
        deadline = time.monotonic() + START_TIMEOUT_S
        while waiting:
            if stop.signum is not None:
                return "stopped while starting"
            try:
                kind, pid, message = events.get(timeout=0.2)
            except queue.Empty:
                for i in indexes:
                    p = children[i]
                    if p.pid in waiting and p.exitcode is not None:
                        return f"worker {p.pid} ended while starting (exit {p.exitcode})"
                if time.monotonic() > deadline:
                    return f"workers did not start within {START_TIMEOUT_S:.0f} s"
                continue
            if kind == "failed":
                return f"worker {pid} could not open the store: {message}"
            waiting.discard(pid)
        return None

    status = 0
    try:
        for i in range(workers):
            start(i)
        problem = await_ready(list(range(workers)))
        if problem is not None:
            if stop.signum is None:
                say(f"opsgraph serve: {problem}")
                status = 1
            return status
        info = {"url": url, "pid": os.getpid(), "home": str(home), "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "mcp": mcp,
                "workers": workers}
        if token:
            info["token"] = token
        elif wtoken:
            info["token_file"] = str(home / "serve.token")
        _write_serve_file(home, info)
        if on_ready is not None:
            on_ready(url, [p.pid for p in children.values()])
        while stop.signum is None:
            wait([p.sentinel for p in children.values()], timeout=0.5)
            if stop.signum is not None:
                break
            for index, proc in list(children.items()):
                if proc.exitcode is None:
                    continue
                how = f"signal {-proc.exitcode}" if proc.exitcode < 0 else f"exit {proc.exitcode}"
                say(f"opsgraph serve: worker {index} (pid {proc.pid}) ended ({how}); starting another")
                start(index)
                problem = await_ready([index])
                if problem is not None and stop.signum is None:
                    say(f"opsgraph serve: {problem}; stopping")
                    return 1
                if problem is None:
                    say(f"opsgraph serve: worker {index} serves again (pid {children[index].pid})")
        return 0
    finally:
        _stop_children(list(children.values()), say)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _remove_serve_file(home)
        sock.close()
        events.close()


def _stop_children(procs: list[Any], say: Callable[[str], None]) -> None:
    """SIGTERM every live worker, wait for them to finish, kill the ones that do not."""
    for p in procs:
        if p.exitcode is None and p.pid is not None:
            try:
                os.kill(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + STOP_TIMEOUT_S
    for p in procs:
        p.join(max(0.0, deadline - time.monotonic()))
        if p.exitcode is None:
            say(f"opsgraph serve: worker pid {p.pid} did not stop within {STOP_TIMEOUT_S:.0f} s; killing it")
            p.kill()
            p.join(5)
