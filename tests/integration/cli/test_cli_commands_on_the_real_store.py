"""CLI commands against the real embedded store."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from helpers import write
from opsgraph.cli.main import app

runner = CliRunner()


def test_ingest_query_and_refusals(tmp_path: Path, small_estate: Path) -> None:
    home = str(tmp_path / "home")
    first = runner.invoke(app, ["ingest", str(small_estate), "--home", home])
    assert first.exit_code == 0, first.output
    assert "created 12" in first.output  # 5 nodes, 5 edges, 2 telemetry buckets
    again = runner.invoke(app, ["ingest", str(small_estate), "--home", home])
    assert "created 0, updated 0, unchanged 12" in again.output

    out = runner.invoke(app, ["query", "MATCH (s:Service) WHERE s.tier = $t RETURN s.id AS id", "-p", "t=critical", "--json", "--home", home])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["rows"] == [{"id": "api"}]

    refused = runner.invoke(app, ["query", "MATCH (n) DETACH DELETE n", "--home", home])
    assert refused.exit_code == 1
    assert "run read-only" in refused.output

    write(small_estate / "edges" / "OWNS.yaml", "- {from: core, to: ghost}\n")
    bad = runner.invoke(app, ["ingest", str(small_estate), "--home", home])
    assert bad.exit_code == 1
    assert "edges/OWNS.yaml:1 [to]" in bad.output and "nothing was written" in bad.output


def test_demo_answers_multi_hop_questions(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--home", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    assert "What breaks if the payment service is down?" in result.output
    assert "checkoutservice" in result.output and "frontend" in result.output
    assert "INC-2041" in result.output
    assert "created 0, updated 0, unchanged" in result.output
    # Text-to-Cypher tuned on the estate, then the local model's queries run with the question's values as parameters.
    assert "pairs kept" in result.output
    assert "Which services depend on $p0?" in result.output and "'p0': 'paymentservice'" in result.output


def test_tune_status_before_tuning(tmp_path: Path, small_estate: Path) -> None:
    home = str(tmp_path / "home")
    assert runner.invoke(app, ["ingest", str(small_estate), "--home", home]).exit_code == 0
    out = runner.invoke(app, ["tune", "--status", "--home", home])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout) == {"tuned": False}
