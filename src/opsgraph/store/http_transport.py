"""`HttpTransport`: `ArcadeDBStore` over an ArcadeDB server's HTTP API (one server, or several).

The store above it is the same code as on the embedded engine; this module
only runs statements and makes the server's answers look like the embedded
engine's, so both backends behave alike:
- reads go to `POST /api/v1/query/{db}` (the engine refuses writes there:
  `WriteRefusedError`), writes to `POST /api/v1/command/{db}`;
- a transaction is a server session (`/api/v1/begin`, `commit`, `rollback`
  with the `arcadedb-session-id` header), held per thread like the embedded
  engine's; an exception rolls it back;
- time limits are the database's `arcadedb.command.timeout` (the engine
  stops the statement: `QueryTimeoutError`), plus a client-side read timeout
  a little longer, so a server that stops answering cannot hang a caller;
- records come back as JSON (`@rid`, `@type`, `@cat`, `@in`, `@out`): they
  are turned into the embedded shapes (`_type`, `_from`/`_to` as node ids,
  paths as `nodes`/`edges`, `_hash` hidden);
- engine errors become `QueryError` and its kin with the engine's own words.

Several URLs make a cluster client: reads go to a healthy server (round
robin) and an idempotent read is retried on the next one when a server does
not answer; writes and transactions go to the leader, the first URL until a
server names another (an HTTP redirect or `ServerIsNotTheLeaderException`).
`last_server` says which server answered the last statement. It was tested
against several independent single servers (the HA plugin is not in the
PyPI wheels): see tests/integration/store/test_server_failover.py.

Each request goes over `http_wire`: the standard library's `http.client` on a
kept-alive connection per thread and server (httpx added 0.33-0.45 ms per
query on top of it: bench/server.py); an injected
`httpx` transport (tests' `MockTransport`) is used as given.

Credentials are passed in (the app reads them from the environment or a
0600 file); nothing here reads configuration.
"""

from __future__ import annotations

import base64
import contextlib
import json
import math
import re
import ssl
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from opsgraph.errors import QueryError, QueryTimeoutError, StoreError, StoreUnavailableError, WriteRefusedError
from opsgraph.store.http_wire import Answer, HttpxWire, StdlibWire, Wire, WireConnectTimeout, WireError, WireReadTimeout

if TYPE_CHECKING:
    import httpx

_IF_NOT_EXISTS = re.compile(r"\s*CREATE\s+.*\bIF\s+NOT\s+EXISTS\b", re.IGNORECASE | re.DOTALL)
"""Idempotent DDL: safe to run again when a concurrent creator won the race."""

_GRACE_S = 5.0
"""How much longer than the engine's own time limit the client waits for an answer."""
_COOLDOWN_S = 5.0
"""How long a server that did not answer is skipped by reads before it is tried again."""
_LEADER = re.compile(r"(?:leader(?: is)?|Leader)\D{0,20}?((?:https?://)?[\w.-]+:\d+)")
_NO_LIMIT = -1


class EngineRefusalError(QueryError):
    """The server answered with an error (carries the engine's exception class name)."""

    def __init__(self, message: str, *, exception: str = "", status: int = 0, cypher: str | None = None) -> None:
        self.exception = exception
        self.http_status = status
        super().__init__(message, cypher=cypher)


class _Session:
    """One open server transaction: its id and the server that holds it."""

    def __init__(self, server: str, sid: str) -> None:
        self.server = server
        self.sid = sid
        self.broken = False
        """True once the server rolled it back itself (a failed command inside it)."""


