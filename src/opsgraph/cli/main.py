"""`opsgraph` command line: a thin shell over the `OpsGraph` facade.

It parses arguments, draws progress and tables, and maps opsgraph errors to
a short red message and a non-zero exit code. It builds nothing itself.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from opsgraph import IngestReport, QueryResult, SchemaError, load_schema
from opsgraph.app import DEMO_QUESTIONS, OpsGraph, bump_demo_version, demo_source, load_settings, sample_estate_path
from opsgraph.cli._common import HomeOpt, console, err
from opsgraph.cli._common import errors as _errors
from opsgraph.cli._common import open_home as _open
from opsgraph.cli.investigate import incident_app, investigate_command
from opsgraph.cli.risk import risk_app, run_risk_demo
from opsgraph.cli.serve import mcp_command, open_or_forward, serve
from opsgraph.cli.server import migrate_command, server_app
from opsgraph.cli.tenant import tenant_app
from opsgraph.cli.watch import watch_command
from opsgraph.errors import OpsGraphError

app = typer.Typer(help="opsgraph: your service estate as a knowledge graph.", no_args_is_help=True, add_completion=False)
schema_app = typer.Typer(help="Check and show estate schemas.", no_args_is_help=True)
app.add_typer(schema_app, name="schema")
app.add_typer(risk_app, name="risk")
app.command("serve")(serve)
app.command("mcp")(mcp_command)
app.add_typer(tenant_app, name="tenant")


@app.callback()
def _scope(
    tenant: Annotated[str | None, typer.Option("--tenant", help="Run the command on this tenant's estate (default $OPSGRAPH_TENANT).")] = None,
) -> None:
    """opsgraph: your service estate as a knowledge graph."""
    if tenant is not None:  # settings are loaded in each command; `load_settings` scopes them by this variable
        import os

        os.environ["OPSGRAPH_TENANT"] = tenant

def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description:<28}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err, transient=False
    )


def run_ingest(og: OpsGraph, estate: Path, *, documents: bool = True) -> IngestReport:
    """Ingest with one progress bar per type."""
    with _progress() as bars:
        tasks: dict[str, Any] = {}

        def progress(task: str, done: int, total: int) -> None:
            if task not in tasks:
                tasks[task] = bars.add_task(task, total=max(total, 1))
            bars.update(tasks[task], completed=done if total else 1)

        return og.ingest(estate, progress=progress, documents=documents)


def print_ingest_report(report: IngestReport) -> None:
    table = Table(title=f"ingested estate {report.estate!r}", show_lines=False)
    for col in ("kind", "type", "created", "updated", "unchanged", "repeated keys"):
        table.add_column(col, justify="right" if col not in ("kind", "type") else "left")
    for kind, group in (("node", report.nodes), ("edge", report.edges), ("telemetry", report.telemetry)):
        for name, r in group.items():
            table.add_row(kind, name, str(r.created), str(r.updated), str(r.unchanged), str(len(r.duplicates)))
    console.print(table)
    t = report.totals()
    console.print(f"created {t.created}, updated {t.updated}, unchanged {t.unchanged}; data version {report.data_version}")
    if report.deleted:
        console.print(f"deleted (no longer in the folder): {', '.join(f'{k} {v}' for k, v in sorted(report.deleted.items()))}")
    if report.documents is not None:
        d = report.documents
        console.print(
            f"documents: created {len(d.created)}, updated {len(d.updated)}, relinked {len(d.relinked)}, unchanged {len(d.unchanged)}, "
            f"deleted {len(d.deleted)}; chunks written {d.chunks_written}, deleted {d.chunks_deleted}; links written {d.links_written}"
        )
    for kind, group in (("node", report.nodes), ("edge", report.edges)):
        for name, r in group.items():
            if r.duplicates:
                shown = ", ".join(r.duplicates[:5]) + (" ..." if len(r.duplicates) > 5 else "")
                err.print(f"[yellow]warning:[/] {kind} {name}: {len(r.duplicates)} key(s) repeated, the last row won: {shown}")


def print_result(result: QueryResult, *, as_json: bool, title: str | None = None) -> None:
    if as_json:
        sys.stdout.write(json.dumps({"columns": result.columns, "rows": result.rows, "truncated": result.truncated}, default=str, indent=2) + "\n")
        return
    table = Table(title=title)
    for c in result.columns:
        table.add_column(c)
    for row in result.rows:
        table.add_row(*[_cell(row.get(c)) for c in result.columns])
    console.print(table)
    more = " (truncated: raise --limit to see more)" if result.truncated else ""
    console.print(f"[dim]{len(result.rows)} row(s) in {result.elapsed_ms:.1f} ms{more}[/]")


def _cell(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=str)
    return "" if value is None else str(value)


def _parse_params(pairs: list[str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"expected NAME=VALUE, got {pair!r}", param_hint="--param")
        try:
            params[key] = json.loads(raw)
        except json.JSONDecodeError:
            params[key] = raw
    return params


# -- commands -----------------------------------------------------------------
@schema_app.command("check")
def schema_check(file: Annotated[Path, typer.Argument(help="A schema.yaml to validate.")]) -> None:
    """Validate a schema file; every error names its line."""
    try:
        schema = load_schema(file)
    except SchemaError as exc:
        for issue in exc.issues:
            err.print(f"[red]{escape(str(issue))}[/]", highlight=False)
        err.print(f"[bold red]{len(exc.issues)} problem(s)[/] in {file}")
        raise typer.Exit(1) from exc
    console.print(f"[green]ok[/] {file}: schema {schema.name!r} v{schema.version}, {len(schema.nodes)} node types, {len(schema.edges)} edge types")


@schema_app.command("show")
def schema_show(home: HomeOpt = None, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Print the live schema (types, properties, counts) as a prompt will see it."""
    with _errors(), open_or_forward(home) as og:
        if as_json:
            types = [t.__dict__ for t in og.describe()]
            sys.stdout.write(json.dumps(types, indent=2, default=str) + "\n")
        else:
            console.print(og.describe_text(), highlight=False, markup=False)


