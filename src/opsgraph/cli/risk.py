"""`opsgraph risk ...`: train, score, explain, drift, monitor and model versions, over `OpsGraph.risk`.

A thin shell like `cli/main.py`: it parses arguments, draws progress bars and
tables, prints JSON on request, and maps opsgraph errors to a red message and
exit code 1. It imports nothing from `cli/main.py` (which imports this module),
so the few shared helpers are repeated here.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from opsgraph.app import DEMO_OVERRIDES, DRIVER_WINDOW, OpsGraph, age_seconds, age_text
from opsgraph.cli._common import HomeOpt, console, err, errors, fail, jsonable
from opsgraph.cli._common import open_home as _open

risk_app = typer.Typer(help="Failure risk: a temporal GATv2 over the dependency graph, trained on stored telemetry.",
                       no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
EpochCallback = Callable[[int, int, dict[str, float]], None]


@contextmanager
def _errors() -> Iterator[None]:
    """The CLI's error line, and the extra to install when PyTorch is missing."""
    try:
        with errors():
            yield
    except ModuleNotFoundError as exc:
        if exc.name not in ("torch", "torch_geometric"):
            raise
        raise fail("the risk model needs PyTorch: pip install 'opsgraph[risk]'") from exc


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(int(ts), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _short(iso: str) -> str:
    """2026-01-02T11:59:00Z -> 2026-01-02 11:59."""
    return iso[:16].replace("T", " ")


def _num(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)



def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(jsonable(value), indent=2, default=str) + "\n")


@contextmanager
def epoch_bar() -> Iterator[EpochCallback]:
    """A progress callback drawing one bar over epochs (created on the first epoch, so nothing shows
    when no training happens) with the epoch's losses and validation AP."""
    bars = Progress(TextColumn("[bold]{task.description:<10}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[stats]}"), TimeElapsedColumn(), console=err)
    state: dict[str, Any] = {}

    def callback(epoch: int, total: int, row: dict[str, float]) -> None:
        if "task" not in state:
            bars.start()
            state["task"] = bars.add_task("training", total=total, stats="")
        stats = f"loss {row['train_loss']:.3f}  val loss {row['val_loss']:.3f}  val AP {_num(row.get('val_ap'))}"
        state["epoch"], state["total"] = epoch, total
        bars.update(state["task"], completed=epoch, stats=stats)

    try:
        yield callback
    finally:
        if "task" in state:
            if state["epoch"] < state["total"]:  # early stopping: close the bar where it stopped
                bars.update(state["task"], description="early stop", total=state["epoch"])
            bars.stop()


# -- rendering ------------------------------------------------------------------
_METRIC_ROWS = (
    ("test", "test"),
    ("test_early", "early warning"),
    ("val", "validation"),
    ("comparison_current", "current model"),
    ("comparison_challenger", "this model"),
)


def print_metrics(metrics: dict[str, dict[str, float]], title: str) -> None:
    table = Table(title=title)
    table.add_column("windows", no_wrap=True)
    for col in ("F1", "precision", "recall", "AUROC", "AP", "positives"):
        table.add_column(col, justify="right")
    for key, label in _METRIC_ROWS:
        m = metrics.get(key)
        if m is None:
            continue
        table.add_row(label, _num(m.get("f1")), _num(m.get("precision")), _num(m.get("recall")), _num(m.get("auroc")),
                      _num(m.get("ap")), f"{int(m.get('positives', 0))}/{int(m.get('count', 0))}")
    console.print(table)
    notes = "risky class only; test = the most recent steps, held out; early warning = test windows whose node is not failing yet"
    if "comparison_current" in metrics:
        notes += "; current model / this model = both scored on this model's test windows"
    console.print(f"[dim]{notes}[/]")


def print_scores(scores: Any, version: str | None, top: int | None) -> None:
    if getattr(scores, "mode", "model") == "anomaly-only":
        print_anomaly_only(scores, top)
        return
    rows = scores.nodes[:top] if top else scores.nodes
    table = Table(title=f"failure risk within {scores.horizon} steps after {_iso(scores.timestamp)} (model {version})",
                  caption=f"computed on telemetry up to {_iso(scores.timestamp)}: {age_text(scores.timestamp)}")
    for col in ("#", "node", "probability", "risky", "anomaly", "anomaly p"):
        table.add_column(col, justify="left" if col in ("node", "risky") else "right")
    for i, r in enumerate(rows, 1):
        risky = "[bold red]yes[/]" if r.risky else "no"
        table.add_row(str(i), r.node, _num(r.probability), risky, _num(r.anomaly, 2), _num(r.anomaly_p))
    console.print(table)
    shown = f"top {len(rows)} of {len(scores.nodes)}" if len(rows) < len(scores.nodes) else f"{len(rows)} nodes"
    console.print(f"[dim]{shown}; risky = probability >= {scores.threshold:.3f} (chosen on validation data); "
                  "anomaly = distance of the last steps from the node's own normal (label-free)[/]")


