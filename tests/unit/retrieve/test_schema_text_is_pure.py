"""The schema text prompts see: built from described types and the declared schema only, with excluded types left out."""

from __future__ import annotations

from helpers import SMALL_SCHEMA
from opsgraph.retrieve import prompt_schema, render_schema
from opsgraph.schema.loader import parse_schema
from opsgraph.store import LiveType

TYPES = [
    LiveType("Service", "node", 3, {"name": "STRING", "port": "INTEGER"}),
    LiveType("Chunk", "node", 40, {"text": "STRING"}),
    LiveType("DEPENDS_ON", "edge", 2, {"critical": "BOOLEAN"}, [("Service", "Service")]),
    LiveType("OWNS", "edge", 0),
]


def test_render_schema_lists_nodes_edges_counts_and_directions() -> None:
    text = render_schema(TYPES, parse_schema(SMALL_SCHEMA))
    assert text.splitlines()[0] == "Estate: small"
    assert "  (:Service) [3] {name: STRING, port: INTEGER}" in text
    assert "  (:Service)-[:DEPENDS_ON {critical: BOOLEAN}]->(:Service) [2]" in text
    # No endpoints seen in the data: the declared ends stand in.
    assert "  (:Team)-[:OWNS]->(:Service) [0]" in text


def test_render_schema_without_a_declared_schema() -> None:
    text = render_schema(TYPES[:1], None)
    assert text.splitlines() == ["Node types:", "  (:Service) [3] {name: STRING, port: INTEGER}", "Relationships:"]


def test_prompt_schema_leaves_out_the_excluded_types() -> None:
    schema = parse_schema(SMALL_SCHEMA)
    assert "Chunk" in prompt_schema(TYPES, schema)
    text = prompt_schema(TYPES, schema, exclude={"Chunk"})
    assert "Chunk" not in text and "(:Service) [3]" in text
