"""The live-cluster reader through the official Kubernetes client, against a small HTTP server that
answers the Kubernetes list API with Online Boutique's manifests (no cluster can run here): the
same facts as reading the files, paging followed, the kubeconfig's token sent, failures named."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import yaml

from helpers import datasets_dir
from opsgraph.app import sample_estate_path
from opsgraph.schema import GraphSchema, load_schema
from opsgraph.sources import SourceConfig, SourceError, read_source
from opsgraph.sources.cluster import RESOURCES

pytest.importorskip("kubernetes", reason="the optional extra opsgraph[kubernetes] is not installed")

MANIFESTS = datasets_dir() / "topologies" / "raw" / "online_boutique_kubernetes-manifests.yaml"
TOKEN = "s3cret-token"


class FakeApi:
    """Kubernetes list endpoints over the objects of a manifest file, 5 items a page."""

    def __init__(self, objects: list[dict[str, Any]]) -> None:
        self.by_path: dict[str, list[dict[str, Any]]] = {}
        for kind, (group, plural, _api, _method) in RESOURCES.items():
            self.by_path[f"/{group}/{plural}"] = [o for o in objects if o.get("kind") == kind]
        self.requests: list[tuple[str, dict[str, list[str]], str]] = []
        self.fail: dict[str, int] = {}


@pytest.fixture
def api_server() -> Iterator[tuple[FakeApi, str]]:
    objects = [d for d in yaml.safe_load_all(MANIFESTS.read_text(encoding="utf-8")) if d]
    for o in objects:
        o["metadata"].setdefault("namespace", "default")
    fake = FakeApi(objects)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlparse(self.path)
            query = parse_qs(url.query)
            fake.requests.append((url.path, query, self.headers.get("Authorization", "")))
            if url.path in fake.fail:
                self._send(fake.fail[url.path], {"kind": "Status", "message": "forbidden", "code": fake.fail[url.path]})
                return
            items = fake.by_path.get(url.path)
            if items is None:
                self._send(404, {"kind": "Status", "code": 404})
                return
            start = int(query.get("continue", ["0"])[0])
            size = min(int(query.get("limit", ["500"])[0]), 5)
            page = items[start : start + size]
            meta = {"continue": str(start + size)} if start + size < len(items) else {}
            self._send(200, {"kind": "List", "apiVersion": "v1", "metadata": meta, "items": [{k: v for k, v in o.items() if k != "kind"} for o in page]})

        def _send(self, code: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def schema() -> GraphSchema:
    return load_schema(sample_estate_path() / "schema.yaml")


def kubeconfig(tmp_path: Path, server: str) -> Path:
    text = f"""apiVersion: v1
kind: Config
clusters: [{{name: lab, cluster: {{server: "{server}"}}}}]
users: [{{name: reader, user: {{token: {TOKEN}}}}}]
contexts: [{{name: lab, context: {{cluster: lab, user: reader}}}}, {{name: other, context: {{cluster: nowhere, user: reader}}}}]
current-context: other
"""
    path = tmp_path / "kubeconfig"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_cluster_gives_the_same_facts_as_its_manifests(api_server, schema: GraphSchema, tmp_path: Path) -> None:
    fake, server = api_server
    live = read_source(SourceConfig(name="lab", kind="kubernetes-cluster", path=kubeconfig(tmp_path, server), context="lab"), schema)
    files = read_source(SourceConfig(name="files", kind="kubernetes", path=MANIFESTS), schema)
    assert live.count() == files.count() == {"Service": 12, "DEPENDS_ON": 16}
    assert {(r["from"], r["to"]) for r in live.edges["DEPENDS_ON"]} == {(r["from"], r["to"]) for r in files.edges["DEPENDS_ON"]}
    strip = lambda rows: sorted(({k: v for k, v in r.items() if k != "_evidence"} for r in rows), key=str)  # noqa: E731
    assert strip(live.nodes["Service"]) == strip(files.nodes["Service"])
    evidence = {(r["from"], r["to"]): r["_evidence"] for r in live.edges["DEPENDS_ON"]}
    assert evidence[("checkoutservice", "paymentservice")] == (
        "cluster:lab/apis/apps/v1/namespaces/default/deployments/checkoutservice env PAYMENT_SERVICE_ADDR=paymentservice:50051"
    )
    assert live.files == ["cluster:lab"]
    # paging: 12 Deployments at 5 a page take 3 requests; every request carried the kubeconfig's token
    pages = [q for path, q, _ in fake.requests if path == "/apis/apps/v1/deployments"]
    assert [q.get("continue", [""])[0] for q in pages] == ["", "5", "10"]
    assert {auth for _, _, auth in fake.requests} == {f"Bearer {TOKEN}"}
    assert all(q["limit"] == ["500"] for _, q, _ in fake.requests)


def test_a_refused_list_names_the_resource(api_server, schema: GraphSchema, tmp_path: Path) -> None:
    fake, server = api_server
    fake.fail["/apis/batch/v1/cronjobs"] = 403
    with pytest.raises(SourceError, match=r"cluster:lab: listing cronjobs failed \(HTTP 403"):
        read_source(SourceConfig(name="lab", kind="kubernetes-cluster", path=kubeconfig(tmp_path, server), context="lab"), schema)


def test_a_bad_kubeconfig_is_a_source_error(schema: GraphSchema, tmp_path: Path) -> None:
    bad = tmp_path / "kubeconfig"
    bad.write_text("apiVersion: v1\nkind: Config\ncontexts: []\n", encoding="utf-8")
    with pytest.raises(SourceError, match="cannot load the kubeconfig"):
        read_source(SourceConfig(name="lab", kind="kubernetes-cluster", path=bad, context="nope"), schema)
    with pytest.raises(SourceError, match="does not exist"):
        read_source(SourceConfig(name="lab", kind="kubernetes-cluster", path=tmp_path / "missing"), schema)

