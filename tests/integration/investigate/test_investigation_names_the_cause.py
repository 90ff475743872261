"""A scripted incident on the sample estate, investigated end to end on the real store.

The story: a sync of changed facts records a version bump on paymentservice; minutes later its
error rate rises in appended telemetry, then checkout's latency. Investigated from checkoutservice
(onset detected, not given), paymentservice comes first, citing its metric change, the version change
and its runbook. An incident opened and closed is found by the next investigation and by a query;
a target without telemetry and an onset outside the stored data are refused with a clear message;
the CLI command runs end to end. One ingested store is shared by the module (tests run in order).
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from opsgraph.app import OpsGraph, Settings, sample_estate_path
from opsgraph.cli.main import app as cli
from opsgraph.ingest.sync import apply_plan, plan_sync, state_from_facts
from opsgraph.investigate import InvestigationError
from opsgraph.sources import Facts

FEATURES = ["cpu", "memory", "latency_p95_ms", "error_rate", "requests_per_s"]
NORMAL = {"cpu": 30.0, "memory": 45.0, "latency_p95_ms": 120.0, "error_rate": 0.002, "requests_per_s": 50.0}
STEP = 60


def scripted_telemetry(services: list[str], start: int, steps: int, change_at: int) -> list[dict]:
    """Normal noise for every service; paymentservice errors from change+5 min, checkout latency from +7, frontend from +8."""
    rng = np.random.default_rng(7)
    rows = []
    for i in range(steps):
        ts = start + i * STEP
        for s in services:
            v = {f: NORMAL[f] * (1 + 0.03 * rng.standard_normal()) for f in FEATURES}
            if s == "paymentservice" and ts >= change_at + 5 * STEP:
                v["error_rate"] = 0.09 * (1 + 0.05 * rng.standard_normal())
            if s == "checkoutservice" and ts >= change_at + 7 * STEP:
                v["latency_p95_ms"] = 1100.0 * (1 + 0.05 * rng.standard_normal())
                v["error_rate"] = 0.02
            if s == "frontend" and ts >= change_at + 8 * STEP:
                v["latency_p95_ms"] = 400.0
            rows.append({"node": s, "ts": ts, "values": [v[f] for f in FEATURES], "label": None})
    return rows


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, int]]:
    """The sample estate without its month of telemetry, a recorded version bump and the scripted telemetry."""
    root = tmp_path_factory.mktemp("investigate")
    estate = root / "estate"
    shutil.copytree(sample_estate_path(), estate)
    shutil.rmtree(estate / "telemetry")  # the month of shipped telemetry is not needed: it would only slow the ingest
    now = int(time.time()) // STEP * STEP
    change_at = now - 20 * STEP
    with OpsGraph(Settings(home=root / "home", embed={"provider": "hashing"})) as og:
        og.ingest(estate)
        schema = og.schema()
        assert schema is not None
        facts = Facts(source="k8s-live", kind="kubernetes")
        facts.nodes["Service"] = [{"id": "paymentservice", "version": "v2.0.0", "_evidence": "payments.yaml#1"}]
        apply_plan(og.store, plan_sync(og.store, schema, state_from_facts(facts, precedence=1000), now=change_at + 10))
        services = [r["id"] for r in og.query("MATCH (s:Service) RETURN s.id AS id ORDER BY id").rows]
        start = change_at - 40 * STEP
        og.store.write_telemetry("Service", FEATURES, scripted_telemetry(services, start, 58, change_at))
    yield root / "home", change_at


def _open(home: Path) -> OpsGraph:
    return OpsGraph(Settings(home=home, embed={"provider": "hashing"})).open()


def test_checkout_symptom_names_paymentservice_with_metric_change_version_change_and_runbook(home: tuple[Path, int]) -> None:
    path, change_at = home
    with _open(path) as og:
        inv = og.investigate("checkoutservice")
    assert inv.onset_source == "detected"
    assert inv.onset == change_at + 7 * STEP  # the first step checkout's own metrics left normal
    top = inv.candidates[0]
    assert top.node == "paymentservice", [c.reason for c in inv.candidates[:3]]
    assert top.metrics[0].metric == "error_rate" and top.metrics[0].factor is not None and top.metrics[0].factor > 20
    assert any(c.kind == "version" and "v2.0.0" in c.text for c in top.changes)
    assert "error_rate" in top.reason and "version change" in top.reason
    books = [r for r in inv.runbooks if r.node == "paymentservice"]
    assert books and any(r.runbook == "rb-payment-5xx" for r in books)
    quoted = next(r for r in books if r.runbook == "rb-payment-5xx")
    doc = (sample_estate_path() / quoted.path).read_text(encoding="utf-8")
    assert quoted.sections and all(s.text.strip() in doc for s in quoted.sections)  # verbatim quotes
    assert inv.paths["paymentservice"].nodes == ["checkoutservice", "paymentservice"]
    window = [e for e in inv.timeline if e.kind != "incident"]  # similar past incidents sit earlier, at their start
    assert window[0].kind == "change"  # the version change comes first in the incident's own window
    assert "computed on telemetry up to" in inv.data_age and "old" in inv.data_age
    md = inv.to_markdown()
    assert "paymentservice" in md and "v2.0.0" in md and "Payment service: elevated 5xx" in md


def test_unknown_target_no_telemetry_and_onset_outside_the_data_are_refused(home: tuple[Path, int]) -> None:
    path, _ = home
    with _open(path) as og:
        with pytest.raises(InvestigationError, match="has no stored telemetry"):
            og.investigate("payment-gateway")  # an external service: the estate has no telemetry for it
        with pytest.raises(InvestigationError, match="no node or incident"):
            og.investigate("no-such-service")
        with pytest.raises(InvestigationError, match="outside checkoutservice's stored telemetry"):
            og.investigate("checkoutservice", at="2020-01-01T00:00:00Z")


def test_an_incident_opened_and_closed_is_found_by_the_next_investigation_and_by_a_query(home: tuple[Path, int]) -> None:
    path, change_at = home
    with _open(path) as og:
        iid = og.open_incident("checkoutservice", "Checkout slow: payment errors after v2 rollout", severity="sev2",
                               started_at=str(change_at + 7 * STEP))
        og.close_incident(iid, cause="paymentservice", fix="rolled paymentservice back to v1.9", resolved_at=str(change_at + 15 * STEP))
        rows = og.query("MATCH (i:Incident {id: $id})-[:CAUSED_BY]->(c) RETURN i.status AS status, i.fix AS fix, c.id AS cause",
                        {"id": iid}).rows
        assert rows == [{"status": "resolved", "fix": "rolled paymentservice back to v1.9", "cause": "paymentservice"}]
        by_incident = og.investigate(iid)  # an incident id is a target too: its affected component and start
        assert by_incident.onset_source == "incident" and by_incident.symptom == "checkoutservice"
        assert by_incident.candidates[0].node == "paymentservice"
        # Investigating later (the next occurrence), the closed incident is the most similar one, with its fix.
        nxt = og.investigate("checkoutservice", at=str(change_at + 16 * STEP))
        assert nxt.similar and nxt.similar[0].incident.id == iid
        assert nxt.similar[0].incident.fix == "rolled paymentservice back to v1.9"
        assert "paymentservice" in nxt.similar[0].incident.causes


def test_cli_investigate_prints_json_and_a_table(home: tuple[Path, int]) -> None:
    path, _ = home
    runner = CliRunner()
    out = runner.invoke(cli, ["investigate", "checkoutservice", "--json", "--home", str(path)])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["candidates"][0]["node"] == "paymentservice" and data["onset_source"] == "detected"
    table = runner.invoke(cli, ["investigate", "checkoutservice", "--home", str(path)])
    assert table.exit_code == 0 and "paymentservice" in table.stdout and "Runbook" in table.stdout
    bad = runner.invoke(cli, ["investigate", "checkoutservice", "--at", "2020-01-01", "--home", str(path)])
    assert bad.exit_code == 1 and "outside" in bad.output


def test_incidents_import_from_csv_and_json_through_the_same_code_and_bad_rows_change_nothing(home: tuple[Path, int],
                                                                                               tmp_path: Path) -> None:
    path, _ = home
    good = tmp_path / "pager.csv"
    good.write_text("id,title,affected,started_at,resolved_at,cause,fix\n"
                    "PD-1,Cart errors,cartservice;frontend,2026-02-01T10:00:00Z,2026-02-01T11:00:00Z,redis-cart,raised maxmemory\n",
                    encoding="utf-8")
    bad = tmp_path / "pager.json"
    bad.write_text(json.dumps([{"id": "PD-2", "title": "ok", "affected": ["adservice"], "started_at": "2026-02-02T10:00:00Z"},
                               {"id": "PD-3", "title": "bad", "affected": ["ghost"], "started_at": "2026-02-02T10:00:00Z"}]),
                   encoding="utf-8")
    with _open(path) as og:
        assert og.import_incidents(good) == ["PD-1"]
        rows = og.query("MATCH (i:Incident {id: 'PD-1'})-[:AFFECTED]->(n) RETURN n.id AS n ORDER BY n").rows
        assert [r["n"] for r in rows] == ["cartservice", "frontend"]
        assert og.query("MATCH (i:Incident {id: 'PD-1'})-[:CAUSED_BY]->(c) RETURN c.id AS c, i.fix AS fix").rows == [
            {"c": "redis-cart", "fix": "raised maxmemory"}]
        from opsgraph.investigate import IncidentRecordError

        with pytest.raises(IncidentRecordError, match=r"pager.json: item 1: field 'affected'.*'ghost'"):
            og.import_incidents(bad)
        assert not og.query("MATCH (i:Incident) WHERE i.id IN ['PD-2', 'PD-3'] RETURN i.id AS id").rows  # all or nothing