@app.command()
def ingest(
    estate: Annotated[Path, typer.Argument(help="Estate folder with schema.yaml, nodes/, edges/, docs/, telemetry/.")],
    home: HomeOpt = None,
    docs: Annotated[bool, typer.Option("--docs/--no-docs", help="Also chunk, embed and link docs/ (needs the embedder).")] = True,
) -> None:
    """Validate an estate folder completely, then load it (idempotent)."""
    with _errors(), _open(home) as og:
        print_ingest_report(run_ingest(og, estate, documents=docs))


@app.command()
def query(
    cypher: Annotated[str, typer.Argument(help="Cypher; pass values with --param, never inline them.")],
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="NAME=VALUE (VALUE parsed as JSON when it can be).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    write: Annotated[bool, typer.Option("--write", help="Allow a query that writes.")] = False,
    limit: Annotated[int, typer.Option(help="Most rows returned.")] = 1000,
    home: HomeOpt = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Read the estate as it was then: ISO time, or a span back (2h, 7d).")] = None,
) -> None:
    """Run Cypher against the store (read-only unless --write)."""
    params = _parse_params(param or [])
    if as_of is not None:
        if write:
            raise typer.BadParameter("--as-of reads the past; it cannot be combined with --write", param_hint="--as-of")
        query_as_of(cypher, as_of, param, as_json, limit, home)
        return
    with _errors(), open_or_forward(home) as og:
        print_result(og.query(cypher, params, write=write, limit=limit), as_json=as_json)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="A question about the estate, in plain words.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer, citations, rows and trace as JSON.")] = False,
    trace: Annotated[bool, typer.Option("--trace", help="Show each stage: what it returned, the Cypher that ran, tokens, milliseconds.")] = False,
    home: HomeOpt = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Neither serve nor store a cached answer.")] = False,
    session: Annotated[str | None, typer.Option("--session", help="Conversation id: a follow-up (\"and who owns it?\") is rewritten from it.")] = None,
    user: Annotated[str | None, typer.Option("--user", help="Whose cache and history to use (default: anonymous).")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Answer from the estate as it was then (graph only; no cache).")] = None,
) -> None:
    """Answer a question from the graph and the runbooks, citing what it used."""
    if as_of is not None:
        with _errors(), _open(home) as og:
            past = og.ask_as_of(question, as_of)
        if as_json:
            sys.stdout.write(json.dumps(past.to_dict(), default=str, indent=2) + "\n")
        else:
            print_answer(past, show_trace=trace)
        return
    # Only non-default options are passed, so a forwarded call to an older server still works.
    opts: dict[str, Any] = {k: v for k, v in {"session": session, "user": user}.items() if v is not None}
    if no_cache:
        opts["use_cache"] = False
    with _errors(), open_or_forward(home) as og:
        answer = og.ask(question, **opts)
    if as_json:
        sys.stdout.write(json.dumps(answer.to_dict(), default=str, indent=2) + "\n")
        return
    print_answer(answer, show_trace=trace)


