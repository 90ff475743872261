"""The semantic cache is looked up before the pipeline is built: a hit builds nothing, a miss builds it once."""

from __future__ import annotations

from typing import Any

from opsgraph.rag import Answer, GraphRAG, Route, Router, Trace
from opsgraph.rag.cache import CacheHit, CacheLookup, Scope
from opsgraph.rag.conversation import Conversation


class OneEntryCache:
    """Serves one stored answer for one question; records lookups and stores."""

    def __init__(self, question: str, answer: Answer) -> None:
        self.question = question
        self.answer = answer
        self.lookups: list[str] = []
        self.stored: list[str] = []

    def lookup(self, prompt: str, **_: Any) -> CacheLookup:
        self.lookups.append(prompt)
        if prompt != self.question:
            return CacheLookup("miss")
        hit = CacheHit(entry_id="e1", prompt=prompt, answer=self.answer.text, distance=0.0, created_at=0.0, age_s=1.0, scope=Scope(), metadata={"answer": self.answer.payload()}, verdict="fresh")
        return CacheLookup("hit", hit=hit)

    def store(self, prompt: str, *args: Any, **kwargs: Any) -> str:
        self.stored.append(prompt)
        return "e2"


class CountingFactory:
    """Builds the pipeline and counts how often it was asked to (what the app's per-data-version builder does)."""

    def __init__(self) -> None:
        self.built = 0
        self.order: list[str] = []

    def __call__(self) -> GraphRAG:
        self.built += 1
        self.order.append("build")
        return GraphRAG(llm=None, router=Router())


def test_a_cache_hit_builds_no_pipeline() -> None:
    cached = Answer("Which services depend on paymentservice?", "1 service that depends on Payment Service (paymentservice):", [], [], Route(True, False, "x"), Trace(), kind="rows")
    cache = OneEntryCache("Which services depend on paymentservice?", cached)
    factory = CountingFactory()
    conv = Conversation(factory, store=None, cache=cache)  # type: ignore[arg-type]
    answer = conv.ask("Which services depend on paymentservice?")
    assert factory.built == 0
    assert answer.cached is not None and answer.kind == "rows"
    assert [s.name for s in answer.trace.stages] == ["cache"]


def test_a_miss_looks_up_first_then_builds_once() -> None:
    cached = Answer("q", "a", [], [], Route(True, False, "x"), Trace())
    cache = OneEntryCache("something else", cached)
    factory = CountingFactory()
    original = cache.lookup

    def lookup(prompt: str, **kw: Any) -> CacheLookup:
        factory.order.append("lookup")
        return original(prompt, **kw)

    cache.lookup = lookup  # type: ignore[method-assign]
    conv = Conversation(factory, store=None, cache=cache)  # type: ignore[arg-type]
    answer = conv.ask("How do I restart the payment pods?")
    assert factory.order == ["lookup", "build"]
    assert answer.cached is None
