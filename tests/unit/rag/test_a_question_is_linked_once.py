"""`Answerer.links` links one question once: every step of the pipeline (shape, compose, impact, paging) asks for the
question's links again, and the entity linker is the costly part. The memo is keyed by the exact question, bounded,
and holds only entities of the schema's types."""

from __future__ import annotations

from dataclasses import dataclass

from memory_store import MemoryStore
from opsgraph.rag.answering import _LINK_MEMO, Answerer
from opsgraph.schema import GraphSchema


@dataclass(frozen=True)
class _Link:
    node_id: str
    node_type: str
    surface: str
    score: float = 1.0


class _CountingLinker:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def link(self, text: str) -> list[_Link]:
        self.calls.append(text)
        return [_Link("paymentservice", "Service", "payment"), _Link("x", "NoSuchType", "x")]


def test_each_question_is_linked_once_and_the_memo_is_bounded(schema: GraphSchema) -> None:
    linker = _CountingLinker()
    answerer = Answerer(MemoryStore(schema, nodes={"Service": [{"id": "paymentservice", "name": "Payment Service"}]}), schema, linker=linker)  # type: ignore[arg-type]
    first = answerer.links("who owns payment?")
    again = answerer.links("who owns payment?")
    assert [x.node_id for x in first] == [x.node_id for x in again] == ["paymentservice"]  # other types left out
    assert linker.calls == ["who owns payment?"]
    first.clear()  # a caller's list is its own
    assert [x.node_id for x in answerer.links("who owns payment?")] == ["paymentservice"]
    for i in range(_LINK_MEMO):
        answerer.links(f"question {i}")
    answerer.links("who owns payment?")  # pushed out by newer questions: linked again
    assert linker.calls.count("who owns payment?") == 2
    assert len(answerer._link_memo) == _LINK_MEMO