def print_answer(answer: Any, *, show_trace: bool) -> None:
    console.print(answer.text, highlight=False, markup=False)
    age = answer.data_age()
    if age:
        console.print(f"[dim]{escape(age)}[/]", highlight=False)
    if answer.cypher:
        console.print(f"[dim]query: {escape(answer.cypher)}[/]", highlight=False)
    if answer.citations and not answer.rows:
        console.print("[bold]sources[/]")
        for c in answer.citations:
            first = c.text.strip().splitlines()[0][:110] if c.text.strip() else ""
            console.print(f"  [{c.n}] {escape(c.source_id)} ({c.kind}, {c.found_by}): {escape(first)}", highlight=False)
    elif not answer.citations and answer.context:
        console.print("[bold]sources consulted[/]")
        for c in answer.context[:5]:
            console.print(f"  [{c.n}] {escape(c.source_id)} ({c.kind}, {c.found_by})", highlight=False)
    for note in answer.notes:
        err.print(f"[yellow]note:[/] {escape(note)}", highlight=False)
    if show_trace:
        table = Table(title="trace")
        for col in ("stage", "ms", "tokens", "detail"):
            table.add_column(col)
        for s in answer.trace.stages:
            table.add_row(s.name, f"{s.ms:.0f}", str(s.tokens or ""), escape(json.dumps(s.detail, default=str)[:400]))
        console.print(table)
        console.print(f"[dim]total {answer.trace.total_ms:.0f} ms, {answer.trace.total_tokens} tokens; route: {escape(answer.route.reason)}[/]")


