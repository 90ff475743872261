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
reported on stderr and replaced. A worker that cannot start (its store does not open,
or undoing a dead worker's unfinished writes fails) is reported on stderr and in
`serve.json` (`workers_down`) and started again later, while the others keep serving;
serve ends with status 1 only when no worker could start at all. What a replacement's
recovery undid, and the rows it kept because another process wrote them since, is
reported the same way (`recovery` in `serve.json`).

What it must not do: open a store in the parent, or run the background watch loop
in more than one worker (only worker 0 runs it, when `serve.watch` is on).
Jobs (ingest, training, investigations) run in the worker that started them and are
recorded in `<home>/jobs/` (`api/job_records.py`): any worker answers for any job,
and a job whose worker died is reported failed.
"""

from __future__ import annotations

import json
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
        events.put(("ready", os.getpid(), json.dumps(_recovery_of(og))))
        server.run(sockets=[sock])
    finally:
        og.close()


def _recovery_of(og: OpsGraph) -> dict[str, list[str]]:
    """What opening the store undid (a dead process's unfinished blocks) and which rows it left as newer."""
    store = og.store
    return {"undone": [str(x) for x in getattr(store, "recovered", [])], "kept": [str(x) for x in getattr(store, "recovery_notes", [])]}


class _Stop:
    """Set by SIGTERM / SIGINT in the parent."""

    def __init__(self) -> None:
        self.signum: int | None = None

    def __call__(self, signum: int, _frame: object) -> None:
        self.signum = signum


RETRY_FIRST_S = 2.0
"""After a worker could not start, the first retry waits this long; each further failure doubles it, up to `RETRY_MAX_S`."""
RETRY_MAX_S = 60.0
RECOVERY_SHOWN = 20
"""How many recovery notes `serve.json` keeps (the newest)."""


class _Workers:
    """The parent's view of its workers, each index in one state: starting, serving, or waiting to be started again.

    A worker that dies while serving is started again at once; one that cannot start (its store will not open, its
    undo of a dead worker's journal fails, it does not answer in `START_TIMEOUT_S`) is reported, on stderr and in
    `serve.json` (`workers_down`), and started again later with a growing pause, while the others keep serving.
    """

    def __init__(self, ctx: Any, spec: WorkerSpec, sock: socket.socket, events: Any, say: Callable[[str], None]) -> None:
        self.ctx, self.spec, self.sock, self.events, self.say = ctx, spec, sock, events, say
        self.procs: dict[int, Any] = {}
        self.state: dict[int, str] = {}
        self.deadline: dict[int, float] = {}
        self.retry_at: dict[int, float] = {}
        self.failures: dict[int, int] = {}
        self.down: dict[int, str] = {}
        """Index → why it does not serve now (cleared when it serves again)."""
        self.recovery: list[str] = []
        self.changed = False
        """Something `serve.json` shows changed since it was last written."""

    def start(self, index: int) -> None:
        proc = self.ctx.Process(target=_worker_main, args=(self.spec, self.sock, index, self.events), name=f"opsgraph-worker-{index}", daemon=False)
        proc.start()
        self.procs[index], self.state[index] = proc, "starting"
        self.deadline[index] = time.monotonic() + START_TIMEOUT_S
        self.retry_at.pop(index, None)

    def serving(self) -> list[int]:
        return [i for i, st in self.state.items() if st == "serving"]

    def settled(self) -> bool:
        return "starting" not in self.state.values()

    def _index_of(self, pid: int) -> int | None:
        return next((i for i, p in self.procs.items() if p.pid == pid and self.state.get(i) == "starting"), None)

    def _failed(self, index: int, reason: str, *, retry: bool) -> None:
        proc = self.procs[index]
        if proc.exitcode is None:
            proc.kill()
        proc.join(5)
        self.failures[index] = self.failures.get(index, 0) + 1
        pause = min(RETRY_MAX_S, RETRY_FIRST_S * 2 ** (self.failures[index] - 1))
        self.state[index], self.retry_at[index] = "waiting", time.monotonic() + pause
        self.down[index] = reason
        self.changed = True
        then = f"; the other workers keep serving; trying again in {pause:.0f} s" if retry else ""
        self.say(f"opsgraph serve: worker {index} could not start: {reason}{then}")

    def poll(self, *, replace: bool) -> None:
        """Take the workers' messages, notice ended and stuck workers, and (with `replace`) start the ones due."""
        while True:
            try:
                kind, pid, message = self.events.get_nowait()
            except queue.Empty:
                break
            index = self._index_of(pid)
            if index is None:
                continue
            if kind == "failed":
                self._failed(index, f"its store did not open: {message}", retry=replace)
            elif kind == "ready":
                self._ready(index, message)
        now = time.monotonic()
        for index, proc in list(self.procs.items()):
            st = self.state[index]
            if st == "serving" and proc.exitcode is not None:
                how = f"signal {-proc.exitcode}" if proc.exitcode < 0 else f"exit {proc.exitcode}"
                self.say(f"opsgraph serve: worker {index} (pid {proc.pid}) ended ({how}); starting another")
                self.down[index] = f"pid {proc.pid} ended ({how}); another is starting"
                self.changed = True
                if replace:
                    self.start(index)
                else:
                    self.state[index] = "waiting"
            elif st == "starting" and proc.exitcode is not None:
                self._failed(index, f"pid {proc.pid} ended while starting (exit {proc.exitcode})", retry=replace)
            elif st == "starting" and now > self.deadline[index]:
                self._failed(index, f"pid {proc.pid} did not start within {START_TIMEOUT_S:.0f} s", retry=replace)
            elif st == "waiting" and replace and now >= self.retry_at.get(index, now):
                self.start(index)

    def _ready(self, index: int, message: str) -> None:
        was_down = index in self.down
        self.state[index] = "serving"
        self.failures.pop(index, None)
        self.down.pop(index, None)
        self.changed = True
        try:
            recovery = json.loads(message) if message else {}
        except ValueError:
            recovery = {}
        undone, kept = list(recovery.get("undone") or []), list(recovery.get("kept") or [])
        if undone:
            line = f"worker {index} undid the unfinished writes of {', '.join(undone)} (a process that died mid-write)"
            if kept:
                line += f"; {len(kept)} rows written by others since were kept as the newer writes: " + "; ".join(kept[:5]) + (" ..." if len(kept) > 5 else "")
            self.say(f"opsgraph serve: {line}")
            self.recovery = [*self.recovery, *(f"worker {index}: undid {u}" for u in undone), *(f"worker {index}: {k}" for k in kept)][-RECOVERY_SHOWN:]
        if was_down:
            self.say(f"opsgraph serve: worker {index} serves again (pid {self.procs[index].pid})")

    def sentinels(self) -> list[Any]:
        return [p.sentinel for i, p in self.procs.items() if self.state.get(i) != "waiting"]

    def status(self) -> dict[str, Any]:
        """What `serve.json` says about the workers beyond the url: the ones down and why, recent recoveries."""
        out: dict[str, Any] = {}
        if self.down:
            out["workers_down"] = {str(i): why for i, why in sorted(self.down.items())}
        if self.recovery:
            out["recovery"] = list(self.recovery)
        return out


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
    """Serve with `workers` processes until SIGTERM / SIGINT; the exit status (0: stopped cleanly, 1: no worker could start)."""
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
    pool = _Workers(ctx, spec, sock, events, say)

    try:
        for i in range(workers):
            pool.start(i)
        while not pool.settled():  # the first start: every worker serves or has failed once
            if stop.signum is not None:
                return 0
            wait(pool.sentinels(), timeout=0.2)
            pool.poll(replace=False)
        if not pool.serving():
            say(f"opsgraph serve: no worker could start ({'; '.join(pool.down.values())})")
            return 1
        info = {"url": url, "pid": os.getpid(), "home": str(home), "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "mcp": mcp,
                "workers": workers}
        if token:
            info["token"] = token
        elif wtoken:
            info["token_file"] = str(home / "serve.token")
        _write_serve_file(home, {**info, **pool.status()})
        pool.changed = False
        if on_ready is not None:
            on_ready(url, [pool.procs[i].pid for i in sorted(pool.serving())])
        if pool.down:  # the ones that failed on the first start: tried again while the others serve
            for index in pool.down:
                pool.retry_at[index] = time.monotonic() + RETRY_FIRST_S
                say(f"opsgraph serve: worker {index} could not start; the other workers serve, trying again in {RETRY_FIRST_S:.0f} s")
        while stop.signum is None:
            wait(pool.sentinels(), timeout=0.5)
            if stop.signum is not None:
                break
            pool.poll(replace=True)
            if pool.changed:
                _write_serve_file(home, {**info, **pool.status()})
                pool.changed = False
        return 0
    finally:
        _stop_children(list(pool.procs.values()), say)
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
