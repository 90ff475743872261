"""Every reader on real files: Online Boutique's and Sock Shop's Kubernetes manifests, the
DeathStarBench and Train-Ticket compose files, two real Backstage catalogs, and the sample
estate's own manifests and catalog read against a real store (`known_ids` from ArcadeDB).

Inferred dependency edges are compared with the known call graphs in
`shared/datasets/topologies/*.json` (see its SOURCE.txt). Online Boutique's 17 edges are
all inferred from its manifests; the other systems' call graphs come from source code, so
what manifests and compose files say is a strict subset (recall is measured in
`bench/sources.py`), and every edge inferred must be a true call or declared start-up order."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers import datasets_dir
from opsgraph.app import sample_estate_path
from opsgraph.schema import GraphSchema, load_schema
from opsgraph.sources import Facts, SourceConfig, SourceMapping, read_source

TOPOLOGIES = datasets_dir() / "topologies"
RAW = TOPOLOGIES / "raw"
CATALOGS = datasets_dir() / "catalogs"


@pytest.fixture(scope="module")
def schema() -> GraphSchema:
    return load_schema(sample_estate_path() / "schema.yaml")


def known_edges(system: str) -> set[tuple[str, str]]:
    data = json.loads((TOPOLOGIES / f"{system}.json").read_text(encoding="utf-8"))
    return {(e["src"], e["dst"]) for e in data["edges"]}


def known_nodes(system: str) -> dict[str, str]:
    data = json.loads((TOPOLOGIES / f"{system}.json").read_text(encoding="utf-8"))
    return {n["name"]: n["kind"] for n in data["nodes"]}


def inferred(facts: Facts) -> set[tuple[str, str]]:
    return {(r["from"], r["to"]) for r in facts.edges.get("DEPENDS_ON", [])}


def read(kind: str, path: Path, schema: GraphSchema, known: Any = None, **mapping: Any) -> Facts:
    return read_source(SourceConfig(name="real", kind=kind, path=path, mapping=SourceMapping(**mapping)), schema, known_ids=known)


def test_online_boutique_manifests_give_all_17_known_edges(schema: GraphSchema) -> None:
    known = known_edges("online_boutique")
    assert len(known) == 17
    # shoppingassistantservice is an optional add-on: frontend's env names it, but its Deployment is not in
    # these manifests. An estate that holds it (the store, through known_ids) keeps the edge.
    facts = read("kubernetes", RAW / "online_boutique_kubernetes-manifests.yaml", schema,
                 known=lambda ids: {i: "Service" for i in ids if i == "shoppingassistantservice"})
    assert inferred(facts) == known
    assert facts.count() == {"Service": 12, "DEPENDS_ON": 17}
    assert facts.skipped == {"ServiceAccount": 11}
    assert facts.problems == []
    evidence = {(r["from"], r["to"]): r["_evidence"] for r in facts.edges["DEPENDS_ON"]}
    for src, dst in known:  # the known graph's evidence is the env var; ours names it with its value
        key = next(e["evidence"] for e in json.loads((TOPOLOGIES / "online_boutique.json").read_text())["edges"]
                   if (e["src"], e["dst"]) == (src, dst))
        assert f" env {key}=" in evidence[(src, dst)]
    frontend = next(r for r in facts.nodes["Service"] if r["id"] == "frontend")
    assert "/microservices-demo/frontend:v" in frontend["image"]
    assert frontend["version"] == frontend["image"].rsplit(":", 1)[1]
    assert frontend["replicas"] == 1 and frontend["port"] == 8080


def test_online_boutique_without_the_store_reports_the_missing_addon(schema: GraphSchema) -> None:
    facts = read("kubernetes", RAW / "online_boutique_kubernetes-manifests.yaml", schema)
    assert inferred(facts) == known_edges("online_boutique") - {("frontend", "shoppingassistantservice")}
    (problem,) = facts.problems
    assert "'shoppingassistantservice' is neither in this source nor in the store" in problem.message
    assert "SHOPPING_ASSISTANT_SERVICE_ADDR=shoppingassistantservice:80" in problem.message


def test_sock_shop_manifests(schema: GraphSchema) -> None:
    facts = read("kubernetes", RAW / "sock_shop_complete-demo.yaml", schema)
    nodes = {r["id"] for r in facts.nodes["Service"]}
    assert nodes == set(known_nodes("sock_shop"))  # all 14 workloads, datastores included
    # Sock Shop hard-codes most addresses in code; its one env address is user -> user-db.
    assert inferred(facts) == {("user", "user-db")}
    assert inferred(facts) <= known_edges("sock_shop")
    (problem,) = facts.problems  # ZIPKIN names a Service in a namespace these manifests do not hold
    assert "zipkin" in problem.message and problem.file.startswith("sock_shop_complete-demo.yaml#")


@pytest.mark.parametrize(
    ("file", "system", "services", "edges", "true_edges"),
    [
        ("dsb_socialNetwork_docker-compose.yml", "deathstarbench_social_network", 27, 19, 5),
        ("dsb_hotelReservation_docker-compose.yml", "deathstarbench_hotel_reservation", 24, 22, 22),
        ("train_ticket_quickstart-docker-compose.yml", "train_ticket", 68, 1, 0),
    ],
)
def test_compose_files(schema: GraphSchema, file: str, system: str, services: int, edges: int, true_edges: int) -> None:
    facts = read("compose", RAW / file, schema)
    assert facts.count().get("Service") == services
    got = inferred(facts)
    assert len(got) == edges
    assert len(got & known_edges(system)) == true_edges
    assert facts.problems == []
    # what is not in the call graph is declared start-up order on tracing or a datastore: never invented
    for src, dst in got - known_edges(system):
        row = next(r for r in facts.edges["DEPENDS_ON"] if (r["from"], r["to"]) == (src, dst))
        assert ".depends_on=" in row["_evidence"], row


def test_backstage_examples_catalog(schema: GraphSchema) -> None:
    facts = read("backstage", CATALOGS / "backstage-examples", schema, types={"Resource": "Datastore"})
    # SOURCE.txt: 13 Components, 11 APIs, 3 Systems, 3 Domains, 1 Resource, 8 Groups, 17 Users, 8 Locations
    assert facts.count() == {"Team": 8, "Person": 17, "Service": 13, "Datastore": 1, "MEMBER_OF": 17, "OWNS": 11, "DEPENDS_ON": 2}
    assert facts.skipped == {"<not a catalog entity>": 1, "API": 11, "Domain": 3, "System": 3}
    assert inferred(facts) == {("artist-lookup", "artists-db"), ("wayback-search", "wayback-archive")}
    problems = sorted(f"{p.file} {p.field}" for p in facts.problems)
    assert problems == [
        "all.yaml#1 spec.target",  # ./all-ai-resources.yaml is listed but not in the copy (SOURCE.txt)
        "components/playback-order-component.yaml#1 OWNS",  # owned by a User: OWNS takes a Team here
        "components/searcher-component.yaml#1 OWNS",
        "components/shuffle-api-component.yaml#1 OWNS",
        "components/www-artist-component.yaml#1 spec.consumesApis",  # consumes a Component, not an API (SOURCE.txt)
    ]


def test_backstage_examples_from_the_root_location(schema: GraphSchema) -> None:
    facts = read("backstage", CATALOGS / "backstage-examples" / "all.yaml", schema)
    assert len(facts.files) == 37  # all.yaml and everything its Locations reach
    assert facts.count()["Service"] == 13
    # Groups are not reachable from all.yaml (acme-corp.yaml is a separate root): owners dangle.
    assert any(p.message.startswith("dangling reference 'team-a'") for p in facts.problems)


def test_backstage_showcase_catalog(schema: GraphSchema) -> None:
    facts = read("backstage", CATALOGS / "backstage-showcase", schema, types={"Resource": "Datastore"})
    assert facts.count() == {"Service": 2, "Team": 2, "Datastore": 5, "OWNS": 7, "DEPENDS_ON": 5}
    assert inferred(facts) == {("backstage-showcase", r) for r in ("pgdb", "argocd", "obc", "keycloak", "github")}
    assert facts.problems == []


# --- the sample estate's own manifests and catalog, against a real store -----------------------------


@pytest.fixture(scope="module")
def store_ids(tmp_path_factory: pytest.TempPathFactory):
    from opsgraph.app import OpsGraph, Settings

    # The estate's schema and nodes are all `known_ids` needs (edges, docs and telemetry would only cost time).
    estate = tmp_path_factory.mktemp("estate")
    shutil.copy(sample_estate_path() / "schema.yaml", estate / "schema.yaml")
    shutil.copytree(sample_estate_path() / "nodes", estate / "nodes")
    home = tmp_path_factory.mktemp("home")
    with OpsGraph(Settings(home=home, embed={"provider": "none"})) as og:
        og.ingest(estate, documents=False)

        def known_ids(ids: list[str]) -> dict[str, str]:
            rows = og.query("MATCH (n) WHERE n.id IN $ids RETURN n.id AS id, labels(n)[0] AS t", {"ids": ids}, limit=100_000).rows
            return {r["id"]: r["t"] for r in rows}

        yield known_ids


def estate_rows(name: str) -> list[dict[str, Any]]:
    text = (sample_estate_path() / "edges" / name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines())) if name.endswith(".csv") else yaml.safe_load(text)


def estate_edges(name: str) -> set[tuple[str, str]]:
    return {(r["from"], r["to"]) for r in estate_rows(name)}


def test_sample_manifests_agree_with_the_estate(schema: GraphSchema, store_ids) -> None:
    # No mapping needed: the two Redis StatefulSets are Datastores because the store holds them as such.
    facts = read("kubernetes", sample_estate_path() / "k8s", schema, known=store_ids)
    assert facts.problems == []
    assert facts.count() == {"Service": 14, "Datastore": 2, "DEPENDS_ON": 18, "OWNS": 16}
    depends = estate_edges("DEPENDS_ON.csv")
    in_cluster = {(a, b) for a, b in depends if b in facts.node_ids()}
    assert inferred(facts) == in_cluster  # every service-to-service edge and the two in-cluster Redis
    assert {(r["from"], r["to"]) for r in facts.edges["OWNS"]} <= estate_edges("OWNS.yaml")
    keys = {(r["from"], r["to"]): r["config_key"] for r in facts.edges["DEPENDS_ON"]}
    expected_keys = {(r["from"], r["to"]): r["config_key"] for r in estate_rows("DEPENDS_ON.csv")}
    assert all(keys[k] == expected_keys[k] for k in keys)
    stored = store_ids(sorted(facts.node_ids()))
    assert stored == facts.node_ids()  # same ids and types as the hand-written estate


def test_sample_catalog_agrees_with_the_estate(schema: GraphSchema, store_ids) -> None:
    # No mapping needed: the Resources are Datastores because the store holds them as such.
    facts = read("backstage", sample_estate_path() / "catalog", schema, known=store_ids)
    assert facts.count()["Datastore"] == 3 and facts.skipped == {"API": 3, "Domain": 1, "System": 1}
    assert facts.problems == []
    assert facts.files == ["apis.yaml", "catalog-info.yaml"]
    assert inferred(facts) <= estate_edges("DEPENDS_ON.csv")
    assert ("checkoutservice", "paymentservice") in inferred(facts)  # through consumesApis api:payment-api
    assert {(r["from"], r["to"]) for r in facts.edges["OWNS"]} <= estate_edges("OWNS.yaml")
    assert {(r["from"], r["to"]) for r in facts.edges["MEMBER_OF"]} <= estate_edges("MEMBER_OF.yaml")
    assert store_ids(sorted(facts.node_ids())) == facts.node_ids()