def print_anomaly_only(scores: Any, top: int | None) -> None:
    """The label-free board: no probability, said in the title, the caption and the note."""
    rows = scores.nodes[:top] if top else scores.nodes
    table = Table(title="[bold yellow]anomaly-only[/]: how unusual each node's last steps are (no failure labels, no model)",
                  caption=f"computed on telemetry up to {_iso(scores.timestamp)}: {age_text(scores.timestamp)}")
    for col in ("#", "node", "anomaly", "anomaly p", "anomalous"):
        table.add_column(col, justify="left" if col in ("node", "anomalous") else "right")
    for i, r in enumerate(rows, 1):
        flag = "[bold red]yes[/]" if r.risky else "no"
        table.add_row(str(i), r.node, _num(r.anomaly, 2), _num(r.anomaly_p), flag)
    console.print(table)
    console.print(f"[dim]anomaly-only mode: no label column, incident or SLO rule to learn failures from, so no failure probability; "
                  f"anomalous = p < {scores.threshold:g} against the node's own earlier telemetry. Record incidents or declare "
                  "`slo:` rules, then `opsgraph risk train`[/]")


def print_drivers(node: str, drivers: list[Any]) -> None:
    """The metric changes that move the score, first: what an engineer can check."""
    if not drivers:
        console.print(f"[bold]{escape(node)}[/]: no metric of it or its dependencies moved past its normal range recently")
        return
    table = Table(title=f"what moved recently: {node} and its dependencies ({DRIVER_WINDOW})")
    for col in ("node", "metric", "normal", "now", "x", "since"):
        table.add_column(col, justify="right" if col in ("normal", "now", "x") else "left")
    for m in drivers[:8]:
        f = m.factor
        table.add_row(escape(m.node), escape(m.metric), f"{m.normal:.4g}", f"{m.peak:.4g}", "-" if f is None else f"{f:.3g}",
                      datetime.fromtimestamp(m.since, tz=UTC).strftime("%Y-%m-%d %H:%M"))
    console.print(table)


def print_explanation(ex: Any) -> None:
    console.print(f"[bold]{escape(ex.node)}[/]: risk {ex.probability:.3f}, attention to its own state {ex.self_attention:.2f}")
    if not ex.path:
        console.print("no upstream dependency draws its attention: the risk comes from its own telemetry")
        return
    table = Table(title=f"upstream path of {ex.node} by attention")
    for col in ("hop", "dependant", "depends on", "attention", "dependency risk"):
        table.add_column(col, justify="right" if col in ("hop", "attention", "dependency risk") else "left")
    for i, hop in enumerate(ex.path, 1):
        table.add_row(str(i), hop.dependant, hop.dependency, _num(hop.attention, 2), _num(hop.dependency_probability))
    console.print(table)
    chain = " <- ".join([ex.node, *(h.dependency for h in ex.path)])
    console.print(f"[dim]{escape(chain)}  (attention: mean over heads, both GAT layers and the window's steps)[/]")


def _promotion_note(og: OpsGraph, version: str, metrics: dict[str, dict[str, float]]) -> str:
    current = og.risk.current_version()
    if current == version:
        return f"saved [bold]{version}[/] and promoted it: it is the current model"
    cur, new = metrics.get("comparison_current"), metrics.get("comparison_challenger")
    metric = og.risk.config().compare_metric
    if cur and new:
        why = f"current {current} scores {metric.upper()} {_num(cur.get(metric))} vs {_num(new.get(metric))} on the same test windows"
    else:
        why = "there were no test windows to compare the two on"
    return f"saved [bold]{version}[/], not promoted: {why} (`opsgraph risk promote {version}` to use it anyway)"


