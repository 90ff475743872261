"""`opsgraph tenant add|list`, and `opsgraph serve` over every tenant of a home.

`--tenant NAME` (on `opsgraph` itself, or `$OPSGRAPH_TENANT`) scopes every
other command to one tenant's sub-home; see `app/tenancy.py` for what a
tenant is and `api/http/tenants.py` for how one server keeps them apart.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from opsgraph.app import OpsGraph, TenantInfo, add_tenant, list_tenants, load_settings, tenant_tokens
from opsgraph.cli._common import HomeOpt, console, err
from opsgraph.cli._common import fail as _fail
from opsgraph.errors import OpsGraphError

tenant_app = typer.Typer(help="Tenants: estates kept apart on one home, each behind its own token.", no_args_is_help=True)


def _as_dict(t: TenantInfo) -> dict[str, Any]:
    return {"name": t.name, "home": str(t.home), "token": t.token_source, "token_problem": t.token_problem,
            "database": t.database, "redis_prefix": t.redis_prefix, "ingested": t.ingested}


@tenant_app.command("add")
def tenant_add(
    name: Annotated[str, typer.Argument(help="Tenant name: 1-32 lowercase letters and digits, a letter first.")],
    home: HomeOpt = None,
    rotate: Annotated[bool, typer.Option("--rotate", help="Replace an existing token file with a new token.")] = False,
) -> None:
    """Make a tenant: its sub-home and (unless its token comes from an environment variable) a generated 0600 token file."""
    try:
        info = add_tenant(load_settings(home=home, tenant=""), name, rotate=rotate)
    except OpsGraphError as exc:
        raise _fail(str(exc)) from exc
    console.print(f"tenant [bold]{escape(info.name)}[/]: home {escape(str(info.home))}", highlight=False, soft_wrap=True)
    if info.new_token:
        console.print(f"  token written to {escape(info.token_source)} (mode 0600): give it to the tenant's clients", soft_wrap=True)
    else:
        console.print(f"  token read from {escape(info.token_source)} (unchanged)", soft_wrap=True)
    if info.token_problem:
        err.print(f"[yellow]warning:[/] {escape(info.token_problem)}", highlight=False, soft_wrap=True)
    console.print(f"  use it: opsgraph --tenant {info.name} ingest ESTATE_DIR; `opsgraph serve` serves it behind its token",
                  highlight=False, soft_wrap=True)


@tenant_app.command("list")
def tenant_list(home: HomeOpt = None, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Every tenant: its sub-home, where its token is read from (and whether it can be), its database and Redis prefix."""
    try:
        tenants = list_tenants(load_settings(home=home, tenant=""))
    except OpsGraphError as exc:
        raise _fail(str(exc)) from exc
    if as_json:
        sys.stdout.write(json.dumps([_as_dict(t) for t in tenants], indent=2) + "\n")
        return
    if not tenants:
        console.print("no tenants: add one with `opsgraph tenant add NAME`")
        return
    table = Table("tenant", "home", "token", "database", "redis prefix", "ingested")
    for t in tenants:
        token = t.token_source if t.token_problem is None else f"[red]{escape(t.token_problem)}[/]"
        table.add_row(t.name, str(t.home), token, t.database, t.redis_prefix, "yes" if t.ingested else "no")
    console.print(table)


def serve_tenants(settings: Any, *, host: str, port: int, token: str | None, read_only: bool, mcp_writes: bool, no_mcp: bool,
                  access_log: bool) -> None:
    """`opsgraph serve` on a home with tenants: one server, every tenant behind its own token (`api/http/tenants.py`)."""
    from opsgraph.api.http.tenants import run_tenant_server

    if token:
        raise _fail("this home has tenants: each is served behind its own token, so a server token (--token, OPSGRAPH_TOKEN, "
                    "serve.token) does not apply; unset it, or serve one tenant with `opsgraph --tenant NAME serve`")
    facades: dict[str, OpsGraph] = {}
    try:
        tokens = tenant_tokens(settings)
        for name in tokens:
            facades[name] = OpsGraph(settings.for_tenant(name)).open()
    except OpsGraphError as exc:
        for og in facades.values():
            og.close()
        raise _fail(str(exc)) from exc

    def ready(url: str) -> None:
        lines = [f"opsgraph serving {len(facades)} tenants of {settings.home} at {url}"]
        lines += [f"  tenant {name:<12} {og.settings.home}" for name, og in facades.items()]
        lines += [f"  web page   {url}/", f"  API docs   {url}/docs"]
        if not no_mcp:
            lines.append(f"  MCP        {url}/mcp" + ("" if mcp_writes else " (read-only tools)"))
        lines.append("  every call needs: Authorization: Bearer <your tenant's token>")
        if (settings.home / "store").exists():
            lines.append(f"  note: the store of {settings.home} itself is not served while it has tenants")
        lines.append("Ctrl-C stops it.")
        sys.stdout.write("\n".join(lines) + "\n")
        sys.stdout.flush()

    try:
        run_tenant_server(facades, tokens, root_home=settings.home, host=host, port=port, allow_writes=not read_only,
                          mcp=not no_mcp, mcp_writes=mcp_writes, access_log=access_log, on_ready=ready)
    except OpsGraphError as exc:
        raise _fail(str(exc)) from exc
    finally:
        for og in facades.values():
            og.close()