@app.command()
def tune(
    home: HomeOpt = None,
    adapter: Annotated[bool, typer.Option("--adapter/--no-adapter", help="Train a LoRA adapter for writing Cypher (bundled models).")] = True,
    steps: Annotated[int | None, typer.Option("--steps", min=1, help="LoRA optimiser steps (default: cypher.train_steps).")] = None,
    sample: Annotated[int | None, typer.Option("--sample", min=5, help="Held-out pairs each choice is measured on.")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed of pairs, split and training.")] = None,
    status: Annotated[bool, typer.Option("--status", help="Only show what the estate is tuned with, and whether it is stale.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Teach the local model this estate's Cypher: training pairs from the schema and data, examples, grammar, a LoRA adapter."""
    with _errors(), _open(home) as og:
        if status:
            info = og.text2cypher.status(og.schema())
            sys.stdout.write(json.dumps(info, indent=2, default=str) + "\n")
            return
        bars = Progress(
            TextColumn("[bold]{task.description:<40}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            TextColumn("eta"), TimeRemainingColumn(), TextColumn("{task.fields[note]}"), console=err,
        )  # fmt: skip
        with bars:
            tasks: dict[str, Any] = {}

            def progress(stage: str, done: int, total: int, note: str) -> None:
                key = stage if stage != "styles" else f"styles:{note}"
                if key not in tasks:
                    label = {"pairs": "training pairs (generate + run)", "train": "LoRA adapter (train)", "adapter": "LoRA adapter (held-out)"}
                    tasks[key] = bars.add_task(label.get(stage, note or stage), total=max(total, 1), note="")
                bars.update(tasks[key], completed=done, total=max(total, 1), note=note if stage in ("train", "adapter") else "")

            report = og.tune(adapter=adapter, steps=steps, sample=sample, seed=seed, progress=progress)
    if as_json:
        sys.stdout.write(json.dumps(report.as_dict(), indent=2, default=str) + "\n")
        return
    console.print(f"pairs: {report.pairs} ({report.train} train, {report.held_out} held out; {report.dropped_inconsistent} dropped)")
    table = Table(title="held-out execution accuracy")
    for col in ("prompt", "accuracy", "ran", "p50 ms", "p95 ms"):
        table.add_column(col)
    for row in report.styles:
        table.add_row(escape(json.dumps(row["style"])), f"{row['accuracy']:.2f}", f"{row['ran']:.2f}", f"{row['p50_ms']:.0f}", f"{row['p95_ms']:.0f}")
    console.print(table)
    chosen = report.chosen
    console.print(f"chosen: {escape(json.dumps(chosen.get('style')))}" + (f", adapter {chosen['adapter']['version']}" if chosen.get("adapter") else ", no adapter"))
    console.print(f"[dim]seconds: {report.seconds}[/]")


@app.command()
def reset(home: HomeOpt = None, yes: Annotated[bool, typer.Option("--yes", help="Do not ask.")] = False) -> None:
    """Drop every type and all data in the store."""
    with _errors():
        settings = load_settings(home=home)
    store = settings.store_path
    if settings.store.backend == "arcadedb-embedded" and not (store.is_dir() and any(store.iterdir())):
        err.print(f"[bold red]error:[/] there is no store at {escape(str(store))}: nothing to reset (check --home)", highlight=False,
                  soft_wrap=True)
        raise typer.Exit(1)
    if not yes:
        typer.confirm("Drop everything in the store?", abort=True)
    with _errors(), _open(home) as og:
        og.reset()
    console.print("store reset")


@app.command()
def demo(home: Annotated[Path | None, typer.Option("--home", help="Where the demo store goes.")] = None) -> None:
    """Load the Online Boutique sample estate into a fresh home and answer multi-hop questions."""
    target = home or Path(".opsgraph-demo")
    console.rule("[bold]opsgraph demo: the Online Boutique estate")
    if (target / "store").exists():
        console.print(f"removing the previous demo store in {target}/store")
        shutil.rmtree(target / "store")
    estate = sample_estate_path()
    console.print(f"home: {target.resolve()}\nestate: {estate}")
    with _errors(), _open(target) as og:
        print_ingest_report(run_ingest(og, estate))
        console.rule("[bold]the graph")
        console.print(og.describe_text(), highlight=False, markup=False)
        for q in DEMO_QUESTIONS:
            console.rule(f"[bold]{q.question}")
            console.print(f"[dim]{escape(q.cypher)}  params={escape(str(q.params))}[/]", highlight=False)
            print_result(og.query(q.cypher, q.params), as_json=False)
        run_sync_demo(og, target)
        run_risk_demo(og)
        run_cypher_demo(og)
        console.rule("[bold]idempotence: ingesting the same folder again")
        again = run_ingest(og, estate).totals()
        console.print(f"created {again.created}, updated {again.updated}, unchanged {again.unchanged}")
    console.print(f"\nexplore it yourself:  opsgraph query --home {target} \"MATCH (s:Service) RETURN s.id, s.tier\"")


def run_sync_demo(og: OpsGraph, target: Path) -> None:
    """Sync the sample's Kubernetes manifests as a second source, change one, sync again, and list the changes."""
    console.rule("[bold]sources and history: the sample's Kubernetes manifests as a second source")
    from opsgraph.app import demo_manifests

    manifests = demo_manifests(target)
    if manifests is None:
        console.print("the sample has no Kubernetes manifests in this build: skipped")
        return
    og.settings.sources.append(demo_source(manifests))
    for plan in og.sync(["k8s-demo"]):
        print_sync_plan(plan)
    changed = bump_demo_version(manifests)
    console.print(f"[bold]a change:[/] {escape(changed)}")
    for plan in og.sync(["k8s-demo"], dry_run=True):
        print_sync_plan(plan)
    for plan in og.sync(["k8s-demo"]):
        print_sync_plan(plan)
    console.rule("[bold]opsgraph changes --since 1h")
    for row in og.changes(since="1h")[:12]:
        console.print(escape(row["text"]), highlight=False)


CYPHER_DEMO = ("Which services depend on paymentservice?", "Which team owns redis-cart?", "What language is cartservice written in?")


def run_cypher_demo(og: OpsGraph) -> None:
    """Tune text-to-Cypher on the estate (no adapter: a minute, not ten), then answer three questions with Cypher: a tuned
    pair's query reused when one fits the question, else the local model's."""
    console.rule("[bold]text-to-Cypher, offline: the local model learns this estate's queries")
    if og.llm is None:
        console.print("no language model configured (llm.provider: none): skipped")
        return
    console.print("training pairs from the schema and the data, then the prompt style chosen on held-out pairs (`opsgraph tune`; add an adapter with --adapter)")
    with _progress() as bars:
        tasks: dict[str, Any] = {}

        def progress(stage: str, done: int, total: int, note: str) -> None:
            key = note or stage
            if key not in tasks:
                tasks[key] = bars.add_task(key[:28], total=max(total, 1))
            bars.update(tasks[key], completed=done, total=max(total, 1))

        report = og.tune(adapter=False, sample=8, progress=progress)
    console.print(f"{report.pairs} pairs kept ({report.train} to learn from); chosen: {escape(json.dumps(report.chosen.get('style')))}")
    for question in CYPHER_DEMO:
        outcome = og.write_cypher(question)
        console.print(f"[bold]{escape(question)}[/]  ->  [dim]{escape(outcome.question.template)}  {escape(str(outcome.question.params))}[/]", highlight=False)
        if outcome.ok:
            how = f"reused the tuned pair '{outcome.reused}'" if outcome.source == "example" else "written by the local model"
            console.print(f"  {escape(outcome.cypher or '')}  [dim]({escape(how)})[/]", highlight=False)
            console.print(f"  rows: {escape(', '.join(str(next(iter(r.values()))) for r in outcome.rows[:8]))}", highlight=False)
        else:
            console.print(f"  [yellow]no query ran[/]: {escape(str(outcome.attempts[-1].error if outcome.attempts else 'no attempt'))}", highlight=False)


# -- sources, sync, history -----------------------------------------------------
def _when(ts: float | None) -> str:
    if ts is None:
        return "never"
    from datetime import UTC, datetime

    return datetime.fromtimestamp(float(ts), tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def print_sync_plan(plan: Any) -> None:
    """A sync plan like a migration plan: per type, what is created, updated, deleted, kept."""
    verb = "applied" if plan.applied else "plan (nothing written)"
    if plan.telemetry is not None:  # a telemetry source pulls steps; it has no node/edge plan
        console.print(f"[bold]sync {escape(plan.source)} ({plan.kind}): {'pulled' if plan.applied else 'would pull (nothing fetched or written)'}[/]")
        print_telemetry_pull(plan.telemetry)
        return
    table = Table(title=f"sync {plan.source} ({plan.kind}): {verb}")
    for col in ("kind", "type", "create", "update", "delete", "unchanged", "first ids"):
        table.add_column(col, justify="right" if col in ("create", "update", "delete", "unchanged") else "left")
    for t in plan.types.values():
        first = "; ".join(f"{op} {', '.join(ids[:5])}{' ...' if len(ids) > 5 else ''}" for op, ids in (("+", t.create), ("~", t.update), ("-", t.delete)) if ids)
        table.add_row(t.kind, t.type, str(len(t.create)), str(len(t.update)), str(len(t.delete)), str(t.unchanged), escape(first))
    console.print(table)
    tot = plan.totals()
    console.print(f"create {tot['create']}, update {tot['update']}, delete {tot['delete']}, unchanged {tot['unchanged']}; {plan.seconds:.1f} s")
    for c in plan.conflicts[:10]:
        err.print(f"[yellow]conflict:[/] {escape(str(c))}", highlight=False)
    if len(plan.conflicts) > 10:
        err.print(f"[yellow]... and {len(plan.conflicts) - 10} more conflicts (--json lists them all)[/]")
    for k in plan.kept:
        err.print(f"[yellow]kept:[/] {escape(k)}", highlight=False)
    for p in plan.problems[:20]:
        err.print(f"[yellow]note:[/] {escape(str(p))}", highlight=False)
    if len(plan.problems) > 20:
        err.print(f"[yellow]... and {len(plan.problems) - 20} more notes[/]")
    if plan.skipped:
        console.print(f"[dim]skipped (not mapped): {escape(', '.join(f'{k} {v}' for k, v in sorted(plan.skipped.items())))}[/]")


def print_telemetry_pull(t: dict[str, Any]) -> None:
    """A telemetry pull: the window per node type, rows stored, unknown series (named), server warnings."""
    pull = t.get("pull") or {}
    for node_type, (start, end) in (pull.get("windows") or {}).items():
        span = "nothing new" if start > end else f"{_when(start)} .. {_when(end)}"
        console.print(f"  {escape(node_type)}: {span}; {pull.get('nodes', {}).get(node_type, 0)} nodes, {t.get('written', {}).get(node_type, 0)} rows stored")
    console.print(f"  {t.get('rows', 0)} rows, {pull.get('points', 0)} points, {pull.get('requests', 0)} requests, {t.get('seconds', 0):.1f} s; server {escape(str((t.get('server') or {}).get('version') or ''))}")
    if pull.get("unknown_series"):
        err.print(f"[yellow]{pull['unknown_series']} series name no known node[/] (first ones, with their points):", highlight=False)
        for name, points in (pull.get("unknown") or {}).items():
            err.print(f"  {escape(name)}: {points}", highlight=False)
    for w in pull.get("warnings") or []:
        err.print(f"[yellow]server warning:[/] {escape(str(w))}", highlight=False)


def _data_age(row: dict[str, Any]) -> str:
    """`2026-12-04 14:59:00 UTC (3 min ago)` for telemetry sources; empty for the others."""
    if "last_step" not in row:
        return ""
    if row["last_step"] is None:
        return "no data yet"
    age = float(row.get("age_seconds") or 0)
    ago = f"{age:.0f} s" if age < 120 else f"{age / 60:.0f} min" if age < 7200 else f"{age / 3600:.1f} h" if age < 172800 else f"{age / 86400:.0f} days"
    return f"{_when(row['last_step'])} ({ago} ago)"


@app.command("sources")
def sources_command(home: HomeOpt = None, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List the configured sources: kind, location, when each last synced and what it holds."""
    with _errors(), _open(home) as og:
        rows = og.sources()
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2, default=str) + "\n")
        return
    table = Table(title="sources")
    for col in ("name", "kind", "location", "precedence", "last synced", "nodes", "edges", "data up to"):
        table.add_column(col)
    for r in rows:
        name = r["name"] + ("" if r["configured"] else " (not configured)")
        table.add_row(escape(name), str(r["kind"]), escape(str(r["location"] or "")), str(r["precedence"] if r["precedence"] is not None else ""),
                      _when(r["last_synced"]), str(r["nodes"] if r["nodes"] is not None else ""), str(r["edges"] if r["edges"] is not None else ""),
                      _data_age(r))  # fmt: skip
    console.print(table)
    if not rows:
        console.print("no sources yet: add `sources:` to opsgraph.yaml, or `opsgraph ingest DIR`")


@app.command("sync")
def sync_command(
    names: Annotated[list[str] | None, typer.Argument(help="Sources to sync (default: every configured source).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan; write nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the plans as JSON.")] = False,
    home: HomeOpt = None,
) -> None:
    """Read each source, show the plan (create / update / delete per type), then apply it (all or nothing per source)."""
    with _errors(), _open(home) as og, _progress() as bars:
        tasks: dict[str, Any] = {}

        def progress(task: str, done: int, total: int) -> None:
            if task not in tasks:
                tasks[task] = bars.add_task(task, total=max(total, 1))
            bars.update(tasks[task], completed=done if total else 1)

        plans = og.sync(names or None, dry_run=dry_run, progress=progress)
    if as_json:
        sys.stdout.write(json.dumps([p.as_dict() for p in plans], indent=2, default=str) + "\n")
        return
    for plan in plans:
        print_sync_plan(plan)


@app.command("changes")
def changes_command(
    since: Annotated[str | None, typer.Option("--since", help="Only changes after this: 24h, 7d, or an ISO time.")] = None,
    node: Annotated[str | None, typer.Option("--node", help="Only changes of this node or its edges.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (old and new values included).")] = False,
    limit: Annotated[int, typer.Option(help="Most changes shown.")] = 200,
    provenance: Annotated[bool, typer.Option("--provenance", help="Also list changes of only which sources assert a fact.")] = False,
    home: HomeOpt = None,
) -> None:
    """What changed in the estate, newest first: dependencies added and removed, version bumps, owners, services added or gone."""
    with _errors(), _open(home) as og:
        rows = og.changes(since=since, node=node, provenance=provenance)
    if as_json:
        sys.stdout.write(json.dumps(rows[:limit], indent=2, default=str) + "\n")
        return
    for r in rows[:limit]:
        console.print(escape(r["text"]), highlight=False)
    more = f" (showing {limit}: raise --limit)" if len(rows) > limit else ""
    console.print(f"[dim]{len(rows)} change(s){more}[/]")


@app.command("reconcile")
def reconcile_command(home: HomeOpt = None, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Compare what the sources say: dependencies one declares and another does not, components without an owner,
    documents naming entities that are gone, and declared vs observed calls."""
    with _errors(), _open(home) as og:
        report = og.reconcile()
    if as_json:
        sys.stdout.write(json.dumps(report.as_dict(), indent=2, default=str) + "\n")
        return
    console.rule(f"[bold]sources: {', '.join(report.sources) or 'none synced yet'}")
    console.print(f"[bold]dependencies declared by one source and not by another that knows both ends[/]: {len(report.declared_not_everywhere)}")
    for d in report.declared_not_everywhere[:50]:
        console.print(f"  {escape(d['from'])} -{d['type']}-> {escape(d['to'])}: declared by {', '.join(d['declared_by'])}, not by {', '.join(d['missing_from'])}")
    console.print(f"[bold]without an owner[/]: {len(report.unowned)}")
    for u in report.unowned[:50]:
        console.print(f"  {u['type']} {escape(u['id'])}")
    console.print(f"[bold]documents naming entities that are gone[/]: {len(report.stale_mentions)}")
    for m in report.stale_mentions[:50]:
        console.print(f"  {escape(m['where'])} names {escape(m['entity'])} (a {m['removed']} removed by a sync)")
    if "note" in report.observed:
        console.print(f"[bold]declared vs observed calls[/]: {escape(report.observed['note'])}")
    else:
        console.print(f"[bold]declared, never observed[/]: {len(report.observed['declared_not_observed'])}; "
                      f"[bold]observed, never declared[/]: {len(report.observed['observed_not_declared'])}")  # fmt: skip


@app.command("query-as-of", hidden=True)
def query_as_of(
    cypher: Annotated[str, typer.Argument()],
    when: Annotated[str, typer.Option("--as-of")],
    param: Annotated[list[str] | None, typer.Option("--param", "-p")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    limit: Annotated[int, typer.Option()] = 1000,
    home: HomeOpt = None,
) -> None:
    """`opsgraph query --as-of TIME` (the same command, reached through `query`)."""
    params = _parse_params(param or [])
    with _errors(), _open(home) as og:
        print_result(og.query_as_of(cypher, when, params, limit=limit), as_json=as_json, title=f"as of {when}")


@app.command("eval")
def eval_command(
    questions: Annotated[Path, typer.Argument(help="Question file (YAML): q with gold/rows, source, answerable: false or answer: risk.")],
    home: HomeOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    min_accuracy: Annotated[float | None, typer.Option("--min-accuracy", min=0.0, max=1.0, help="Exit 1 when accuracy of answered is below this.")] = None,
    min_answered: Annotated[float | None, typer.Option("--min-answered", min=0.0, max=1.0, help="Exit 1 when the answered share is below this.")] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Only the first N questions.")] = None,
) -> None:
    """Ask every question of a file and report how often the answer is right, abstained, and how fast."""
    with _errors():
        og = _open(home)
        try:
            with _progress() as bars:
                task = bars.add_task("asking", total=1)

                def progress(done: int, total: int, pattern: str) -> None:
                    bars.update(task, completed=done, total=total, description=f"asking ({pattern})"[:28])

                report = og.evaluate(questions, limit=limit, progress=progress)
        finally:
            og.close()
    data = report.to_dict()
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        table = Table(title=f"opsgraph eval {questions.name}")
        cols = ("pattern", "total", "answered_share", "accuracy_of_answered", "accuracy_overall", "abstention_on_unanswerable", "p50_ms", "p95_ms")
        for col in cols:
            table.add_column(col.replace("_", " "))
        rows = [("all", data["summary"]), *data["by_pattern"].items()]
        for name, s in rows:
            table.add_row(name, *("-" if s[c] is None else str(s[c]) for c in cols[1:]))
        console.print(table)
        if data["why_abstained"]:
            why = Table(title="why answerable questions were abstained (the questions' words masked)")
            why.add_column("questions", justify="right")
            why.add_column("reason")
            for reason, count in list(data["why_abstained"].items())[:10]:
                why.add_row(str(count), escape(reason))
            console.print(why)
    s = data["summary"]
    failed = []
    if min_accuracy is not None and (s["accuracy_of_answered"] or 0.0) < min_accuracy:
        failed.append(f"accuracy of answered {s['accuracy_of_answered']} < {min_accuracy}")
    if min_answered is not None and (s["answered_share"] or 0.0) < min_answered:
        failed.append(f"answered share {s['answered_share']} < {min_answered}")
    if failed:
        err.print(f"[bold red]below the bar:[/] {'; '.join(failed)}")
        raise typer.Exit(1)


@app.command()
def check(home: HomeOpt = None) -> None:
    """Run the store's integrity check (the engine's CHECK DATABASE): is every file whole and every count right?"""
    with _errors():
        settings = load_settings(home=home)
        store = settings.store_path
        if settings.store.backend == "arcadedb-embedded" and not store.is_dir():
            raise OpsGraphError(f"there is no store at {store}: nothing to check (check --home)")
        with OpsGraph(settings).open() as og:
            report = og.check()
    if not report.ok:
        files = f"; damaged file(s): {', '.join(report.files)}" if report.files else ""
        err.print(f"[bold red]error:[/] the store at {escape(str(store))} is damaged ({escape(report.summary())}){escape(files)}. "
                  "Restore the home from a backup, re-ingest into a fresh home, or `opsgraph reset --yes` and ingest again.",
                  highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    records = report.raw.get("totalActiveRecords", "?")
    console.print(f"the store at {store} is whole: {records} records checked, 0 errors", soft_wrap=True)


@contextmanager
def _engine_output_aside() -> Iterator[None]:
    """Keep what the engine writes to file descriptor 2 (its log, Java stack traces) off the terminal.

    Python's own stderr (messages, progress bars) keeps the terminal; the engine's goes to
    `<tmp>/opsgraph-engine-<uid>.log`, rewritten by each run.
    """
    import os
    import tempfile

    log = Path(tempfile.gettempdir()) / f"opsgraph-engine-{os.getuid()}.log"
    try:
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError:
        yield
        return
    sys.stderr.flush()
    terminal = os.dup(2)
    os.dup2(fd, 2)
    os.close(fd)
    saved, sys.stderr = sys.stderr, open(terminal, "w", buffering=1, encoding=sys.stderr.encoding or "utf-8",
                                         errors="backslashreplace")
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(terminal, 2)
        sys.stderr.close()
        sys.stderr = saved
app.command("investigate")(investigate_command)
app.add_typer(incident_app, name="incident")
app.command("watch")(watch_command)
app.add_typer(server_app, name="server")
app.command("migrate")(migrate_command)


def main() -> None:
    with _engine_output_aside():
        app()


if __name__ == "__main__":
    main()
