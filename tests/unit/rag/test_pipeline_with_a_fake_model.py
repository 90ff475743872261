"""The answer pipeline's own rules, with a scripted model standing in (a unit-test fake)."""

from __future__ import annotations

from typing import Any

from opsgraph.llm import Completion
from opsgraph.rag import GraphRAG, Router
from opsgraph.retrieve.base import BaseRetriever, Hit


class ScriptedModel:
    """Returns the given texts in turn and records the prompts."""

    name = "scripted"

    def __init__(self, *texts: str) -> None:
        self.texts = list(texts)
        self.prompts: list[Any] = []

    def open(self) -> None: ...
    def close(self) -> None: ...

    def complete(self, messages: Any, **kwargs: Any) -> Completion:
        self.prompts.append(messages)
        return Completion(text=self.texts.pop(0), prompt_tokens=10, completion_tokens=5, latency_ms=1.0, model="scripted", finish_reason="stop")


class Fixed(BaseRetriever):
    def __init__(self, name: str, hits: list[Hit], detail: dict[str, Any] | None = None) -> None:
        self.name = name
        self.hits = hits
        self.detail = detail or {}

    def _retrieve(self, query: str, k: int, filters: dict[str, Any]) -> tuple[list[Hit], dict[str, Any]]:
        return list(self.hits), dict(self.detail)


DOCS = [Hit(f"docs/a.md#{i}", "chunk", 1.0 - i / 10, f"chunk text {i}") for i in range(3)]
ROWS = [Hit(s, "row", 2.0 - i, f"Service {s}", detail={"row": {"id": s}, "cypher": "MATCH ..."}) for i, s in enumerate(["checkoutservice", "frontend"])]


def test_unknown_citations_are_dropped_and_reported() -> None:
    model = ScriptedModel("Use the runbook [2] and also [7].")
    rag = GraphRAG(llm=model, router=Router(), documents=[Fixed("vector", DOCS)])
    answer = rag.ask("how do I fix it?")
    assert [c.n for c in answer.citations] == [2]
    assert answer.citations[0].source_id == "docs/a.md#1"
    assert answer.dropped_citations == [7]
    assert "[7]" not in answer.text
    assert any("not in the context" in n for n in answer.notes)


def test_uncited_answer_is_flagged_not_grounded() -> None:
    rag = GraphRAG(llm=ScriptedModel("It is fine."), router=Router(), documents=[Fixed("vector", DOCS)])
    answer = rag.ask("how do I fix it?")
    assert answer.citations == []
    assert any("not grounded" in n for n in answer.notes)


def test_rows_answer_keeps_rows_and_drops_an_invented_count() -> None:
    model = ScriptedModel("7 services depend on payment.")
    rag = GraphRAG(llm=model, router=Router(), structured=[Fixed("schema_path", ROWS, {"cypher": "MATCH ..."})])
    answer = rag.ask("which services depend on payment?")
    assert answer.rows == [{"id": "checkoutservice"}, {"id": "frontend"}]
    assert answer.cypher == "MATCH ..."
    assert "7" not in answer.text.splitlines()[0]
    assert "checkoutservice" in answer.text and "frontend" in answer.text
    assert any("numbers not in the rows" in n for n in answer.notes)


def test_rows_answer_keeps_a_faithful_summary() -> None:
    rag = GraphRAG(llm=ScriptedModel("2 services depend on payment."), router=Router(), structured=[Fixed("schema_path", ROWS)])
    answer = rag.ask("which services depend on payment?")
    assert answer.text.splitlines()[0] == "2 services depend on payment."


def test_documents_are_searched_when_the_graph_finds_nothing() -> None:
    rag = GraphRAG(llm=None, router=Router(), structured=[Fixed("schema_path", [])], graph=[Fixed("graph", [])], documents=[Fixed("vector", DOCS)])
    answer = rag.ask("which team owns the thing?")
    assert [c.source_id for c in answer.context] == [h.source_id for h in DOCS]
    stages = [s.name for s in answer.trace.stages]
    assert stages == ["route", "retrieve:schema_path", "retrieve:graph", "retrieve:vector", "fuse"]
