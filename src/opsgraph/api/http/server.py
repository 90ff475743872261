"""Run the HTTP API (with the web page and MCP at `/mcp`) on uvicorn, in this process, over an opened facade.

Importing this module is cheap (no web framework): the CLI reads `serve.json` through it.

One process, one event loop, no forking (the engine's JVM does not survive
`fork()`): uvicorn runs with a single worker on a socket bound here, so a
port of 0 works and the URL printed is the real one. (`--workers N` on the
server backend: `workers.py`, N spawned processes on one socket.) Every
response names the answering process's pid in `X-Opsgraph-Worker`. While it runs,
`<home>/serve.json` (mode 0600: it may hold the token) tells the CLI where
the server is, so CLI commands on a home the server holds go through it.
`<home>/serve.token` (0600) holds the write token that routes which write need
even on loopback (generated once per home; the CLI and the page use it).
"""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opsgraph._files import atomic_write_text
from opsgraph.errors import ConfigError

if TYPE_CHECKING:
    from opsgraph.app import OpsGraph

SERVE_FILE = "serve.json"
"""Written into the home while a server holds it: url, pid, token (if any), started."""


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and `localhost` are loopback; every other address (0.0.0.0 included) is reachable from elsewhere."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    """Refuse to listen beyond this machine without a token."""
    if not is_loopback(host) and not token:
        raise ConfigError(
            f"refusing to serve on {host} without a token: anyone who can reach it could read the estate and run jobs. "
            "Pass --token TOKEN (or set OPSGRAPH_TOKEN), or bind to 127.0.0.1"
        )


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on (host, port); port 0 picks a free one."""
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    # proto=IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY on accepted connections only when the listening socket says
    # TCP. Without it Nagle holds each response's body behind its headers until the client's delayed ACK (~40 ms per
    # request on a kept-alive connection: /healthz took 42 ms instead of 1 ms).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc} (pick another --port, or 0 for a free one)") from exc
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def url_for(host: str, port: int) -> str:
    h = host.strip("[]")
    if h in ("0.0.0.0", "::"):  # reachable locally on loopback; the CLI uses this URL
        h = "127.0.0.1" if h == "0.0.0.0" else "::1"
    return f"http://[{h}]:{port}" if ":" in h else f"http://{h}:{port}"


WORKER_HEADER = "X-Opsgraph-Worker"
"""Response header naming the pid of the server (worker) process that answered."""

TOKEN_FILE = "serve.token"
"""The write token of the home's server (mode 0600)."""


