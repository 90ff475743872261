"""The Backstage reader: multi-document catalogs, Locations, every entity kind and relation,
entity references with Backstage's defaults, and dangling references reported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from helpers import write
from opsgraph.sources import Facts
from opsgraph.sources.backstage import parse_ref

ROOT = """\
apiVersion: backstage.io/v1alpha1
kind: Location
metadata: {name: root}
spec:
  targets: [./teams/*.yaml, ./apis.yaml, https://github.com/acme/other/blob/main/catalog-info.yaml, ./missing.yaml]
---
apiVersion: backstage.io/v1alpha1
kind: Domain
metadata: {name: commerce}
spec: {owner: payments}
---
apiVersion: backstage.io/v1alpha1
kind: System
metadata: {name: shop}
spec: {owner: payments, domain: commerce}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: checkout, title: Checkout, description: Takes orders., tags: [go]}
spec:
  type: service
  lifecycle: production
  owner: payments
  system: shop
  consumesApis: [payment-api, 'api:default/missing-api']
  dependsOn: ['resource:orders-db', 'component:legacy', 'ledger']
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: payment}
spec:
  type: service
  lifecycle: production
  owner: group:default/payments
  providesApis: [payment-api]
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata: {name: orders-db}
spec: {type: database, owner: payments, dependencyOf: ['component:payment']}
"""

TEAMS = """\
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: payments}
spec:
  type: team
  profile: {displayName: Payments Team, email: pay@example.com}
  children: []
  members: [ana]
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: ana}
spec:
  profile: {displayName: Ana Lima, email: ana@example.com}
  memberOf: [payments, 'group:ops']
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: bo, namespace: contractors}
spec:
  memberOf: ['default/payments']
"""

APIS = """\
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {name: payment-api}
spec: {type: grpc, lifecycle: production, owner: payments, definition: "service Pay {}"}
"""


def edges(facts: Facts, edge_type: str = "DEPENDS_ON") -> set[tuple[str, str]]:
    return {(r["from"], r["to"]) for r in facts.edges.get(edge_type, [])}


def nodes(facts: Facts, node_type: str = "Service") -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in facts.nodes.get(node_type, [])}


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    write(tmp_path / "teams" / "payments.yaml", TEAMS)
    write(tmp_path / "apis.yaml", APIS)
    return write(tmp_path / "catalog-info.yaml", ROOT)


@pytest.fixture
def facts(catalog: Path, read) -> Facts:
    return read("backstage", catalog, known={"legacy": "Service"}, types={"Resource": "Datastore"})


def test_locations_are_followed_relative_to_their_file(facts: Facts) -> None:
    assert facts.files == ["catalog-info.yaml", "teams/payments.yaml", "apis.yaml"]
    url, missing = [p for p in facts.problems if p.field == "spec.target"]
    assert url.file == "catalog-info.yaml#1" and "is a URL, not a local file" in url.message
    assert "'./missing.yaml' names no file" in missing.message


def test_kinds_become_node_types_or_are_counted(facts: Facts) -> None:
    assert set(nodes(facts)) == {"checkout", "payment"}
    assert set(nodes(facts, "Datastore")) == {"orders-db"}
    assert set(nodes(facts, "Team")) == {"payments"}
    assert set(nodes(facts, "Person")) == {"ana", "bo"}
    assert facts.skipped == {"Domain": 1, "System": 1, "API": 1}
    checkout = nodes(facts)["checkout"]
    assert (checkout["name"], checkout["description"], checkout["lifecycle"], checkout["tags"]) == ("Checkout", "Takes orders.", "production", ["go"])
    assert nodes(facts, "Team")["payments"] == {
        "id": "payments", "name": "Payments Team", "email": "pay@example.com", "_evidence": "teams/payments.yaml#1 Group=group:default/payments"
    }
    assert nodes(facts, "Datastore")["orders-db"]["type"] == "database"


def test_relations_become_edges(facts: Facts) -> None:
    assert edges(facts, "OWNS") == {("payments", "checkout"), ("payments", "payment"), ("payments", "orders-db")}
    assert edges(facts, "MEMBER_OF") == {("ana", "payments"), ("bo", "payments")}
    assert edges(facts) == {
        ("checkout", "orders-db"),  # dependsOn resource:
        ("checkout", "legacy"),  # dependsOn to an entity the store knows
        ("payment", "orders-db"),  # dependencyOf, reversed
        ("checkout", "payment"),  # consumes an API that payment provides
    }
    by_pair = {(r["from"], r["to"]): r["_evidence"] for r in facts.edges["DEPENDS_ON"]}
    assert by_pair[("checkout", "payment")] == "catalog-info.yaml#4 consumesApis=api:payment-api provided by payment"
    assert by_pair[("checkout", "orders-db")] == "catalog-info.yaml#4 spec.dependsOn=resource:orders-db"


def test_dangling_and_kindless_references_are_problems(facts: Facts) -> None:
    found = {(p.file, p.field, p.message) for p in facts.problems if p.field != "spec.target"}
    assert found == {
        ("catalog-info.yaml#4", "spec.consumesApis", "dangling reference 'api:default/missing-api': no api:missing-api in the catalog or the store"),
        ("catalog-info.yaml#4", "spec.dependsOn", "'ledger' needs a kind (e.g. component:ledger); dependsOn has no default kind"),
        ("teams/payments.yaml#2", "spec.memberOf", "dangling reference 'group:ops': no group:ops in the catalog or the store"),
    }


def test_without_the_store_an_unknown_target_is_dangling(catalog: Path, read) -> None:
    facts = read("backstage", catalog, types={"Resource": "Datastore"})
    assert ("checkout", "legacy") not in edges(facts)
    assert any("dangling reference 'component:legacy'" in p.message for p in facts.problems)


@pytest.mark.parametrize(
    ("ref", "default", "expected"),
    [
        ("Component:Prod/Cart", None, ("component", "prod", "cart")),
        ("cart", "group", ("group", "here", "cart")),
        ("team/cart", "group", ("group", "team", "cart")),
        ("user:jo", "group", ("user", "here", "jo")),
        ("cart", None, (None, "here", "cart")),
    ],
)
def test_entity_references_use_backstage_defaults(ref: str, default: str | None, expected) -> None:
    assert parse_ref(ref, default, "here") == expected


def test_names_repeated_across_namespaces_get_qualified_ids(tmp_path: Path, read) -> None:
    text = "\n---\n".join(
        f"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {{name: web, namespace: {ns}}}\nspec: {{owner: x}}"
        for ns in ("default", "staging")
    )
    facts = read("backstage", write(tmp_path / "c.yaml", text), known={"x": "Team"})
    assert set(nodes(facts)) == {"web", "web.staging"}
    assert edges(facts, "OWNS") == {("x", "web"), ("x", "web.staging")}


def test_a_second_definition_of_an_entity_is_reported(tmp_path: Path, read) -> None:
    one = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: web}\nspec: {}\n"
    facts = read("backstage", write(tmp_path / "c.yaml", one + "---\n" + one))
    assert len(facts.nodes["Service"]) == 1
    assert facts.problems[0].file == "c.yaml#2" and "defined again" in facts.problems[0].message


def test_an_entity_without_a_name_is_an_error(tmp_path: Path, read) -> None:
    from opsgraph.sources import SourceError

    with pytest.raises(SourceError) as err:
        read("backstage", write(tmp_path / "c.yaml", "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {}\n"))
    assert (err.value.file, err.value.document, err.value.field) == ("c.yaml", 1, "metadata.name")


def test_a_resource_the_store_holds_as_a_datastore_becomes_one(catalog: Path, read) -> None:
    facts = read("backstage", catalog, known={"orders-db": "Datastore", "legacy": "Service"})
    assert set(nodes(facts, "Datastore")) == {"orders-db"}  # no `types` mapping needed
    assert ("checkout", "orders-db") in edges(facts)
