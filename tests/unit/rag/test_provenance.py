""""Come from V" is explained by a filter on the value V; with no such value (or a filter on another) "come" is left."""

from __future__ import annotations

from opsgraph.rag.explained import QueryFacts, unexplained_words
from opsgraph.rag.provenance import come_from_value
from opsgraph.schema import GraphSchema

SCHEMA = GraphSchema.model_validate(
    {
        "version": 1,
        "name": "vendors",
        "nodes": {"Vendor": {"properties": {"name": "string", "vendor": {"type": "string", "indexed": True}}}, "Queue": {"properties": {"name": "string"}}},
        "edges": {"PUBLISHES": {"from": "Vendor", "to": "Queue"}},
    }
)
BY_VENDOR = "MATCH (x:Vendor) WHERE x.vendor = $v RETURN DISTINCT x.id AS id"
VALUES = {"google": ["google cloud"], "cloud": ["google cloud"], "acme": ["acme"]}


def left(question: str, cypher: str, params: dict[str, str], surfaces: tuple[str, ...] = ()) -> list[str]:
    return unexplained_words(question, QueryFacts.of(cypher, params, SCHEMA), SCHEMA, surfaces=surfaces, values=VALUES)


def test_come_from_a_value_filtered_on_is_explained() -> None:
    assert left("which vendors come from Google Cloud?", BY_VENDOR, {"v": "google cloud"}) == []
    assert come_from_value("it came from acme", lambda w: w == "acme") == "it " + " " * len("came from ") + "acme"


def test_near_miss_come_from_without_that_value_is_still_unexplained() -> None:
    assert "come" in left("which vendors come from Google Cloud?", BY_VENDOR, {"v": "acme"})
    walk = "MATCH (x:Vendor)-[:PUBLISHES]->(q:Queue {id: $id}) RETURN x.id AS id"
    assert "come" in left("where does the events queue data come from?", walk, {"id": "events"}, ("events",))
    assert come_from_value("where does it come from?", lambda w: True) == "where does it come from?"
