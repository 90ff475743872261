"""A sync writes only what changed, keeps every old value in the change log, and can read the estate as it was."""

from __future__ import annotations

import time
from typing import Any

import pytest

from helpers import snapshot
from opsgraph.app import OpsGraph
from opsgraph.ingest.history import list_changes
from opsgraph.ingest.sync import state_from_facts, sync_state
from opsgraph.schema.loader import parse_schema
from opsgraph.sources import Facts

SCHEMA = """\
version: 1
name: synced
nodes:
  Service:
    properties: {name: string, version: string, namespace: string}
  Team:
    properties: {name: string}
edges:
  DEPENDS_ON: {from: Service, to: Service, dependency: true, properties: {via: string}}
  OWNS: {from: Team, to: Service}
"""


def facts(source: str, services: dict[str, str], deps: list[tuple[str, str]], owns: list[tuple[str, str]] = ()) -> Facts:  # type: ignore[assignment]
    f = Facts(source=source, kind="kubernetes")
    f.nodes["Service"] = [{"id": s, "name": s.title(), "version": v, "_evidence": f"{s}.yaml#1"} for s, v in services.items()]
    teams = sorted({t for t, _ in owns})
    if teams:
        f.nodes["Team"] = [{"id": t, "name": t, "_evidence": "teams"} for t in teams]
    f.edges["DEPENDS_ON"] = [{"from": a, "to": b, "via": f"env {b.upper()}_ADDR", "_evidence": f"{a}.yaml#1 env"} for a, b in deps]
    if owns:
        f.edges["OWNS"] = [{"from": t, "to": s, "_evidence": "label team"} for t, s in owns]
    return f


def sync(og: OpsGraph, f: Facts, *, dry_run: bool = False, precedence: int = 100, others: dict[str, int] | None = None) -> Any:
    schema = og.schema()
    assert schema is not None
    return sync_state(og.store, schema, state_from_facts(f, precedence=precedence), dry_run=dry_run, precedence=others)


BEFORE = facts("k8s", {"a": "1.0", "b": "1.4.0", "c": "2.0"}, [("a", "b"), ("a", "c"), ("b", "c")], [("core", "a")])
AFTER = facts("k8s", {"a": "1.0", "b": "1.5.0", "c": "2.0", "d": "0.1"}, [("a", "b"), ("b", "c")], [("core", "a")])


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from opsgraph.app import Settings

    with OpsGraph(Settings(home=tmp_path_factory.mktemp("sync") / "home", embed={"provider": "none"})) as og:
        og.store.ensure_schema(parse_schema(SCHEMA))
        first = sync(og, BEFORE)
        yield og, first


def test_first_sync_creates_everything_with_provenance(synced: Any) -> None:
    og, first = synced
    assert first.totals() == {"create": 8, "update": 0, "delete": 0, "unchanged": 0}
    rows = og.query("MATCH (s:Service) RETURN s.id AS id, s._sources AS src ORDER BY id").rows
    assert rows == [{"id": x, "src": ["k8s"]} for x in ("a", "b", "c")]
    # Hidden: neither the records nor the provenance property show in the live schema.
    live = {t.name: t for t in og.describe()}
    assert not any(n.startswith("Opsgraph") for n in live)
    assert "_sources" not in live["Service"].properties and "_sources" not in live["DEPENDS_ON"].properties


def test_resync_of_the_same_facts_writes_nothing(synced: Any) -> None:
    og, _ = synced
    version = og.store.data_version()
    again = sync(og, BEFORE)
    assert again.changes == [] and again.claims_write == [] and again.claims_delete == []
    assert again.totals()["unchanged"] == 8
    assert og.store.data_version() == version


def test_dry_run_plans_the_change_and_writes_nothing(synced: Any) -> None:
    og, _ = synced
    before, version, logged = snapshot(og), og.store.data_version(), len(list_changes(og.store))
    plan = sync(og, AFTER, dry_run=True)
    assert {k: (t.create, t.update, t.delete) for k, t in plan.types.items() if t.create or t.update or t.delete} == {
        ("node", "Service"): (["d"], ["b"], []),
        ("edge", "DEPENDS_ON"): ([], [], ["a->c"]),
    }
    assert not plan.applied
    assert snapshot(og) == before and og.store.data_version() == version and len(list_changes(og.store)) == logged


def test_sync_after_a_change_writes_only_those_and_logs_them(synced: Any) -> None:
    og, _ = synced
    before = snapshot(og)
    time.sleep(1.1)  # the change gets its own second, for --as-of below
    plan = sync(og, AFTER)
    assert plan.applied and plan.writes() == 3
    assert [(c.op, c.kind, c.key) for c in plan.changes] == [("update", "node", "b"), ("delete", "edge", "a->c"), ("create", "node", "d")] or sorted(
        (c.op, c.kind, c.key) for c in plan.changes
    ) == [("create", "node", "d"), ("delete", "edge", "a->c"), ("update", "node", "b")]
    after = snapshot(og)
    changed_nodes = {repr(n) for n in after["nodes"]} ^ {repr(n) for n in before["nodes"]}
    assert len(changed_nodes) == 3  # b before, b after, d
    assert len(before["edges"]) - len(after["edges"]) == 1
    texts = [c["text"] for c in og.changes(since="1h")]
    assert any(t.startswith("b: version 1.4.0 → 1.5.0 (k8s, ") for t in texts)
    assert any(t.startswith("a: DEPENDS_ON → c removed (k8s, ") for t in texts)
    assert any(t.startswith("d: service added (k8s, ") for t in texts)
    latest_run = og.changes()[0]["run"]
    assert len([c for c in og.changes() if c["run"] == latest_run]) == 3
    assert [c["key"] for c in og.changes(node="d")] == ["d"]


def test_as_of_returns_the_old_topology(synced: Any) -> None:
    og, _ = synced
    log = list_changes(og.store)
    last = max(c.ts for c in log)
    when = str(last - 0.5)  # after the first sync, before the change
    q = "MATCH (a:Service)-[:DEPENDS_ON]->(b:Service) RETURN a.id AS a, b.id AS b ORDER BY a, b"
    assert og.query_as_of(q, when).rows == [{"a": "a", "b": "b"}, {"a": "a", "b": "c"}, {"a": "b", "b": "c"}]
    assert og.query_as_of("MATCH (s:Service {id: 'b'}) RETURN s.version AS v", when).rows == [{"v": "1.4.0"}]
    assert og.query_as_of("MATCH (s:Service) RETURN count(s) AS n", when).rows == [{"n": 3}]
    assert og.query(q).rows == [{"a": "a", "b": "b"}, {"a": "b", "b": "c"}]  # the current state is untouched
    spans = og.edge_intervals(["DEPENDS_ON"])
    (start, end), = spans[("DEPENDS_ON", "a", "c")]
    assert start is not None and end is not None and start < end
    assert spans[("DEPENDS_ON", "a", "b")][0][1] is None
