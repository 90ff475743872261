"""`OpenAICompatibleModel` against a real HTTP server on 127.0.0.1 that answers like vLLM / llama.cpp server."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from opsgraph.llm import (
    HTTPResponse,
    LanguageModel,
    LLMConnectionError,
    LLMInputError,
    LLMServerError,
    OpenAICompatibleModel,
    StructuredOutputError,
)

ANSWER = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}


def completion(content: str | None, *, finish: str = "stop", usage: dict[str, int] | None = None, model: str = "served/model") -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish}],
    }
    if usage is not None:
        body["usage"] = usage
    return body


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class FakeServer:
    """Canned answers in order (status, body, delay seconds); every request is recorded."""

    url: str = ""
    replies: list[tuple[int, bytes, float]] = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)

    def reply(self, body: dict[str, Any] | str, status: int = 200, delay: float = 0.0) -> None:
        raw = body if isinstance(body, str) else json.dumps(body)
        self.replies.append((status, raw.encode(), delay))


@pytest.fixture
def server() -> Iterator[FakeServer]:
    state = FakeServer()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            state.requests.append(Recorded(self.path, {k.lower(): v for k, v in self.headers.items()}, json.loads(self.rfile.read(length))))
            status, body, delay = state.replies.pop(0) if state.replies else (200, json.dumps(completion("ok")).encode(), 0.0)
            time.sleep(delay)
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    yield state
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def test_request_carries_messages_and_every_sampling_parameter(server: FakeServer) -> None:
    server.reply(completion("paymentservice", usage={"prompt_tokens": 31, "completion_tokens": 2}))
    model = OpenAICompatibleModel(server.url + "/", "qwen2.5-0.5b")
    out = model.complete(
        [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Who calls payment-gateway?"}],
        max_tokens=32, temperature=0.7, top_k=20, top_p=0.9, min_p=0.05, repeat_penalty=1.1,
        presence_penalty=0.5, frequency_penalty=0.25, stop=["\n\n", "END"], seed=1234,
    )  # fmt: skip
    (request,) = server.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["content-type"] == "application/json"
    assert "authorization" not in request.headers
    assert request.body == {
        "model": "qwen2.5-0.5b",
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Who calls payment-gateway?"}],
        "max_tokens": 32, "temperature": 0.7, "stream": False, "top_p": 0.9, "presence_penalty": 0.5,
        "frequency_penalty": 0.25, "seed": 1234, "stop": ["\n\n", "END"], "top_k": 20, "min_p": 0.05,
        "repeat_penalty": 1.1, "repetition_penalty": 1.1,
    }  # fmt: skip
    assert (out.text, out.prompt_tokens, out.completion_tokens, out.finish_reason, out.model) == ("paymentservice", 31, 2, "stop", "served/model")
    assert out.latency_ms > 0


def test_unset_parameters_are_not_sent(server: FakeServer) -> None:
    OpenAICompatibleModel(server.url, "m").complete("hi")
    assert server.requests[0].body == {"model": "m", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 256, "temperature": 0.0, "stream": False}


def test_json_schema_is_sent_as_response_format_and_the_answer_validated(server: FakeServer) -> None:
    server.reply(completion('{"answer": "checkoutservice"}', usage={"prompt_tokens": 9, "completion_tokens": 8}))
    out = OpenAICompatibleModel(server.url, "m").complete("q", json_schema=ANSWER)
    assert server.requests[0].body["response_format"] == {"type": "json_schema", "json_schema": {"name": "response", "schema": ANSWER, "strict": True}}
    assert out.parsed == {"answer": "checkoutservice"}


def test_a_server_that_ignores_the_schema_is_caught(server: FakeServer) -> None:
    server.reply(completion('{"reply": 3}'))
    with pytest.raises(StructuredOutputError, match="does not match the schema"):
        OpenAICompatibleModel(server.url, "m").complete("q", json_schema=ANSWER)


def test_api_key_goes_in_the_header_and_nowhere_else(server: FakeServer) -> None:
    server.reply({"error": {"message": "model 'm' not found"}}, status=404)
    model = OpenAICompatibleModel(server.url, "m", api_key="sk-secret")
    with pytest.raises(LLMServerError) as info:
        model.complete("hi")
    assert server.requests[0].headers["authorization"] == "Bearer sk-secret"
    assert "sk-secret" not in str(info.value) and "sk-secret" not in repr(model)


def test_http_errors_give_status_and_the_server_reason(server: FakeServer) -> None:
    server.reply({"error": {"message": "max_tokens must be at most 4096", "type": "BadRequestError"}}, status=400)
    with pytest.raises(LLMServerError, match=r"answered HTTP 400: max_tokens must be at most 4096") as info:
        OpenAICompatibleModel(server.url, "m").complete("hi")
    assert info.value.http_status == 400


def test_a_5xx_body_is_excerpted(server: FakeServer) -> None:
    server.reply("upstream crashed " + "x" * 1000, status=503)
    with pytest.raises(LLMServerError, match=r"HTTP 503: upstream crashed x+\.\.\.$") as info:
        OpenAICompatibleModel(server.url, "m").complete("hi")
    assert info.value.http_status == 503 and len(str(info.value)) < 400
    assert info.value.body.startswith("upstream crashed")


@pytest.mark.parametrize("body", ["<html>not json</html>", json.dumps({"choices": []}), json.dumps(completion(None, finish="tool_calls"))])
def test_bodies_that_are_not_completions_are_server_errors(server: FakeServer, body: str) -> None:
    server.reply(body)
    with pytest.raises(LLMServerError):
        OpenAICompatibleModel(server.url, "m").complete("hi")


def test_missing_usage_counts_as_zero(server: FakeServer) -> None:
    server.reply(completion("x", finish="length"))
    out = OpenAICompatibleModel(server.url, "m").complete("hi")
    assert (out.prompt_tokens, out.completion_tokens, out.finish_reason) == (0, 0, "length")


def test_connection_refused_names_the_url() -> None:
    with socket.socket() as s:  # a port nothing listens on once this socket is closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    model = OpenAICompatibleModel(f"http://127.0.0.1:{port}/v1", "m", timeout=5)
    with pytest.raises(LLMConnectionError, match=rf"cannot reach http://127\.0\.0\.1:{port}/v1/chat/completions: connection refused"):
        model.complete("hi")


def test_a_slow_server_times_out(server: FakeServer) -> None:
    server.reply(completion("late"), delay=1.0)
    with pytest.raises(LLMConnectionError, match=r"did not answer within 0\.2 s"):
        OpenAICompatibleModel(server.url, "m", timeout=0.2).complete("hi")


def test_a_custom_client_is_used() -> None:
    class Canned:
        def __init__(self) -> None:
            self.seen: list[tuple[str, dict[str, Any], float]] = []

        def post(self, url: str, body: bytes, headers: Any, timeout: float) -> HTTPResponse:
            self.seen.append((url, json.loads(body), timeout))
            return HTTPResponse(200, json.dumps(completion("from fake", usage={"prompt_tokens": 1, "completion_tokens": 2})).encode())

    client = Canned()
    model = OpenAICompatibleModel("http://models.internal:8000/v1", "m", client=client, timeout=7)
    assert isinstance(model, LanguageModel)
    assert model.complete("hi").text == "from fake"
    assert client.seen[0][0] == "http://models.internal:8000/v1/chat/completions" and client.seen[0][2] == 7.0


@pytest.mark.parametrize(("args", "kwargs"), [(("localhost:8000", "m"), {}), (("ftp://x/v1", "m"), {}), (("http://x/v1", ""), {}), (("http://x/v1", "m"), {"timeout": 0})])
def test_bad_constructor_arguments_are_refused(args: tuple[str, str], kwargs: dict[str, Any]) -> None:
    with pytest.raises(LLMInputError):
        OpenAICompatibleModel(*args, **kwargs)
