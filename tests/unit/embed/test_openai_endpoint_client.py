"""`OpenAIEmbedder` against a real (tiny, local) HTTP server speaking the OpenAI embeddings API."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import pytest

from opsgraph.embed import EmbeddingError, HTTPStatusError, OpenAIEmbedder


class FakeOpenAI:
    """Answers POST /v1/embeddings with [len(text), 1, 0, 0] per input, in reverse order (the API allows any order)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.fail_next: list[int] = []  # statuses to answer before succeeding
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append(body)
                outer.headers.append(dict(self.headers))
                if self.path != "/v1/embeddings":
                    return self._send(404, {"error": {"message": f"no route {self.path}"}})
                if outer.fail_next:
                    status = outer.fail_next.pop(0)
                    return self._send(status, {"error": {"message": f"status {status} on purpose"}})
                data = [{"object": "embedding", "index": i, "embedding": [float(len(t)), 1.0, 0.0, 0.0]} for i, t in enumerate(body["input"])]
                self._send(200, {"object": "list", "model": body["model"], "data": data[::-1]})

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                raw = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI()
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()
    thread.join(timeout=5)


def test_embeds_in_input_order_and_normalises(server: FakeOpenAI) -> None:
    e = OpenAIEmbedder(server.url, "mini", dims=4)
    out = e.embed(["a", "abc", "ab"])
    expected = np.array([[1, 1, 0, 0], [3, 1, 0, 0], [2, 1, 0, 0]], dtype=np.float32)
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    assert np.allclose(out, expected, atol=1e-6)
    assert server.requests[0]["model"] == "mini" and server.requests[0]["encoding_format"] == "float"


def test_batches_requests_and_caches(server: FakeOpenAI) -> None:
    e = OpenAIEmbedder(server.url, "mini", dims=4, batch_size=2)
    e.embed(["one", "two", "three", "four", "five"])
    assert [len(r["input"]) for r in server.requests] == [2, 2, 1]
    e.embed(["five", "one"])
    assert len(server.requests) == 3


def test_sends_the_api_key_as_a_bearer_token(server: FakeOpenAI) -> None:
    OpenAIEmbedder(server.url, "mini", dims=4, api_key="sk-test").embed(["x"])
    assert server.headers[0]["Authorization"] == "Bearer sk-test"
    OpenAIEmbedder(server.url, "mini", dims=4).embed(["y"])
    assert "Authorization" not in server.headers[1]


def test_dims_are_probed_once_when_not_given(server: FakeOpenAI) -> None:
    e = OpenAIEmbedder(server.url, "mini")
    assert server.requests == []  # constructors do no I/O
    assert e.dims == 4 and e.dims == 4
    assert len(server.requests) == 1


def test_retries_rate_limits_and_server_errors(server: FakeOpenAI) -> None:
    server.fail_next = [429, 503]
    out = OpenAIEmbedder(server.url, "mini", dims=4, backoff=0.01).embed(["x"])
    assert out.shape == (1, 4) and len(server.requests) == 3


def test_gives_up_after_its_retries(server: FakeOpenAI) -> None:
    server.fail_next = [500, 500, 500]
    with pytest.raises(HTTPStatusError, match="answered HTTP 500: status 500 on purpose") as info:
        OpenAIEmbedder(server.url, "mini", dims=4, retries=2, backoff=0.01).embed(["x"])
    assert info.value.http_status == 500 and len(server.requests) == 3


def test_client_errors_fail_at_once_without_leaking_the_key(server: FakeOpenAI) -> None:
    server.fail_next = [401]
    with pytest.raises(HTTPStatusError, match="HTTP 401") as info:
        OpenAIEmbedder(server.url, "mini", dims=4, api_key="sk-secret", backoff=0.01).embed(["x"])
    assert len(server.requests) == 1 and "sk-secret" not in str(info.value)


def test_wrong_dimensions_are_refused(server: FakeOpenAI) -> None:
    with pytest.raises(EmbeddingError, match="expected vectors of 8 dimensions, got 4"):
        OpenAIEmbedder(server.url, "mini", dims=8).embed(["x"])


def test_unreachable_endpoint_is_an_embedding_error() -> None:
    probe = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = probe.server_address[1]
    probe.server_close()  # nothing listens there now
    with pytest.raises(EmbeddingError, match="cannot reach the embeddings endpoint"):
        OpenAIEmbedder(f"http://127.0.0.1:{port}/v1", "mini", dims=4, retries=0).embed(["x"])


def test_base_url_must_be_http() -> None:
    with pytest.raises(EmbeddingError, match="must start with http"):
        OpenAIEmbedder("ftp://example/v1", "mini")
