"""`HttpTransport` as an HA cluster would answer it: leader redirects, "not the leader" refusals, a server that does
not answer, and the engine's errors mapped to opsgraph's. The cluster is played by `httpx.MockTransport` (the HA
plugin is in no package here); the real single-server behaviour is tested in tests/integration/store/."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from opsgraph.errors import QueryError, QueryTimeoutError, StoreError, StoreUnavailableError, WriteRefusedError
from opsgraph.store.http_transport import HttpTransport

A, B, C = "http://a:2480", "http://b:2480", "http://c:2480"

Route = Callable[[str, httpx.Request, dict[str, object]], httpx.Response | None]


class Cluster:
    """Three servers; `leader` takes writes; `down` do not answer; `route` may answer a request first."""

    def __init__(self, leader: str = A, *, redirect: bool = True) -> None:
        self.leader = leader
        self.redirect = redirect
        self.down: set[str] = set()
        self.seen: list[tuple[str, str]] = []
        self.route: Route | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        server = f"{request.url.scheme}://{request.url.host}:{request.url.port}"
        path = request.url.path
        self.seen.append((server, path))
        if server in self.down:
            raise httpx.ConnectError("connection refused", request=request)
        body = json.loads(request.content) if request.content else {}
        if self.route is not None:
            answer = self.route(server, request, body)
            if answer is not None:
                return answer
        if path.startswith("/api/v1/exists/"):
            return httpx.Response(200, json={"result": True})
        if path.startswith("/api/v1/command/") and server != self.leader and not str(body.get("command", "")).startswith("ALTER"):
            if self.redirect:
                return httpx.Response(307, headers={"location": f"{self.leader}{path}"})
            return httpx.Response(400, json={"error": "Cannot execute command", "exception": "com.arcadedb.network.binary.ServerIsNotTheLeaderException",
                                             "detail": f"Server is not the leader, the leader is {self.leader.split('//')[1]}"})
        return httpx.Response(200, json={"result": [{"server": server}]})


def transport(cluster: Cluster, urls: list[str] | None = None) -> HttpTransport:
    t = HttpTransport(urls or [A, B, C], "db", password="pw", http=httpx.MockTransport(cluster))
    t.open()
    return t


@pytest.mark.parametrize("redirect", [True, False], ids=["http-redirect", "not-the-leader-error"])
def test_writes_follow_the_leader_and_remember_it(redirect: bool) -> None:
    cluster = Cluster(leader=B, redirect=redirect)
    t = transport(cluster)
    assert t.command("cypher", "CREATE (n:X)") == [{"server": B}]
    assert t.leader == B and t.last_server == B
    cluster.seen.clear()
    t.command("cypher", "CREATE (n:X)")
    assert {s for s, p in cluster.seen if p == "/api/v1/command/db"} == {B}  # straight to the leader now


def test_reads_spread_and_move_on_when_a_server_does_not_answer() -> None:
    cluster = Cluster()
    t = transport(cluster)
    answered = {t.query("cypher", "MATCH (n) RETURN n", None, None)[0][0]["server"] for _ in range(6)}
    assert answered == {A, B, C}
    cluster.down.add(B)
    for _ in range(6):
        rows, _ = t.query("cypher", "MATCH (n) RETURN n", None, None)
        assert rows[0]["server"] in (A, C)
    assert t.last_server in (A, C)


def test_writes_fail_plainly_when_the_leader_is_down_and_reads_go_on() -> None:
    cluster = Cluster(leader=A)
    t = transport(cluster)
    cluster.down.add(A)
    with pytest.raises(StoreUnavailableError, match="http://a:2480 did not answer"):
        t.command("cypher", "CREATE (n:X)")
    with pytest.raises(StoreUnavailableError):
        with t.transaction():
            pass
    assert t.query("cypher", "MATCH (n) RETURN n", None, None)[0][0]["server"] in (B, C)
    cluster.down |= {B, C}
    with pytest.raises(StoreUnavailableError, match="no server answered the read"):
        t.query("cypher", "MATCH (n) RETURN n", None, None)


def _error(exception: str, detail: str, status: int = 400) -> Route:
    def route(server: str, request: httpx.Request, body: dict[str, object]) -> httpx.Response | None:
        if request.url.path.startswith(("/api/v1/query/", "/api/v1/command/")) and "ALTER" not in str(body.get("command")):
            return httpx.Response(status, json={"error": "x", "exception": f"com.arcadedb.exception.{exception}", "detail": detail})
        return None
    return route


@pytest.mark.parametrize(("exception", "status", "error", "words"), [
    ("QueryNotIdempotentException", 400, WriteRefusedError, "refused a write"),
    ("TimeoutException", 500, QueryTimeoutError, "time limit"),
    ("CommandParsingException", 400, QueryError, "CommandParsingException: bad"),
])
def test_engine_errors_become_opsgraph_errors(exception: str, status: int, error: type[Exception], words: str) -> None:
    cluster = Cluster()
    t = transport(cluster, [A])
    cluster.route = _error(exception, "bad", status)
    with pytest.raises(error, match=words):
        t.query("cypher", "MATCH (n RETURN n", None, None)


def test_a_refused_password_says_where_the_password_comes_from() -> None:
    cluster = Cluster()
    cluster.route = lambda server, request, body: httpx.Response(403, json={"error": "Security error", "detail": "User/Password not valid"})
    with pytest.raises(StoreError, match="OPSGRAPH_SERVER_PASSWORD"):
        transport(cluster, [A])


def test_a_failed_statement_ends_the_session_and_nothing_is_committed() -> None:
    cluster = Cluster()
    t = transport(cluster, [A])
    ends: list[str] = []

    def route(server: str, request: httpx.Request, body: dict[str, object]) -> httpx.Response | None:
        path = request.url.path
        if path.startswith("/api/v1/begin/"):
            return httpx.Response(204, headers={"arcadedb-session-id": "AS-1"})
        if path.startswith(("/api/v1/commit/", "/api/v1/rollback/")):
            ends.append(path.split("/")[3])
            return httpx.Response(204)
        if "BROKEN" in str(body.get("command")):
            assert request.headers["arcadedb-session-id"] == "AS-1"
            return httpx.Response(400, json={"exception": "com.arcadedb.exception.DuplicatedKeyException", "detail": "dup"})
        return None

    cluster.route = route
    with t.transaction():
        t.command("cypher", "CREATE (n:X)")
    with pytest.raises(QueryError, match="DuplicatedKeyException"):
        with t.transaction():
            t.command("cypher", "BROKEN")
    with pytest.raises(RuntimeError):
        with t.transaction():
            raise RuntimeError("caller failed")
    # The server rolls a session back itself when one of its commands fails; a caller's failure is rolled back by us.
    assert ends == ["commit", "rollback"]


def test_records_come_back_in_the_embedded_shapes() -> None:
    cluster = Cluster()
    t = transport(cluster, [A])
    vertex = {"@rid": "#1:0", "@type": "S", "@cat": "v", "id": "a", "_hash": "h"}
    edge = {"@rid": "#9:0", "@type": "R", "@cat": "e", "@out": "#1:0", "@in": "#1:1", "w": 2}

    def route(server: str, request: httpx.Request, body: dict[str, object]) -> httpx.Response | None:
        if "SELECT @rid AS rid, id FROM" in str(body.get("command")):
            return httpx.Response(200, json={"result": [{"rid": "#1:0", "id": "a"}, {"rid": "#1:1", "id": "b"}]})
        if body.get("command") == "Q":
            path = {"_type": "path", "nodes": [vertex], "relationships": [edge], "length": 1}
            return httpx.Response(200, json={"result": [{"n": vertex, "r": edge, "p": path}, vertex]})
        return None

    cluster.route = route
    rows, _ = t.query("cypher", "Q", None, None)
    assert rows[0]["n"] == {"_type": "S", "id": "a"}
    assert rows[0]["r"] == {"_type": "R", "_from": "a", "_to": "b", "w": 2}
    assert rows[0]["p"] == {"nodes": [{"_type": "S", "id": "a"}], "edges": [{"_type": "R", "_from": "a", "_to": "b", "w": 2}]}
    assert rows[1] == {"id": "a", "_hash": "h"}  # a record as the row: its properties, as the embedded engine gives them
