"""The wire under `HttpTransport`: one HTTP/1.1 request to one server, on a kept-alive connection per thread and server.

Why not httpx for every statement: a server query's own cost is a fraction of a
millisecond, and httpx's request handling (URL merging, header models, h11's state
machine, the auth flow) added 0.33-0.45 ms per query over `http.client` on the
same database (bench/server.py, the two wires taking turns). `StdlibWire` keeps one
`http.client` connection per (thread, server), sends the request line, headers and
body in one write (with `TCP_NODELAY`, as `http.client` sets it), checks an idle
connection is still open before it reuses it, and reconnects when the server
closed it. TLS uses the same `ssl` context choices httpx made (certifi's CA bundle
by default, a private CA file, or no verification when asked).

`HttpxWire` runs the same requests through a given `httpx` transport: tests pass
`httpx.MockTransport` to play an HA cluster's leader redirects.

Errors are the wire's own (`WireConnectError`, `WireConnectTimeout`,
`WireReadTimeout`, `WireBroken`); `HttpTransport` maps them to opsgraph's.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import select
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from opsgraph.errors import StoreUnavailableError

if TYPE_CHECKING:
    import httpx

__all__ = ["Answer", "HttpxWire", "StdlibWire", "Wire", "WireBroken", "WireConnectError", "WireConnectTimeout", "WireError",
           "WireReadTimeout", "tls_context"]


class WireError(StoreUnavailableError):
    """A request got no HTTP answer (`HttpTransport` words it for the caller)."""


class WireConnectError(WireError):
    """The server did not accept a connection (refused, unreachable, TLS handshake refused)."""


class WireConnectTimeout(WireConnectError):
    """The server did not accept a connection in time."""


class WireReadTimeout(WireError):
    """The server accepted the request but gave no answer in time."""


class WireBroken(WireError):
    """The connection broke while the request was sent or its answer read."""


@dataclass(frozen=True)
class Answer:
    """One HTTP response, read whole."""

    status_code: int
    headers: Mapping[str, str]
    """Lower-case names."""
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        """The body as JSON (`ValueError` when it is not)."""
        return json.loads(self.content)


class Wire(Protocol):
    def request(self, server: str, method: str, path: str, body: bytes | None, headers: Mapping[str, str], timeout_s: float) -> Answer: ...

    def close(self) -> None: ...


def tls_context(verify: bool | ssl.SSLContext) -> ssl.SSLContext:
    """The context https connections use: the one given, certifi's bundle (httpx's default), or no verification."""
    if isinstance(verify, ssl.SSLContext):
        return verify
    if not verify:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    try:
        import certifi

        return ssl.create_default_context(cafile=certifi.where())
    except ImportError:  # the system's CA store then
        return ssl.create_default_context()


def _closed_by_peer(conn: http.client.HTTPConnection) -> bool:
    """An idle kept-alive socket that is readable has been closed by the server (or holds junk): not reusable."""
    sock = conn.sock
    if sock is None:
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


class StdlibWire:
    """Requests over `http.client`: one kept-alive connection per thread and server. No I/O in the constructor."""

    def __init__(self, *, tls: bool | ssl.SSLContext = True, connect_timeout_s: float = 5.0) -> None:
        self.connect_timeout_s = connect_timeout_s
        self._tls = tls
        self._ctx: ssl.SSLContext | None = None
        self._local = threading.local()
        self._all: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    def _connection(self, server: str) -> http.client.HTTPConnection:
        conns: dict[str, http.client.HTTPConnection] | None = getattr(self._local, "conns", None)
        if conns is None:
            conns = self._local.conns = {}
        conn = conns.get(server)
        if conn is None:
            parts = urlsplit(server)
            host, port = parts.hostname or "", parts.port
            if parts.scheme == "https":
                if self._ctx is None:
                    self._ctx = tls_context(self._tls)
                conn = http.client.HTTPSConnection(host, port or 443, timeout=self.connect_timeout_s, context=self._ctx)
            else:
                conn = http.client.HTTPConnection(host, port or 80, timeout=self.connect_timeout_s)
            conns[server] = conn
            with self._lock:
                self._all.append(conn)
        elif _closed_by_peer(conn):
            conn.close()
        return conn

    def request(self, server: str, method: str, path: str, body: bytes | None, headers: Mapping[str, str], timeout_s: float) -> Answer:
        conn = self._connection(server)
        if conn.sock is None:
            conn.timeout = self.connect_timeout_s
            try:
                conn.connect()
            except TimeoutError as exc:
                conn.close()
                raise WireConnectTimeout(f"no connection within {self.connect_timeout_s:g} s") from exc
            except OSError as exc:  # refused, unreachable, a certificate the context does not trust
                conn.close()
                raise WireConnectError(f"{type(exc).__name__}: {exc}") from exc
        try:
            if conn.sock is None:
                raise OSError("the connection closed before the request was sent")
            conn.sock.settimeout(timeout_s)
            conn.request(method, path, body=body, headers=dict(headers))
            resp = conn.getresponse()
            data = resp.read()
        except TimeoutError as exc:
            conn.close()  # the answer may still come: this connection cannot carry another request
            raise WireReadTimeout(f"no answer within {timeout_s:g} s") from exc
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            raise WireBroken(f"{type(exc).__name__}: {exc}") from exc
        return Answer(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)

    def close(self) -> None:
        """Close every connection of every thread (a later request opens a new one)."""
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.close()
        self._local = threading.local()


class HttpxWire:
    """Requests through an `httpx` transport (tests: `httpx.MockTransport`)."""

    def __init__(self, transport: httpx.BaseTransport, *, connect_timeout_s: float = 5.0) -> None:
        import httpx

        self._httpx = httpx
        self.connect_timeout_s = connect_timeout_s
        self._client = httpx.Client(transport=transport, follow_redirects=False)

    def request(self, server: str, method: str, path: str, body: bytes | None, headers: Mapping[str, str], timeout_s: float) -> Answer:
        httpx = self._httpx
        try:
            r = self._client.request(method, server + path, content=body, headers=dict(headers),
                                     timeout=httpx.Timeout(timeout_s, connect=self.connect_timeout_s))
        except httpx.ConnectTimeout as exc:
            raise WireConnectTimeout(f"no connection within {self.connect_timeout_s:g} s") from exc
        except httpx.TimeoutException as exc:
            raise WireReadTimeout(f"no answer within {timeout_s:g} s") from exc
        except httpx.ConnectError as exc:
            raise WireConnectError(f"{type(exc).__name__}: {exc}") from exc
        except httpx.TransportError as exc:
            raise WireBroken(f"{type(exc).__name__}: {exc}") from exc
        return Answer(r.status_code, {k.lower(): v for k, v in r.headers.items()}, r.content)

    def close(self) -> None:
        self._client.close()
