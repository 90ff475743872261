"""`Shaper.adopt_edges`: a re-sync adopts a workload's kept edge rows in one call; a row already held is not added twice."""

from __future__ import annotations

from opsgraph.schema import GraphSchema
from opsgraph.sources import Facts, SourceMapping
from opsgraph.sources.base import Shaper


def test_bulk_adoption_adds_new_rows_once_and_returns_only_those(schema: GraphSchema) -> None:
    facts = Facts(source="k8s", kind="kubernetes")
    shaper = Shaper(schema, SourceMapping(), facts)
    shaper.edge("DEPENDS_ON", "a", "b", {"config_key": "B_URL"}, "a.yaml#1 env B_URL=http://b")
    kept = [
        {"from": "a", "to": "b", "config_key": "OLD", "_evidence": "kept"},  # already shaped in this read: the first row stays
        {"from": "a", "to": "c", "config_key": "C_URL", "_evidence": "a.yaml#1 env C_URL=c"},
        {"from": "a", "to": "c", "config_key": "C_URL", "_evidence": "a.yaml#1 env C_URL=c"},
    ]
    adopted = shaper.adopt_edges("DEPENDS_ON", kept)
    assert adopted == [("DEPENDS_ON", "a", "c")]
    rows = facts.edges["DEPENDS_ON"]
    assert [(r["from"], r["to"], r["config_key"]) for r in rows] == [("a", "b", "B_URL"), ("a", "c", "C_URL")]
    assert shaper.has_edge("DEPENDS_ON", "a", "c")
    assert shaper.adopt_edges("OWNS", []) == [] and "OWNS" not in facts.edges
