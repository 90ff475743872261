"""`opsgraph watch`: pull telemetry, score the new steps, record alerts, on a schedule (over `OpsGraph.watcher`).

A thin shell: one status line per cycle (or one JSON object per line with `--json`), a red
line for a source that failed (the next cycle retries), Ctrl-C stops cleanly between or
inside cycles (the store's writes are all or nothing). `--once` runs one cycle, for cron.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from opsgraph.app import OpsGraph, age_text, load_settings
from opsgraph.cli._common import jsonable
from opsgraph.errors import OpsGraphError

console = Console()
err = Console(stderr=True)
HomeOpt = Annotated[Path | None, typer.Option("--home", help="opsgraph home folder (default: $OPSGRAPH_HOME or ~/.opsgraph).")]
SHOW_NODES = 5


def _hm(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(ts))


def cycle_lines(report: Any) -> list[str]:
    """Rich markup lines for one cycle."""
    clock = time.strftime("%H:%M:%S", time.localtime(report.started))
    lines: list[str] = []
    for p in report.pulls:
        if p.get("error"):
            lines.append(f"[bold red]{clock} {escape(p['source'])}: {escape(p['error'])}[/] (the next cycle retries)")
    parts = []
    pulled = [p for p in report.pulls if not p.get("error")]
    if pulled:
        parts.append("pulled " + ", ".join(f"{escape(p['source'])} {p['rows']} rows" for p in pulled))
    s = report.scores
    tag = "[bold yellow]\\[anomaly-only][/] " if report.mode == "anomaly-only" else ""
    if s is None:
        parts.append(escape(report.reason) or "nothing new to score")
    else:
        how = report.how if report.how != "full" else f"full ({escape(report.reason)})"
        skipped = f", {report.skipped_steps} older skipped" if report.skipped_steps else ""
        parts.append(f"scored {report.scored_steps} step(s){skipped} {how} in {report.score_seconds * 1000:.0f} ms "
                     f"on data up to {_hm(s.timestamp)} ({age_text(s.timestamp)})")
        risky = [n for n in s.nodes if n.risky]
        word = "anomalous" if report.mode == "anomaly-only" else "over threshold"
        if risky:
            names = ", ".join(escape(n.node) for n in risky[:SHOW_NODES]) + (" ..." if len(risky) > SHOW_NODES else "")
            parts.append(f"[bold red]{len(risky)} {word}[/]: {names}")
        else:
            parts.append(f"none {word}")
    for a in report.alerts.raised:
        if a["status"] == "open":
            parts.append(f"[bold red]ALERT[/] {escape(a['node'])} since {_hm(a['raised'])}")
    for a in report.alerts.cleared:
        parts.append(f"[green]cleared[/] {escape(a['node'])} at {_hm(a['cleared'])}")
    d = report.drift
    if d and "drifted" in d:
        parts.append("[bold red]drift[/]" if d["drifted"] else "no drift")
    if report.monitor:
        parts.append(f"retraining: {escape(report.monitor['action'])} ({escape(report.monitor['reason'])})")
    lines.append(f"{clock} {tag}" + " | ".join(parts))
    return lines



def watch_command(
    every: Annotated[float | None, typer.Option("--every", min=1.0, help="Seconds between cycles (default: watch.every, 60).")] = None,
    once: Annotated[bool, typer.Option("--once", help="Run one cycle and exit (for cron and tests).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per cycle instead of status lines.")] = False,
    home: HomeOpt = None,
) -> None:
    """Pull new telemetry, score the new steps incrementally, record alerts and check drift, on a schedule."""
    try:
        settings = load_settings(home=home)
        og = OpsGraph(settings).open()
    except OpsGraphError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        raise typer.Exit(1) from exc
    cycles = 0

    def show(report: Any) -> None:
        nonlocal cycles
        cycles += 1
        if as_json:
            sys.stdout.write(json.dumps(jsonable(report.as_dict()), default=str) + "\n")
            sys.stdout.flush()
        else:
            for line in cycle_lines(report):
                console.print(line, highlight=False, soft_wrap=True)

    def failed(exc: BaseException) -> None:
        err.print(f"[bold red]cycle failed:[/] {escape(str(exc))} (the next cycle runs on schedule)", highlight=False)

    try:
        watcher = og.watcher
        sources = watcher.sources()
        interval = settings.watch.every if every is None else every
        if not as_json:
            pulled = ", ".join(sources) if sources else "no telemetry source configured: scoring what is stored"
            err.print(f"[dim]watching {escape(str(settings.home))}: {escape(pulled)}; risk of {escape(og.risk.node_type)} nodes"
                      + ("" if once else f", every {interval:g} s; Ctrl-C stops") + "[/]", highlight=False)
        if once:
            try:
                show(watcher.cycle())
            except OpsGraphError as exc:
                failed(exc)
                raise typer.Exit(1) from exc
            return
        stop = threading.Event()
        try:
            watcher.run(stop, show, failed, every=interval)
        except KeyboardInterrupt:
            stop.set()
            err.print(f"[dim]stopped after {cycles} cycle(s)[/]")
    finally:
        og.close()
