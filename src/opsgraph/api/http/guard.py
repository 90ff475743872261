"""What keeps a served home safe on a shared host: pure ASGI middleware in front of every route (REST, page, MCP).

- `HostCheck`: only the bound address's own names answer (DNS rebinding: a page on
  `attacker.example` that re-points its name at 127.0.0.1 sends `Host: attacker.example`) → 421.
- `OriginCheck`: a request that changes state (any method but GET/HEAD/OPTIONS, and every
  MCP request) with a cross-site `Origin` (or `Sec-Fetch-Site: cross-site`) → 403.
- `WriteToken`: routes that write (ingest, training, promotion, rollback, MCP with write tools)
  need `Authorization: Bearer <write token>` even on loopback → 401. The token is generated
  per home (0600, beside `serve.json`), read by the CLI, and given to the same-origin page.
- `BodyLimit`: a body over the limit → 413, on its Content-Length or while it streams.

It must not import the facade: it sees only requests.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from starlette.exceptions import HTTPException

from opsgraph.errors import LimitExceededError

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def send_error(send: Send, status: int, code: str, message: str, headers: Iterable[tuple[bytes, bytes]] = ()) -> None:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *headers]})
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or []:
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


class HostNames:
    """The `Host` values a server answers to: `name:port` exactly, a bare `name` on any port, or `*` for any."""

    def __init__(self, names: Iterable[str]) -> None:
        self.any = False
        self.exact: set[str] = set()
        self.bare: set[str] = set()
        for raw in names:
            name = raw.strip().lower()
            if not name:
                continue
            if name == "*":
                self.any = True
            elif (name.startswith("[") and "]:" in name) or (":" in name and not name.startswith("[") and name.count(":") == 1):
                self.exact.add(name)
            else:
                self.bare.add(name if name.startswith("[") or ":" not in name else f"[{name}]")

    def allows(self, host: str | None) -> bool:
        if self.any:
            return True
        if not host:
            return False
        host = host.strip().lower()
        if host in self.exact:
            return True
        bare = host.rsplit(":", 1)[0] if (host.count(":") == 1 or (host.startswith("[") and "]:" in host)) else host
        return bare in self.bare

    def allows_origin(self, origin: str) -> bool:
        scheme, sep, rest = origin.strip().lower().partition("://")
        if not sep or scheme not in ("http", "https") or "/" in rest.rstrip("/"):
            return False
        return self.allows(rest.rstrip("/"))

    def describe(self) -> str:
        return ", ".join(sorted(self.exact | self.bare)) or "none"


class HostCheck:
    """421 for a `Host` header that is not one of the server's names (covers HTTP and websockets)."""

    def __init__(self, app: ASGIApp, hosts: HostNames) -> None:
        self.app = app
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and not self.hosts.allows(_header(scope, b"host")):
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            await send_error(send, 421, "misdirected_request",
                             f"this server does not answer to Host {(_header(scope, b'host') or '(none)')!r}: it answers to "
                             f"{self.hosts.describe()}; add a name to serve.allowed_hosts to allow it")
            return
        await self.app(scope, receive, send)


class OriginCheck:
    """403 for a state-changing request sent by another site's page."""

    def __init__(self, app: ASGIApp, hosts: HostNames, *, always: tuple[str, ...] = ("/mcp",)) -> None:
        self.app = app
        self.hosts = hosts
        self.always = always

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope.get("path", "")
            changes = scope.get("method", "GET") not in SAFE_METHODS or path.startswith(self.always)
            origin = _header(scope, b"origin")
            fetch_site = (_header(scope, b"sec-fetch-site") or "").lower()
            cross = (origin is not None and not self.hosts.allows_origin(origin)) or fetch_site == "cross-site"
            if changes and cross:
                await send_error(send, 403, "cross_origin",
                                 f"refused a {scope.get('method')} from another site (Origin {origin!r}): "
                                 "only pages served by this server may change it")
                return
        await self.app(scope, receive, send)


class WriteToken:
    """401 for a request to a writing route without the write token."""

    def __init__(self, app: ASGIApp, token: str, is_write: Callable[[str, str], bool], where: str) -> None:
        self.app = app
        self.token = token.encode()
        self.is_write = is_write
        self.where = where

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.is_write(scope.get("method", "GET"), scope.get("path", "")):
            header = (_header(scope, b"authorization") or "").encode("latin-1")
            scheme, _, given = header.partition(b" ")
            if scheme.lower() != b"bearer" or not hmac.compare_digest(given.strip(), self.token):
                message = (f"this route writes: send `Authorization: Bearer <token>` with the server's write token ({self.where}; "
                           "the opsgraph CLI and the web page send it themselves)")
                await send_error(send, 401, "unauthorized", message, [(b"www-authenticate", b"Bearer")])
                return
        await self.app(scope, receive, send)


class _TooLarge(HTTPException, LimitExceededError):
    """Raised from `receive`: an HTTP exception, so the framework's body parsing passes it on as a 413."""

    def __init__(self, message: str) -> None:
        HTTPException.__init__(self, 413, message)
        Exception.__init__(self, message)

    def __str__(self) -> str:
        return Exception.__str__(self)


class BodyLimit:
    """413 for a body over `max_bytes`: at once on Content-Length, else as soon as the streamed bytes pass it."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _message(self, size: str) -> str:
        return f"the request body ({size}) is over this server's limit of {self.max_bytes} bytes (serve.max_body_bytes)"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = _header(scope, b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                await send_error(send, 400, "bad_request", f"Content-Length {length!r} is not a number")
                return
            if declared > self.max_bytes:
                await send_error(send, 413, "too_large", self._message(f"{declared} bytes"))
                return
        seen = 0
        started = False

        async def counted() -> MutableMapping[str, Any]:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge(self._message(f"more than {self.max_bytes} bytes"))
            return message

        async def tracking(message: MutableMapping[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, tracking)
        except _TooLarge:
            if not started:
                await send_error(send, 413, "too_large", self._message(f"more than {self.max_bytes} bytes"))
