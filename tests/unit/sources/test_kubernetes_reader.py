"""The Kubernetes reader on tiny hand-written manifests: every input form, every workload kind,
every way a value can name a Service, ownership from labels, and what is skipped or reported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from helpers import write
from opsgraph.sources import Facts


def edges(facts: Facts, edge_type: str = "DEPENDS_ON") -> set[tuple[str, str]]:
    return {(r["from"], r["to"]) for r in facts.edges.get(edge_type, [])}


def nodes(facts: Facts, node_type: str = "Service") -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in facts.nodes.get(node_type, [])}


def deployment(name: str, ns: str = "shop", env: str = "", labels: str = "", kind: str = "Deployment", extra: str = "") -> str:
    env_block = f"\n          env:\n{env}" if env else ""
    label_block = f"\n    {labels}" if labels else ""
    return f"""apiVersion: apps/v1
kind: {kind}
metadata:
  name: {name}
  namespace: {ns}
  labels:
    app: {name}{label_block}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata:
      labels: {{app: {name}, tier: backend}}
    spec:
      containers:
        - name: main
          image: registry.example/{name}:1.4.2{env_block}{extra}
"""


def service(name: str, ns: str = "shop", selector: str | None = None) -> str:
    return f"""apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: {ns}}}
spec:
  selector: {{app: {selector or name}}}
  ports: [{{port: 80}}]
"""


def env(name: str, value: str) -> str:
    return f"            - name: {name}\n              value: \"{value}\"\n"


def test_workload_properties_are_shaped_by_the_schema(tmp_path: Path, read) -> None:
    doc = deployment("cart", extra="""
          ports: [{containerPort: 7070}]
          resources: {requests: {cpu: 250m, memory: 128Mi}}
        - name: sidecar
          image: envoy:v1.30
          resources: {requests: {cpu: "0.5", memory: 1Gi}}""")
    f = read("kubernetes", write(tmp_path / "cart.yaml", doc))
    row = nodes(f)["cart"]
    assert row["namespace"] == "shop"
    assert row["image"] == "registry.example/cart:1.4.2"
    assert row["version"] == "1.4.2"
    assert row["replicas"] == 2
    assert row["port"] == 7070
    assert row["cpu_request"] == 0.75  # summed over containers, in cores
    assert row["memory_request"] == 1152.0  # MiB
    assert row["labels"] == ["app=cart"]
    assert "workload_kind" not in row  # not declared by the schema: left out
    assert row["_evidence"] == "cart.yaml#1 Deployment=shop/cart"


def test_rename_and_keep_narrow_the_properties(tmp_path: Path, read) -> None:
    path = write(tmp_path / "cart.yaml", deployment("cart"))
    f = read("kubernetes", path, rename={"image": "description"}, keep=["description", "version"])
    row = nodes(f)["cart"]
    assert row == {"id": "cart", "description": "registry.example/cart:1.4.2", "version": "1.4.2", "_evidence": row["_evidence"]}


def test_every_workload_kind_is_read(tmp_path: Path, read) -> None:
    cron = """apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: shop}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        metadata: {labels: {app: nightly}}
        spec:
          containers:
            - name: job
              image: registry.example/nightly:2.0
              env: [{name: CART_ADDR, value: "cart:80"}]
"""
    job = """apiVersion: batch/v1
kind: Job
metadata: {name: migrate, namespace: shop}
spec:
  template:
    spec:
      containers: [{name: m, image: "registry.example/migrate@sha256:abc"}]
