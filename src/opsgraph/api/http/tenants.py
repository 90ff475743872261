"""Serve several tenants from one process: the bearer token of each request chooses the tenant's own app.

`TenantDispatcher` is a pure ASGI app in front of one full app per tenant
(`create_app` over that tenant's opened facade: its store, caches, history,
jobs, risk models and MCP server). A request whose bearer token is a
tenant's goes to that tenant's app, and nowhere else; a request with no
token or an unknown one gets 401, except the few public paths that carry no
estate data (liveness, the web page and its static files, the OpenAPI page),
which any tenant's app answers alike. `/readyz` is not public here: it
reports counts of an estate. Each tenant's app checks its own token again
(`BearerAuth`), so a dispatcher fault cannot hand one tenant's request to
another's data.

The dispatcher runs the lifespan of every tenant's app (MCP session managers,
span flushers, closing jobs) and fails startup if one fails.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

from opsgraph.api.http.app import PUBLIC_PATHS, PUBLIC_PREFIXES, ASGIApp, Receive, Scope, Send, _error_response
from opsgraph.app import OpsGraph, resolve_token

ANONYMOUS_PATHS = PUBLIC_PATHS - {"/readyz"}
"""Paths served without a token in front of tenants: none of them reads an estate."""


class TenantDispatcher:
    """Pure ASGI: route each request by its bearer token to that tenant's app; lifespan for all of them."""

    def __init__(self, apps: Mapping[str, ASGIApp], tokens: Mapping[str, str]) -> None:
        if not apps or set(apps) != set(tokens):
            raise ValueError("every tenant needs an app and a token")
        self.apps = dict(apps)
        self.tokens = dict(tokens)
        self._public = next(iter(self.apps.values()))

    def tenant_of(self, scope: Scope) -> str | None:
        """The tenant whose token the request carries, or None."""
        header = dict(scope.get("headers") or []).get(b"authorization", b"")
        scheme, _, given = header.partition(b" ")
        if scheme.lower() != b"bearer" or not given.strip():
            return None
        return resolve_token(self.tokens, given.strip())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        tenant = self.tenant_of(scope)
        if tenant is not None:
            await self.apps[tenant](scope, receive, send)
            return
        path = scope.get("path", "")
        if scope["type"] == "http" and (path in ANONYMOUS_PATHS or path.startswith(PUBLIC_PREFIXES)):
            await self._public(scope, receive, send)
            return
        if scope["type"] != "http":  # a websocket without a tenant's token: refuse the handshake
            await send({"type": "websocket.close", "code": 1008})
            return
        has_header = any(k == b"authorization" for k, _ in scope.get("headers") or [])
        message = ("this server serves several tenants: send `Authorization: Bearer <token>` with your tenant's token"
                   if not has_header else "the bearer token is not any tenant's")
        response = _error_response(401, "unauthorized", message, headers={"WWW-Authenticate": "Bearer"})
        await response(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        message = await receive()
        if message["type"] != "lifespan.startup":
            return
        async with AsyncExitStack() as stack:
            try:
                for app in self.apps.values():
                    router = getattr(app, "router", None)
                    if router is not None:
                        await stack.enter_async_context(router.lifespan_context(app))
            except BaseException as exc:  # as Starlette's own router does: say so, then raise
                await stack.aclose()
                await send({"type": "lifespan.startup.failed", "message": f"{type(exc).__name__}: {exc}"})
                raise
            await send({"type": "lifespan.startup.complete"})
            message = await receive()
        await send({"type": "lifespan.shutdown.complete"})


def _getter(served: Any) -> Callable[[], Any]:
    return lambda: served


def run_tenant_server(
    facades: Mapping[str, OpsGraph],
    tokens: Mapping[str, str],
    *,
    root_home: Path,
    host: str,
    port: int,
    allow_writes: bool = True,
    mcp: bool = True,
    mcp_writes: bool = False,
    access_log: bool = False,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve every tenant (opened facades, by name) until interrupted; the caller closes the facades afterwards.

    Each tenant's token is also its write token. `<sub-home>/serve.json` (0600, no token in it) tells CLI commands
    run with `--tenant` that the server holds that tenant's store, so they forward to it with the tenant's token."""
    from opsgraph.api.http.app import create_app
    from opsgraph.api.http.server import _remove_serve_file, _write_serve_file, bind, check_bind, server_names, url_for, uvicorn_server
    from opsgraph.api.mcp.server import build_mcp_server
    from opsgraph.api.service import Served

    sock = bind(host, port)
    actual = sock.getsockname()[1]
    url = url_for(host, actual)
    apps: dict[str, Any] = {}
    homes = [root_home]
    try:
        for name, og in facades.items():
            check_bind(host, tokens[name])
            served = Served(og, allow_writes=allow_writes)
            hosts = server_names(host, actual, og.settings.serve.allowed_hosts)
            mcp_server = build_mcp_server(_getter(served), allow_writes=mcp_writes) if mcp else None
            writes = allow_writes or (mcp and mcp_writes)
            apps[name] = create_app(served, token=tokens[name], mcp_server=mcp_server, warm=True, hosts=hosts,
                                    write_token=tokens[name] if writes else None, token_where="your tenant's token",
                                    mcp_writes=bool(mcp and mcp_writes))
            homes.append(og.settings.home)
        dispatcher = TenantDispatcher(apps, tokens)
        started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        for home in homes:
            _write_serve_file(home, {"url": url, "pid": os.getpid(), "home": str(home), "started": started, "mcp": mcp,
                                     "tenants": sorted(facades) if home == root_home else None})
        server = uvicorn_server(dispatcher, access_log=access_log)
        if on_ready is not None:
            on_ready(url)
        server.run(sockets=[sock])
    finally:
        for home in homes:
            _remove_serve_file(home)
        sock.close()
