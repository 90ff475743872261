"""Agent mode against a scripted OpenAI-compatible endpoint (a local HTTP server speaking chat-completions tool calls).

The model's calls run on the real store: an investigation, a read-only query (a write is refused and
reported to the model), then a final answer. A cause the evidence supports is accepted; one it does
not is refused and the deterministic answer stands; the step budget stops a model that never answers;
every call is in the trace; `opsgraph investigate --agent --json` shows the same; without an endpoint
agent mode says what to configure.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from opsgraph.app import OpsGraph, Settings, sample_estate_path
from opsgraph.cli.main import app as cli
from opsgraph.investigate import InvestigationError

FEATURES = ["cpu", "memory", "latency_p95_ms", "error_rate", "requests_per_s"]
NORMAL = {"cpu": 30.0, "memory": 45.0, "latency_p95_ms": 120.0, "error_rate": 0.002, "requests_per_s": 50.0}
STEP = 60


class Scripted(ThreadingHTTPServer):
    """Answers each POST /v1/chat/completions with the next scripted assistant message; keeps every request body."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.script: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self.repeat_last = False

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class _Handler(BaseHTTPRequestHandler):
    server: Scripted

    def do_POST(self) -> None:  # http.server calls it by this name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append(body)
        script = self.server.script
        message = script[0] if self.server.repeat_last and len(script) == 1 else script.pop(0)
        out = json.dumps({"id": "x", "object": "chat.completion", "model": body["model"],
                          "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}]}).encode()
        self.send_response(200 if self.path == "/v1/chat/completions" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args: Any) -> None:
        pass


def call(name: str, args: dict[str, Any], i: int = 0) -> dict[str, Any]:
    return {"role": "assistant", "content": None,
            "tool_calls": [{"id": f"call_{name}_{i}", "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}]}


@pytest.fixture(scope="module")
def endpoint() -> Iterator[Scripted]:
    server = Scripted()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, endpoint: Scripted) -> Path:
    """The sample estate without its shipped telemetry, and 40 minutes where paymentservice's errors rise, then checkout's latency."""
    root = tmp_path_factory.mktemp("agent")
    estate = root / "estate"
    shutil.copytree(sample_estate_path(), estate)
    shutil.rmtree(estate / "telemetry")
    now = int(time.time()) // STEP * STEP
    fault = now - 10 * STEP
    rng = np.random.default_rng(5)
    with OpsGraph(Settings(home=root / "home", embed={"provider": "hashing"}, llm={"provider": "none"})) as og:
        og.ingest(estate)
        services = [r["id"] for r in og.query("MATCH (s:Service) RETURN s.id AS id ORDER BY id").rows]
        rows = []
        for i in range(40):
            ts = fault - 30 * STEP + i * STEP
            for s in services:
                v = {f: NORMAL[f] * (1 + 0.03 * rng.standard_normal()) for f in FEATURES}
                if s == "paymentservice" and ts >= fault:
                    v["error_rate"] = 0.09
                if s == "checkoutservice" and ts >= fault + 2 * STEP:
                    v["latency_p95_ms"] = 1100.0
                rows.append({"node": s, "ts": ts, "values": [v[f] for f in FEATURES], "label": None})
        og.store.write_telemetry("Service", FEATURES, rows)
    (root / "home" / "opsgraph.yaml").write_text(
        f"embed: {{provider: hashing}}\nllm: {{provider: openai, base_url: '{endpoint.base_url}', model: scripted}}\n", encoding="utf-8")
    return root / "home"


def _open(home: Path, endpoint: Scripted) -> OpsGraph:
    return OpsGraph(Settings(home=home, embed={"provider": "hashing"},
                             llm={"provider": "openai", "base_url": endpoint.base_url, "model": "scripted"})).open()


def test_a_supported_cause_is_accepted_with_every_call_in_the_trace(home: Path, endpoint: Scripted) -> None:
    endpoint.requests.clear()
    endpoint.repeat_last = False
    endpoint.script = [
        call("investigate", {"target": "checkoutservice", "window": "30m"}),
        call("query", {"cypher": "CREATE (x:Service {id: 'evil'}) RETURN x.id AS id"}),
        call("query", {"cypher": "MATCH (c:Service {id: $id})-[:DEPENDS_ON]->(d) RETURN d.id AS dep ORDER BY dep",
                       "params": {"id": "checkoutservice"}}),
        call("final_answer", {"cause": "paymentservice", "reason": "error_rate rose on paymentservice first; checkout depends on it"}),
    ]
    with _open(home, endpoint) as og:
        run = og.investigate_agent("checkoutservice")
        assert og.query("MATCH (s:Service {id: 'evil'}) RETURN s.id AS id").rows == []  # the write never happened
    assert run.accepted and run.cause == "paymentservice" and run.note == ""
    assert [s.tool for s in run.steps] == ["investigate", "query", "query", "final_answer"]
    assert "paymentservice" in run.steps[0].result and not run.steps[0].error
    assert run.steps[1].error and run.steps[1].result.startswith("error:")  # refused as a write, told to the model
    assert not run.steps[2].error and "paymentservice" in run.steps[2].result
    # The endpoint got the tools, the deterministic summary first, and each tool's result as a `tool` message.
    first = endpoint.requests[0]
    assert {t["function"]["name"] for t in first["tools"]} >= {"investigate", "query", "neighbours", "describe_schema", "final_answer"}
    assert "paymentservice" in first["messages"][1]["content"]
    last = endpoint.requests[-1]["messages"]
    assert [m["tool_call_id"] for m in last if m["role"] == "tool"] == ["call_investigate_0", "call_query_0", "call_query_0"]
    assert len(endpoint.requests) == 4


def test_a_cause_outside_the_evidence_is_refused_and_the_deterministic_answer_stands(home: Path, endpoint: Scripted) -> None:
    endpoint.repeat_last = False
    endpoint.script = [call("final_answer", {"cause": "the-moon", "reason": "tides"})]
    with _open(home, endpoint) as og:
        run = og.investigate_agent("checkoutservice")
        top = run.investigation.candidates[0].node
    assert not run.accepted and run.model_cause == "the-moon" and "refused" in run.note
    assert run.cause == top == "paymentservice"


def test_the_step_budget_stops_a_model_that_never_answers(home: Path, endpoint: Scripted) -> None:
    endpoint.repeat_last = True
    endpoint.script = [call("describe_schema", {})]
    with _open(home, endpoint) as og:
        run = og.investigate_agent("checkoutservice", max_steps=3)
    assert not run.accepted and "step budget" in run.note and len(run.steps) == 3
    assert all(s.tool == "describe_schema" and "Service" in s.result for s in run.steps)


def test_the_cli_prints_the_checked_answer_and_the_trace_and_agent_mode_needs_an_endpoint(home: Path, endpoint: Scripted) -> None:
    endpoint.repeat_last = False
    endpoint.script = [call("neighbours", {"id": "paymentservice"}), call("final_answer", {"cause": "paymentservice", "reason": "errors"})]
    result = CliRunner().invoke(cli, ["investigate", "checkoutservice", "--agent", "--json", "--home", str(home)],
                                env={"OPSGRAPH_CONFIG": str(home / "opsgraph.yaml")})
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["accepted"] and out["cause"] == "paymentservice" and [s["tool"] for s in out["trace"]] == ["neighbours", "final_answer"]
    assert "checkoutservice" in out["trace"][0]["result"]  # paymentservice's callers
    with OpsGraph(Settings(home=home, embed={"provider": "hashing"}, llm={"provider": "none"})) as og, \
            pytest.raises(InvestigationError, match="OpenAI-compatible endpoint"):
        og.investigate_agent("checkoutservice")
