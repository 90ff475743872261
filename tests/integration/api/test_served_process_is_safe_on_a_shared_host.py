"""A real `opsgraph serve` on loopback, tried as an adversary would (issue 20): one served process for the module.

DNS rebinding (a foreign Host) gets 421 on every route; a cross-site Origin gets 403 on
state-changing requests; routes that write need the home's write token even on loopback;
bodies and parameter lists over the limits get 413; eight long queries leave health and
cheap reads answering, and a ninth is told to retry (503) at once; a 50 MB document is
refused with its path and size before anything is written.
"""

from __future__ import annotations

import concurrent.futures
import json
import shutil
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

LONG_QUERY = "UNWIND range(1, 100000) AS x UNWIND range(1, 100000) AS y WITH x, y WHERE x + y = -1 RETURN count(*) AS n"
"""Ten billion pairs, none kept (no plan shortcut, little memory): it runs exactly until the engine stops it."""
TIMEOUT_MS = 6000


@pytest.fixture(scope="module")
def server(api: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    root = tmp_path_factory.mktemp("safe-serve")
    home = api.home("safe")
    estates = root / "estates"
    big = estates / "big"
    shutil.copytree(api.base.estate, big)
    with (big / "docs" / "huge-runbook.md").open("wb") as f:  # 50 MB of plausible text
        line = b"Restart the payment pods one at a time and watch the error rate before the next one.\n"
        f.write(line * (50_000_000 // len(line) + 1))
    with (home / "opsgraph.yaml").open("a", encoding="utf-8") as f:
        f.write(f"store: {{query_timeout_ms: {TIMEOUT_MS}}}\n"
                f"serve: {{max_param_items: 1000, ingest_roots: [{json.dumps(str(estates))}]}}\n")
    with api.serve(home, root) as live:
        live.estates = estates
        yield live


def _client(server: Any, **headers: str) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=60, headers=headers)


def _token(server: Any) -> str:
    return (server.home / "serve.token").read_text().strip()


REBOUND = [
    ("GET", "/healthz", None), ("GET", "/", None), ("GET", "/openapi.json", None), ("GET", "/v1/schema", None),
    ("POST", "/v1/query", {"cypher": "MATCH (p:Person) RETURN p.email"}), ("POST", "/v1/ask", {"question": "who owns checkout?"}),
    ("POST", "/v1/ingest", {"path": "/"}), ("POST", "/v1/risk/train", {}), ("POST", "/v1/risk/rollback", None),
    ("POST", "/mcp", {"jsonrpc": "2.0", "id": 1, "method": "ping"}),
]


def test_a_rebound_host_name_is_refused_on_every_route(server: Any) -> None:
    port = urlsplit(server.url).port
    with _client(server) as c:
        for method, path, body in REBOUND:
            for host in (f"attacker.example:{port}", "attacker.example", f"127.0.0.1.nip.io:{port}", f"localhost:{port + 1}"):
                r = c.request(method, path, json=body, headers={"Host": host, "Authorization": f"Bearer {_token(server)}"})
                assert r.status_code == 421, (method, path, host, r.status_code, r.text[:200])
                assert r.json()["error"]["code"] == "misdirected_request"
        for host in (f"127.0.0.1:{port}", f"localhost:{port}"):
            r = c.post("/v1/query", json={"cypher": "MATCH (t:Team) RETURN count(t) AS n"}, headers={"Host": host})
            assert r.status_code == 200 and r.json()["rows"] == [{"n": 6}], host


def test_a_cross_site_origin_cannot_change_state(server: Any) -> None:
    auth = {"Authorization": f"Bearer {_token(server)}"}
    with _client(server) as c:
        for method, path, body in REBOUND:
            if method == "GET":
                continue
            for origin in ("http://attacker.example", "null", f"http://localhost:{urlsplit(server.url).port + 1}"):
                r = c.request(method, path, json=body, headers={"Origin": origin, **auth})
                assert r.status_code == 403 and r.json()["error"]["code"] == "cross_origin", (path, origin, r.text[:200])
        r = c.post("/v1/risk/rollback", headers={"Sec-Fetch-Site": "cross-site", **auth})
        assert r.status_code == 403
        same = c.post("/v1/query", json={"cypher": "RETURN 1 AS one"}, headers={"Origin": server.url})
        assert same.status_code == 200 and same.json()["rows"] == [{"one": 1}]


def test_routes_that_write_need_the_write_token_even_on_loopback(server: Any) -> None:
    token_file = server.home / "serve.token"
    assert token_file.stat().st_mode & 0o777 == 0o600
    assert json.loads((server.home / "serve.json").read_text())["token_file"] == str(token_file)
    with _client(server) as c:
        before = c.get("/readyz").json()["data_version"]
        for method, path, body in [("POST", "/v1/ingest", {"path": str(server.estates / "big"), "documents": False}),
                                   ("POST", "/v1/risk/train", {"epochs": 1}), ("POST", "/v1/risk/rollback", None),
                                   ("POST", "/v1/risk/models/v1/promote", None)]:
            for auth in ({}, {"Authorization": "Bearer wrong"}):
                r = c.request(method, path, json=body, headers=auth)
                assert r.status_code == 401, (path, r.text[:200])
                assert "serve.token" in r.json()["error"]["message"]
        assert c.get("/readyz").json()["data_version"] == before
        # Reads stay open on loopback without a configured token.
        assert c.get("/v1/schema").status_code == 200
        # The server's own page carries the token; the OpenAPI document says which routes need it and leaves health public.
        assert f'content="{_token(server)}"' in c.get("/").text
        spec = c.get("/openapi.json").json()["paths"]
        assert "security" not in spec["/healthz"]["get"] and "security" not in spec["/v1/query"]["post"]
        assert spec["/v1/ingest"]["post"]["security"] and spec["/v1/risk/rollback"]["post"]["security"]


def test_ingest_paths_are_checked(server: Any) -> None:
    auth = {"Authorization": f"Bearer {_token(server)}"}
    with _client(server, **auth) as c:
        r = c.post("/v1/ingest", json={"path": "/etc"})
        assert r.status_code == 403 and r.json()["error"]["code"] == "path_not_allowed"
        r = c.post("/v1/ingest", json={"path": str(server.estates) + "/big\x00/x"})
        assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_path"


def test_a_50_mb_document_is_refused_before_anything_is_written(server: Any) -> None:
    with _client(server, Authorization=f"Bearer {_token(server)}") as c:
        before = c.get("/readyz").json()
        store_files = {p: p.stat().st_size for p in (server.home / "store").iterdir() if p.is_file()}
        r = c.post("/v1/ingest", json={"path": str(server.estates / "big")})
        assert r.status_code == 202, r.text
        job = r.json()
        deadline = time.monotonic() + 60
        while job["state"] not in ("succeeded", "failed") and time.monotonic() < deadline:
            time.sleep(0.2)
            job = c.get(f"/v1/jobs/{job['id']}").json()
        assert job["state"] == "failed", job
        error = job["error"]
        assert error["code"] == "document_too_large", error
        assert "docs/huge-runbook.md" in error["message"] and "bytes" in error["message"]
        after = c.get("/readyz").json()
        assert {k: after[k] for k in ("nodes", "edges", "documents", "data_version")} == \
               {k: before[k] for k in ("nodes", "edges", "documents", "data_version")}
    assert store_files == {p: p.stat().st_size for p in store_files}


def test_bodies_and_parameter_lists_over_the_limits_get_413(server: Any) -> None:
    with _client(server) as c:
        big = "x" * 2_000_000
        r = c.post("/v1/query", content=json.dumps({"cypher": "RETURN $x AS x", "params": {"x": big}}),
                   headers={"Content-Type": "application/json"})
        assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"

        def chunks() -> Iterator[bytes]:  # no Content-Length: refused while it streams
            yield b'{"cypher": "RETURN $x AS x", "params": {"x": "'
            for _ in range(40):
                yield b"y" * 65536
            yield b'"}}'

        r = c.post("/v1/query", content=chunks(), headers={"Content-Type": "application/json"})
        assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
        r = c.post("/v1/query", json={"cypher": "RETURN size($ids) AS n", "params": {"ids": list(range(5000))}})
        assert r.status_code == 413 and "max_param_items" in r.json()["error"]["message"]
        r = c.post("/v1/query", json={"cypher": "RETURN size($ids) AS n", "params": {"ids": list(range(500))}})
        assert r.status_code == 200 and r.json()["rows"] == [{"n": 500}]
        assert c.get("/healthz").status_code == 200


def test_health_and_cheap_reads_answer_while_eight_long_queries_run(server: Any) -> None:
    def long_query() -> int:
        with _client(server) as c:
            return c.post("/v1/query", json={"cypher": LONG_QUERY}).status_code

    def probe(c: httpx.Client) -> float:
        began = time.perf_counter()
        assert c.get("/healthz").status_code == 200
        return time.perf_counter() - began

    with concurrent.futures.ThreadPoolExecutor(8) as pool, _client(server) as c:
        baseline = sorted(probe(c) for _ in range(10))  # the same probe on this (shared, busy) machine, queries idle
        began = time.perf_counter()
        assert c.get("/v1/schema").status_code == 200
        schema_idle_s = time.perf_counter() - began
        running = [pool.submit(long_query) for _ in range(8)]
        time.sleep(2.5)  # all eight are in the engine now (a loaded machine takes its time to send them)
        deadline = time.monotonic() + TIMEOUT_MS / 1000
        while True:  # once the eight hold their slots (a loaded machine may take a while to send them), a ninth is refused
            began = time.perf_counter()
            ninth = c.post("/v1/query", json={"cypher": "RETURN 1 AS one"})
            ninth_s = time.perf_counter() - began
            if ninth.status_code == 503 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        probes = []
        for _ in range(10):
            began = time.perf_counter()
            assert c.get("/healthz").status_code == 200
            probes.append(time.perf_counter() - began)
        began = time.perf_counter()
        assert c.get("/v1/schema").status_code == 200
        schema_s = time.perf_counter() - began
        statuses = [f.result() for f in running]
    assert not any(f.running() for f in running)
    probes.sort()
    print(f"healthz while 8 long queries run: median {probes[5] * 1000:.0f} ms, max {probes[-1] * 1000:.0f} ms "
          f"(idle baseline median {baseline[5] * 1000:.0f} ms, max {baseline[-1] * 1000:.0f} ms)")
    # Not queued behind the long queries: the bound, 200 ms for the median of ten probes (the listening socket
    # is TCP, so responses are not held by Nagle's algorithm: ~1 ms idle on a kept-alive connection).
    assert probes[5] < 0.2, (probes, baseline)
    print(f"schema while 8 long queries run: {schema_s * 1000:.0f} ms (idle {schema_idle_s * 1000:.0f} ms)")
    assert schema_s < TIMEOUT_MS / 1000 + 3 * schema_idle_s, schema_s  # answered, not queued behind the long queries
    assert ninth.status_code == 503, (ninth.text[:200], [f.result() for f in running])
    assert ninth.json()["error"]["code"] == "busy" and ninth.headers["retry-after"] == "1"
    print(f"the ninth heavy query was refused (503) in {ninth_s * 1000:.0f} ms")  # not asserted: see the branch report
    assert statuses == [408] * 8, statuses  # each stopped by the time limit, none queued forever
    with _client(server) as c:  # and the slots are free again
        assert c.post("/v1/query", json={"cypher": "RETURN 1 AS one"}).status_code == 200
