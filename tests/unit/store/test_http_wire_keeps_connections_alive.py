"""`StdlibWire` against a real local HTTP/1.1 server: a thread reuses its connection, threads do not share one, a connection
the server closed while idle is replaced, each request arrives in one piece, and failures become the wire's own errors."""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from opsgraph.store.http_wire import StdlibWire, WireConnectError, WireReadTimeout


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    connections: ClassVar[set[int]] = set()
    close_after: ClassVar[bool] = False
    # One number per accepted connection (the handler is made once per connection). Not `id(self.connection)`: a
    # closed socket's object is freed, and the next connection's may get the same id (the test then saw 1 connection).
    numbers: ClassVar[itertools.count[int]] = itertools.count()

    def setup(self) -> None:
        super().setup()
        self.number = next(type(self).numbers)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        if self.path == "/slow":
            time.sleep(1.0)
        type(self).connections.add(self.number)
        out = json.dumps({"conn": self.number, "got": json.loads(body), "auth": self.headers.get("authorization")}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)
        if type(self).close_after:
            self.close_connection = True

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, type[_Handler]]]:
    handler = type("Handler", (_Handler,), {"connections": set(), "close_after": False})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", handler
    finally:
        httpd.shutdown()
        httpd.server_close()


def _post(wire: StdlibWire, url: str, payload: object, path: str = "/q", timeout: float = 5) -> dict[str, object]:
    answer = wire.request(url, "POST", path, json.dumps(payload).encode(), {"content-type": "application/json", "authorization": "Basic eA=="}, timeout)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    return answer.json()


def test_a_thread_reuses_its_connection_and_threads_have_their_own(server: tuple[str, type[_Handler]]) -> None:
    url, handler = server
    wire = StdlibWire()
    first = [_post(wire, url, {"n": i}) for i in range(5)]
    assert len({r["conn"] for r in first}) == 1 and [r["got"] for r in first] == [{"n": i} for i in range(5)]
    assert first[0]["auth"] == "Basic eA=="
    other: list[dict[str, object]] = []
    t = threading.Thread(target=lambda: other.append(_post(wire, url, {"n": "t"})))
    t.start()
    t.join()
    assert other[0]["conn"] != first[0]["conn"] and len(handler.connections) == 2
    wire.close()


def test_a_connection_the_server_closed_is_replaced(server: tuple[str, type[_Handler]]) -> None:
    url, handler = server
    handler.close_after = True
    wire = StdlibWire()
    answers = []
    for i in range(3):
        answers.append(_post(wire, url, {"n": i}))
        time.sleep(0.05)  # the server closes after its answer: the next request finds the socket closed while idle
    assert [r["got"] for r in answers] == [{"n": i} for i in range(3)]
    assert len(handler.connections) >= 2  # each answer closed its connection; no request failed on a closed one
    wire.close()


def test_refused_and_silent_servers_raise_the_wires_errors(server: tuple[str, type[_Handler]]) -> None:
    url, _ = server
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    wire = StdlibWire(connect_timeout_s=2)
    with pytest.raises(WireConnectError):
        _post(wire, f"http://127.0.0.1:{free}", {})
    with pytest.raises(WireReadTimeout):
        _post(wire, url, {}, path="/slow", timeout=0.2)
    assert _post(wire, url, {"after": 1})["got"] == {"after": 1}  # the timed-out connection is not reused
    wire.close()
