"""`og.risk` against the real embedded store: telemetry goes in as CSV through `og.ingest`,
and every dataset the risk engine uses is read back from the store.

One small simulated estate (12 services, 600 one-minute steps) is ingested and
trained once per module into a template home; each test works on its own copy
of that home (the store is closed while it is copied), so tests that add
telemetry or versions do not see each other.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch loads: no spinning pools

import itertools
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pytest

from helpers import write
from opsgraph.app import OpsGraph, Settings
from opsgraph.app.config import RiskSettings
from opsgraph.app.risk import NoModelError, NoTelemetryError, RiskError, UnknownNodeError
from opsgraph.risk import SimulatedEstate, build_dataset, simulate_estate, write_telemetry_csv

SEED = 0
FAST = {"epochs": 8, "patience": 4}
"""Enough for this estate to beat chance clearly; ~2 s of training on one thread."""

SCHEMA = """\
version: 1
name: risk-test
nodes:
  Service:
    properties: {name: string}
    telemetry: [cpu, memory, latency_p95_ms, error_rate, requests_per_s]
  Team:
    properties: {name: string}
edges:
  DEPENDS_ON: {from: Service, to: Service, dependency: true}
  OWNS: {from: Team, to: Service}
telemetry:
  interval_seconds: 60
"""


def write_estate(root: Path, sim: SimulatedEstate) -> Path:
    """An estate folder holding the simulated services, their dependencies and telemetry."""
    write(root / "schema.yaml", SCHEMA)
    write(root / "nodes" / "Service.csv", "id,name\n" + "".join(f"{n},{n.upper()}\n" for n in sim.node_ids))
    write(root / "nodes" / "Team.csv", "id,name\ncore,Core\n")
    write(root / "edges" / "DEPENDS_ON.csv", "from,to\n" + "".join(f"{a},{b}\n" for a, b in sim.edges))
    write(root / "edges" / "OWNS.csv", "from,to\n" + "".join(f"core,{n}\n" for n in sim.node_ids))
    write_telemetry_csv(sim, root / "telemetry" / "0-normal.csv")
    return root


def settings(home: Path, **risk: Any) -> Settings:
    return Settings(home=home, risk=RiskSettings(threads=1, config={**FAST, **risk.pop("config", {})}, **risk))


def later(sim: SimulatedEstate, steps: int, run_seed: int, mode: Literal["normal", "drift"] = "normal") -> SimulatedEstate:
    """Fresh telemetry of the same estate, starting right after `sim`."""
    return simulate_estate(len(sim.node_ids), steps, seed=SEED, run_seed=run_seed, mode=mode,
                           start=int(sim.timestamps[-1]) + 60)


@pytest.fixture(scope="module")
def sim() -> SimulatedEstate:
    return simulate_estate(12, 600, seed=SEED)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, sim: SimulatedEstate) -> Path:
    """A closed home with the estate ingested and one trained model (v0001)."""
    root = tmp_path_factory.mktemp("risk")
    estate = write_estate(root / "estate", sim)
    with OpsGraph(settings(root / "home")) as og:
        og.ingest(estate)
        og.risk.train()
    return root


@pytest.fixture
def trained(template: Path, tmp_path: Path) -> Iterator[tuple[OpsGraph, Path]]:
    """An open facade on a private copy of the template home, and the estate folder."""
    shutil.copytree(template, tmp_path / "copy")
    with OpsGraph(settings(tmp_path / "copy" / "home", monitor_steps=400)) as og:
        yield og, tmp_path / "copy" / "estate"


# -- data from the store ---------------------------------------------------------
def test_dataset_from_the_store_equals_the_frame_written(og: OpsGraph, tmp_path: Path, sim: SimulatedEstate) -> None:
    og.ingest(write_estate(tmp_path / "estate", sim))
    data = og.risk.telemetry()
    frame = data.frame
    assert frame.node_ids == sim.node_ids and frame.features == sim.features
    assert np.array_equal(frame.timestamps, sim.timestamps)
    assert np.array_equal(frame.labels, sim.labels)
    assert np.allclose(frame.values, sim.values, rtol=1e-5, atol=1e-6)  # the CSV keeps 6 significant digits
    assert sorted(data.edges) == sorted(sim.edges)
    assert data.node_type == "Service" and data.schema_name == "risk-test"

    from_store = build_dataset(frame, data.edges)
    written = build_dataset(sim.to_frame(), sim.edges)
    assert np.abs(from_store.x - written.x).max() < 1e-3  # scaled by robust spreads: tiny input rounding grows a little
    assert np.array_equal(from_store.targets, written.targets)
    assert np.array_equal(np.sort(from_store.edge_index, axis=1), np.sort(written.edge_index, axis=1))


def test_clear_errors_without_estate_telemetry_or_model(og: OpsGraph, tmp_path: Path, sim: SimulatedEstate) -> None:
    with pytest.raises(NoTelemetryError, match="ingest"):
        og.risk.train()
    estate = write_estate(tmp_path / "estate", sim)
    shutil.rmtree(estate / "telemetry")
    og.ingest(estate)
    with pytest.raises(NoTelemetryError, match="no Service telemetry"):
        og.risk.telemetry()
    with pytest.raises(NoModelError, match="opsgraph risk train"):
        og.risk.scores()
    assert og.risk.models() == []


# -- a trained model -------------------------------------------------------------
def test_training_stores_v0001_with_a_manifest(trained: tuple[OpsGraph, Path], sim: SimulatedEstate) -> None:
    og, _ = trained
    folder = og.settings.home / "models" / "risk" / "v0001"
    assert (folder / "manifest.json").is_file() and (folder / "model.pt").is_file()
    [m] = og.risk.models()
    assert m["version"] == "v0001" and m["current"] is True and og.risk.current_version() == "v0001"
    assert m["node_type"] == "Service" and m["node_ids"] == sim.node_ids
    assert m["data_window"]["start_epoch"] == int(sim.timestamps[0])
    assert m["data_window"]["end_epoch"] == int(sim.timestamps[-1])
    assert m["hyper_parameters"]["threads"] == 1 and m["hyper_parameters"]["epochs"] == FAST["epochs"]
    assert m["metrics"]["test"]["auroc"] > 0.8  # risky class, held-out most recent steps


def test_scores_are_sorted_probabilities(trained: tuple[OpsGraph, Path], sim: SimulatedEstate) -> None:
    og, _ = trained
    scores = og.risk.scores()
    probs = [n.probability for n in scores.nodes]
    assert sorted(n.node for n in scores.nodes) == sorted(sim.node_ids)
    assert probs == sorted(probs, reverse=True)
    assert all(0.0 <= p <= 1.0 for p in probs)
    assert scores.timestamp == int(sim.timestamps[-1])
    assert all(np.isfinite(n.anomaly) for n in scores.nodes)


def test_explanation_starts_at_a_real_dependency(trained: tuple[OpsGraph, Path]) -> None:
    og, _ = trained
    # The service with the most dependencies has the most to explain.
    node = og.query("MATCH (s:Service)-[:DEPENDS_ON]->(d:Service) RETURN s.id AS id, count(d) AS n "
                    "ORDER BY n DESC, id LIMIT 1").rows[0]["id"]
    ex = og.risk.explain(node)
    assert ex.node == node and 0.0 <= ex.probability <= 1.0
    assert ex.path, "a service with dependencies gets an upstream path"
    first = ex.path[0]
    assert first.dependant == node
    edge = og.query("MATCH (a:Service {id: $a})-[:DEPENDS_ON]->(b:Service {id: $b}) RETURN count(*) AS n",
                    {"a": node, "b": first.dependency}).rows
    assert edge == [{"n": 1}]
    for prev, hop in itertools.pairwise(ex.path):
        assert hop.dependant == prev.dependency
    assert all(0.0 <= h.attention <= 1.0 for h in ex.path)


def test_why_is_it_at_risk_is_answered_with_what_moved_and_the_attention_path(trained: tuple[OpsGraph, Path]) -> None:
    """`og.ask` reads the same explanation `opsgraph risk explain` prints: the model's path and the metric changes."""
    og, _ = trained
    node = og.query("MATCH (s:Service)-[:DEPENDS_ON]->(d:Service) RETURN s.id AS id, count(d) AS n "
                    "ORDER BY n DESC, id LIMIT 1").rows[0]["id"]
    ex = og.risk.explain(node)
    a = og.ask(f"why is {node} at risk?", use_cache=False)
    assert a.kind == "risk" and not a.abstained, a.text
    row = (a.rows or [])[0]
    assert row["id"] == node
    assert [h["dependency"] for h in row["attention_path"]] == [h.dependency for h in ex.path]
    assert "The model's attention upstream:" in a.text and ex.path[0].dependency.upper() in a.text
    moved = og.risk_drivers(node)
    assert [(m["node"], m["metric"]) for m in row["moved"]] == [(m.node, m.metric) for m in moved[:6]]
    assert ("What moved recently" in a.text) == bool(moved)


