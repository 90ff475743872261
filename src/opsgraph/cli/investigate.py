"""`opsgraph investigate TARGET` and `opsgraph incident open|close|import`: thin shells over the facade.

Prints the ranked candidates with their one-line reasons, then the evidence per candidate, the
changes, similar past incidents and the runbook sections quoted verbatim; `--json` / `--md` print
the investigation as data or Markdown. Shares the CLI's consoles and error line (`cli/_common.py`).
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from opsgraph.cli._common import HomeOpt, console
from opsgraph.cli._common import errors as _errors
from opsgraph.cli._common import open_home as _open

incident_app = typer.Typer(help="Incidents as records: open, close with cause and fix, import a pager tool's export.",
                           no_args_is_help=True)
def investigate_command(
    target: Annotated[str, typer.Argument(help="A component (the symptom) or an incident id.")],
    at: Annotated[str | None, typer.Option("--at", help="Onset: ISO time or a span back (90m); default: detected.")] = None,
    window: Annotated[str, typer.Option("--window", help="Telemetry read either side of the onset, and changes before it.")] = "30m",
    as_json: Annotated[bool, typer.Option("--json", help="Print the investigation as JSON.")] = False,
    as_md: Annotated[bool, typer.Option("--md", help="Print the investigation as Markdown.")] = False,
    semantic: Annotated[bool, typer.Option("--semantic", help="Compare incident summaries with the embedder.")] = False,
    agent: Annotated[bool, typer.Option("--agent", help="Let the configured OpenAI-compatible model call read-only tools; "
                                        "its answer is checked against the evidence.")] = False,
    max_steps: Annotated[int, typer.Option("--max-steps", min=1, help="Agent mode: most tool calls.")] = 8,
    budget: Annotated[float, typer.Option("--budget", min=1, help="Agent mode: most seconds.")] = 120.0,
    home: HomeOpt = None,
) -> None:
    """What caused the symptom on TARGET: ranked candidates with metric evidence, changes, similar incidents, runbooks."""
    if agent:
        with _errors(), _open(home) as og:
            run: Any = og.investigate_agent(target, at=at, window=window, max_steps=max_steps, budget_s=budget)
        if as_json:
            sys.stdout.write(json.dumps(run.as_dict(), indent=2, default=str) + "\n")
            return
        print_investigation(run.investigation)
        print_agent(run)
        return
    with _errors(), _open(home) as og:
        inv: Any = og.investigate(target, at=at, window=window, semantic=semantic)
    if as_json:
        sys.stdout.write(json.dumps(inv.as_dict(), indent=2, default=str) + "\n")
        return
    if as_md:
        sys.stdout.write(inv.to_markdown())
        return
    print_investigation(inv)


def print_agent(run: Any) -> None:
    """The agent's trace (every tool call) and its checked answer."""
    table = Table(title=f"agent trace ({escape(run.model)}, {run.seconds:.1f} s)")
    for col in ("#", "tool", "arguments", "seconds", "result"):
        table.add_column(col, justify="right" if col in ("#", "seconds") else "left")
    for s in run.steps:
        table.add_row(str(s.step), escape(s.tool), escape(json.dumps(s.arguments)[:80]), f"{s.seconds:.2f}",
                      escape(("ERROR " if s.error else "") + s.result[:100]))
    console.print(table)
    if run.accepted:
        console.print(f"[bold green]agent: {escape(run.cause or '')}[/] ({escape(run.reason)})", highlight=False)
    else:
        console.print(f"[bold yellow]agent answer not used:[/] {escape(run.note)}", highlight=False)
        if run.model_reason:
            console.print(f"[dim]the model said: {escape(run.model_reason[:300])}[/]", highlight=False)
        console.print(f"deterministic answer stands: {escape(run.cause or 'no candidate')}", highlight=False)


