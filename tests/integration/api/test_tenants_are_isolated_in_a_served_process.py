"""Two tenants behind one real `opsgraph serve`: each token reaches its own estate and nothing of the other's.

Two different small estates (`tenant_estates.py`; both have a `paymentservice`, so a leaked cache entry
or history turn would be used) are served from one process, first with the embedded cache and history,
then with both on a real Redis Stack. Through the HTTP API with each tenant's token: Cypher, full-text
and vector search, the semantic cache, the conversation history, jobs, MCP, and the CLI's `--tenant`
forwarding; without a token or with an unknown one, 401. On Redis, the keys and index prefixes are the
tenant's own too.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from opsgraph.app import OpsGraph, Settings
from opsgraph.cli.main import app as cli

SCHEMA = """version: 1
name: {name}
description: A small estate of services and the teams that own them.
nodes:
  Service:
    description: "A deployable service."
    name_property: name
    aliases_property: aliases
    properties:
      name: {{type: string, required: true, fulltext: true, description: "Human name."}}
      aliases: {{type: string_list, fulltext: true, description: "Other names."}}
      description: {{type: string, fulltext: true, embed: true, description: "What the service does."}}
  Team:
    description: "A team that owns services."
    name_property: name
    properties:
      name: {{type: string, required: true, fulltext: true, description: "Team name."}}
edges:
  DEPENDS_ON:
    description: "The source needs the target at run time."
    from: Service
    to: Service
    dependency: true
  OWNS:
    description: "The team owns the service."
    from: Team
    to: Service
"""

ESTATES: dict[str, dict[str, Any]] = {
    "acme": {
        "services": [("paymentservice", "Payment Service", "Charges cards through the Kestrel gateway."),
                     ("ledgerservice", "Ledger Service", "Keeps the double-entry books."),
                     ("checkout", "Checkout", "Takes orders from the web shop.")],
        "deps": [("checkout", "paymentservice"), ("paymentservice", "ledgerservice")],
        "team": ("team-kestrel", "Kestrel Payments"),
        "doc": ("payment-runbook.md", "# Payment service runbook\n\nWhen the Kestrel gateway times out, fail over to the "
                "marmalade region and page the Kestrel Payments team.\n"),
        "word": "marmalade",
    },
    "globex": {
        "services": [("paymentservice", "Payment Service", "Settles invoices with the Osprey bank."),
                     ("fraudservice", "Fraud Service", "Scores every invoice for fraud."),
                     ("billing", "Billing", "Sends invoices every month.")],
        "deps": [("billing", "paymentservice"), ("paymentservice", "fraudservice")],
        "team": ("team-osprey", "Osprey Billing"),
        "doc": ("invoice-runbook.md", "# Invoice settlement runbook\n\nWhen the Osprey bank rejects a batch, replay it from "
                "the quokka archive and tell the Osprey Billing team.\n"),
        "word": "quokka",
    },
}


def make_estate(folder: Path, name: str) -> Path:
    """Write the estate `name` (a key of ESTATES) into `folder`."""
    e = ESTATES[name]
    (folder / "nodes").mkdir(parents=True)
    (folder / "edges").mkdir()
    (folder / "docs").mkdir()
    (folder / "schema.yaml").write_text(SCHEMA.format(name=name), encoding="utf-8")
    services = "".join(f"- id: {sid}\n  name: {sname}\n  description: {desc}\n" for sid, sname, desc in e["services"])
    (folder / "nodes" / "Service.yaml").write_text(services, encoding="utf-8")
    tid, tname = e["team"]
    (folder / "nodes" / "Team.yaml").write_text(f"- id: {tid}\n  name: {tname}\n", encoding="utf-8")
    (folder / "edges" / "DEPENDS_ON.csv").write_text("from,to\n" + "".join(f"{a},{b}\n" for a, b in e["deps"]), encoding="utf-8")
    (folder / "edges" / "OWNS.csv").write_text("from,to\n" + "".join(f"{tid},{sid}\n" for sid, _, _ in e["services"]), encoding="utf-8")
    doc, text = e["doc"]
    (folder / "docs" / doc).write_text(text, encoding="utf-8")
    return folder


OPSGRAPH = Path(sys.executable).parent / "opsgraph"
BASE_YAML = "embed: {provider: hashing}\nllm: {provider: none}\nstore: {heap: 1g}\n"
QUESTION = "who owns the payment service?"
OWN_WORDS = {"acme": ("kestrel", "marmalade", "ledger", "checkout"), "globex": ("osprey", "quokka", "fraud", "billing", "invoice")}
"""Words only found in each estate's data: the other tenant must never see them."""


