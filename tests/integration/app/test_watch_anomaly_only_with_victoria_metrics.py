"""An estate with no failure labels (no label column, incident or SLO rule) watched live from a real VictoriaMetrics:
risk runs the label-free score and every place that shows it says "anomaly-only" (watch output, the facade's board,
the API's JSON, the CLI); a service pushed far off its normal raises exactly one alert, however many steps it stays
there; a cycle with nothing new writes nothing."""

from __future__ import annotations

import csv
import json
import math
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from opsgraph.api.service import Served
from opsgraph.app import OpsGraph, Settings, sample_estate_path
from opsgraph.cli.main import app
from opsgraph.cli.watch import cycle_lines
from opsgraph.risk.alerts import ALERT
from opsgraph.sources import SourceConfig
from opsgraph.sources.prometheus_settings import PrometheusSettings

T0 = 1767225600
END = T0 + 2160 * 60  # the first step after the sample's 36 h
FEATURES = ("cpu", "memory", "latency_p95_ms", "error_rate", "requests_per_s")
QUERIES = {"Service": {f: f"max by (service) (estate_{f})" for f in FEATURES}}
WILD = {"cpu": 99.0, "memory": 97.0, "latency_p95_ms": 9000.0, "error_rate": 0.9, "requests_per_s": 0.5}
SCHEMA = """\
version: 1
name: unlabelled
nodes:
  Service:
    properties: {name: string}
    telemetry: [cpu, memory, latency_p95_ms, error_rate, requests_per_s]
edges:
  DEPENDS_ON: {from: Service, to: Service, dependency: true}
"""


def _last_rows() -> dict[str, dict[str, float]]:
    """Each service's values at the sample's last step (pushed again as its ordinary next steps)."""
    with (sample_estate_path() / "telemetry" / "services.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    last = max(r["timestamp"] for r in rows)
    return {r["node"]: {f: float(r[f]) for f in FEATURES} for r in rows if r["timestamp"] == last}


def _push(url: str, steps: range, wild: str) -> None:
    """New samples into VictoriaMetrics: every service as it last was, `wild` far off its normal."""
    lines = []
    for node, values in _last_rows().items():
        for ts in steps:
            for f in FEATURES:
                v = WILD[f] if node == wild else values[f]
                lines.append(f'estate_{f}{{service="{node}"}} {v} {ts * 1000}\n')
    req = urllib.request.Request(f"{url}/api/v1/import/prometheus", data="".join(lines).encode(), method="POST")
    urllib.request.urlopen(req, timeout=30).read()
    urllib.request.urlopen(f"{url}/internal/force_flush", timeout=30).read()


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("anomaly-only") / "home"


@pytest.fixture(scope="module")
def graph(home: Path, sample_victoria: str) -> Iterator[OpsGraph]:
    estate = home.parent / "estate"
    (estate / "nodes").mkdir(parents=True)
    (estate / "schema.yaml").write_text(SCHEMA, encoding="utf-8")
    services = sorted(_last_rows())
    (estate / "nodes" / "Service.csv").write_text("id,name\n" + "".join(f"{s},{s}\n" for s in services), encoding="utf-8")
    source = SourceConfig(name="vm", kind="prometheus", prometheus=PrometheusSettings(
        url=sample_victoria, queries=QUERIES, delay_seconds=0, retries=0, timeout_seconds=10, lookback_seconds=4 * 3600))
    settings = Settings(home=home, embed={"provider": "none"}, risk={"threads": 1, "monitor_steps": 240}, sources=[source])
    with OpsGraph(settings) as og:
        og.ingest(estate, documents=False)
        yield og


def _frontend_alerts(og: OpsGraph) -> list[dict[str, Any]]:
    return [a for a in og.store.read_records(ALERT) if a["node"] == "frontend"]


def test_unlabelled_telemetry_is_scored_anomaly_only_and_a_wild_service_alerts_once(graph: OpsGraph, sample_victoria: str) -> None:
    one = graph.watch_cycle(now=END + 5)
    assert one.errors == [] and one.pulls[0]["rows"] > 14 * 200, one.pulls
    assert one.mode == "anomaly-only" and one.how == "anomaly-only" and one.version is None
    assert one.scores is not None and one.scores.mode == "anomaly-only"
    assert all(math.isnan(r.probability) for r in one.scores.nodes), "no failure probability without labels"
    assert not _frontend_alerts(graph)

    _push(sample_victoria, range(END + 60, END + 6 * 60, 60), wild="frontend")
    two = graph.watch_cycle(now=END + 5 * 60 + 5)
    assert two.pulls[0]["rows"] == 14 * 5
    assert two.scores is not None and two.scores.nodes[0].node == "frontend", "the wild service is the most anomalous"
    assert two.scores.nodes[0].risky and two.scores.nodes[0].anomaly_p < 0.01
    assert [a["node"] for a in two.alerts.raised].count("frontend") == 1
    [alert] = _frontend_alerts(graph)
    assert alert["status"] == "open" and alert["mode"] == "anomaly-only" and alert["raised"] == END + 300

    _push(sample_victoria, range(END + 6 * 60, END + 9 * 60, 60), wild="frontend")
    three = graph.watch_cycle(now=END + 8 * 60 + 5)
    assert three.pulls[0]["rows"] == 14 * 3 and three.scores is not None and three.scores.nodes[0].risky
    assert "frontend" not in [a["node"] for a in three.alerts.raised], "still over: no second alert"
    assert len(_frontend_alerts(graph)) == 1

    version, records = graph.store.data_version(), graph.store.read_records(ALERT)
    four = graph.watch_cycle(now=END + 8 * 60 + 30)
    assert four.how == "none" and four.alerts.written == 0
    assert graph.store.data_version() == version and graph.store.read_records(ALERT) == records

    # Marked wherever the score shows: the watch line, the facade's board, the API's JSON.
    screen = Console(record=True, width=400)
    for line in cycle_lines(three):
        screen.print(line)
    assert "[anomaly-only]" in screen.export_text()
    assert graph.risk.scores().mode == "anomaly-only"
    board = Served(graph).risk_board()
    assert board["mode"] == "anomaly-only" and "no failure labels" in board["mode_note"]
    assert board["nodes"][0]["node"] == "frontend" and board["nodes"][0]["probability"] is None
    assert board["data_age_seconds"] > 0


def test_the_cli_marks_anomaly_only_scores_and_lists_the_alert(graph: OpsGraph, home: Path) -> None:
    graph.close()  # the embedded store takes one opener: the CLI opens the home itself
    runner = CliRunner()
    table = runner.invoke(app, ["risk", "score", "--home", str(home)])
    assert table.exit_code == 0, table.output
    assert "anomaly-only" in table.output and "no failure probability" in table.output
    out = runner.invoke(app, ["risk", "score", "--json", "--home", str(home)])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["mode"] == "anomaly-only" and data["version"] is None and data["data_age_seconds"] > 0
    alerts = runner.invoke(app, ["risk", "alerts", "--open", "--json", "--home", str(home)])
    assert alerts.exit_code == 0, alerts.output
    assert [a["node"] for a in json.loads(alerts.output)].count("frontend") == 1
    once = runner.invoke(app, ["watch", "--once", "--json", "--home", str(home)])
    assert once.exit_code == 0, once.output
    cycle = json.loads(once.output.strip().splitlines()[-1])
    assert cycle["how"] == "none" and cycle["alerts_raised"] == [], "no source configured in this home and nothing new stored"
