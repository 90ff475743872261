"""Build the Graph RAG pipeline for one open estate from settings.

The facade passes in the store, embedder and language model (built by
`opsgraph.app.build`); this wires the entity linker over the stored entities
and the retrievers (in the order `opsgraph.rag.order` decides). Building is
cheap; the model loads on the first question that needs it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from opsgraph.app.build_cache import AskInputError, CacheAndMemory
from opsgraph.app.config import Settings
from opsgraph.app.investigate import DRIVER_WINDOW
from opsgraph.app.risk import NoModelError
from opsgraph.app.text2cypher import Text2CypherService
from opsgraph.embed import Embedder
from opsgraph.errors import OpsGraphError
from opsgraph.ingest.documents import CHUNK as CHUNK_TYPE
from opsgraph.ingest.documents import DOCUMENT_TYPES
from opsgraph.ingest.linking import EntityLinker, entities_from_store, link_settings
from opsgraph.llm import LanguageModel
from opsgraph.rag import Answer, GraphRAG, Router
from opsgraph.rag.answering import Answerer, RiskRow, RiskSource, RiskView
from opsgraph.rag.contexted import ContextLinker
from opsgraph.rag.depicted import DepictedLinker, described_from_store
from opsgraph.rag.history import check_session
from opsgraph.rag.order import structured_retrievers, text2cypher_placement
from opsgraph.rag.remembered import RememberedLinker
from opsgraph.rag.risk_ask import MovedMetric, RiskWhy
from opsgraph.rag.spelled import SpelledLinker, estate_words
from opsgraph.rag.titled import TitledLinker
from opsgraph.rag.typed_name import TypedLinker
from opsgraph.retrieve import (
    CHUNK_TEXT,
    CHUNK_VECTOR,
    FullTextRetriever,
    GraphExpansionRetriever,
    IndexTarget,
    SchemaPathRetriever,
    Text2CypherRetriever,
    VectorRetriever,
)
from opsgraph.schema import GraphSchema, PropertyType
from opsgraph.store import GraphStore


class NothingIngestedError(OpsGraphError):
    """A question was asked of a store that holds no estate yet."""

    code = "nothing_ingested"
    status = 409


def property_words(schema: GraphSchema) -> frozenset[str]:
    """Words of the schema's property names and their declared synonyms ("email", "version", "based")."""
    specs = [*schema.nodes.values(), *schema.edges.values()]
    words = {w for spec in specs for p in spec.properties for w in p.lower().split("_") if w}
    words |= {str(x).lower() for spec in specs for p in spec.properties.values() for x in getattr(p, "synonyms", None) or []}
    return frozenset(words)


def _fulltext_targets(schema: GraphSchema, store: GraphStore) -> list[IndexTarget]:
    live = {t.name for t in store.describe()}
    targets = [CHUNK_TEXT] if CHUNK_TYPE in live else []
    for name, node in schema.nodes.items():
        if name == CHUNK_TYPE or name not in live:
            continue
        for prop, spec in node.properties.items():
            if spec.fulltext and spec.type is PropertyType.STRING:
                targets.append(IndexTarget(name, prop, "node"))
    return targets