@dataclass
class Served:
    url: str
    root: Path
    tokens: dict[str, str]
    estates: dict[str, Path]
    redis_url: str | None

    def client(self, tenant: str | None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[tenant]}"} if tenant else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=120)


@pytest.fixture(scope="module")
def tenants_base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Path]]:
    """A closed root home with tenants acme and globex (`opsgraph tenant add`), each with its own estate ingested."""
    work = tmp_path_factory.mktemp("tenants-base")
    root = work / "root"
    runner = CliRunner()
    estates = {}
    for name in ESTATES:
        r = runner.invoke(cli, ["tenant", "add", name, "--home", str(root)], env={"OPSGRAPH_TENANT": None})
        assert r.exit_code == 0, r.output
        token_file = root / "tenants" / name / "tenant.token"
        assert f"token written to {token_file}" in " ".join(r.stdout.split())
        assert token_file.stat().st_mode & 0o777 == 0o600
        estates[name] = make_estate(work / f"{name}-estate", name)
        settings = Settings(home=root, embed={"provider": "hashing"}, llm={"provider": "none"}, store={"heap": "1g"}).for_tenant(name)
        with OpsGraph(settings) as og:
            og.ingest(estates[name])
    assert not (root / "store").exists(), "the root home itself holds no store: every estate is in its tenant's sub-home"
    return root, estates