def server_names(host: str, port: int, extra: list[str] | None = None) -> list[str]:
    """The Host names a server bound to (host, port) answers to: its loopback names, the bound address, `extra`."""
    h = host.strip("[]").lower()
    names = [f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"]
    if h in ("0.0.0.0", "::"):  # every address of this machine: its names too
        for name in {socket.gethostname(), socket.getfqdn()}:
            names.append(f"{name.lower()}:{port}")
    elif h not in ("127.0.0.1", "localhost", "::1"):
        names.append(f"[{h}]:{port}" if ":" in h else f"{h}:{port}")
    return names + [e.strip() for e in extra or [] if e.strip()]


def write_token(home: Path) -> str:
    """The home's write token: read from `<home>/serve.token` when it is private to this user, else made anew (0600)."""
    path = home / TOKEN_FILE
    try:
        st = path.stat()
        if st.st_mode & 0o077 == 0 and st.st_uid == os.getuid():
            existing = path.read_text(encoding="utf-8").strip()
            if len(existing) >= 32:
                return existing
    except OSError:
        pass
    token = secrets.token_urlsafe(32)
    atomic_write_text(path, token + "\n")  # a 0600 file, renamed into place
    return token


def read_write_token(home: Path) -> str | None:
    """The write token a running server of `home` uses, if this user may read it."""
    try:
        token = (home / TOKEN_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return token or None


def read_serve_file(home: Path) -> dict[str, Any] | None:
    """What a running server wrote into `home`, or None."""
    try:
        data = json.loads((home / SERVE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and "url" in data else None


def _write_serve_file(home: Path, info: dict[str, Any]) -> Path:
    return atomic_write_text(home / SERVE_FILE, json.dumps(info, indent=2))  # 0o600: it names the server's token file


def _remove_serve_file(home: Path) -> None:
    info = read_serve_file(home)
    if info is not None and info.get("pid") == os.getpid():
        (home / SERVE_FILE).unlink(missing_ok=True)


def uvicorn_server(app: Any, *, access_log: bool = False) -> Any:
    """A uvicorn server for `app` that, on Ctrl-C / SIGTERM, shuts down and *returns*.

    uvicorn re-raises the signal after its graceful shutdown, which would end the
    process before the caller closes the store (leaving its WAL to recover on the
    next open) and removes `serve.json`; this server does not.
    """
    import signal
    import threading
    from contextlib import contextmanager

    import uvicorn

    class _Server(uvicorn.Server):
        @contextmanager
        def capture_signals(self) -> Any:
            if threading.current_thread() is not threading.main_thread():
                yield
                return
            original = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
            try:
                yield
            finally:
                for sig, handler in original.items():
                    signal.signal(sig, handler)

    config = uvicorn.Config(app, log_level="warning", access_log=access_log, lifespan="on", timeout_graceful_shutdown=5)
    return _Server(config)


def run_server(
    og: OpsGraph,
    *,
    host: str,
    port: int,
    token: str | None,
    allow_writes: bool = True,
    mcp: bool = True,
    mcp_writes: bool = False,
    access_log: bool = False,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve until interrupted (Ctrl-C / SIGTERM). `og` must be open; the caller closes it afterwards."""
    check_bind(host, token)
    sock = bind(host, port)
    actual = sock.getsockname()[1]
    url = url_for(host, actual)
    home = og.settings.home
    wtoken = serve_write_token(home, token, allow_writes=allow_writes, mcp=mcp, mcp_writes=mcp_writes)
    app = served_app(og, host=host, port=actual, token=token, write_token=wtoken, allow_writes=allow_writes, mcp=mcp, mcp_writes=mcp_writes)
    info = {"url": url, "pid": os.getpid(), "home": str(home), "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "mcp": mcp}
    if token:
        info["token"] = token
    elif wtoken:
        info["token_file"] = str(home / TOKEN_FILE)
    _write_serve_file(home, info)
    server = uvicorn_server(with_worker_header(app), access_log=access_log)
    try:
        if on_ready is not None:
            on_ready(url)
        server.run(sockets=[sock])
    finally:
        _remove_serve_file(home)
        sock.close()


def serve_write_token(home: Path, token: str | None, *, allow_writes: bool, mcp: bool, mcp_writes: bool) -> str | None:
    """The token routes that write need, even on loopback: the configured one, else this home's generated one."""
    writes = allow_writes or (mcp and mcp_writes)
    return (token or write_token(home)) if writes else None


def served_app(
    og: OpsGraph, *, host: str, port: int, token: str | None, write_token: str | None, allow_writes: bool, mcp: bool, mcp_writes: bool
) -> Any:
    """The API app (page, MCP) over an opened facade, as served on (host, port): what one server process runs."""
    from opsgraph.api.http.app import create_app
    from opsgraph.api.mcp.server import build_mcp_server
    from opsgraph.api.service import Served

    served = Served(og, allow_writes=allow_writes)
    home = og.settings.home
    hosts = server_names(host, port, og.settings.serve.allowed_hosts)
    where = "the token the server was started with" if token else f"it is in {home / TOKEN_FILE} on the server"
    page_token = write_token if write_token and not token and is_loopback(host) else None
    mcp_server = build_mcp_server(lambda: served, allow_writes=mcp_writes) if mcp else None
    return create_app(served, token=token, mcp_server=mcp_server, warm=True, hosts=hosts, write_token=write_token, token_where=where,
                      page_token=page_token, mcp_writes=bool(mcp and mcp_writes))


def with_worker_header(app: Any) -> Any:
    """`app` with `X-Opsgraph-Worker: <pid>` on every HTTP response."""
    value = str(os.getpid()).encode()

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return

        async def send_with_header(message: Any) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (WORKER_HEADER.lower().encode(), value)]}
            await send(message)

        await app(scope, receive, send_with_header)

    return wrapped