# -- commands -------------------------------------------------------------------
@risk_app.command()
def train(home: HomeOpt = None) -> None:
    """Train on all stored telemetry; store a new version; promote it if it beats the current one."""
    with _errors(), _open(home) as og:
        with epoch_bar() as progress:
            version, metrics = og.risk.train(progress=progress)
        print_metrics(metrics, f"model {version}: risky class = fails within the horizon")
        console.print(_promotion_note(og, version, metrics))


@risk_app.command()
def score(
    as_json: JsonOpt = False,
    top: Annotated[int | None, typer.Option("--top", min=1, help="Show only the N riskiest nodes.")] = None,
    home: HomeOpt = None,
) -> None:
    """Risk of every node at the latest stored step, riskiest first, with anomaly scores."""
    with _errors(), _open(home) as og:
        scores = og.risk.scores()
        version = og.risk.current_version()
        if as_json:
            nodes = scores.nodes[:top] if top else scores.nodes
            _print_json({"version": version, "mode": scores.mode, "timestamp": _iso(scores.timestamp),
                         "data_age_seconds": round(age_seconds(scores.timestamp)), "horizon_steps": scores.horizon,
                         "threshold": scores.threshold, "nodes": [r.__dict__ for r in nodes]})
        else:
            print_scores(scores, version, top)


@risk_app.command()
def explain(node: Annotated[str, typer.Argument(help="Node id, e.g. checkoutservice.")], as_json: JsonOpt = False,
            home: HomeOpt = None) -> None:
    """What drives a node's risk: the metric changes of it and its dependencies, then the attention path."""
    with _errors(), _open(home) as og:
        ex = og.risk.explain(node)
        drivers = og.risk_drivers(node)
        if as_json:
            _print_json({"node": ex.node, "probability": ex.probability, "metric_changes": [m.as_dict() for m in drivers],
                         "self_attention": ex.self_attention, "path": [h.__dict__ for h in ex.path]})
        else:
            print_drivers(node, drivers)
            print_explanation(ex)


@risk_app.command()
def drift(as_json: JsonOpt = False, home: HomeOpt = None) -> None:
    """Has the latest telemetry drifted from what the current model was trained on?"""
    with _errors(), _open(home) as og:
        report = og.risk.drift()
        if as_json:
            _print_json(report.__dict__)
            return
        table = Table(title=f"drift of the last {report.window_steps} steps (model {og.risk.current_version()})", show_header=False)
        table.add_column("", style="bold")
        table.add_column("", justify="right")
        table.add_row("score (Mahalanobis)", _num(report.score, 2))
        table.add_row("threshold", f"{report.threshold:.2f} (false alarms {report.false_alarm_rate:.0%})")
        table.add_row("p-value", _num(report.p_value))
        table.add_row("drifted", "[bold red]yes[/]" if report.drifted else "[green]no[/]")
        console.print(table)


@risk_app.command("monitor")
def monitor_cmd(force: Annotated[bool, typer.Option("--force", help="Retrain and compare even without drift.")] = False,
                home: HomeOpt = None) -> None:
    """One pass of the policy: drift? -> retrain a challenger -> compare -> promote only if better."""
    with _errors(), _open(home) as og:
        with epoch_bar() as progress:
            report = og.risk.monitor(force=force, progress=progress)
        d = report.drift
        if d is not None:
            verdict = "[bold red]drifted[/]" if d.drifted else "[green]no drift[/]"
            console.print(f"drift:     score {d.score:.2f} vs threshold {d.threshold:.2f} (p {_num(d.p_value)}): {verdict}")
        if report.action == "trained_first":
            console.print(f"trained:   no current model, so trained {report.current_version} and promoted it")
        elif report.action == "no_drift":
            console.print(f"nothing to do: {report.current_version} stays current (--force retrains anyway)")
        else:
            why = "forced, " if report.drift is not None and not report.drift.drifted else ""
            console.print(f"retrained: {why}challenger stored as {report.challenger_version}")
            m = report.metric.upper()
            console.print(f"compared:  {m} on the most recent steps: current {report.previous_version} "
                          f"{_num(report.current_score)}, challenger {_num(report.challenger_score)}")
            if report.action == "promoted":
                console.print(f"[bold green]promoted[/]  {report.challenger_version} (was {report.previous_version})")
            else:
                console.print(f"[bold]kept[/]      {report.current_version}: the challenger is not better")
        console.print(f"[dim]{escape(report.reason)}[/]")