@pytest.fixture(scope="module", params=["embedded", "redis"])
def served(request: pytest.FixtureRequest, tenants_base: tuple[Path, dict[str, Path]],
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`opsgraph serve --port 0` over a copy of the base root home, with the cache and history embedded or on Redis."""
    base, estates = tenants_base
    work = tmp_path_factory.mktemp(f"tenants-{request.param}")
    root = work / "root"
    shutil.copytree(base, root)
    config = BASE_YAML
    redis_url = None
    if request.param == "redis":
        redis_url = request.getfixturevalue("redis_url")
        config += f"cache: {{backend: redis, url: '{redis_url}'}}\nmemory: {{backend: redis}}\n"
    (root / "opsgraph.yaml").write_text(config, encoding="utf-8")
    tokens = {name: (root / "tenants" / name / "tenant.token").read_text(encoding="utf-8").strip() for name in ESTATES}
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSGRAPH_")}
    env.update(OPSGRAPH_CONFIG=str(root / "opsgraph.yaml"), OMP_NUM_THREADS="1")
    err_path = work / "serve.stderr"
    with err_path.open("w") as err_file:
        proc = subprocess.Popen([str(OPSGRAPH), "serve", "--home", str(root), "--port", "0"], stdout=subprocess.PIPE,
                                stderr=err_file, text=True, env=env)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout or []), daemon=True)
    reader.start()
    try:
        url = _wait_for_url(proc, lines, err_path)
        yield Served(url, root, tokens, estates, redis_url)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        reader.join(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
    assert proc.returncode == 0, f"serve exited with {proc.returncode}: {err_path.read_text()[-2000:]}"
    assert "opsgraph serving 2 tenants" in "".join(lines)
    for home in (root, root / "tenants" / "acme", root / "tenants" / "globex"):
        assert not (home / "serve.json").exists(), "serve.json must be removed when the server stops"


def _wait_for_url(proc: subprocess.Popen[str], lines: list[str], err: Path, timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = re.search(r" at (http://\S+)", "".join(lines))
        if m:
            try:
                if httpx.get(m.group(1) + "/healthz", timeout=10).status_code == 200:
                    return m.group(1)
            except httpx.HTTPError:
                pass
        if proc.poll() is not None:
            raise RuntimeError(f"opsgraph serve exited ({proc.returncode}): {err.read_text()[-3000:]}")
        time.sleep(0.2)
    raise RuntimeError(f"opsgraph serve did not become healthy in {timeout} s: {err.read_text()[-3000:]}")


def _other(tenant: str) -> str:
    return next(n for n in ESTATES if n != tenant)


def _leaks(tenant: str, text: str) -> list[str]:
    """Words of the other tenant's estate found in `text`."""
    low = text.lower()
    return [w for w in OWN_WORDS[_other(tenant)] if w in low]


def test_no_token_or_an_unknown_token_gets_401(served: Served) -> None:
    with served.client(None) as anonymous:
        assert anonymous.get("/healthz").status_code == 200
        assert anonymous.get("/").status_code == 200  # the page itself carries no estate
        for method, path in [("GET", "/readyz"), ("GET", "/v1/schema"), ("GET", "/v1/search?q=payment"), ("GET", "/v1/jobs"),
                             ("GET", "/metrics"), ("GET", "/v1/risk/scores")]:
            r = anonymous.request(method, path)
            assert r.status_code == 401, (path, r.text)
            assert r.json()["error"]["code"] == "unauthorized"
        r = anonymous.post("/v1/query", json={"cypher": "MATCH (n) RETURN count(n) AS n"},
                           headers={"Authorization": "Bearer " + "x" * 43})
        assert r.status_code == 401 and "not any tenant's" in r.json()["error"]["message"]
        r = anonymous.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
        assert r.status_code == 401


@pytest.mark.parametrize("tenant", list(ESTATES))
def test_a_token_sees_only_its_own_nodes(served: Served, tenant: str) -> None:
    own = {sid for sid, _, _ in ESTATES[tenant]["services"]} | {ESTATES[tenant]["team"][0]}
    other = {sid for sid, _, _ in ESTATES[_other(tenant)]["services"]} | {ESTATES[_other(tenant)]["team"][0]}
    with served.client(tenant) as c:
        r = c.post("/v1/query", json={"cypher": "MATCH (n) WHERE n:Service OR n:Team RETURN n.id AS id, n.description AS d"})
        assert r.status_code == 200, r.text
        rows = r.json()["rows"]
        assert {row["id"] for row in rows} == own
        assert not (other - own) & {row["id"] for row in rows}
        assert not _leaks(tenant, str(rows))
        ready = c.get("/readyz").json()
        assert ready["home"] == str(served.root / "tenants" / tenant)
        docs = c.post("/v1/query", json={"cypher": "MATCH (d:Document) RETURN d.id AS id"}).json()["rows"]
        assert [d["id"] for d in docs] == [f"docs/{ESTATES[tenant]['doc'][0]}"]


@pytest.mark.parametrize("tenant", list(ESTATES))
def test_search_finds_only_the_tenants_own_documents(served: Served, tenant: str) -> None:
    mine, theirs = ESTATES[tenant]["word"], ESTATES[_other(tenant)]["word"]
    with served.client(tenant) as c:
        hits = c.get("/v1/search", params={"q": mine, "mode": "text"}).json()["hits"]
        assert hits and all(not _leaks(tenant, h["text"]) for h in hits)
        assert any(mine in h["text"].lower() for h in hits)
        assert c.get("/v1/search", params={"q": theirs, "mode": "text"}).json()["hits"] == []
        for q in (theirs, "runbook for the payment service", "bank gateway"):
            r = c.get("/v1/search", params={"q": q, "mode": "vector", "k": 20})
            assert r.status_code == 200, r.text
            hits = r.json()["hits"]
            assert hits, q  # nearest neighbours always exist: they must all be the tenant's own
            assert not [h for h in hits if _leaks(tenant, h["text"])], hits


def test_a_cached_answer_is_never_served_to_the_other_tenant(served: Served) -> None:
    user = {"user": "sam", "question": QUESTION}
    with served.client("acme") as acme, served.client("globex") as globex:
        first = acme.post("/v1/ask", json=user).json()
        again = acme.post("/v1/ask", json=user).json()
        assert not first.get("cached") and again.get("cached"), again  # the cache works for acme
        assert "Kestrel" in again["answer"] or "Checkout" in again["answer"], again["answer"]
        theirs = globex.post("/v1/ask", json=user).json()
        assert not theirs.get("cached"), theirs["cached"]
        assert not _leaks("globex", theirs["answer"]), theirs["answer"]
        assert "Billing" in theirs["answer"] or "Osprey" in theirs["answer"], theirs["answer"]
        assert globex.post("/v1/ask", json=user).json().get("cached")  # and globex has its own entry now


def test_conversation_history_is_the_tenants_own(served: Served) -> None:
    turn = {"user": "kim", "session": "tab-1"}
    follow_up = "and who owns it?"
    with served.client("acme") as acme, served.client("globex") as globex:
        assert acme.post("/v1/ask", json={**turn, "question": "what does the payment service depend on?"}).status_code == 200
        theirs = globex.post("/v1/ask", json={**turn, "question": follow_up}).json()
        assert not theirs.get("standalone"), theirs  # same user and session name, but nothing in globex's history
        mine = acme.post("/v1/ask", json={**turn, "question": follow_up}).json()
        assert "paymentservice" in (mine.get("standalone") or ""), mine  # acme's own history resolves "it"
        assert "Kestrel" in mine["answer"], mine["answer"]


def test_jobs_are_the_tenants_own(served: Served) -> None:
    with served.client("acme") as acme, served.client("globex") as globex:
        r = acme.post("/v1/ingest", json={"path": str(served.estates["acme"]), "documents": False})
        assert r.status_code == 202, r.text
        job = r.json()["id"]
        deadline = time.monotonic() + 120
        while acme.get(f"/v1/jobs/{job}").json()["state"] not in ("succeeded", "failed"):
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert acme.get(f"/v1/jobs/{job}").json()["state"] == "succeeded"
        assert job in [j["id"] for j in acme.get("/v1/jobs").json()]
        assert job not in [j["id"] for j in globex.get("/v1/jobs").json()]
        assert globex.get(f"/v1/jobs/{job}").status_code == 404
        # globex may not ingest acme's estate folder: it is not one of globex's own
        r = globex.post("/v1/ingest", json={"path": str(served.estates["acme"])})
        assert r.status_code == 403, r.text


def test_mcp_tools_read_only_the_tenants_estate(served: Served) -> None:
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    async def ids(tenant: str) -> set[str]:
        http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {served.tokens[tenant]}"}, timeout=60)
        async with http, Client(streamable_http_client(served.url + "/mcp", http_client=http)) as client:
            result = await client.call_tool("query_graph", {"cypher": "MATCH (s:Service) RETURN s.id AS id"})
            assert not result.is_error, result
            return {row["id"] for row in result.structured_content["rows"]}

    for tenant in ESTATES:
        assert asyncio.run(ids(tenant)) == {sid for sid, _, _ in ESTATES[tenant]["services"]}


def test_the_cli_with_tenant_forwards_with_that_tenants_token(served: Served) -> None:
    r = CliRunner().invoke(cli, ["--tenant", "globex", "query", "--home", str(served.root), "--json",
                                 "MATCH (s:Service) RETURN s.id AS id ORDER BY id"], env={"OPSGRAPH_TENANT": None})
    assert r.exit_code == 0, r.output
    assert "forwarding" in r.stderr
    assert '"fraudservice"' in r.stdout and "ledgerservice" not in r.stdout


def _text(value: Any) -> Any:
    return value.decode() if isinstance(value, bytes) else value


def _index_prefixes(info: Any) -> list[str]:
    """The key prefixes of an index, from `FT.INFO` as redis-py returns it (a dict, or a flat list of pairs)."""
    pairs = info if isinstance(info, dict) else dict(zip(info[::2], info[1::2], strict=True))
    definition = {_text(k): v for k, v in pairs.items()}["index_definition"]
    if not isinstance(definition, dict):
        definition = dict(zip(definition[::2], definition[1::2], strict=True))
    return [_text(p) for p in {_text(k): v for k, v in definition.items()}["prefixes"]]


def test_redis_keys_and_index_prefixes_are_per_tenant(served: Served) -> None:
    if served.redis_url is None:
        pytest.skip("the embedded cache and history live in each tenant's sub-home (checked by the tests above)")
    import redis

    client = redis.Redis.from_url(served.redis_url)
    try:
        indexes = [i.decode() for i in client.execute_command("FT._LIST")]
        keys = [k.decode() for k in client.scan_iter(count=1000)]
        for tenant in ESTATES:
            mine = [i for i in indexes if i.startswith(f"opsgraph-t-{tenant}-")]
            assert any("answers" in i for i in mine) and any("history" in i for i in mine), indexes
            for index in mine:
                prefixes = _index_prefixes(client.ft(index).info())
                assert prefixes and all(p.startswith(f"opsgraph-t-{tenant}-") for p in prefixes), (index, prefixes)
            assert any(k.startswith(f"opsgraph-t-{tenant}-answers") for k in keys), keys
            assert any(k.startswith(f"opsgraph-t-{tenant}-history") for k in keys), keys
        # No tenant wrote under the shared default names; other tests of the session may hold their own prefixes.
        assert not [i for i in indexes if i.startswith("opsgraph-") and not i.startswith(("opsgraph-t-acme-", "opsgraph-t-globex-"))], indexes
    finally:
        client.close()
