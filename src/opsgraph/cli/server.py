"""`opsgraph server start|stop|status` and `opsgraph migrate --to server|embedded`, over `opsgraph.app.server`.

A thin shell like `cli/main.py` (which imports this module, so the few shared
helpers are repeated here): it parses arguments, prints a table or JSON, and
maps opsgraph errors to a red message and exit code 1.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from opsgraph.app import load_settings, migrate_store, start_team_server, stop_team_server, team_server_status
from opsgraph.errors import OpsGraphError

server_app = typer.Typer(help="Run ArcadeDB's server (from the installed engine) on 127.0.0.1 for this home.", no_args_is_help=True)

console = Console()
err = Console(stderr=True)
HomeOpt = Annotated[Path | None, typer.Option("--home", help="opsgraph home folder (default: $OPSGRAPH_HOME or ~/.opsgraph).")]
FolderOpt = Annotated[Path | None, typer.Option("--folder", help="The server's folder (databases, password, log). Default: <home>/server.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except OpsGraphError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from exc


@server_app.command("start")
def start(
    home: HomeOpt = None,
    port: Annotated[int | None, typer.Option("--port", help="HTTP port on 127.0.0.1 (default: a free one).")] = None,
    folder: FolderOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Start the server in the background (a generated root password is kept 0600 in its folder)."""
    with _errors():
        settings = load_settings(home=home)
        info = start_team_server(settings, port=port, folder=folder)
    if as_json:
        console.print_json(json.dumps({"pid": info.pid, "url": info.url, "root": info.root, "password_file": info.password_file}))
        return
    console.print(f"ArcadeDB server at [bold]{info.url}[/] (pid {info.pid})")
    console.print(f"databases in {info.root}; root password in {info.password_file} (mode 600)")
    console.print("use it: set store.backend: arcadedb-server in opsgraph.yaml (or OPSGRAPH_STORE=arcadedb-server), "
                  "then `opsgraph migrate --to server` to move this home's store into it")


@server_app.command("stop")
def stop(home: HomeOpt = None, folder: FolderOpt = None) -> None:
    """Stop the server cleanly (the engine closes its databases)."""
    with _errors():
        info = stop_team_server(load_settings(home=home), folder=folder)
    console.print("no server was running" if info is None else f"stopped the server at {info.url} (pid {info.pid})")


@server_app.command("status")
def status(home: HomeOpt = None, folder: FolderOpt = None, as_json: JsonOpt = False) -> None:
    """Whether the server runs: its URL, pid and databases. Exit code 3 when none runs."""
    with _errors():
        state = team_server_status(load_settings(home=home), folder=folder)
    if as_json:
        console.print_json(json.dumps(state))
    elif state is None:
        console.print("no server is running for this home")
    else:
        table = Table(show_header=False)
        table.add_row("url", str(state["url"]))
        table.add_row("pid", str(state["pid"]))
        table.add_row("started", datetime.fromtimestamp(float(state["started"]), UTC).strftime("%Y-%m-%d %H:%M:%S UTC"))
        table.add_row("answering", "yes" if state["answering"] else f"no ({state.get('error')})")
        table.add_row("databases", ", ".join(state["databases"]) or "(none)")
        table.add_row("folder", str(state["root"]))
        console.print(table)
    if state is None:
        raise typer.Exit(3)


def migrate_command(
    to: Annotated[str, typer.Option("--to", help="server: copy this home's embedded store into the server database; embedded: back.")],
    home: HomeOpt = None,
    replace: Annotated[bool, typer.Option("--replace", help="Overwrite a target that already holds data.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Move a home's store (schema, nodes, edges, telemetry, records, meta) between the embedded engine and the server, verified."""
    with _errors():
        settings = load_settings(home=home)
        with err.status("copying..."):
            report = migrate_store(settings, to=to, replace=replace)
    if as_json:
        console.print_json(json.dumps({"source": report.source, "target": report.target, "moved": report.moved,
                                       "verified": report.verified, "mismatched": report.mismatched}))
    else:
        table = Table(title=f"moved {report.source} → {report.target}")
        for col in ("type", "kind", "rows", "verified"):
            table.add_column(col, justify="right" if col == "rows" else "left")
        for name, rows in report.moved.items():
            table.add_row(name, report.kinds[name], str(rows), "no" if name in report.mismatched else "yes")
        console.print(table)
        console.print("verified: every type has the same row count and row hash on both sides" if report.verified
                      else f"[bold red]NOT verified[/]: {', '.join(report.mismatched)} differ")
    if not report.verified:
        raise typer.Exit(1)
