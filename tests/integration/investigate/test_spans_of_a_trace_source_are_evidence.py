"""Spans of a configured trace source, and error lines of a log source, are root-cause evidence, end to end on the real store.

The story: on the sample estate, checkout's latency rises; no other service's metrics move. The span file of
the estate's `kind: traces` source shows why: currencyservice's own time per span went from ~2 ms to ~25 ms at
the onset, while checkout's spans only got longer by waiting on it. Investigated from checkoutservice, the
currency service comes first, its reason citing the spans; without the trace source the metrics alone cannot
name it. A malformed span file is refused naming the file and line. A log source whose currency lines turn to errors
at the onset names it the same way.

A delay on currency's network instead (`write_delayed_spans`): its own spans stay as quick as before, but from the
onset checkout's client spans for its calls to currency last ~300 ms longer than currency's server spans under them
(time between the two ends), while its calls to payment do not. Currency comes first again, its reason citing its calls.
"""

from __future__ import annotations

import csv
import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from opsgraph.app import OpsGraph, Settings, sample_estate_path
from opsgraph.errors import OpsGraphError
from opsgraph.sources import SourceConfig

FEATURES = ["cpu", "memory", "latency_p95_ms", "error_rate", "requests_per_s"]
NORMAL = {"cpu": 30.0, "memory": 45.0, "latency_p95_ms": 120.0, "error_rate": 0.002, "requests_per_s": 50.0}
STEP = 60


def telemetry(services: list[str], start: int, steps: int, onset: int) -> list[dict]:
    """Normal noise everywhere; checkout's latency 1.5x from the onset."""
    rng = np.random.default_rng(11)
    rows = []
    for i in range(steps):
        ts = start + i * STEP
        for s in services:
            v = {f: NORMAL[f] * (1 + 0.03 * rng.standard_normal()) for f in FEATURES}
            if s == "checkoutservice" and ts >= onset:
                v["latency_p95_ms"] *= 1.5
            rows.append({"node": s, "ts": ts, "values": [v[f] for f in FEATURES], "label": None})
    return rows


def write_spans(path: Path, onset: int) -> None:
    """checkoutservice -> currencyservice calls each minute around the onset; currency's own time x12 from the onset."""
    rng = np.random.default_rng(5)
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["TraceID", "SpanID", "ParentID", "ServiceName", "OperationName", "StartTimeUnixNano", "EndTimeUnixNano"])
        for k in range(-600, 600):
            t0 = (onset + k * 1.5) * 1e9
            cur_ms = (25.0 if k >= 0 else 2.0) * (1 + 0.05 * rng.standard_normal())
            own_ms = 4.0 * (1 + 0.05 * rng.standard_normal())
            c_start = t0 + own_ms / 2 * 1e6
            c_end = c_start + cur_ms * 1e6
            w.writerow([f"t{k}", "a", "root", "checkoutservice", "PlaceOrder", int(t0), int(c_end + own_ms / 2 * 1e6)])
            w.writerow([f"t{k}", "b", "a", "currencyservice", "Convert", int(c_start), int(c_end)])


def write_delayed_spans(path: Path, onset: int) -> None:
    """Each 3 s for 30 min around the onset a PlaceOrder trace: checkout's handler, its client spans to currency and to
    payment, their server spans; from the onset 300 ms between checkout's client span to currency and currency's span."""
    rng = np.random.default_rng(5)
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["TraceID", "SpanID", "ParentID", "ServiceName", "OperationName", "StartTimeUnixNano", "EndTimeUnixNano"])
        for k in range(-600, 600):
            t = int((onset + k * 1.5) * 1e9)
            wire_ms = (300.0 if k >= 0 else 1.0) * (1 + 0.05 * rng.standard_normal())
            cur_ms, pay_ms = (x * (1 + 0.05 * rng.standard_normal()) for x in (2.0, 8.0))
            cur_client_end = t + int((cur_ms + wire_ms) * 1e6)
            pay_client_end = cur_client_end + int((pay_ms + 1.0) * 1e6)
            w.writerow([f"t{k}", "h", "root", "checkoutservice", "PlaceOrder", t, pay_client_end + 1_000_000])
            w.writerow([f"t{k}", "c1", "h", "checkoutservice", "Convert", t, cur_client_end])
            w.writerow([f"t{k}", "s1", "c1", "currencyservice", "Convert", t + int(wire_ms / 2 * 1e6),
                        t + int((wire_ms / 2 + cur_ms) * 1e6)])
            w.writerow([f"t{k}", "c2", "h", "checkoutservice", "Charge", cur_client_end, pay_client_end])
            w.writerow([f"t{k}", "s2", "c2", "paymentservice", "Charge", cur_client_end + 500_000,
                        cur_client_end + int((0.5 + pay_ms) * 1e6)])


