"""Ingesting the same folder twice changes nothing; changing one row updates exactly that node."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from helpers import snapshot
from opsgraph.app import OpsGraph


@pytest.fixture
def og(any_og: OpsGraph) -> OpsGraph:
    """Every test here runs on both store backends: the embedded engine and an ArcadeDB server over HTTP."""
    return any_og


def digest(snap: dict[str, object]) -> str:
    return hashlib.sha256(json.dumps(snap, sort_keys=True, default=str).encode()).hexdigest()


def test_reingest_changes_nothing(og: OpsGraph, sample_copy: Path) -> None:
    first = og.ingest(sample_copy)
    before = snapshot(og)
    version = og.store.data_version()
    second = og.ingest(sample_copy)
    t1, t2 = first.totals(), second.totals()
    assert t1.created > 300 and t1.updated == 0
    assert (t2.created, t2.updated, t2.unchanged) == (0, 0, t1.created)
    assert digest(snapshot(og)) == digest(before)
    assert og.store.data_version() == version  # nothing was written at all


def test_counts_match_the_files(og: OpsGraph, sample_copy: Path) -> None:
    og.ingest(sample_copy)
    counts = {t.name: t.count for t in og.describe()}
    assert counts["Service"] == 14
    assert counts["DEPENDS_ON"] == 40
    og.ingest(sample_copy)
    assert {t.name: t.count for t in og.describe()} == counts


def test_changing_one_row_updates_exactly_that_node(og: OpsGraph, small_estate: Path) -> None:
    og.ingest(small_estate)
    before = {r["p"]["id"]: r["p"] for r in snapshot(og)["nodes"]}  # type: ignore[index]
    csv = small_estate / "nodes" / "Service.csv"
    csv.write_text(csv.read_text().replace("db-proxy,DB Proxy,high,5432,false,", "db-proxy,DB Proxy,critical,5432,false,"))
    report = og.ingest(small_estate)
    assert (report.nodes["Service"].created, report.nodes["Service"].updated, report.nodes["Service"].unchanged) == (0, 1, 2)
    assert report.totals().updated == 1
    after = {r["p"]["id"]: r["p"] for r in snapshot(og)["nodes"]}  # type: ignore[index]
    changed = {k for k in before if before[k] != after[k]}
    assert changed == {"db-proxy"}
    assert after["db-proxy"]["tier"] == "critical"
    # Its edges survive the update.
    deps = og.query("MATCH (a)-[:DEPENDS_ON]->(b:Service {id: $id}) RETURN a.id AS a ORDER BY a", {"id": "db-proxy"}).rows
    assert [r["a"] for r in deps] == ["api", "worker"]


def test_removed_cell_removes_the_property(og: OpsGraph, small_estate: Path) -> None:
    og.ingest(small_estate)
    csv = small_estate / "nodes" / "Service.csv"
    csv.write_text(csv.read_text().replace("api,API,critical,8080,true,edge;public", "api,API,critical,,true,edge;public"))
    og.ingest(small_estate)
    row = og.query("MATCH (n:Service {id: 'api'}) RETURN properties(n) AS p").rows[0]["p"]
    assert "port" not in row and row["tier"] == "critical"


def test_edge_property_change_updates_the_edge(og: OpsGraph, small_estate: Path) -> None:
    og.ingest(small_estate)
    (small_estate / "edges" / "DEPENDS_ON.json").write_text('[{"from": "api", "to": "db-proxy", "critical": false}, {"from": "worker", "to": "db-proxy"}]')
    report = og.ingest(small_estate)
    assert (report.edges["DEPENDS_ON"].updated, report.edges["DEPENDS_ON"].unchanged) == (1, 1)
    rows = og.query("MATCH (:Service {id: 'api'})-[r:DEPENDS_ON]->() RETURN r.critical AS c").rows
    assert rows == [{"c": False}]