class AskService:
    """Answers questions about the estate in one store."""

    def __init__(
        self,
        store: GraphStore,
        settings: Settings,
        *,
        embedder: Embedder | None,
        llm: LanguageModel | None,
        text2cypher: Text2CypherService | None = None,
        risk: RiskSource | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.embedder = embedder
        self.llm = llm
        self.text2cypher = text2cypher or Text2CypherService(store, settings, embedder=embedder, llm=llm)
        """Tuning and the tuned writer (the facade passes the one it owns)."""
        self.risk = risk
        """The current risk scores, for risk questions ("what is at risk now", "is X healthy")."""
        self._built: tuple[str, EntityLinker, GraphRAG | None] | None = None
        """(data version, linker, pipeline): built once per data version, the pipeline only on a cache miss."""
        self.memory = CacheAndMemory(settings, store, embedder=embedder, llm=llm)
        """The semantic cache and session history (opened on first use, closed by `close`)."""
        self._writer: tuple[str, Any, dict[str, Any]] | None = None

    def forget_writer(self) -> None:
        """Drop the cached text-to-Cypher writer (after `tune`), so the next question builds it from the new choice."""
        self._writer = None
        self._built = None

    def cypher_writer(self, schema: GraphSchema, linker: EntityLinker) -> tuple[Any, dict[str, Any]]:
        """The tuned text-to-Cypher writer, built once per data version (slot values and examples read from the store)."""
        version = str(getattr(self.store, "data_version", lambda: "")())
        if self._writer is None or self._writer[0] != version:
            service = self.text2cypher
            writer, info = service.writer(schema, linker, service.schema_text(schema))
            self._writer = (version, writer, info)
        return self._writer[1], self._writer[2]

    def linker(self, schema: GraphSchema) -> EntityLinker:
        """Links questions to the estate's entities as stored now (and nodes named by words of their title)."""
        entities = entities_from_store(self.store, schema, exclude=DOCUMENT_TYPES)
        base = EntityLinker(
            entities,
            embedder=self.embedder,
            # A question is short: look further for a word that says which kind of node is meant, and a weak word
            # only one node goes by links ("checkout", "the ledger").
            settings=link_settings(schema, cue_window=6, weak_alone=True, not_alone=property_words(schema)),
        )
        titled = TitledLinker(base, [(e.id, e.type, e.name) for e in entities])
        # "the gemini quota thing", "the one where carts emptied": an incident named by remembered title words.
        titled = RememberedLinker(titled, [(e.id, e.type, e.name) for e in entities], schema)  # type: ignore[arg-type,assignment]
        # A bare word of one node's name, typed by the question's other words ("owned by payments").
        named = [(e.id, e.type, (e.name or "", *e.aliases)) for e in entities]
        # A name one letter off ("chekout"), read as the estate spells it when only one node's name is that close.
        spelled = SpelledLinker(ContextLinker(titled, named, schema), named, schema, estate_words(self.store, schema))  # type: ignore[arg-type]
        # A component named by what it does ("the service that quotes shipping costs"), when one description fits.
        depicted = DepictedLinker(spelled, described_from_store(self.store, schema, named), schema)  # type: ignore[arg-type]
        # "the cart db": a name followed by another type's word names that type's node, not the cart service.
        return TypedLinker(depicted, named, schema)  # type: ignore[arg-type,return-value]

    def _version(self) -> str:
        return str(getattr(self.store, "data_version", lambda: "")())

    def current_linker(self, schema: GraphSchema) -> EntityLinker:
        """The linker for the data as it is now: built once per data version."""
        version = self._version()
        if self._built is None or self._built[0] != version:
            self._built = (version, self.linker(schema), None)
        return self._built[1]

    def _needs_model(self) -> bool:
        """Whether any step will call the model: generated answers, or text-to-Cypher in the retriever order.
        Extractive answers on an untuned estate never do, so the weights are not even loaded."""
        placement = text2cypher_placement(self.settings.ask.text2cypher, tuned=self.text2cypher.tuned(), has_llm=True)
        return self.settings.llm.answers == "generate" or placement is not None

    def current_pipeline(self, schema: GraphSchema) -> GraphRAG:
        """The pipeline for the data as it is now: built on first need, once per data version."""
        linker = self.current_linker(schema)
        assert self._built is not None
        if self._built[2] is None:
            if self.llm is not None and self._needs_model():
                self.llm.open()
            self._built = (self._built[0], linker, self.pipeline(schema, linker))
        pipeline = self._built[2]
        assert pipeline is not None
        return pipeline

    def pipeline(self, schema: GraphSchema | None, linker: EntityLinker | None = None) -> GraphRAG:
        if schema is None:
            raise NothingIngestedError("nothing is ingested in this home yet: run `opsgraph ingest ESTATE_DIR` (or `opsgraph demo`)")
        cfg = self.settings.ask
        linker = linker or self.linker(schema)

        def text2cypher() -> Text2CypherRetriever:
            writer, info = self.cypher_writer(schema, linker)
            return Text2CypherRetriever.from_writer(writer, info)

        structured: list[Any] = structured_retrievers(
            SchemaPathRetriever(self.store, schema, linker),
            text2cypher,
            setting=cfg.text2cypher,
            tuned=self.text2cypher.tuned(),
            has_llm=self.llm is not None,
        )
        graph = [GraphExpansionRetriever(self.store, schema, linker, hops=cfg.hops)]
        documents: list[Any] = []
        live = {t.name for t in self.store.describe()}
        if self.embedder is not None and CHUNK_TYPE in live:
            documents.append(VectorRetriever(self.store, self.embedder, [CHUNK_VECTOR]))
        targets = _fulltext_targets(schema, self.store)
        if targets:
            documents.append(FullTextRetriever(self.store, targets))
        answerer = Answerer(self.store, schema, linker=linker, risk=self.risk, skip_types=tuple(DOCUMENT_TYPES))
        return GraphRAG(
            llm=self.llm,
            router=Router(schema),
            structured=structured,
            graph=graph,
            documents=documents,
            k=cfg.k,
            max_tokens=self.settings.llm.max_tokens,
            answerer=answerer,
            answers=self.settings.llm.answers,
            budget_s=self.settings.llm.answer_budget_s,
        )

    def ask(
        self, question: str, schema: GraphSchema | None, *, session: str | None = None, user: str | None = None, use_cache: bool = True
    ) -> Answer:
        """Answer `question`; a follow-up in `session` is rewritten first, and `user`'s cache is tried before the pipeline."""
        if self.llm is not None and self.settings.memory.llm_rewrite:
            self.llm.open()  # the follow-up rewriter runs before the cache; otherwise the model loads with the pipeline
        if schema is None:
            raise NothingIngestedError("nothing is ingested in this home yet: run `opsgraph ingest ESTATE_DIR` (or `opsgraph demo`)")
        if session is not None:
            try:
                check_session(session)
            except ValueError as exc:
                raise AskInputError(str(exc)) from exc
        # The cache is looked up with only the linker built (its entity guard needs it); the pipeline is built on a miss.
        linker = self.current_linker(schema)
        conversation = self.memory.conversation(lambda: self.current_pipeline(schema), linker, schema)
        answer = conversation.ask(question, scope=self.memory.scope(user, schema), session=session, use_cache=use_cache)
        answer.data_as_of = self.store.data_written_at()
        return answer

    def close(self) -> None:
        """Close the cache and the history (the store, embedder and model belong to the facade)."""
        self.memory.close()


def risk_source(service: Any, drivers: Callable[[str], Sequence[Any]] | None = None) -> RiskSource:
    """The risk service's current scores as the answer pipeline reads them (raises its error when no model is trained).

    `drivers`: a node's recent metric changes (`Investigator.risk_drivers`); with it, "why is X at risk?" is answered
    with them and the model's attention path (`RiskView.explain`)."""

    def explain(node: str) -> RiskWhy:
        ex = service.explain(node)
        moved = [MovedMetric(m.node, m.metric, float(m.normal), float(m.peak), int(m.since)) for m in (drivers(node) if drivers else [])]
        return RiskWhy(moved, [(h.dependant, h.dependency, float(h.attention)) for h in ex.path], DRIVER_WINDOW)

    def view() -> RiskView:
        scores = service.scores()
        if getattr(scores, "mode", "model") == "anomaly-only":
            raise NoModelError("risk runs in anomaly-only mode (no label column, incident or SLO rule to learn failures from), "
                               "so there is no failure probability; `opsgraph risk score` shows how unusual each node's telemetry is")
        rows = [RiskRow(n.node, float(n.probability), bool(n.risky)) for n in scores.nodes]
        return RiskView(rows, float(scores.threshold), int(scores.horizon), service.current_version(), int(scores.timestamp), explain)

    return view