@risk_app.command()
def models(as_json: JsonOpt = False, home: HomeOpt = None) -> None:
    """Stored model versions: created, data window, test metrics; * marks the current one."""
    with _errors(), _open(home) as og:
        manifests = og.risk.models()
        if as_json:
            keep = ("version", "current", "created", "data_window", "node_type", "threshold", "metrics", "hyper_parameters")
            _print_json([{k: m.get(k) for k in keep} for m in manifests])
            return
        if not manifests:
            console.print(f"no model versions in {og.settings.risk_registry_path}: run `opsgraph risk train`")
            return
        table = Table(title=f"risk model versions in {og.settings.risk_registry_path}")
        table.add_column("")
        table.add_column("version", no_wrap=True)
        table.add_column("created")
        table.add_column("data window")
        for col in ("F1", "AUROC", "AP", "early AP"):
            table.add_column(col, justify="right")
        for m in manifests:
            test, early = m.get("metrics", {}).get("test", {}), m.get("metrics", {}).get("test_early", {})
            window = f"{_short(m['data_window']['start'])} to\n{_short(m['data_window']['end'])}"
            table.add_row("*" if m["current"] else "", m["version"], _short(m.get("created", "")), window,
                          _num(test.get("f1")), _num(test.get("auroc")), _num(test.get("ap")), _num(early.get("ap")))
        console.print(table)
        console.print("[dim]* current; metrics of the risky class on each version's own test windows "
                      "(early = nodes not failing yet)[/]")


@risk_app.command()
def alerts(
    open_only: Annotated[bool, typer.Option("--open", help="Only alerts still open.")] = False,
    as_json: JsonOpt = False,
    home: HomeOpt = None,
) -> None:
    """Alerts the watch loop recorded: a node crossing its threshold, and when it fell back under it."""
    with _errors(), _open(home) as og:
        found = og.alerts(open_only=open_only)
    if as_json:
        _print_json(found)
        return
    if not found:
        console.print("no risk alerts recorded" + (" open" if open_only else "") + " (`opsgraph watch` records them)")
        return
    table = Table(title="risk alerts, newest first")
    for col in ("node", "status", "raised at step", "cleared at step", "score", "threshold", "mode", "model"):
        table.add_column(col, justify="right" if col in ("score", "threshold") else "left")
    for a in found:
        cleared = _short(_iso(a["cleared"])) if a.get("cleared") is not None else "-"
        status = "[bold red]open[/]" if a["status"] == "open" else "cleared"
        table.add_row(escape(str(a["node"])), status, _short(_iso(a["raised"])), cleared, _num(a.get("score")), _num(a.get("threshold")),
                      str(a.get("mode") or ""), str(a.get("version") or "-"))
    console.print(table)
    console.print("[dim]score: probability (mode model) or anomaly p-value (mode anomaly-only) when the alert was raised[/]")


@risk_app.command()
def promote(version: Annotated[str, typer.Argument(help="A version, e.g. v0002.")], home: HomeOpt = None) -> None:
    """Make a stored version the current model."""
    with _errors(), _open(home) as og:
        og.risk.promote(version)
    console.print(f"{version} is now the current risk model")


@risk_app.command()
def rollback(home: HomeOpt = None) -> None:
    """Return to the previously promoted version."""
    with _errors(), _open(home) as og:
        version = og.risk.rollback()
    console.print(f"rolled back: {version} is the current risk model")


# -- demo -----------------------------------------------------------------------
def run_risk_demo(og: OpsGraph) -> None:
    """The risk part of `opsgraph demo`: train on the sample telemetry, show the top 5 and explain the first."""
    console.rule("[bold]risk: which services are about to fail?")
    console.print(f"training the temporal GATv2 on the stored {og.risk.node_type} telemetry "
                  f"({', '.join(f'{k} {v}' for k, v in DEMO_OVERRIDES.items())}, {og.settings.risk.threads} torch thread(s))")
    with epoch_bar() as progress:
        version, metrics = og.risk.train(progress=progress, overrides=DEMO_OVERRIDES, promote=True)
    test, early = metrics.get("test", {}), metrics.get("test_early", {})
    console.print(f"saved {version}; test, risky class: F1 {_num(test.get('f1'))}, AUROC {_num(test.get('auroc'))}, "
                  f"AP {_num(test.get('ap'))}; early warning (not failing yet): F1 {_num(early.get('f1'))}, AP {_num(early.get('ap'))}")
    scores = og.risk.scores()
    print_scores(scores, version, 5)
    print_explanation(og.risk.explain(scores.nodes[0].node))
