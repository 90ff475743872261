"""The CLI's client of a running server sends the API's request bodies, rebuilds the facade's types from its responses,
and raises the error class that declares an error body's code."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from opsgraph import Answer, LiveType, QueryError, QueryResult, WriteRefusedError
from opsgraph.api.errors import ApiError, error_from_body
from opsgraph.cli.serve import RemoteGraph, ServerError
from opsgraph.rag import Citation, Route, Stage, Trace

ANSWER = Answer("q?", "see [1]", [Citation(1, "frontend", "node", "t", "graph")], [], Route(True, False, "graph"),
                Trace([Stage("route", 0.5, 0, {"graph": True})]), standalone="q about frontend?", kind="rows")


class _Api(BaseHTTPRequestHandler):
    seen: ClassVar[list[tuple[str, str, Any]]] = []

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.seen.append((self.path, self.headers.get("Authorization", ""), body))
        if self.path == "/v1/query" and "broken" in body["cypher"]:
            self._send(400, {"error": {"code": "query_invalid", "message": "no such thing"}})
        elif self.path == "/v1/query":
            self._send(200, {"columns": ["id"], "rows": [{"id": "a"}], "truncated": True, "elapsed_ms": 1.5})
        elif self.path == "/v1/ask":
            self._send(200, {**ANSWER.to_dict(), "context": []})
        else:
            self._send(404, {"error": {"code": "made_up", "message": "nothing here"}})

    def do_GET(self) -> None:
        self._send(200, {"text": "Service(3)", "types": [{"name": "DEPENDS_ON", "kind": "edge", "count": 2, "properties": {},
                                                          "endpoints": [["Service", "Service"]]}]})

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Api)
    _Api.seen = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_query_ask_and_describe_round_trip(server: str) -> None:
    remote = RemoteGraph(server, "tok")
    assert remote.query("MATCH (n) RETURN n.id AS id", {"x": 1}) == QueryResult(["id"], [{"id": "a"}], True, 1.5)
    assert _Api.seen[-1] == ("/v1/query", "Bearer tok", {"cypher": "MATCH (n) RETURN n.id AS id", "params": {"x": 1}, "limit": 1000})
    answer = remote.ask("q?", session="s1")
    assert _Api.seen[-1][2] == {"question": "q?", "session": "s1", "user": None, "use_cache": True}
    assert (answer.text, answer.citations, answer.route, answer.standalone, answer.kind) == (
        "see [1]", ANSWER.citations, ANSWER.route, "q about frontend?", "rows")
    assert answer.trace.stages == ANSWER.trace.stages
    assert remote.describe() == [LiveType("DEPENDS_ON", "edge", 2, {}, [("Service", "Service")])]
    assert remote.describe_text() == "Service(3)"


def test_errors_come_back_as_their_classes(server: str) -> None:
    remote = RemoteGraph(server, None)
    with pytest.raises(QueryError, match="no such thing"):
        remote.query("broken")
    with pytest.raises(WriteRefusedError, match="read-only"):
        remote.query("CREATE (n)", write=True)
    assert len(_Api.seen) == 1  # the writing query was never sent
    with pytest.raises(ServerError, match="cannot reach the server"):
        RemoteGraph("http://127.0.0.1:9", None, timeout=2).describe_text()


def test_an_error_body_becomes_the_class_declaring_its_code() -> None:
    assert type(error_from_body(403, {"error": {"code": "write_refused", "message": "m"}})) is WriteRefusedError
    unknown = error_from_body(418, {"error": {"code": "made_up", "message": "tea", "details": {"x": 1}}})
    assert isinstance(unknown, ApiError) and (unknown.status, unknown.code, str(unknown), unknown.details) == (418, "made_up", "tea", {"x": 1})
    bare = error_from_body(502, "<html>")
    assert isinstance(bare, ApiError) and (bare.status, bare.code) == (502, "server_error")
