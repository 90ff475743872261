"""The docker-compose reader: services, declared dependencies in every form, environment values
that name another service, networks, images, ownership labels and malformed files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from helpers import write
from opsgraph.sources import Facts, SourceError

COMPOSE = """\
version: "3.9"
x-common: &common
  restart: always
services:
  web:
    <<: *common
    image: registry.example/web:2.3.1
    ports: ["8080:80", "9090:9090"]
    networks: [front, back]
    depends_on: [api]
    environment:
      - API_URL=http://api:5000/v1
      - CACHE=redis-host:6379
      - DEBUG=false
    labels:
      team: storefront
  api:
    image: registry.example/api@sha256:feed
    networks:
      back:
        aliases: [api-internal]
    depends_on:
      db: {condition: service_healthy}
    links: ["auth:login"]
    environment:
      QUEUE: amqp://guest:guest@mq:5672/
      PEERS: "worker:7000,web:80"
    deploy: {replicas: 3}
    labels: ["owner=platform"]
  worker:
    image: worker
    environment: {TARGET: "http://api-internal:5000"}
  cache:
    image: redis:7
    hostname: redis-host
  db:
    image: postgres:16.2
    ports: [{target: 5432, published: 15432}]
  mq:
    image: rabbitmq:3-management
  auth:
    image: auth:0.9
"""


def edges(facts: Facts, edge_type: str = "DEPENDS_ON") -> set[tuple[str, str]]:
    return {(r["from"], r["to"]) for r in facts.edges.get(edge_type, [])}


def nodes(facts: Facts, node_type: str = "Service") -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in facts.nodes.get(node_type, [])}


@pytest.fixture
def facts(tmp_path: Path, read) -> Facts:
    return read("compose", write(tmp_path / "docker-compose.yml", COMPOSE), known={"storefront": "Team"}, types={"db": "Datastore"})


def test_services_become_nodes_with_image_version_networks(facts: Facts) -> None:
    services = nodes(facts)
    assert set(services) == {"web", "api", "worker", "cache", "mq", "auth"}
    assert set(nodes(facts, "Datastore")) == {"db"}
    assert services["web"]["version"] == "2.3.1"
    assert services["web"]["networks"] == ["front", "back"]
    assert services["web"]["port"] == 80
    assert services["api"]["version"] == "sha256:feed"
    assert services["api"]["networks"] == ["back"]
    assert services["api"]["replicas"] == 3
    assert services["cache"]["version"] == "7"
    assert "version" not in services["worker"]  # no tag
    assert services["web"]["_evidence"] == "docker-compose.yml#1 services.web=registry.example/web:2.3.1"


def test_declared_and_inferred_dependencies(facts: Facts) -> None:
    assert edges(facts) == {
        ("web", "api"),  # depends_on list + URL in environment list
        ("web", "cache"),  # host:port naming a hostname
        ("api", "db"),  # depends_on map form
        ("api", "auth"),  # links svc:alias
        ("api", "mq"),  # URL with user info in environment map
        ("api", "worker"),  # comma list
        ("api", "web"),
        ("worker", "api"),  # a network alias
    }
    by_pair = {(r["from"], r["to"]): r for r in facts.edges["DEPENDS_ON"]}
    assert by_pair[("web", "api")]["_evidence"] == "docker-compose.yml#1 services.web.depends_on=api"
    assert by_pair[("web", "cache")]["config_key"] == "CACHE"
    assert by_pair[("api", "mq")]["_evidence"] == "docker-compose.yml#1 services.api.environment QUEUE=amqp://guest:guest@mq:5672/"
    assert by_pair[("api", "auth")]["_evidence"] == "docker-compose.yml#1 services.api.links=auth:login"


def test_team_labels_in_list_and_map_form(facts: Facts) -> None:
    assert edges(facts, "OWNS") == {("storefront", "web")}
    (problem,) = facts.problems
    assert problem.field == "services.api.labels owner" and "'platform' is not a known Team" in problem.message


def test_a_folder_merges_compose_files_and_ignores_other_yaml(tmp_path: Path, read) -> None:
    write(tmp_path / "docker-compose.yml", "services:\n  web: {image: 'web:1', depends_on: [api]}\n  api: {image: 'api:1'}\n")
    write(tmp_path / "docker-compose.override.yml", "services:\n  web: {image: 'web:2', environment: [DB=db:5432]}\n  db: {image: 'pg:16'}\n")
    write(tmp_path / "values.yaml", "{{ not compose }}: [")
    facts = read("compose", tmp_path)
    assert facts.files == ["docker-compose.override.yml", "docker-compose.yml"]
    assert nodes(facts)["web"]["version"] == "2"  # the first file read wins a property
    assert edges(facts) == {("web", "api"), ("web", "db")}


def test_a_dependency_on_an_undefined_service_is_a_problem(tmp_path: Path, read) -> None:
    facts = read("compose", write(tmp_path / "compose.yaml", "services:\n  web: {depends_on: [ghost]}\n"))
    assert edges(facts) == set()
    assert "'ghost' is neither in this source nor in the store" in facts.problems[0].message


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("services: [web, api]\n", "services"),
        ("just text\n", "services"),
        ("services:\n  web: {environment: 3}\n", "services.web.environment"),
        ("services:\n  web: {depends_on: api}\n", "services.web.depends_on"),
        ("services:\n  web: 5\n", "services.web"),
    ],
)
def test_malformed_compose_files_are_errors(tmp_path: Path, read, text: str, field: str) -> None:
    with pytest.raises(SourceError) as err:
        read("compose", write(tmp_path / "compose.yml", text))
    assert (err.value.file, err.value.document, err.value.field) == ("compose.yml", 1, field)
    assert "expected" in str(err.value)


def test_a_service_the_store_holds_as_a_datastore_stays_one(tmp_path: Path, read) -> None:
    path = write(tmp_path / "compose.yml", "services:\n  web: {depends_on: [db]}\n  db: {image: 'postgres:16'}\n")
    facts = read("compose", path, known={"db": "Datastore"})
    assert set(nodes(facts, "Datastore")) == {"db"} and set(nodes(facts)) == {"web"}
    assert edges(facts) == {("web", "db")}