"""
    text = "---\n".join(
        [deployment("cart"), service("cart"), deployment("db", kind="StatefulSet"), deployment("agent", kind="DaemonSet"), cron, job]
    )
    f = read("kubernetes", write(tmp_path / "all.yaml", text), types={"StatefulSet": "Datastore"})
    assert set(nodes(f)) == {"cart", "agent", "nightly", "migrate"}
    assert set(nodes(f, "Datastore")) == {"db"}
    assert nodes(f)["nightly"]["version"] == "2.0"
    assert nodes(f)["migrate"]["version"] == "sha256:abc"
    assert "replicas" not in nodes(f)["agent"]  # a DaemonSet has no replica count
    assert edges(f) == {("nightly", "cart")}


def test_a_folder_is_read_recursively_and_sorted(tmp_path: Path, read) -> None:
    write(tmp_path / "b" / "front.yml", deployment("front", env=env("CART_ADDR", "cart:80")))
    write(tmp_path / "a" / "cart.yaml", deployment("cart") + "---\n" + service("cart"))
    write(tmp_path / "README.md", "not a manifest")
    write(tmp_path / ".git" / "x.yaml", "{{ .Values.broken }}")  # hidden folders are not read
    f = read("kubernetes", tmp_path)
    assert f.files == ["a/cart.yaml", "b/front.yml"]
    assert edges(f) == {("front", "cart")}


def test_helm_rendered_output_reads_like_manifests(tmp_path: Path, read) -> None:
    rendered = (
        "---\n# Source: shop/templates/cart.yaml\n" + deployment("cart") + "---\n# Source: shop/templates/svc.yaml\n" + service("cart")
        + "---\n# Source: shop/templates/empty.yaml\n---\n# Source: shop/templates/front.yaml\n"
        + deployment("front", env=env("CART_URL", "http://cart.shop.svc.cluster.local/api"))
    )
    f = read("kubernetes", write(tmp_path / "rendered.yaml", rendered))
    (row,) = f.edges["DEPENDS_ON"]
    assert (row["from"], row["to"]) == ("front", "cart")
    assert row["_evidence"] == "rendered.yaml#4 env CART_URL=http://cart.shop.svc.cluster.local/api"


def test_a_kubectl_list_dump_yields_its_items(tmp_path: Path, read) -> None:
    def indent(doc: str) -> str:
        lines = doc.strip().splitlines()
        return "  - " + lines[0] + "\n" + "\n".join("    " + line for line in lines[1:])

    dump = "apiVersion: v1\nkind: List\nitems:\n" + "\n".join(
        indent(d) for d in (deployment("cart"), service("cart"), deployment("front", env=env("A", "cart:80")))
    )
    f = read("kubernetes", write(tmp_path / "dump.yaml", dump))
    assert set(nodes(f)) == {"cart", "front"}
    assert edges(f) == {("front", "cart")}


def test_every_spelling_of_a_service_name_is_resolved(tmp_path: Path, read) -> None:
    values = {
        "bare": "cart",
        "port": "cart:7070",
        "ns": "pay.billing:443",
        "svc": "stock.inventory.svc",
        "fqdn": "search.catalog.svc.cluster.local:9200",
        "url": "grpc://user:pw@ship:50051/path?x=1",
        "list": "audit.ops:80,ledger.ops:80",
        "pod": "db-0.db.store.svc.cluster.local:5432",
    }
    text = "---\n".join(
        [
            deployment("front", env="".join(env(k.upper(), v) for k, v in values.items())),
            deployment("cart"), service("cart"),
            deployment("ship"), service("ship"),
            deployment("payment", ns="billing"), service("pay", ns="billing", selector="payment"),
            deployment("stock", ns="inventory"), service("stock", ns="inventory"),
            deployment("search", ns="catalog"), service("search", ns="catalog"),
            deployment("audit", ns="ops"), service("audit", ns="ops"),
            deployment("ledger", ns="ops"), service("ledger", ns="ops"),
            deployment("db", ns="store", kind="StatefulSet"), service("db", ns="store"),
        ]
    )
    f = read("kubernetes", write(tmp_path / "m.yaml", text))
    assert edges(f) == {("front", t) for t in ("cart", "ship", "payment", "stock", "search", "audit", "ledger", "db")}
    keys = {r["to"]: r["config_key"] for r in f.edges["DEPENDS_ON"]}
    assert keys["payment"] == "NS"  # the Service `pay` selects the workload `payment`


def test_a_bare_name_only_reaches_services_of_the_same_namespace(tmp_path: Path, read) -> None:
    text = "---\n".join([deployment("front", ns="a", env=env("X", "cart:80")), deployment("cart", ns="b"), service("cart", ns="b")])
    f = read("kubernetes", write(tmp_path / "m.yaml", text))
    assert edges(f) == set()
    (problem,) = f.problems
    assert problem.field == "env X" and "only in namespace(s) b" in problem.message


def test_values_that_are_not_addresses_make_no_edge(tmp_path: Path, read) -> None:
    text = "---\n".join(
        [
            deployment("front", env=env("JAVA_OPTS", "-Xmx1g -Dcart.enabled=true") + env("HOME", "/cart") + env("ME", "front:80")),
            deployment("cart"), service("cart"), service("front"),
        ]
    )
    f = read("kubernetes", write(tmp_path / "m.yaml", text))
    assert edges(f) == set()


def test_configmaps_resolve_through_key_refs_env_from_and_volumes(tmp_path: Path, read) -> None:
    cm = """apiVersion: v1