@pytest.fixture(scope="module")
def homes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path, int]]:
    root = tmp_path_factory.mktemp("spans")
    estate = root / "estate"
    shutil.copytree(sample_estate_path(), estate)
    shutil.rmtree(estate / "telemetry")
    onset = int(time.time()) // STEP * STEP - 20 * STEP
    spans = root / "spans.csv"
    write_spans(spans, onset)
    with OpsGraph(Settings(home=root / "home", embed={"provider": "hashing"})) as og:
        og.ingest(estate)
        services = [r["id"] for r in og.query("MATCH (s:Service) RETURN s.id AS id ORDER BY id").rows]
        og.store.write_telemetry("Service", FEATURES, telemetry(services, onset - 40 * STEP, 58, onset))
    yield root / "home", spans, onset


def _settings(home: Path, spans: Path | None) -> Settings:
    sources = [{"name": "spans", "kind": "traces", "path": spans}] if spans is not None else []
    return Settings(home=home, embed={"provider": "hashing"}, sources=sources)


def test_the_span_source_names_the_service_whose_own_time_rose(homes: tuple[Path, Path, int]) -> None:
    home, spans, onset = homes
    with OpsGraph(_settings(home, spans)) as og:
        inv = og.investigate("checkoutservice", at=float(onset))
    top = inv.candidates[0]
    assert top.node == "currencyservice", [c.node for c in inv.candidates[:3]]
    assert top.trace is not None and top.trace.own_factor is not None and top.trace.own_factor > 8
    assert "traces: own time per span" in top.reason
    assert top.call is None  # a slow server: both ends of checkout's calls to it saw the same time
    assert any(e.kind == "trace" and e.node == "currencyservice" and "own time per span" in e.text for e in inv.timeline)
    checkout = next(c for c in inv.candidates if c.node == "checkoutservice")
    assert checkout.trace is None  # its spans only waited longer on currency


def test_without_the_trace_source_the_metrics_alone_do_not_name_it(homes: tuple[Path, Path, int]) -> None:
    home, _, onset = homes
    with OpsGraph(_settings(home, None)) as og:
        inv = og.investigate("checkoutservice", at=float(onset))
    assert inv.candidates[0].node != "currencyservice"
    assert all(c.trace is None for c in inv.candidates)


def test_a_malformed_span_file_is_refused_naming_file_and_line(homes: tuple[Path, Path, int], tmp_path: Path) -> None:
    home, spans, onset = homes
    bad = tmp_path / "bad.csv"
    lines = spans.read_text().splitlines()
    lines[3] = lines[3].replace(lines[3].split(",")[5], "soon")
    bad.write_text("\n".join(lines) + "\n")
    with OpsGraph(_settings(home, bad)) as og, pytest.raises(OpsGraphError, match=r"bad\.csv: line 4: start/end"):
        og.investigate("checkoutservice", at=float(onset))


def test_a_log_source_names_the_service_whose_error_lines_rose(homes: tuple[Path, Path, int], tmp_path: Path) -> None:
    home, _, onset = homes
    logs = tmp_path / "logs.jsonl"
    rows = [{"time_unix_nano": (onset - 1500 + 300 * i) * 10**9, "service": "currencyservice", "severity": "ERROR",
             "message": "rate table stale"} for i in range(3)]
    rows += [{"time_unix_nano": (onset + 5 * i) * 10**9, "service": "currencyservice", "severity": "ERROR",
              "message": "conversion failed"} for i in range(60)]
    rows += [{"time_unix_nano": (onset + 7 * i) * 10**9, "service": "checkoutservice", "severity": "info", "message": "order"}
             for i in range(60)]
    logs.write_text("".join(json.dumps(r) + "\n" for r in rows))
    settings = _settings(home, None)
    settings.sources = [SourceConfig(name="logs", kind="logs", path=logs)]
    with OpsGraph(settings) as og:
        inv = og.investigate("checkoutservice", at=float(onset))
    top = inv.candidates[0]
    assert top.node == "currencyservice" and top.log is not None and top.log.errors_after == 60
    assert "logs: error log lines" in top.reason
    assert any(e.kind == "log" and e.node == "currencyservice" for e in inv.timeline)


def test_the_service_whose_calls_slowed_between_the_two_ends_is_named(homes: tuple[Path, Path, int], tmp_path: Path) -> None:
    home, _, onset = homes
    spans = tmp_path / "delayed.csv"
    write_delayed_spans(spans, onset)
    with OpsGraph(_settings(home, spans)) as og:
        inv = og.investigate("checkoutservice", at=float(onset))
    top = inv.candidates[0]
    assert top.node == "currencyservice", [(c.node, c.reason) for c in inv.candidates[:3]]
    assert top.trace is None  # its own spans did not slow down
    assert top.call is not None and [(e.caller, e.callee) for e in top.call.edges] == [("checkoutservice", "currencyservice")]
    assert top.call.edges[0].peak > 0.2  # seconds between checkout's client span and currency's server span
    assert "calls: time between caller and callee rose on 1 of its 1 calls" in top.reason
    assert any(e.kind == "calls" and e.node == "currencyservice" for e in inv.timeline)
    payment = next(c for c in inv.candidates if c.node == "paymentservice")
    assert payment.call is None
