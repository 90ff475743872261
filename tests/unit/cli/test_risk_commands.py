"""`opsgraph risk ...` and the demo's risk section, on the in-memory test store (no engine; real torch training).

The in-memory test store (`tests/memory_store.py`) holds one small simulated
estate and serves it the way a real store would (`read_telemetry`, the
dependency-edge queries, `node_types`, `stored_schema`); the model registry is
a real folder under the test's home.
The integration tests run the same service against the real embedded store.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch loads: no spinning pools

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import opsgraph.cli.risk as cli_risk
from memory_store import MemoryStore
from opsgraph.app import OpsGraph, Settings
from opsgraph.app.config import RiskSettings
from opsgraph.cli.main import app
from opsgraph.risk import SimulatedEstate, simulate_estate
from opsgraph.risk.rca import reachable
from opsgraph.schema import parse_schema

runner = CliRunner()
SIM = simulate_estate(8, 400, seed=1)
SCHEMA = parse_schema(
    "version: 1\nname: fake\nnodes:\n  Service:\n    properties: {name: string}\n"
    "    telemetry: [cpu, memory, latency_p95_ms, error_rate, requests_per_s]\n  Team: {properties: {name: string}}\n"
    "edges:\n  DEPENDS_ON: {from: Service, to: Service, dependency: true}\n"
)


def memory_store(sim: SimulatedEstate | None) -> MemoryStore:
    """The simulated estate as a store holds it: Services with telemetry and dependency edges, and one Team."""
    if sim is None:  # an estate without telemetry
        return MemoryStore(SCHEMA, nodes={"Team": [{"id": "core"}]})
    nodes = {"Service": [{"id": n} for n in sim.node_ids], "Team": [{"id": "core"}]}
    return MemoryStore(SCHEMA, nodes=nodes, edges={"DEPENDS_ON": list(sim.edges)}, telemetry={"Service": sim.to_frame()})


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`--home` for the CLI; `_open` builds the facade on the fake store with fast settings."""
    def fake_open(h: Path | None) -> OpsGraph:
        settings = Settings(home=h or tmp_path, risk=RiskSettings(threads=1, config={"epochs": 4, "patience": 2}))
        return OpsGraph(settings, store=memory_store(SIM)).open()  # type: ignore[arg-type]

    monkeypatch.setattr(cli_risk, "_open", fake_open)
    return tmp_path / "home"


def test_train_score_explain_and_models(home: Path) -> None:
    trained = runner.invoke(app, ["risk", "train", "--home", str(home)])
    assert trained.exit_code == 0, trained.output
    assert "AUROC" in trained.stdout and "early warning" in trained.stdout
    assert "saved v0001 and promoted it" in trained.stdout
    assert (home / "models" / "risk" / "v0001" / "manifest.json").is_file()

    scored = runner.invoke(app, ["risk", "score", "--json", "--top", "3", "--home", str(home)])
    assert scored.exit_code == 0, scored.output
    out = json.loads(scored.stdout)
    probs = [n["probability"] for n in out["nodes"]]
    assert out["version"] == "v0001" and len(probs) == 3
    assert probs == sorted(probs, reverse=True) and all(0 <= p <= 1 for p in probs)
    assert {"node", "risky", "anomaly", "anomaly_p"} <= set(out["nodes"][0])

    node = "svc-000"  # the front end: it depends on others, so it has a path to show
    explained = runner.invoke(app, ["risk", "explain", node, "--json", "--home", str(home)])
    assert explained.exit_code == 0, explained.output
    explained_json = json.loads(explained.stdout)
    path = explained_json["path"]
    assert list(explained_json)[:3] == ["node", "probability", "metric_changes"]  # metric changes lead, the path supports
    assert {m["node"] for m in explained_json["metric_changes"]} <= reachable(SIM.node_ids, SIM.edges, node)  # it or its dependencies
    assert path and path[0]["dependant"] == node
    assert (node, path[0]["dependency"]) in SIM.edges
    table = runner.invoke(app, ["risk", "explain", node, "--home", str(home)])
    assert table.stdout.index("recently") < table.stdout.index(f"upstream path of {node}")
    assert f"upstream path of {node}" in table.stdout and path[0]["dependency"] in table.stdout

    listed = runner.invoke(app, ["risk", "models", "--home", str(home)])
    assert listed.exit_code == 0 and "v0001" in listed.stdout and "*" in listed.stdout
    as_json = json.loads(runner.invoke(app, ["risk", "models", "--json", "--home", str(home)]).stdout)
    assert [(m["version"], m["current"]) for m in as_json] == [("v0001", True)]


def test_errors_are_one_red_line_and_exit_1(home: Path) -> None:
    for args, says in ((["score"], "opsgraph risk train"), (["drift"], "opsgraph risk train"),
                       (["rollback"], "no previous version"), (["promote", "v0042"], "no version 'v0042'")):
        result = runner.invoke(app, ["risk", *args, "--home", str(home)])
        assert result.exit_code == 1, (args, result.output)
        assert "error:" in result.output and says in result.output
        assert "Traceback" not in result.output


def test_unknown_node_and_missing_telemetry(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert runner.invoke(app, ["risk", "train", "--home", str(home)]).exit_code == 0
    ghost = runner.invoke(app, ["risk", "explain", "ghost", "--home", str(home)])
    assert ghost.exit_code == 1 and "no node 'ghost'" in ghost.output
    team = runner.invoke(app, ["risk", "explain", "core", "--home", str(home)])
    assert team.exit_code == 1 and "is a Team" in team.output

    monkeypatch.setattr(cli_risk, "_open", lambda h: OpsGraph(Settings(home=h), store=memory_store(None)).open())  # type: ignore[arg-type]
    empty = runner.invoke(app, ["risk", "train", "--home", str(home)])
    assert empty.exit_code == 1 and "no Service telemetry" in empty.output


def test_demo_section_trains_scores_and_explains(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with OpsGraph(Settings(home=tmp_path), store=memory_store(SIM)) as og:  # type: ignore[arg-type]
        cli_risk.run_risk_demo(og)
    out = capsys.readouterr().out
    assert "which services are about to fail" in out
    assert "saved v0001" in out and "top 5 of 8" in out
    assert "upstream path of" in out or "its own telemetry" in out