def test_unknown_nodes_are_refused_clearly(trained: tuple[OpsGraph, Path]) -> None:
    og, _ = trained
    with pytest.raises(UnknownNodeError, match="no node 'ghost'"):
        og.risk.explain("ghost")
    with pytest.raises(UnknownNodeError, match="is a Team"):
        og.risk.explain("core")


def test_drift_telemetry_ingested_later_alarms_and_monitor_promotes_only_if_better(
    trained: tuple[OpsGraph, Path], sim: SimulatedEstate
) -> None:
    og, estate = trained
    assert not og.risk.drift().drifted
    assert og.risk.monitor().action == "no_drift"

    write_telemetry_csv(later(sim, 400, run_seed=3, mode="drift"), estate / "telemetry" / "1-drift.csv")
    og.ingest(estate)
    report = og.risk.drift()
    assert report.drifted and report.score > report.threshold and report.p_value < 0.01

    m = og.risk.monitor()
    assert m.drift is not None and m.drift.drifted
    assert m.challenger_version == "v0002" and m.previous_version == "v0001"
    assert m.current_score is not None and m.challenger_score is not None
    better = m.challenger_score > m.current_score + og.risk.config().min_gain
    assert (m.action == "promoted") == better
    assert og.risk.current_version() == ("v0002" if better else "v0001")


def test_a_worse_model_is_stored_not_promoted_then_promote_and_rollback(trained: tuple[OpsGraph, Path]) -> None:
    og, _ = trained
    # Another shape (no warm start), one epoch at a tiny learning rate: worse than v0001.
    weak = {"epochs": 1, "lr": 1e-6, "hidden_channels": 4}
    version, metrics = og.risk.train(overrides=weak)
    assert version == "v0002" and og.risk.current_version() == "v0001"
    assert metrics["comparison_challenger"]["ap"] < metrics["comparison_current"]["ap"]
    assert [(m["version"], m["current"]) for m in og.risk.models()] == [("v0001", True), ("v0002", False)]

    og.risk.promote("v0002")
    assert og.risk.current_version() == "v0002"
    assert og.risk.scores().nodes  # the promoted version is the one that scores
    assert og.risk.rollback() == "v0001" and og.risk.current_version() == "v0001"
    with pytest.raises(RiskError, match="roll back"):
        og.risk.rollback()
    with pytest.raises(RiskError, match="v0001, v0002"):
        og.risk.promote("v0042")
