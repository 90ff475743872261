"""Deletes touch only what the same source asserted; precedence settles conflicts; a failed or vanished source changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from helpers import snapshot
from opsgraph.app import OpsGraph, Settings
from opsgraph.errors import IngestError, OpsGraphError
from opsgraph.ingest.sync import state_from_facts, sync_state
from opsgraph.schema.loader import parse_schema
from opsgraph.sources import Facts, SourceConfig

SCHEMA = parse_schema(
    "version: 1\nname: two\nnodes:\n  Service: {properties: {name: string, version: string, tier: string}}\n  Team: {properties: {name: string}}\n"
    "edges:\n  DEPENDS_ON: {from: Service, to: Service, dependency: true}\n  OWNS: {from: Team, to: Service}\n"
)


def facts(source: str, services: dict[str, dict[str, str]], deps: list[tuple[str, str]] = ()) -> Facts:  # type: ignore[assignment]
    f = Facts(source=source, kind="test")
    f.nodes["Service"] = [{"id": s, **p, "_evidence": source} for s, p in services.items()]
    if deps:
        f.edges["DEPENDS_ON"] = [{"from": a, "to": b, "_evidence": source} for a, b in deps]
    return f


def run(og: OpsGraph, f: Facts, precedence: int, others: dict[str, int]) -> Any:
    return sync_state(og.store, SCHEMA, state_from_facts(f, precedence=precedence), precedence=others)


PREC = {"k8s": 10, "catalog": 50}


@pytest.fixture
def two(og: OpsGraph) -> OpsGraph:
    og.store.ensure_schema(SCHEMA)
    og.store.upsert_nodes("Service", [{"id": "hand", "name": "Hand made"}])  # hand ingestion: no source
    run(og, facts("k8s", {"a": {"version": "2.0"}, "b": {"version": "1.0"}}, [("a", "b")]), 10, PREC)
    run(og, facts("catalog", {"a": {"version": "1.9", "tier": "critical"}, "c": {"tier": "low"}}, [("a", "b"), ("c", "a")]), 50, PREC)
    return og


def props(og: OpsGraph, node: str) -> dict[str, Any]:
    rows = og.query("MATCH (s:Service {id: $id}) RETURN properties(s) AS p", {"id": node}).rows
    return {k: v for k, v in rows[0]["p"].items() if k != "_hash"} if rows else {}


def test_conflict_is_reported_and_precedence_decides(two: OpsGraph) -> None:
    p = props(two, "a")
    assert p["version"] == "2.0" and p["tier"] == "critical" and p["_sources"] == ["catalog", "k8s"]
    again = run(two, facts("catalog", {"a": {"version": "1.8", "tier": "critical"}, "c": {"tier": "low"}}, [("a", "b"), ("c", "a")]), 50, PREC)
    assert [str(c) for c in again.conflicts] == ["Service a.version: catalog='1.8', k8s='2.0'; k8s wins (precedence)"]
    assert props(two, "a")["version"] == "2.0"
    assert again.writes() == 0  # the claim changed, the stored node did not


def test_deletes_never_touch_other_sources_or_hand_facts(two: OpsGraph) -> None:
    gone = run(two, facts("k8s", {}), 10, PREC)
    # k8s asserted a, b and a->b; catalog still asserts a and a->b, and b is an end of catalog's edge.
    assert props(two, "a")["_sources"] == ["catalog"] and props(two, "a")["version"] == "1.9"
    assert props(two, "b") != {} and gone.kept and gone.kept[0].startswith("b (still joined by DEPENDS_ON a->b of catalog")
    assert props(two, "hand") == {"id": "hand", "name": "Hand made"}
    edges = two.query("MATCH (x)-[r:DEPENDS_ON]->(y) RETURN x.id AS x, y.id AS y, r._sources AS s ORDER BY x").rows
    assert edges == [{"x": "a", "y": "b", "s": ["catalog"]}, {"x": "c", "y": "a", "s": ["catalog"]}]
    run(two, facts("catalog", {}), 50, PREC)
    assert two.query("MATCH (s:Service) RETURN s.id AS id ORDER BY id").rows == [{"id": "b"}, {"id": "hand"}]


def test_nodes_stored_before_provenance_are_never_deleted(og: OpsGraph, small_estate: Path) -> None:
    schema_nodes = ["api", "db-proxy", "worker"]
    og.store.ensure_schema(parse_schema((small_estate / "schema.yaml").read_text()))
    og.store.upsert_nodes("Service", [{"id": "worker", "name": "Worker"}])  # before any source
    og.ingest(small_estate)
    assert props(og, "worker")["_sources"] == ["(hand)", "small"]
    csv = small_estate / "nodes" / "Service.csv"
    csv.write_text("\n".join(line for line in csv.read_text().splitlines() if not line.startswith("worker")) + "\n")
    report = og.ingest(small_estate)
    assert report.deleted == {}
    assert sorted(r["id"] for r in og.query("MATCH (s:Service) RETURN s.id AS id").rows) == schema_nodes
    assert props(og, "worker")["_sources"] == ["(hand)"]


def test_ingest_of_a_folder_with_a_row_removed_deletes_it_and_its_edges(og: OpsGraph, small_estate: Path) -> None:
    og.ingest(small_estate)
    csv = small_estate / "nodes" / "Service.csv"
    csv.write_text("\n".join(line for line in csv.read_text().splitlines() if not line.startswith("worker")) + "\n")
    (small_estate / "telemetry" / "metrics.csv").unlink()
    report = og.ingest(small_estate)
    assert report.deleted == {"Service": 1, "DEPENDS_ON": 1, "OWNS": 1}
    assert og.query("MATCH (s:Service {id: 'worker'}) RETURN s").rows == []
    assert og.query("MATCH ()-[r]->() RETURN count(r) AS n").rows == [{"n": 3}]
    assert report.sync is not None and any("'worker' is no longer in this source" in str(p) for p in report.sync.problems)
    texts = [c["text"] for c in og.changes(node="worker")]
    assert any(t.startswith("worker: service gone (small, ") for t in texts)


def test_a_vanished_source_folder_is_a_clear_error_and_the_store_is_unchanged(tmp_path: Path, small_estate: Path) -> None:
    settings = Settings(home=tmp_path / "home", embed={"provider": "none"}, sources=[SourceConfig(name="mine", kind="estate", path=small_estate)])
    with OpsGraph(settings) as og:
        [plan] = og.sync()
        assert plan.applied and plan.totals()["create"] == 10
        assert [s["name"] for s in og.sources()] == ["mine"] and og.sources()[0]["nodes"] == 5
        before, version = snapshot(og), og.store.data_version()
        renamed = small_estate.rename(small_estate.parent / "moved")
        with pytest.raises(IngestError, match="estate folder does not exist"):
            og.sync(["mine"])
        assert snapshot(og) == before and og.store.data_version() == version
        renamed.rename(small_estate)
        with pytest.raises(OpsGraphError, match="no source named 'nope'"):
            og.sync(["nope"])


@pytest.mark.parametrize("one_transaction_up_to", [5_000, 0], ids=["one transaction", "journaled batches"])
def test_a_sync_that_fails_half_way_leaves_the_store_as_it_was(two: OpsGraph, monkeypatch: pytest.MonkeyPatch, one_transaction_up_to: int) -> None:
    monkeypatch.setattr("opsgraph.ingest.sync.ONE_TRANSACTION_UP_TO", one_transaction_up_to)
    before, version = snapshot(two), two.store.data_version()
    changes = len(two.changes())
    real = two.store.write_records

    def failing(record_type: str, rows: Any) -> int:
        if record_type == "OpsgraphChange":
            raise OpsGraphError("disk full (injected)")
        return real(record_type, rows)

    monkeypatch.setattr(two.store, "write_records", failing)
    with pytest.raises(OpsGraphError, match="nothing was changed"):
        run(two, facts("k8s", {"a": {"version": "3.0"}, "d": {"version": "1"}}), 10, PREC)
    monkeypatch.undo()
    assert snapshot(two) == before and two.store.data_version() == version and len(two.changes()) == changes
    assert run(two, facts("k8s", {"a": {"version": "2.0"}, "b": {"version": "1.0"}}, [("a", "b")]), 10, PREC).writes() == 0


def test_reconcile_reports_what_sources_disagree_on(two: OpsGraph) -> None:
    write_owner = two.store.upsert_nodes
    write_owner("Team", [{"id": "core", "name": "Core"}])
    report = two.reconcile()
    assert report.declared_not_everywhere == []  # k8s does not know c, the only edge it lacks
    assert {u["id"] for u in report.unowned} == {"a", "b", "c", "hand"}
    assert "no observed call edges" in report.observed["note"]
    run(two, facts("k8s", {"a": {"version": "2.0"}, "b": {"version": "1.0"}, "c": {}}, [("a", "b")]), 10, PREC)
    assert two.reconcile().declared_not_everywhere == [{"type": "DEPENDS_ON", "from": "c", "to": "a", "declared_by": ["catalog"], "missing_from": ["k8s"]}]


def test_a_small_plan_that_loses_a_race_in_its_one_transaction_is_applied_as_journaled_batches(two: OpsGraph, monkeypatch: pytest.MonkeyPatch) -> None:
    from opsgraph.errors import QueryError

    real = two.store.write_records
    tried: list[bool] = []

    def racing(record_type: str, rows: Any) -> int:
        tried.append(two.store.in_one_transaction())
        if two.store.in_one_transaction():
            raise QueryError("commit failed: ConcurrentModificationException (injected: another writer committed first)")
        return real(record_type, rows)

    monkeypatch.setattr(two.store, "write_records", racing)
    plan = run(two, facts("k8s", {"a": {"version": "3.0"}, "b": {"version": "1.0"}}, [("a", "b")]), 10, PREC)
    monkeypatch.undo()
    assert plan.applied and tried[0] is True and tried[-1] is False
    assert props(two, "a")["version"] == "3.0"
    assert run(two, facts("k8s", {"a": {"version": "3.0"}, "b": {"version": "1.0"}}, [("a", "b")]), 10, PREC).writes() == 0
