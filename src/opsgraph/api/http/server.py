"""Run the HTTP API (with the web page and MCP at `/mcp`) on uvicorn, in this process, over an opened facade.

Importing this module is cheap (no web framework): the CLI reads `serve.json` through it.

One process, one event loop, no forking (the engine's JVM does not survive
`fork()`): uvicorn runs with a single worker on a socket bound here, so a
port of 0 works and the URL printed is the real one. While it runs,
`<home>/serve.json` (mode 0600: it may hold the token) tells the CLI where
the server is, so CLI commands on a home the server holds go through it.
"""

from __future__ import annotations

import ipaddress
import json
import os
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
    sock = socket.socket(family, socket.SOCK_STREAM)
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
    from opsgraph.api.http.app import create_app
    from opsgraph.api.mcp.server import build_mcp_server
    from opsgraph.api.service import Served

    check_bind(host, token)
    served = Served(og, allow_writes=allow_writes)
    sock = bind(host, port)
    actual = sock.getsockname()[1]
    url = url_for(host, actual)
    hosts = [f"127.0.0.1:{actual}", f"localhost:{actual}", f"[::1]:{actual}"] if is_loopback(host) else None
    mcp_server = build_mcp_server(lambda: served, allow_writes=mcp_writes) if mcp else None
    app = create_app(served, token=token, mcp_server=mcp_server, mcp_hosts=hosts, warm=True)
    home = og.settings.home
    info = {"url": url, "pid": os.getpid(), "home": str(home), "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "mcp": mcp}
    if token:
        info["token"] = token
    _write_serve_file(home, info)
    server = uvicorn_server(app, access_log=access_log)
    try:
        if on_ready is not None:
            on_ready(url)
        server.run(sockets=[sock])
    finally:
        _remove_serve_file(home)
        sock.close()