kind: ConfigMap
metadata: {name: addrs, namespace: shop}
data:
  CART: "cart:80"
  settings.json: '{"payment": {"host": "payment.shop.svc", "port": 80}}'
---
apiVersion: v1
kind: ConfigMap
metadata: {name: bulk, namespace: shop}
data: {SHIP: "http://ship"}
"""
    front = deployment(
        "front",
        env="            - name: CART_ADDR\n              valueFrom: {configMapKeyRef: {name: addrs, key: CART}}\n",
        extra="""
          envFrom: [{configMapRef: {name: bulk}}]
      volumes: [{name: cfg, configMap: {name: addrs}}]""",
    )
    text = "---\n".join([cm, front, *[d for n in ("cart", "payment", "ship") for d in (deployment(n), service(n))]])
    f = read("kubernetes", write(tmp_path / "m.yaml", text))
    assert edges(f) == {("front", "cart"), ("front", "payment"), ("front", "ship")}
    evidence = {r["to"]: r["_evidence"] for r in f.edges["DEPENDS_ON"]}
    assert evidence["cart"] == "m.yaml#3 env CART_ADDR (configMap addrs/CART)=cart:80"
    assert evidence["ship"] == "m.yaml#3 env SHIP (configMap bulk)=http://ship"
    assert evidence["payment"].startswith("m.yaml#3 configMap addrs/settings.json=")


def test_a_missing_configmap_is_a_problem(tmp_path: Path, read) -> None:
    front = deployment("front", env="            - name: A\n              valueFrom: {configMapKeyRef: {name: nope, key: A}}\n")
    f = read("kubernetes", write(tmp_path / "m.yaml", front))
    assert [(p.file, p.field) for p in f.problems] == [("m.yaml#1", "env A")]


def test_ingress_backends_mark_workloads_exposed(tmp_path: Path, read) -> None:
    ingress = """apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec:
  defaultBackend: {service: {name: front, port: {number: 80}}}
  rules:
    - host: shop.example
      http:
        paths: [{path: /, pathType: Prefix, backend: {service: {name: front, port: {number: 80}}}}]
    - host: old.example
      http:
        paths: [{path: /, backend: {serviceName: legacy, servicePort: 80}}]
