"""Planning graph queries from the schema and the question's words (no store needed)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from opsgraph.app import sample_estate_path
from opsgraph.retrieve.planner import SchemaPathRetriever
from opsgraph.schema import load_schema


@dataclass(frozen=True)
class Entity:
    node_id: str
    node_type: str
    score: float = 1.0


class FixedLinker:
    """Links exactly the ids it was given when they appear in the text (a unit-test fake)."""

    def __init__(self, known: dict[str, str]) -> None:
        self.known = known

    def link(self, text: str) -> list[Entity]:
        return [Entity(i, t) for i, t in self.known.items() if i in text.lower()]


@pytest.fixture(scope="module")
def planner() -> SchemaPathRetriever:
    schema = load_schema(sample_estate_path() / "schema.yaml")
    linker = FixedLinker({"paymentservice": "Service", "redis-cart": "Datastore", "checkoutservice": "Service"})
    return SchemaPathRetriever(store=None, schema=schema, linker=linker)  # type: ignore[arg-type]


def test_what_depends_on_walks_dependency_edges_inwards(planner: SchemaPathRetriever) -> None:
    plan = planner.plan("Which services depend on paymentservice?")
    assert plan is not None
    assert plan.cypher().startswith("MATCH (n0:Service {id: $anchor})<-[:DEPENDS_ON]-(n1:Service)")
    indirect = planner.plan("Which services depend on paymentservice indirectly?")
    assert indirect is not None and "<-[:DEPENDS_ON*1..6]-(n1:Service)" in indirect.cypher()


def test_what_breaks_uses_the_dependency_edge(planner: SchemaPathRetriever) -> None:
    plan = planner.plan("What breaks if paymentservice is down?")
    assert plan is not None and "<-[:DEPENDS_ON*1..6]-" in plan.cypher()


def test_what_x_depends_on_walks_outwards(planner: SchemaPathRetriever) -> None:
    plan = planner.plan("What does checkoutservice depend on?")
    assert plan is not None and plan.cypher().startswith("MATCH (n0:Service {id: $anchor})-[:DEPENDS_ON")


def test_passive_relation_with_target_type(planner: SchemaPathRetriever) -> None:
    plan = planner.plan("Which incidents were caused by redis-cart?")
    assert plan is not None
    assert plan.cypher().startswith("MATCH (n0:Datastore {id: $anchor})<-[:CAUSED_BY]-(n1:Incident)")


def test_chain_with_bridge_through_ownership(planner: SchemaPathRetriever) -> None:
    plan = planner.plan("Who is on call for the services that depend on paymentservice?")
    assert plan is not None
    cypher = plan.cypher()
    assert "<-[:DEPENDS_ON]-(n1:Service)" in cypher
    assert "<-[:OWNS]-(n2:Team)" in cypher
    assert "<-[:ON_CALL_FOR]-(n3:Person)" in cypher


def test_no_anchor_means_no_plan(planner: SchemaPathRetriever) -> None:
    assert planner.plan("Which services depend on the moon?") is None


def test_anchor_id_is_a_parameter_not_text(planner: SchemaPathRetriever) -> None:
    plan = planner.plan("Which services depend on paymentservice?")
    assert plan is not None and "paymentservice" not in plan.cypher()


def test_outgoing_edge_to_several_types_stays_open(planner: SchemaPathRetriever) -> None:
    plan = planner.plan("What does checkoutservice depend on?")
    assert plan is not None
    assert plan.cypher().startswith("MATCH (n0:Service {id: $anchor})-[:DEPENDS_ON]->(n1) ")


def test_a_named_relation_is_not_mistaken_for_impact(planner: SchemaPathRetriever) -> None:
    plan = planner.plan("Which incidents affected redis-cart?")
    assert plan is not None
    assert plan.cypher().startswith("MATCH (n0:Datastore {id: $anchor})<-[:AFFECTED]-(n1:Incident)")