class HttpTransport:
    """Runs statements against one database of an ArcadeDB server (or one of several servers) over HTTP.

    Args:
        urls: one server URL (`http://127.0.0.1:2480`) or several (the first is the write leader
            until a server names another).
        database: the database name (one database per estate, or per tenant).
        user, password: the server account (basic auth).
        verify: check the server's TLS certificate (https URLs).
        ca_file: a CA bundle to check it against (a private CA).
        create: create the database on `open()` when the server does not have it.
        connect_timeout_s: how long to wait for a server to accept a connection.
        http: an `httpx` transport for every request (tests give `httpx.MockTransport` to play an HA
            cluster's leader redirects, which the single servers available here never send).
    """

    def __init__(
        self,
        urls: str | Sequence[str],
        database: str,
        *,
        user: str = "root",
        password: str | None = None,
        verify: bool = True,
        ca_file: str | Path | None = None,
        create: bool = True,
        connect_timeout_s: float = 5.0,
        http: httpx.BaseTransport | None = None,
    ) -> None:
        listed = [urls] if isinstance(urls, str) else list(urls)
        self.urls = [u.rstrip("/") for u in listed if u and u.strip()]
        if not self.urls:
            raise StoreError("the server store needs at least one server URL (store.url)")
        for u in self.urls:
            if urlsplit(u).scheme not in ("http", "https") or not urlsplit(u).netloc:
                raise StoreError(f"store.url {u!r} is not an http(s) URL such as http://127.0.0.1:2480")
        if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_-]*$", database or ""):
            raise StoreError(f"store.database {database!r} is not a valid database name (letters, digits, _ and -)")
        self.database = database
        self.user = user
        self._password = password
        self.verify = verify
        self.ca_file = Path(ca_file) if ca_file else None
        self._tls: bool | ssl.SSLContext = verify
        self.create = create
        self.connect_timeout_s = connect_timeout_s
        self._http = http
        self._wire: Wire | None = None
        self._auth = "Basic " + base64.b64encode(f"{user}:{password or ''}".encode()).decode("ascii")
        self.leader = self.urls[0]
        """Where writes and transactions go."""
        self.last_server: str | None = None
        """The server that answered the last statement (any thread)."""
        self._down: dict[str, float] = {}
        self._next_read = 0
        self._lock = threading.Lock()
        self._local = threading.local()
        self._timeout_ms = 30_000
        self._applied_timeout: dict[str, int] = {}
        self._open = False

    def __repr__(self) -> str:  # never shows the password
        return f"HttpTransport({self.urls!r}, database={self.database!r}, user={self.user!r})"

    # -- lifecycle -------------------------------------------------------------
    def open(self) -> None:
        if self._open:
            return
        self._tls = self._tls_settings()
        if self._http is not None:
            self._wire = HttpxWire(self._http, connect_timeout_s=self.connect_timeout_s)
        else:
            self._wire = StdlibWire(tls=self._tls, connect_timeout_s=self.connect_timeout_s)
        self._open = True
        try:
            self._ensure_database()
        except BaseException:
            self.close()
            raise

    def _ensure_database(self) -> None:
        """Check the account and the database on the leader (creating the database when allowed)."""
        resp = self._send(self.leader, "GET", f"/api/v1/exists/{quote(self.database)}", None, None, read=False)
        exists = bool(resp.get("result"))
        if not exists:
            if not self.create:
                raise StoreError(f"the server {self.leader} has no database {self.database!r} (create it, or allow opsgraph to)")
            try:
                self._send(self.leader, "POST", "/api/v1/server", {"command": f"create database {self.database}"}, None, read=False)
            except StoreError:
                # Another process (a second `serve` worker, a CLI) may have created it since the check: then all is well.
                again = self._send(self.leader, "GET", f"/api/v1/exists/{quote(self.database)}", None, None, read=False)
                if not again.get("result"):
                    raise

    def _tls_settings(self) -> bool | ssl.SSLContext:
        """What httpx checks server certificates with: a context trusting `ca_file` (httpx 0.28 deprecates a path), or `verify`."""
        if self.ca_file is None or not self.verify:
            return self.verify
        try:
            return ssl.create_default_context(cafile=str(self.ca_file))
        except (OSError, ssl.SSLError) as exc:
            raise StoreError(f"store.ca_file {self.ca_file}: cannot be read as a PEM CA bundle ({exc})") from exc

    def close(self) -> None:
        if self._wire is not None:
            self._wire.close()
            self._wire = None
        self._applied_timeout.clear()
        self._open = False

    # -- statements ------------------------------------------------------------
    def query(self, language: str, text: str, params: Mapping[str, Any] | None, limit: int | None) -> tuple[list[dict[str, Any]], bool]:
        body = self._body(language, text, params, _NO_LIMIT if limit is None else limit)
        session = self._session()
        if session is not None:  # inside a transaction: read what it wrote, on the server that holds it
            resp = self._statement(session.server, "query", body, session, text)
        elif getattr(self._local, "pinned", False):
            resp = self._statement(self.leader, "query", body, None, text)
        else:
            resp = self._read(body, text)
        rows = self._rows(resp.get("result"), session)
        truncated = bool(resp.get("truncated"))
        if limit is not None and len(rows) > limit:
            rows, truncated = rows[:limit], True
        return rows, truncated

    def command(self, language: str, text: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        body = self._body(language, text, params, _NO_LIMIT)
        session = self._session()
        try:
            resp = self._statement(session.server if session else self.leader, "command", body, session, text)
        except StoreError as exc:
            # The engine checks `IF NOT EXISTS` and creates in two steps: when another client (a second `serve`
            # worker opening the same database) creates the same type, property or index in between, it answers
            # "already exists". Run once more: the check now sees it, and the statement is a no-op.
            if session is not None or not _IF_NOT_EXISTS.match(text) or "already exists" not in str(exc):
                raise
            resp = self._statement(self.leader, "command", body, None, text)
        return self._rows(resp.get("result"), session)

    def set_timeout(self, ms: int) -> None:
        """Later statements are stopped by the engine after `ms` (the database's `arcadedb.command.timeout`)."""
        self._timeout_ms = int(ms)

    @contextlib.contextmanager
    def pinned(self) -> Iterator[None]:
        """Inside the block, this thread's reads go to the write leader too (no other server, no retry elsewhere)."""
        outer = getattr(self._local, "pinned", False)
        self._local.pinned = True
        try:
            yield
        finally:
            self._local.pinned = outer

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        if self._session() is not None:
            raise StoreError("transactions do not nest")
        server = self.leader
        self._apply_timeout(server)
        resp = self._request(server, "POST", f"/api/v1/begin/{quote(self.database)}", None, None)
        sid = resp.headers.get("arcadedb-session-id")
        if resp.status_code >= 300 or not sid:
            raise self._error(resp, "begin a transaction")
        session = _Session(server, sid)
        self._local.session = session
        try:
            yield
        except BaseException:
            self._local.session = None
            self._rollback(session)
            raise
        self._local.session = None
        if session.broken:
            raise QueryError("the server rolled the transaction back after a failed statement: nothing of it was committed")
        try:
            resp = self._request(server, "POST", f"/api/v1/commit/{quote(self.database)}", None, session)
        except StoreUnavailableError as exc:
            raise StoreUnavailableError(
                f"{exc}; the commit's outcome is unknown (the server may or may not have applied it)"
            ) from exc
        if resp.status_code >= 300:
            err = self._error(resp, "commit")
            raise QueryError(f"commit failed: {err}") from err

    def _rollback(self, session: _Session) -> None:
        if session.broken:
            return  # the server already rolled it back
        with contextlib.suppress(StoreError):
            self._request(session.server, "POST", f"/api/v1/rollback/{quote(self.database)}", None, session)

    # -- plumbing --------------------------------------------------------------
    def _session(self) -> _Session | None:
        return getattr(self._local, "session", None)

    def _body(self, language: str, text: str, params: Mapping[str, Any] | None, limit: int) -> dict[str, Any]:
        body: dict[str, Any] = {"language": language, "command": text, "limit": limit, "serializer": "record"}
        if params:
            body["params"] = {k: _jsonable(v) for k, v in params.items()}
        return body

    def _read(self, body: dict[str, Any], text: str) -> dict[str, Any]:
        """An idempotent read: the next healthy server, then each other one if a server does not answer."""
        order = self._read_order()
        last: StoreUnavailableError | None = None
        refused: QueryError | None = None
        for server in order:
            try:
                return self._statement(server, "query", body, None, text)
            except StoreUnavailableError as exc:
                last = exc
            except QueryTimeoutError:
                raise
            except QueryError as exc:  # a server shutting down answers 400: try the others; a bad query fails on all
                refused = refused or exc
        if refused is not None:
            raise refused
        assert last is not None
        if len(order) == 1:
            raise last
        raise StoreUnavailableError(f"no server answered the read ({'; '.join(order)}): {last}") from last

    def _read_order(self) -> list[str]:
        with self._lock:
            now = time.monotonic()
            start = self._next_read % len(self.urls)
            self._next_read += 1
            ring = self.urls[start:] + self.urls[:start]
            up = [u for u in ring if self._down.get(u, 0.0) <= now]
            return up + [u for u in ring if u not in up]

    def _statement(self, server: str, kind: str, body: dict[str, Any], session: _Session | None, text: str) -> dict[str, Any]:
        if session is None:
            self._apply_timeout(server)
        try:
            return self._send(server, "POST", f"/api/v1/{kind}/{quote(self.database)}", body, session, read=kind == "query", cypher=text)
        except EngineRefusalError as exc:
            if session is not None and kind == "command":
                session.broken = True  # the server rolls a session back when one of its commands fails
            raise self._plain(exc, text) from exc

    def _send(
        self, server: str, method: str, path: str, body: dict[str, Any] | None, session: _Session | None, *, read: bool, cypher: str | None = None
    ) -> dict[str, Any]:
        resp = self._request(server, method, path, body, session)
        if resp.status_code in (301, 302, 303, 307, 308) and resp.headers.get("location") and not read:
            # A replica pointing at the leader: follow it once and remember it for later writes.
            target = _origin(resp.headers["location"])
            if target and target != server:
                self._new_leader(target)
                resp = self._request(target, method, path, body, session)
        if resp.status_code >= 300:
            err = self._error(resp, "run the statement", cypher=cypher)
            leader = _named_leader(err, self.urls)
            if leader and leader != server and session is None and not read:
                self._new_leader(leader)
                return self._send(leader, method, path, body, None, read=read, cypher=cypher)
            raise err
        if resp.status_code == 204 or not resp.content:
            return {}
        try:
            data = resp.json()
        except ValueError as exc:
            raise StoreError(f"the server {server} answered with something that is not JSON: {resp.text[:200]!r}") from exc
        return data if isinstance(data, dict) else {"result": data}

    def _new_leader(self, url: str) -> None:
        with self._lock:
            if url not in self.urls:
                self.urls.append(url)
            self.leader = url

    def _request(self, server: str, method: str, path: str, body: dict[str, Any] | None, session: _Session | None) -> Answer:
        wire = self._wire
        if wire is None:
            raise StoreError("the store is not open: call open() or use it as a context manager")
        headers = {"authorization": self._auth}
        if session is not None:
            headers["arcadedb-session-id"] = session.sid
        content = None
        if body is not None:
            headers["content-type"] = "application/json"
            content = json.dumps(body, allow_nan=False, separators=(",", ":")).encode("utf-8")
        try:
            resp = wire.request(server, method, path, content, headers, self._timeout_ms / 1000 + _GRACE_S)
        except WireConnectTimeout as exc:
            self._mark_down(server)
            raise StoreUnavailableError(f"the ArcadeDB server {server} did not accept a connection within {self.connect_timeout_s:g} s") from exc
        except WireReadTimeout as exc:
            raise QueryTimeoutError(
                f"the server {server} gave no answer within {self._timeout_ms / 1000 + _GRACE_S:g} s (the time limit plus {_GRACE_S:g} s)"
            ) from exc
        except WireError as exc:
            self._mark_down(server)
            raise StoreUnavailableError(f"the ArcadeDB server {server} did not answer: {exc}") from exc
        with self._lock:
            self._down.pop(server, None)
        self.last_server = server
        if resp.status_code in (401, 403):
            raise StoreError(
                f"the ArcadeDB server {server} refused user {self.user!r}: {_detail(resp) or 'wrong user or password'}. "
                "Set OPSGRAPH_SERVER_PASSWORD or store.password_file to the server's password."
            )
        return resp

    def _mark_down(self, server: str) -> None:
        with self._lock:
            self._down[server] = time.monotonic() + _COOLDOWN_S

    def _apply_timeout(self, server: str) -> None:
        """Make the database's command timeout the one asked for (one request, only when it changed)."""
        if self._applied_timeout.get(server) == self._timeout_ms:
            return
        body = {"language": "sql", "command": f"ALTER DATABASE `arcadedb.command.timeout` {int(self._timeout_ms)}"}
        with contextlib.suppress(EngineRefusalError):  # an account without admin rights: the client-side timeout still holds
            self._send(server, "POST", f"/api/v1/command/{quote(self.database)}", body, None, read=False)
        self._applied_timeout[server] = self._timeout_ms

    @staticmethod
    def _error(resp: Answer, doing: str, *, cypher: str | None = None) -> EngineRefusalError:
        try:
            data = resp.json()
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        exception = str(data.get("exception") or "").rsplit(".", 1)[-1]
        detail = str(data.get("detail") or data.get("error") or resp.text[:300] or f"HTTP {resp.status_code}")
        message = f"{exception}: {detail}" if exception else f"could not {doing}: {detail}"
        return EngineRefusalError(message, exception=exception, status=resp.status_code, cypher=cypher)

    @staticmethod
    def _plain(exc: EngineRefusalError, text: str) -> StoreError:
        """The error class the embedded engine raises for the same failure."""
        name, msg = exc.exception, str(exc)
        if name == "TimeoutException":
            return QueryTimeoutError(f"the query ran past its time limit and was stopped: {msg}", cypher=text)
        if name == "QueryNotIdempotentException" or "not idempotent" in msg:
            return WriteRefusedError(f"the engine refused a write in a read-only query: {msg}", cypher=text)
        if name == "DatabaseNotAvailableException":
            return StoreError(f"the server has no such database (dropped while in use?): {msg}")
        return QueryError(msg, cypher=text)

    # -- results ---------------------------------------------------------------
    def _rows(self, result: Any, session: _Session | None) -> list[dict[str, Any]]:
        if not isinstance(result, list):
            return []
        rids: set[str] = set()
        for row in result:
            _edge_ends(row, rids)
        ids = self._ids_of(rids, session) if rids else {}
        out = []
        for row in result:
            if not isinstance(row, dict):
                out.append({"value": row})
                continue
            if "@cat" in row or "@rid" in row:  # the row is a record: its properties, as the embedded engine gives them
                out.append({k: _value(v, ids) for k, v in row.items() if not k.startswith("@")})
            else:
                out.append({k: _value(v, ids) for k, v in row.items()})
        return out

    def _ids_of(self, rids: set[str], session: _Session | None) -> dict[str, Any]:
        """Record id → the vertex's `id` property, for edges' `_from`/`_to`."""
        listed = ", ".join(sorted(r for r in rids if re.match(r"^#\d+:\d+$", r)))
        body = self._body("sql", f"SELECT @rid AS rid, id FROM [{listed}]", None, _NO_LIMIT)
        server = session.server if session else (self.last_server or self.leader)
        resp = self._send(server, "POST", f"/api/v1/query/{quote(self.database)}", body, session, read=True)
        return {str(r.get("rid")): r.get("id") for r in resp.get("result") or [] if isinstance(r, dict)}


def _edge_ends(value: Any, into: set[str]) -> None:
    if isinstance(value, dict):
        if value.get("@cat") == "e":
            for key in ("@in", "@out"):
                if isinstance(value.get(key), str):
                    into.add(value[key])
        for v in value.values():
            _edge_ends(v, into)
    elif isinstance(value, list):
        for v in value:
            _edge_ends(v, into)


def _value(value: Any, ids: Mapping[str, Any]) -> Any:
    """A JSON value in the embedded engine's shape (records, edges, paths)."""
    if isinstance(value, list):
        return [_value(v, ids) for v in value]
    if not isinstance(value, dict):
        return value
    cat = value.get("@cat")
    if cat is not None or "@rid" in value:
        props = {k: _value(v, ids) for k, v in value.items() if not k.startswith("@") and k != "_hash"}
        if cat == "e":
            return {"_type": value.get("@type"), "_from": ids.get(str(value.get("@out"))), "_to": ids.get(str(value.get("@in"))), **props}
        return {"_type": value.get("@type"), **props} if "@type" in value else props
    if value.get("_type") == "path" and "relationships" in value:
        return {"nodes": _value(value.get("nodes") or [], ids), "edges": _value(value.get("relationships") or [], ids)}
    return {k: _value(v, ids) for k, v in value.items()}


def _jsonable(value: Any) -> Any:
    """Parameters as JSON: tuples and sets as lists, numpy numbers as Python ones, NaN as null."""
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    item = getattr(value, "item", None)  # numpy scalar
    if callable(item) and getattr(value, "ndim", 1) == 0:
        return _jsonable(item())
    tolist = getattr(value, "tolist", None)  # numpy array
    if callable(tolist):
        return _jsonable(tolist())
    return str(value)


def _detail(resp: Answer) -> str:
    try:
        data = resp.json()
    except ValueError:
        return resp.text[:200]
    return str(data.get("detail") or data.get("error") or "") if isinstance(data, dict) else ""


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def _named_leader(err: EngineRefusalError, known: Sequence[str]) -> str | None:
    """The leader a `ServerIsNotTheLeaderException` names, when it is one of the known servers (or a full URL)."""
    if "NotTheLeader" not in err.exception and "not the leader" not in str(err).lower():
        return None
    m = _LEADER.search(str(err))
    if not m:
        return None
    named = m.group(1)
    if named.startswith("http"):
        return named.rstrip("/")
    for url in known:
        if urlsplit(url).netloc == named:
            return url
    return None


def server_store(
    url: str | Sequence[str],
    *,
    database: str = "opsgraph",
    user: str = "root",
    password: str | None = None,
    verify: bool = True,
    ca_file: str | Path | None = None,
    create: bool = True,
    **store_settings: Any,
) -> Any:
    """The `arcadedb-server` backend: an `ArcadeDBStore` over an `HttpTransport` (registered in `opsgraph.store.BACKENDS`).

    `store_settings` are `ArcadeDBStore`'s own (`batch_size`, `timeout_ms`, `journal_dir`, ...).
    """
    from opsgraph.store.arcadedb import ArcadeDBStore

    transport = HttpTransport(url, database, user=user, password=password, verify=verify, ca_file=ca_file, create=create)
    return ArcadeDBStore(transport=transport, **store_settings)