def iso(ts: float | None) -> str:
    return "-" if ts is None else datetime.fromtimestamp(float(ts), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def print_investigation(inv: Any, k: int = 5) -> None:
    console.print(f"[bold]{escape(inv.target)}[/]: symptom {escape(inv.symptom)}, onset {iso(inv.onset)} ({inv.onset_source}), "
                  f"window {inv.window_s // 60} min; [dim]{escape(inv.data_age)}[/]", highlight=False)
    style = "green" if inv.confident else "yellow"
    console.print(f"[bold {style}]{escape(inv.confidence)}[/]", highlight=False)
    table = Table(title="root-cause candidates")
    for col in ("#", "node", "score", "reason"):
        table.add_column(col, justify="right" if col in ("#", "score") else "left")
    for i, c in enumerate(inv.candidates[:k], 1):
        table.add_row(str(i), escape(c.node), f"{c.score:.3f}", escape(c.reason))
    console.print(table)
    console.print("[bold]Evidence[/]")
    for c in inv.candidates[:k]:
        path = inv.paths.get(c.node)
        console.print(f"  [bold]{escape(c.node)}[/]" + (f" [dim](path {escape(path.text())})[/]" if path else ""), highlight=False)
        for m in c.metrics[:3]:
            console.print(f"    {escape(m.text())}", highlight=False)
        for h in (path.hops if path else []):
            if h.calls is not None:
                console.print(f"    [dim]observed {escape(h.text())}[/]", highlight=False)
    changes = [ch for c in inv.candidates[:k] for ch in c.changes]
    if changes:
        console.print("[bold]Changes before the onset[/]")
        for ch in changes:
            console.print(f"  {escape(ch.text)} [dim]({ch.before_onset_s // 60} min before)[/]", highlight=False)
    if inv.similar:
        console.print("[bold]Similar past incidents[/]")
        for s in inv.similar:
            i = s.incident
            fix = f"; fix: {i.fix}" if i.fix else ""
            console.print(f"  [bold]{escape(i.id)}[/] {escape(i.title)} [dim]({escape(s.why)})[/]; cause: "
                          f"{escape(', '.join(i.causes) or 'not recorded')}{escape(fix)}", highlight=False)
    for r in inv.runbooks:
        console.print(f"[bold]Runbook[/] {escape(r.title)} [dim]({escape(r.path)}, for {escape(r.node)})[/]", highlight=False)
        for sec in r.sections:
            if sec.heading:
                console.print(f"  [italic]{escape(sec.heading)}[/]", highlight=False)
            for line in sec.text.splitlines():
                console.print(f"  > {escape(line)}", highlight=False)


@incident_app.command("open")
def incident_open(
    service: Annotated[str, typer.Argument(help="The component the incident affects.")],
    title: Annotated[str, typer.Option("--title", help="One-line title.")],
    severity: Annotated[str, typer.Option("--severity")] = "sev3",
    summary: Annotated[str, typer.Option("--summary")] = "",
    started_at: Annotated[str | None, typer.Option("--started-at", help="ISO time or span back; default now.")] = None,
    home: HomeOpt = None,
) -> None:
    """Open an incident on SERVICE; prints its id."""
    with _errors(), _open(home) as og:
        console.print(og.open_incident(service, title, severity=severity, summary=summary, started_at=started_at), highlight=False)


@incident_app.command("close")
def incident_close(
    incident: Annotated[str, typer.Argument(help="Incident id, e.g. INC-2090.")],
    cause: Annotated[str, typer.Option("--cause", help="The root-cause component.")],
    fix: Annotated[str, typer.Option("--fix", help="What fixed it.")],
    resolved_at: Annotated[str | None, typer.Option("--resolved-at", help="ISO time or span back; default now.")] = None,
    home: HomeOpt = None,
) -> None:
    """Close INCIDENT with its root cause and fix."""
    with _errors(), _open(home) as og:
        console.print(og.close_incident(incident, cause=cause, fix=fix, resolved_at=resolved_at), highlight=False)


@incident_app.command("import")
def incident_import(file: Annotated[Path, typer.Argument(help="CSV (header row) or JSON export of incidents.")],
                    home: HomeOpt = None) -> None:
    """Record every incident of FILE (all or nothing)."""
    with _errors(), _open(home) as og:
        ids = og.import_incidents(file)
    console.print(f"{len(ids)} incident(s) recorded: {', '.join(ids)}", highlight=False)
