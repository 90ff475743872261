"""A sync on both store backends (the embedded engine and a real ArcadeDB server over HTTP): a small plan is applied
as one engine transaction, writes only the change, and a failure inside it leaves the store, the change log and the
source's status as they were.

Why: the one-transaction apply (`apply_plan`, plans up to `ONE_TRANSACTION_UP_TO` rows) had a store-level test on the
server but no sync test there: on the server the transaction is an HTTP session, and a sync writes nodes, edges,
claims, change records and the source's status in it.
"""

from __future__ import annotations

import json

import pytest

from helpers import snapshot
from opsgraph.app import OpsGraph
from opsgraph.errors import OpsGraphError
from opsgraph.ingest.history import list_changes
from opsgraph.ingest.sync import ONE_TRANSACTION_UP_TO, apply_plan, plan_sync, state_from_facts
from opsgraph.schema.loader import parse_schema
from opsgraph.sources import Facts

SCHEMA = """\
version: 1
name: synced
nodes:
  Service:
    properties: {name: string, version: string}
edges:
  DEPENDS_ON: {from: Service, to: Service, dependency: true, properties: {via: string}}
"""


def _facts(services: dict[str, str], deps: list[tuple[str, str]]) -> Facts:
    f = Facts(source="k8s", kind="kubernetes")
    f.nodes["Service"] = [{"id": s, "name": s.title(), "version": v, "_evidence": f"{s}.yaml#1"} for s, v in services.items()]
    f.edges["DEPENDS_ON"] = [{"from": a, "to": b, "via": f"env {b.upper()}_ADDR", "_evidence": f"{a}.yaml#1 env"} for a, b in deps]
    return f


BEFORE = _facts({"a": "1.0", "b": "1.4.0", "c": "2.0"}, [("a", "b"), ("a", "c"), ("b", "c")])
AFTER = _facts({"a": "1.0", "b": "1.5.0", "c": "2.0", "d": "0.1"}, [("a", "b"), ("b", "c")])


class _Boom(OpsGraphError):
    code = "test_boom"


def _plan(og: OpsGraph, facts: Facts):  # type: ignore[no-untyped-def]
    schema = og.schema()
    assert schema is not None
    return plan_sync(og.store, schema, state_from_facts(facts, precedence=100))


def _status(og: OpsGraph) -> dict[str, object]:
    raw = og.store.get_meta("source:k8s")
    return json.loads(raw) if raw else {}


def test_a_failed_sync_changes_nothing_and_the_retry_writes_only_the_change(any_og: OpsGraph) -> None:
    og = any_og
    og.store.ensure_schema(parse_schema(SCHEMA))
    first = apply_plan(og.store, _plan(og, BEFORE))
    assert first.totals()["create"] == 6
    before, version, logged, status = snapshot(og), og.store.data_version(), len(list_changes(og.store)), _status(og)

    plan = _plan(og, AFTER)
    rows = len(plan.changes) * 2 + len(plan.claims_write) + len(plan.claims_delete) + 1
    assert rows <= ONE_TRANSACTION_UP_TO  # the one-transaction path is the one under test

    def fail_last() -> None:  # every write of the plan is done when this runs, inside the block
        raise _Boom("the last write of the sync failed")

    with pytest.raises(_Boom):
        apply_plan(og.store, plan, extra=fail_last)
    assert snapshot(og) == before
    assert og.store.data_version() == version
    assert len(list_changes(og.store)) == logged
    assert _status(og) == status

    again = apply_plan(og.store, _plan(og, AFTER))
    assert sorted((c.op, c.kind, c.key) for c in again.changes) == [("create", "node", "d"), ("delete", "edge", "a->c"), ("update", "node", "b")]
    assert og.query("MATCH (a:Service)-[:DEPENDS_ON]->(b:Service) RETURN a.id AS a, b.id AS b ORDER BY a, b").rows == [
        {"a": "a", "b": "b"},
        {"a": "b", "b": "c"},
    ]
    assert og.query("MATCH (s:Service {id: 'b'}) RETURN s.version AS v").rows == [{"v": "1.5.0"}]
    assert len(list_changes(og.store)) == logged + 3
    assert _status(og)["last_changes"] == 3
