"""`opsgraph serve` and `opsgraph mcp`, and the forwarding of CLI commands to a running server.

- `opsgraph serve [--host] [--port] [--token] [--home]`: the HTTP API, the web
  page at `/` and MCP at `/mcp`, in this process. It opens the store first
  (so a locked home fails at once, in one line), then prints the URL.
- `opsgraph mcp [--home] [--allow-writes] [--http ...]`: the MCP server on
  stdio (for agents that launch it) or on streamable HTTP.
- `open_or_forward(home)`: what `query`, `ask` and `schema show` open. The
  embedded store allows one process; when `opsgraph serve` holds the home,
  opening fails with `StoreLockedError`, and these commands then go through
  the server named in `<home>/serve.json` instead of failing.

Heavy imports (FastAPI, uvicorn, the MCP SDK) happen inside the commands, so
the rest of the CLI works without the `serve` extra.
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel
from rich.markup import escape

from opsgraph.app import OpsGraph, load_settings
from opsgraph.cli._common import HomeOpt, err
from opsgraph.cli._common import fail as _fail
from opsgraph.errors import ConfigError, OpsGraphError, StoreLockedError, WriteRefusedError


def _need_serve_extra() -> None:
    try:
        import fastapi  # noqa: F401
        import mcp  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        raise _fail(f"serving needs the serve extra ({exc.name} is missing): pip install 'opsgraph[serve]'") from exc


def _print_banner(first: str, url: str, *, mcp: bool, mcp_writes: bool, token: bool) -> None:
    """What `serve` prints once it answers: where the page, the API docs and MCP are, and what every call needs."""
    lines = [first, f"  web page   {url}/", f"  API docs   {url}/docs"]
    if mcp:
        lines.append(f"  MCP        {url}/mcp" + ("" if mcp_writes else " (read-only tools)"))
    if token:
        lines.append("  every call needs: Authorization: Bearer <token>")
    lines.append("Ctrl-C stops it.")
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()


# -- commands ----------------------------------------------------------------------------
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (default 127.0.0.1). Anything else needs a token.")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8765; 0 picks a free one).")] = None,
    token: Annotated[str | None, typer.Option(help="Bearer token clients must send (default $OPSGRAPH_TOKEN).")] = None,
    home: HomeOpt = None,
    read_only: Annotated[bool, typer.Option("--read-only", help="Refuse ingest, training and promotion over HTTP.")] = False,
    mcp_writes: Annotated[bool, typer.Option("--mcp-writes", help="Give the MCP endpoint its write tools (ingest, writing Cypher).")] = False,
    no_mcp: Annotated[bool, typer.Option("--no-mcp", help="Do not mount the MCP server at /mcp.")] = False,
    access_log: Annotated[bool, typer.Option("--access-log", help="Log every request.")] = False,
    workers: Annotated[int, typer.Option("--workers", help="API worker processes on one port (more than 1 needs store.backend: arcadedb-server).")] = 1,
) -> None:
    """Serve the HTTP API, the web page (/) and MCP (/mcp) for one home; prints the URL."""
    _need_serve_extra()
    from opsgraph.api.http.server import check_bind, run_server

    try:
        settings = load_settings(home=home)
        cfg = settings.serve
        host = host or cfg.host
        port = cfg.port if port is None else port
        token = token or (cfg.token.get_secret_value() if cfg.token else None)
        if workers != 1:
            _serve_workers(settings, workers, host=host, port=port, token=token, read_only=read_only, mcp_writes=mcp_writes, no_mcp=no_mcp,
                           access_log=access_log)
            return
        if settings.tenant is None and settings.all_tenants():  # every tenant, each behind its own token
            from opsgraph.cli.tenant import serve_tenants

            serve_tenants(settings, host=host, port=port, token=token, read_only=read_only, mcp_writes=mcp_writes, no_mcp=no_mcp,
                          access_log=access_log)
            return
        if settings.tenant is not None and not token:
            raise ConfigError(f"tenant {settings.tenant}: its token cannot be read, so it cannot be served (see `opsgraph tenant list`)")
        check_bind(host, token)  # before the store opens: a refused bind touches nothing
        og = OpsGraph(settings).open()
    except OpsGraphError as exc:
        raise _fail(str(exc)) from exc

    def ready(url: str) -> None:
        _print_banner(f"opsgraph serving {settings.home} at {url}", url, mcp=not no_mcp, mcp_writes=mcp_writes, token=bool(token))

    try:
        run_server(og, host=host, port=port, token=token, allow_writes=not read_only, mcp=not no_mcp,
                   mcp_writes=mcp_writes, access_log=access_log, on_ready=ready)
    except OpsGraphError as exc:
        raise _fail(str(exc)) from exc
    finally:
        og.close()


def _serve_workers(settings: Any, workers: int, *, host: str, port: int, token: str | None, read_only: bool, mcp_writes: bool, no_mcp: bool,
                   access_log: bool) -> None:
    """`opsgraph serve --workers N`: the parent binds, N worker processes serve (`api/http/workers.py`)."""
    from opsgraph.api.http.workers import check_workers, run_workers

    if settings.tenant is not None and not token:
        raise ConfigError(f"tenant {settings.tenant}: its token cannot be read, so it cannot be served (see `opsgraph tenant list`)")
    check_workers(settings, workers)

    def ready(url: str, pids: list[int]) -> None:
        _print_banner(f"opsgraph serving {settings.home} at {url} with {len(pids)} workers (pids {', '.join(map(str, pids))})", url,
                      mcp=not no_mcp, mcp_writes=mcp_writes, token=bool(token))

    status = run_workers(settings, workers, host=host, port=port, token=token, allow_writes=not read_only, mcp=not no_mcp,
                         mcp_writes=mcp_writes, access_log=access_log, on_ready=ready, report=lambda line: err.print(escape(line), highlight=False))
    if status:
        raise typer.Exit(status)


def mcp_command(
    home: HomeOpt = None,
    allow_writes: Annotated[bool, typer.Option("--allow-writes", help="Add the write tools: ingest_estate and write_graph.")] = False,
    http: Annotated[bool, typer.Option("--http", help="Serve MCP over streamable HTTP at /mcp instead of stdio.")] = False,
    host: Annotated[str | None, typer.Option(help="With --http: address to bind (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="With --http: port (default 8765; 0 picks a free one).")] = None,
    token: Annotated[str | None, typer.Option(help="With --http: bearer token (default $OPSGRAPH_TOKEN).")] = None,
) -> None:
    """The MCP server for agents: stdio by default (an agent launches `opsgraph mcp --home DIR`), or --http."""
    _need_serve_extra()
    from opsgraph.api.http.server import read_serve_file

    try:
        settings = load_settings(home=home)
    except OpsGraphError as exc:
        raise _fail(str(exc)) from exc
    running = read_serve_file(settings.home)
    hint = f"`opsgraph serve` holds this home: point the agent at {running['url']}/mcp instead" if running else None
    if not http:
        from opsgraph.api.mcp import run_stdio

        try:
            run_stdio(settings, allow_writes=allow_writes, served_hint=hint)
        except Exception as exc:  # the lifespan already said why on stderr; exit without a traceback
            raise typer.Exit(1) from exc
        return
    _serve_mcp_http(settings, host, port, token, allow_writes, hint)


def _serve_mcp_http(settings: Any, host: str | None, port: int | None, token: str | None, allow_writes: bool, hint: str | None) -> None:
    from opsgraph.api.http.server import TOKEN_FILE, bind, check_bind, server_names, url_for, uvicorn_server, write_token
    from opsgraph.api.mcp import mcp_http_app
    from opsgraph.api.service import Served

    cfg = settings.serve
    host = host or cfg.host
    port = cfg.port if port is None else port
    token = token or (cfg.token.get_secret_value() if cfg.token else None)
    try:
        check_bind(host, token)
        og = OpsGraph(settings).open()
    except StoreLockedError as exc:
        raise _fail(f"{exc}" + (f"\n{hint}" if hint else "")) from exc
    except OpsGraphError as exc:
        raise _fail(str(exc)) from exc
    try:
        sock = bind(host, port)
        actual = sock.getsockname()[1]
        hosts = server_names(host, actual, cfg.allowed_hosts)
        wtoken = (token or write_token(settings.home)) if allow_writes else None
        where = "the token the server was started with" if token else f"it is in {settings.home / TOKEN_FILE} on the server"
        app = mcp_http_app(Served(og, allow_writes=allow_writes), token=token, hosts=hosts, write_token=wtoken, token_where=where)
        sys.stdout.write(f"opsgraph MCP for {settings.home} at {url_for(host, actual)}/mcp\nCtrl-C stops it.\n")
        sys.stdout.flush()
        uvicorn_server(app).run(sockets=[sock])
    except OpsGraphError as exc:
        raise _fail(str(exc)) from exc
    finally:
        og.close()


# -- forwarding to a running server ----------------------------------------------------------
class ServerError(OpsGraphError):
    """The running server refused or failed a forwarded command."""

    code = "server_error"
    status = 502


class RemoteGraph:
    """A thin client of `opsgraph serve` for the commands the CLI forwards: query (read-only), ask, describe.

    It sends the API's own request bodies (`api.http.models`) and rebuilds the facade's return types from
    the responses the API makes of them (`QueryResult`, `Answer.from_dict`, `LiveType`); an error body
    becomes the error class that declares its code (`api.errors.error_from_body`). No logic of its own.
    """

    def __init__(self, url: str, token: str | None, *, timeout: float = 600.0) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def __enter__(self) -> RemoteGraph:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def _call(self, method: str, path: str, body: BaseModel | None = None) -> Any:
        data = body.model_dump_json().encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            from opsgraph.api.errors import error_from_body

            try:
                answer = json.loads(exc.read())
            except ValueError:
                raise ServerError(f"the server at {self.url} answered {exc.code} {exc.reason}") from exc
            raise error_from_body(exc.code, answer) from exc
        except (urllib.error.URLError, OSError) as exc:
            raise ServerError(f"cannot reach the server at {self.url}: {getattr(exc, 'reason', exc)}") from exc

    def query(self, cypher: str, params: dict[str, Any] | None = None, *, write: bool = False, limit: int | None = None) -> Any:
        from opsgraph import QueryResult
        from opsgraph.api.http.models import QueryRequest, QueryResponse

        if write:  # the API has no writing query: say so before sending
            raise WriteRefusedError(
                f"this home is held by `opsgraph serve` at {self.url}, whose API runs queries read-only; "
                "stop the server to run a query that writes (or use its MCP tool write_graph: `opsgraph serve --mcp-writes`)"
            )
        request = QueryRequest(cypher=cypher, params=params or {}, limit=limit or 1000)
        return QueryResult(**QueryResponse.model_validate(self._call("POST", "/v1/query", request)).model_dump())

    def ask(self, question: str, *, session: str | None = None, user: str | None = None, use_cache: bool = True) -> Any:
        from opsgraph import Answer
        from opsgraph.api.http.models import AskRequest

        return Answer.from_dict(self._call("POST", "/v1/ask", AskRequest(question=question, session=session, user=user, use_cache=use_cache)))

    def describe(self) -> list[Any]:
        from opsgraph import LiveType

        return [LiveType(**{**t, "endpoints": [tuple(e) for e in t.get("endpoints") or []]}) for t in self._call("GET", "/v1/schema")["types"]]

    def describe_text(self) -> str:
        return str(self._call("GET", "/v1/schema")["text"])


def _server_alive(url: str, timeout: float = 3.0) -> bool:
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/healthz", timeout=timeout) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def open_or_forward(home: Path | None) -> OpsGraph | RemoteGraph:
    """Open the home's store; if `opsgraph serve` holds it, a `RemoteGraph` that forwards to that server."""
    from opsgraph.api.http.server import read_serve_file

    settings = load_settings(home=home)
    try:
        return OpsGraph(settings).open()
    except StoreLockedError:
        info = read_serve_file(settings.home)
        if info is None or not _server_alive(str(info["url"])):
            raise
        token = info.get("token") or (settings.serve.token.get_secret_value() if settings.serve.token else None)
        if token is None:  # the home's write token (0600): this user may read it, so the server takes it
            from opsgraph.api.http.server import read_write_token

            token = read_write_token(settings.home)
        err.print(f"[dim]{escape(str(settings.home))} is held by opsgraph serve at {escape(str(info['url']))}: "
                  "forwarding this command to it[/]", highlight=False)
        return RemoteGraph(str(info["url"]), token)