"""
    text = "---\n".join([deployment("front"), service("front"), deployment("cart"), service("cart"), ingress])
    f = read("kubernetes", write(tmp_path / "m.yaml", text))
    assert nodes(f)["front"]["exposed"] is True
    assert nodes(f)["front"]["ingress_hosts"] == ["shop.example"]
    assert "exposed" not in nodes(f)["cart"]
    assert edges(f) == set()  # an Ingress is not a workload: no edge
    assert [p.field for p in f.problems] == ["spec.rules.backend"]  # `legacy` selects nothing


def test_the_same_name_in_two_namespaces_gets_a_qualified_id(tmp_path: Path, read) -> None:
    write(tmp_path / "a.yaml", deployment("api", ns="prod") + "---\n" + service("api", ns="prod"))
    write(tmp_path / "b.yaml", deployment("api", ns="staging") + "---\n" + service("api", ns="staging")
          + "---\n" + deployment("web", ns="staging", env=env("API", "api:80")))
    f = read("kubernetes", tmp_path)
    assert set(nodes(f)) == {"api", "api.staging", "web"}
    assert nodes(f)["api.staging"]["namespace"] == "staging"
    assert edges(f) == {("web", "api.staging")}


def test_team_labels_make_ownership_of_known_teams_only(tmp_path: Path, read) -> None:
    text = "---\n".join(
        [
            deployment("cart", labels="team: orders"),
            deployment("pay", labels="owner: payments"),
            deployment("ghost", labels="team: nobody"),
            deployment("free"),
        ]
    )
    f = read("kubernetes", write(tmp_path / "m.yaml", text), known={"orders": "Team", "payments": "Team", "cart": "Service"})
    assert edges(f, "OWNS") == {("orders", "cart"), ("payments", "pay")}
    assert f.edges["OWNS"][0]["_evidence"] == "m.yaml#1 label team=orders"
    (problem,) = f.problems
    assert (problem.file, problem.field) == ("m.yaml#3", "label team")
    assert "'nobody' is not a known Team" in problem.message


def test_team_labels_follow_the_mapping(tmp_path: Path, read) -> None:
    text = deployment("cart", labels="squad: orders")
    f = read("kubernetes", write(tmp_path / "m.yaml", text), known={"orders": "Team"}, team_labels=["squad"])
    assert edges(f, "OWNS") == {("orders", "cart")}


def test_unknown_kinds_and_non_objects_are_counted_not_errors(tmp_path: Path, read) -> None:
    text = "---\n".join(
        [
            "apiVersion: v1\nkind: Secret\nmetadata: {name: s1}\n",
            "apiVersion: v1\nkind: Secret\nmetadata: {name: s2}\n",
            "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: p}\n",
            "replicaCount: 3\n",
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n",
            deployment("cart"),
        ]
    )
    f = read("kubernetes", write(tmp_path / "m.yaml", text))
    assert f.skipped == {"Secret": 2, "PodDisruptionBudget": 1, "<not a Kubernetes object>": 1}
    assert set(nodes(f)) == {"cart"}
    assert f.problems == []


def test_an_address_outside_the_source_needs_a_known_id(tmp_path: Path, read) -> None:
    text = deployment("front", env=env("CART_ADDR", "cart:7070") + env("DB", "postgres://db.internal.example:5432/x"))
    path = write(tmp_path / "m.yaml", text)
    alone = read("kubernetes", path)
    assert edges(alone) == set()
    (problem,) = alone.problems
    assert problem.file == "m.yaml#1" and "'cart' is neither in this source nor in the store" in problem.message
    known = read("kubernetes", path, known={"cart": "Service"})
    assert edges(known) == {("front", "cart")} and known.problems == []


def test_an_edge_to_a_node_of_the_wrong_type_is_dropped(tmp_path: Path, read) -> None:
    f = read("kubernetes", write(tmp_path / "m.yaml", deployment("front", env=env("T", "orders:80"))), known={"orders": "Team"})
    assert edges(f) == set()
    assert "'orders' is a Team, DEPENDS_ON takes Service/Datastore" in f.problems[0].message


def test_a_workload_the_store_holds_as_another_type_keeps_it(tmp_path: Path, read) -> None:
    text = "---\n".join(
        [
            deployment("redis", kind="StatefulSet"), service("redis"),
            deployment("cart", env=env("REDIS_ADDR", "redis:6379")),
            deployment("orders", kind="StatefulSet"),
        ]
    )
    path = write(tmp_path / "m.yaml", text)
    f = read("kubernetes", path, known={"redis": "Datastore", "orders": "Team"})
    assert set(nodes(f, "Datastore")) == {"redis"}  # the store's type wins over the default
    assert set(nodes(f)) == {"cart", "orders"}  # a Team is no workload type: the default stands
    assert edges(f) == {("cart", "redis")}
    explicit = read("kubernetes", path, known={"redis": "Datastore"}, types={"StatefulSet": "Service"})
    assert "redis" in nodes(explicit)  # an explicit mapping wins over the store
