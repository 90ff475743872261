"""On the real store: a dependency removed by a sync in the middle of the telemetry is in the risk model's graph
only at the steps before its removal (read from the estate's history), in training and in scoring; an estate
whose dependencies never changed after its first load trains exactly as on a static edge list."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch loads: no spinning pools

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from helpers import write
from opsgraph.app import OpsGraph, Settings
from opsgraph.app.config import RiskSettings
from opsgraph.ingest.sync import apply_plan, plan_sync, state_from_facts
from opsgraph.risk import SimulatedEstate, build_dataset, simulate_estate, train_model, write_telemetry_csv
from opsgraph.risk.dataset import message_edge_index, timed_edges
from opsgraph.risk.model import TemporalGAT
from opsgraph.sources import Facts

SCHEMA = """\
version: 1
name: topology-over-time
nodes:
  Service:
    properties: {name: string}
    telemetry: [cpu, memory, latency_p95_ms, error_rate, requests_per_s]
edges:
  DEPENDS_ON: {from: Service, to: Service, dependency: true}
telemetry:
  interval_seconds: 60
"""
FAST = {"epochs": 2, "patience": 5}


@pytest.fixture(scope="module")
def sim() -> SimulatedEstate:
    return simulate_estate(8, 240, seed=1)


def _facts(sim: SimulatedEstate, edges: list[tuple[str, str]]) -> Facts:
    f = Facts(source="k8s", kind="kubernetes")
    f.nodes["Service"] = [{"id": n, "name": n, "_evidence": f"{n}.yaml#1"} for n in sim.node_ids]
    f.edges["DEPENDS_ON"] = [{"from": a, "to": b, "_evidence": f"{a}.yaml#1 env"} for a, b in edges]
    return f


def _sync(og: OpsGraph, f: Facts, at: float) -> None:
    schema = og.schema()
    assert schema is not None
    apply_plan(og.store, plan_sync(og.store, schema, state_from_facts(f), now=at))


def _open(home: Path, sim: SimulatedEstate) -> OpsGraph:
    """A facade whose store holds the schema, the telemetry (from a telemetry-only estate folder) and the first sync,
    made long after the telemetry's first step (an initial load does not say when its edges began)."""
    root = home.parent / "estate"
    write(root / "schema.yaml", SCHEMA)
    write(root / "nodes" / "Service.csv", "id,name\n" + "".join(f"{n},{n}\n" for n in sim.node_ids))
    write_telemetry_csv(sim, root / "telemetry" / "run.csv")
    og = OpsGraph(Settings(home=home, embed={"provider": "none"}, risk=RiskSettings(threads=1, config=FAST)))
    og.__enter__()
    og.ingest(root)
    _sync(og, _facts(sim, sim.edges), float(sim.timestamps[100]))
    return og


@pytest.fixture(scope="module")
def removed(tmp_path_factory: pytest.TempPathFactory, sim: SimulatedEstate) -> Iterator[tuple[OpsGraph, tuple[str, str], float]]:
    """One dependency removed by a sync at step 160."""
    og = _open(tmp_path_factory.mktemp("removed") / "home", sim)
    gone = sim.edges[0]
    cut = float(sim.timestamps[160])
    _sync(og, _facts(sim, sim.edges[1:]), cut)
    try:
        yield og, gone, cut
    finally:
        og.__exit__(None, None, None)


def test_the_removed_dependency_is_in_the_graph_only_before_its_removal(removed: Any, sim: SimulatedEstate) -> None:
    og, gone, cut = removed
    data, _ = og.risk.labelled_telemetry()
    assert gone not in data.edges and set(data.edges) == set(sim.edges[1:])  # the current graph
    assert data.edge_spans is not None
    assert data.edge_spans[gone] == [(None, cut)]  # the first sync was the initial load: true since before history
    ds = build_dataset(data.frame, data.edges, window=8, horizon=5, edge_spans=data.edge_spans)
    assert ds.edge_mask is not None
    col = ds.edges.index(gone)
    assert ds.edge_mask[:, col].tolist() == (ds.timestamps < cut).tolist()
    assert ds.edge_mask[:, [i for i in range(len(ds.edges)) if i != col]].all()


def test_training_and_scoring_receive_each_steps_adjacency(removed: Any, sim: SimulatedEstate, monkeypatch: pytest.MonkeyPatch) -> None:
    og, gone, _ = removed
    seen: list[Any] = []
    forward = TemporalGAT.forward

    def record(self: TemporalGAT, *args: Any, **kwargs: Any) -> Any:
        seen.append(kwargs.get("edge_mask"))
        return forward(self, *args, **kwargs)

    monkeypatch.setattr(TemporalGAT, "forward", record)
    version, _ = og.risk.train()
    assert seen and all(m is not None for m in seen)
    data, _ = og.risk.labelled_telemetry()
    ds = build_dataset(data.frame, data.edges, window=8, horizon=5, edge_spans=data.edge_spans)
    assert np.array_equal(seen[0].numpy(), ds.edge_mask)  # the adjacency per step the model trained on
    model = og.risk.registry.load(version)
    assert gone not in model.edges  # the model's own graph is the one at its last step
    seen.clear()
    og.risk.scores()  # reads the last 84 steps (156..239): the removal at step 160 is inside them
    mask = seen[-1]
    assert mask is not None and mask.shape[0] == 84
    _, kept = message_edge_index(data.frame.node_ids, timed_edges(model.edges, data.edge_spans))
    col = kept.index(gone)
    assert mask[:4, col].all() and not mask[4:, col].any()


def test_a_topology_unchanged_since_its_first_load_trains_as_a_static_graph(tmp_path: Path, sim: SimulatedEstate) -> None:
    og = _open(tmp_path / "home", sim)
    try:
        data, _ = og.risk.labelled_telemetry()
        assert data.edge_spans is None  # the initial load says nothing about when its edges began
        cfg = og.risk.config()
        static = train_model(data.frame, sorted(sim.edges), cfg)
        from_store = train_model(data.frame, sorted(data.edges), cfg, edge_spans=data.edge_spans)
        ends = np.arange(7, len(sim.timestamps), 40)
        assert np.array_equal(static.probabilities(data.frame, ends=ends), from_store.probabilities(data.frame, ends=ends))
    finally:
        og.__exit__(None, None, None)
