"""'What was behind X?' is read as 'what caused X?' only when X is a linked entity of a type the schema's cause edge
starts from; "lagging behind", "is behind on" and an X the cause edge does not start from are left as they are."""

from __future__ import annotations

from dataclasses import dataclass

from opsgraph.rag.behind import behind_as_cause
from opsgraph.rag.lexicon import Lexicon
from opsgraph.schema import GraphSchema


@dataclass(frozen=True)
class Link:
    node_id: str
    node_type: str
    surface: str
    score: float = 1.0


def test_behind_an_incident_is_its_cause(schema: GraphSchema, lexicon: Lexicon) -> None:
    q = "what was behind INC-7?"
    out = behind_as_cause(q, [Link("INC-7", "Incident", "INC-7")], schema, lexicon)
    assert out.split() == ["what", "caused", "INC-7?"]
    assert len(out) == len(q) and out.index("INC-7") == q.index("INC-7")  # offsets kept for the anchors
    q = "what was behind the checkout outage?"
    assert behind_as_cause(q, [Link("INC-7", "Incident", "checkout outage")], schema, lexicon).split()[:2] == ["what", "caused"]


def test_near_miss_behind_anything_else_is_left_alone(schema: GraphSchema, lexicon: Lexicon) -> None:
    svc = [Link("checkoutservice", "Service", "checkoutservice")]
    for q in ("what was behind checkoutservice?", "checkoutservice is lagging behind, what now?", "is checkoutservice behind on events?"):
        assert behind_as_cause(q, svc, schema, lexicon) == q
    assert behind_as_cause("what was behind it?", [], schema, lexicon) == "what was behind it?"
