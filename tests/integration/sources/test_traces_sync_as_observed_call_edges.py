"""A `traces` source keeps observed CALLS edges in the estate: synced with provenance, compared with the
declared dependencies by `reconcile`, and closed in history (not kept forever) when no longer seen. Real store."""

from __future__ import annotations

from pathlib import Path

from helpers import write
from opsgraph.app import OpsGraph, Settings
from opsgraph.sources import SourceConfig

S = 1_000_000_000
HEADER = "TraceID,SpanID,ParentID,PodName,OperationName,StartTimeUnixNano,EndTimeUnixNano,Duration\n"
POD = {"frontend": "frontend-579b9bff58-t2dbm", "checkoutservice": "checkoutservice-6d7f8b9c5-x2kqz",
       "paymentservice": "paymentservice-5c8d9f7b6-q4wzt", "ghost": "ghostservice-7b8c9d6f5-zzzzz"}


def spans(calls: list[tuple[str, str, int]], prefix: str = "a") -> str:
    """A span table: one trace per (caller, callee, second) with a client parent span and the callee's span."""
    rows = []
    for i, (caller, callee, sec) in enumerate(calls):
        start = sec * S
        t = f"{prefix}{i}"
        rows.append(f"{t},p{i},root,{POD[caller]},Recv,{start},{start + 30_000_000},30000")
        rows.append(f"{t},c{i},p{i},{POD[callee]},Call,{start + 1_000_000},{start + 21_000_000},20000")
    return HEADER + "\n".join(rows) + "\n"


def test_observed_calls_are_synced_reconciled_and_closed_when_gone(sample_copy: Path, tmp_path: Path) -> None:
    traces = tmp_path / "traces"
    base = 1_767_225_600  # 2026-01-01T00:00:00Z
    write(traces / "00_00_trace.csv", spans([("frontend", "checkoutservice", base + 5), ("frontend", "checkoutservice", base + 6),
                                             ("checkoutservice", "paymentservice", base + 7), ("frontend", "ghost", base + 8)]))
    source = SourceConfig(name="otel", kind="traces", path=traces)
    with OpsGraph(Settings(home=tmp_path / "home", embed={"provider": "none"}, sources=[source])) as og:
        og.ingest(sample_copy)
        (plan,) = og.sync(["otel"])
        calls = og.query("MATCH (a:Service)-[c:CALLS]->(b:Service) RETURN a.id AS a, b.id AS b, c.calls AS n, c.p95_ms AS p95 ORDER BY a, b").rows
        assert [(r["a"], r["b"], r["n"]) for r in calls] == [("checkoutservice", "paymentservice", 1), ("frontend", "checkoutservice", 2)]
        assert all(abs(r["p95"] - 20.0) < 1e-6 for r in calls)
        assert any("ghostservice" in p.message for p in plan.problems)  # a service the estate does not know: reported, not invented

        observed = og.reconcile().observed
        assert ["frontend", "checkoutservice"] not in observed["observed_not_declared"]  # declared in DEPENDS_ON too
        assert ["frontend", "adservice"] in observed["declared_not_observed"]

        # A day later only checkout -> payment is still seen: frontend -> checkout is closed, and history says so.
        later = base + 2 * 86400
        write(traces / "00_00_trace.csv", spans([("frontend", "checkoutservice", base + 5)]))
        write(traces / "48_00_trace.csv", spans([("checkoutservice", "paymentservice", later)], prefix="b"))
        og.sync(["otel"])
        now = og.query("MATCH (a:Service)-[:CALLS]->(b:Service) RETURN a.id AS a, b.id AS b").rows
        assert [(r["a"], r["b"]) for r in now] == [("checkoutservice", "paymentservice")]
        gone = [c for c in og.changes() if c.get("op") == "delete" and "CALLS" in str(c.get("type", ""))]
        assert gone and "frontend" in gone[0]["text"] and "checkoutservice" in gone[0]["text"]
