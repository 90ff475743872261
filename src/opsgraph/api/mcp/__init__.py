"""The MCP server for agents: tools and resources over the facade (see `server.py`), on stdio or streamable HTTP."""

from __future__ import annotations

import os
import sys
from typing import Any

from opsgraph.api.mcp.server import INSTRUCTIONS, build_mcp_server
from opsgraph.api.service import Served
from opsgraph.app import OpsGraph, Settings
from opsgraph.errors import StoreLockedError

__all__ = ["INSTRUCTIONS", "build_mcp_server", "mcp_http_app", "run_stdio"]


def run_stdio(settings: Settings, *, allow_writes: bool = False, served_hint: str | None = None) -> None:
    """Serve MCP on stdin/stdout until the client closes it.

    The store opens here, in the main thread, before serving: the engine's JVM
    must start on the main thread (started on a worker thread, it crashed at
    process exit here and printed its crash report to stdout). While it
    starts, file descriptor 1 points at stderr, so nothing the engine prints
    reaches the protocol stream; while serving, the SDK keeps stdout to itself.
    `served_hint` is added to the error when the store is locked (e.g. the URL
    of the `opsgraph serve` that holds the home, whose `/mcp` an agent can use).
    """
    og = OpsGraph(settings)
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        og.open()
    except StoreLockedError as exc:
        hint = f"\n{served_hint}" if served_hint else ""
        print(f"opsgraph mcp: error: {exc}{hint}", file=sys.stderr, flush=True)
        raise
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    served = Served(og, allow_writes=allow_writes)
    try:
        build_mcp_server(lambda: served, allow_writes=allow_writes).run("stdio")
    finally:
        served.close()
        og.close()


def mcp_http_app(served: Served, *, token: str | None, hosts: list[str] | None, write_token: str | None = None,
                 token_where: str = "") -> Any:
    """A Starlette app with only the MCP endpoint at `/mcp` (for `opsgraph mcp --http`), bearer-guarded when `token` is set.

    `hosts`: the Host names it answers to (421 otherwise; cross-site Origins get 403); `write_token`: needed by every
    request when the write tools are on (the tools are reached through one endpoint).
    """
    from mcp.server.transport_security import TransportSecuritySettings
    from starlette.applications import Starlette

    from opsgraph.api.http.app import BearerAuth
    from opsgraph.api.http.guard import BodyLimit, HostCheck, HostNames, OriginCheck, WriteToken

    server = build_mcp_server(lambda: served, allow_writes=served.allow_writes)
    # The Host and Origin checks below cover the endpoint (with configured names too); the SDK's own is left off.
    security = TransportSecuritySettings(enable_dns_rebinding_protection=False)
    app: Starlette = server.streamable_http_app(streamable_http_path="/mcp", transport_security=security)
    if write_token and served.allow_writes:
        app.add_middleware(WriteToken, token=write_token, where=token_where, is_write=lambda m, p: True)  # type: ignore[arg-type]
    if token:
        app.add_middleware(BearerAuth, token=token)  # type: ignore[arg-type]
    app.add_middleware(BodyLimit, max_bytes=served.og.settings.serve.max_body_bytes)  # type: ignore[arg-type]
    names = HostNames(hosts if hosts is not None else ["*"])
    app.add_middleware(OriginCheck, hosts=names)  # type: ignore[arg-type]
    if hosts is not None:
        app.add_middleware(HostCheck, hosts=names)  # type: ignore[arg-type]
    return app
