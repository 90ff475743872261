"""One question's way around the pipeline: memory ▸ cache check ▸ pipeline ▸ cache store ▸ memory.

`Conversation.ask` rewrites a follow-up into a standalone question from the
session's history, looks the standalone question up in the semantic cache
(same scope, same linked entities, still fresh for the current data), and
only on a miss runs `GraphRAG`. A grounded answer is then cached with its
freshness record, and the turn is appended to the session. Every step is a
stage of the answer's trace: the rewrite and the history it read, the
cache's outcome (hit/miss/stale), distance and the entry's age.

Objects are built per question by the app layer (cheap); the cache and the
history are long-lived and passed in. Nothing is kept between calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opsgraph.rag.cache import BaseSemanticCache, Scope
from opsgraph.rag.cache.freshness import StoreFreshness
from opsgraph.rag.history import ConversationHistory, Turn, TurnEntity, check_session
from opsgraph.rag.pipeline import Answer, GraphRAG
from opsgraph.rag.rewrite import FollowUpRewriter, Rewrite
from opsgraph.rag.trace import Trace
from opsgraph.retrieve.base import EntityLinker
from opsgraph.store.base import GraphStore

ANSWER_ENTITY_LIMIT = 20
"""Most answer entities a turn remembers (rows of an impact question can be many)."""


class Conversation:
    """Memory and the semantic cache around one `GraphRAG`.

    Args:
        pipeline: answers standalone questions.
        store: reads the types of the nodes an answer returned (for the turn's entities).
        linker: links questions to entities (entity guard of the cache, referents for memory).
        cache: the semantic cache, or None for none.
        freshness: records what an answer depended on (needed to cache anything).
        history: session turns, or None for no memory.
        rewriter: makes follow-ups standalone.
        window: turns read from the history.
        ttl: seconds a cached answer lives (None: the cache's default).
    """

    def __init__(
        self,
        pipeline: GraphRAG,
        store: GraphStore,
        *,
        linker: EntityLinker | None = None,
        cache: BaseSemanticCache | None = None,
        freshness: StoreFreshness | None = None,
        history: ConversationHistory | None = None,
        rewriter: FollowUpRewriter | None = None,
        window: int = 3,
        ttl: int | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.store = store
        self.linker = linker
        self.cache = cache
        self.freshness = freshness
        self.history = history
        self.rewriter = rewriter
        self.window = window
        self.ttl = ttl

    def ask(self, question: str, *, scope: Scope | None = None, session: str | None = None, use_cache: bool = True) -> Answer:
        """Answer `question` for `scope` in `session` (None: no memory), from the cache when it may."""
        question = " ".join(question.split())
        if not question:
            raise ValueError("the question is empty")
        scope = scope or Scope()
        if session is not None:
            check_session(session)
        trace = Trace()
        rewrite = self._rewrite(trace, question, scope, session)
        standalone = rewrite.question if rewrite is not None else question
        links = self._link(standalone)
        entities = sorted({node_id for node_id, _ in links})
        use = use_cache and self.cache is not None
        answer: Answer | None = None
        if use:
            answer = self._from_cache(trace, question, standalone, scope, entities)
        elif not use_cache and self.cache is not None:
            with trace.stage("cache") as stage:
                stage.detail = {"outcome": "off", "why": "use_cache=False (--no-cache): neither read nor written"}
        if answer is None:
            answer = self.pipeline.ask(standalone)
            answer.question = question
            answer.trace.stages[:0] = trace.stages
            trace = answer.trace
            if use:
                self._store(trace, answer, standalone, scope, entities)
        if rewrite is not None and rewrite.changed:
            answer.standalone = standalone
            answer.notes.append(f"asked as: {standalone}")
        if session is not None and self.history is not None:
            self.history.append(scope, session, self._turn(question, standalone, answer, links))
        return answer

    # -- steps ---------------------------------------------------------------------------
    def _rewrite(self, trace: Trace, question: str, scope: Scope, session: str | None) -> Rewrite | None:
        if session is None or self.history is None:
            return None
        with trace.stage("memory") as stage:
            turns = self.history.recent(scope, session, self.window)
            if self.rewriter is None:
                stage.detail = {"session": session, "turns": len(turns), "rule": "off"}
                return None
            rewrite = self.rewriter.rewrite(question, turns)
            stage.detail = {"session": session, "turns": len(turns), **rewrite.to_dict()}
        return rewrite

    def _link(self, text: str) -> list[tuple[str, str]]:
        if self.linker is None:
            return []
        return list(dict.fromkeys((link.node_id, link.node_type) for link in self.linker.link(text)))

    def _from_cache(self, trace: Trace, question: str, standalone: str, scope: Scope, entities: list[str]) -> Answer | None:
        assert self.cache is not None
        with trace.stage("cache") as stage:
            found = self.cache.lookup(standalone, scope=scope, entities=entities if self.linker is not None else None)
            stage.detail = {"backend": type(self.cache).__name__, "scope": scope.key, "entities": entities, **found.to_dict()}
        hit = found.hit
        if hit is None or "answer" not in hit.metadata:
            return None
        answer = Answer.from_payload(hit.metadata["answer"], question=question, trace=trace)
        answer.cached = {
            "entry_id": hit.entry_id,
            "distance": round(hit.distance, 4),
            "age_s": round(hit.age_s, 1),
            "matched": hit.prompt,
            "freshness": hit.verdict,
        }
        answer.notes.append(f"from the semantic cache: {hit.distance:.3f} from \"{hit.prompt}\", {_age(hit.age_s)} old; {hit.verdict}")
        return answer

    def _store(self, trace: Trace, answer: Answer, standalone: str, scope: Scope, entities: list[str]) -> None:
        assert self.cache is not None
        with trace.stage("cache store") as stage:
            if not answer.citations or self.freshness is None:
                stage.detail = {"stored": False, "why": "no freshness check configured" if answer.citations else "the answer cites nothing"}
                return
            query, params = _answer_query(answer)
            sources = [c.source_id for c in answer.context if c.kind in ("node", "chunk")]
            record = self.freshness.record(sources, query=query, params=params)
            entry = self.cache.store(standalone, answer.text, {"answer": answer.payload()}, self.ttl, scope, freshness=record, entities=entities)
            stage.detail = {
                "stored": True,
                "entry_id": entry,
                "data_version": record.data_version,
                "sources": sum(len(v) for v in record.sources.values()),
                "query": bool(query),
            }

    def _turn(self, question: str, standalone: str, answer: Answer, links: Sequence[tuple[str, str]]) -> Turn:
        ents = [TurnEntity(id=i, type=t, source="question") for i, t in links]
        seen = {e.id for e in ents}
        ids: list[str] = []
        if answer.rows:
            ids = [str(r["id"]) for r in answer.rows if isinstance(r, dict) and r.get("id") is not None]
        else:
            ids = [c.source_id for c in answer.citations if c.kind == "node"]
        ids = [i for i in dict.fromkeys(ids) if i not in seen][:ANSWER_ENTITY_LIMIT]
        types = self.store.node_types(ids) if ids else {}
        ents += [TurnEntity(id=i, type=types[i], source="answer") for i in ids if i in types]
        return Turn(question=question, standalone=standalone, answer=answer.text, entities=ents)


def _answer_query(answer: Answer) -> tuple[str | None, dict[str, Any]]:
    """The query whose rows are the answer, with the parameters it ran with (from the retriever's stage)."""
    if not answer.rows or not answer.cypher:
        return None, {}
    for stage in answer.trace.stages:
        if stage.detail.get("cypher") == answer.cypher:
            return answer.cypher, dict(stage.detail.get("params") or {})
    return answer.cypher, {}


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
