"""Build the Graph RAG pipeline for one open estate from settings.

This is where configuration becomes objects: the language model (embedded
GGUF, an OpenAI-compatible server, or none), the entity linker over the
stored entities, and the retrievers (in the order `opsgraph.rag.order`
decides). Building is cheap; the model loads on the first question that needs it.
"""

from __future__ import annotations

from typing import Any

from opsgraph.app.build_cache import AskInputError, CacheAndMemory
from opsgraph.app.config import Settings
from opsgraph.app.text2cypher import Text2CypherService
from opsgraph.embed import Embedder
from opsgraph.errors import OpsGraphError
from opsgraph.ingest.documents import CHUNK as CHUNK_TYPE
from opsgraph.ingest.documents import DOCUMENT_TYPES
from opsgraph.ingest.linking import EntityLinker, entities_from_store, link_settings
from opsgraph.llm import LanguageModel, create_language_model
from opsgraph.rag import Answer, GraphRAG, Router
from opsgraph.rag.history import check_session
from opsgraph.rag.order import structured_retrievers
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


def build_llm(settings: Settings) -> LanguageModel | None:
    """The configured language model, unopened (no I/O)."""
    cfg = settings.llm
    if cfg.provider == "none":
        return None
    if cfg.provider == "llamacpp":
        return create_language_model("llamacpp", model=cfg.model, cache_dir=settings.home / "models", n_ctx=cfg.n_ctx, n_threads=cfg.threads)
    key = cfg.api_key.get_secret_value() if cfg.api_key else None
    return create_language_model(cfg.provider, base_url=str(cfg.base_url), model=cfg.model, api_key=key)


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
    ) -> None:
        self.store = store
        self.settings = settings
        self.embedder = embedder
        self.llm = llm
        self.text2cypher = text2cypher or Text2CypherService(store, settings, embedder=embedder, llm=llm)
        """Tuning and the tuned writer (the facade passes the one it owns)."""
        self.memory = CacheAndMemory(settings, store, embedder=embedder, llm=llm)
        """The semantic cache and session history (opened on first use, closed by `close`)."""
        self._writer: tuple[str, Any, dict[str, Any]] | None = None

    def forget_writer(self) -> None:
        """Drop the cached text-to-Cypher writer (after `tune`), so the next question builds it from the new choice."""
        self._writer = None

    def cypher_writer(self, schema: GraphSchema, linker: EntityLinker) -> tuple[Any, dict[str, Any]]:
        """The tuned text-to-Cypher writer, built once per data version (slot values and examples read from the store)."""
        version = str(getattr(self.store, "data_version", lambda: "")())
        if self._writer is None or self._writer[0] != version:
            service = self.text2cypher
            writer, info = service.writer(schema, linker, service.schema_text(schema))
            self._writer = (version, writer, info)
        return self._writer[1], self._writer[2]

    def linker(self, schema: GraphSchema) -> EntityLinker:
        """Links questions to the estate's entities as stored now."""
        return EntityLinker(
            entities_from_store(self.store, schema, exclude=DOCUMENT_TYPES),
            embedder=self.embedder,
            # A question is short: look further for a word that says which kind of node is meant.
            settings=link_settings(schema, cue_window=6),
        )

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
        return GraphRAG(
            llm=self.llm,
            router=Router(schema),
            structured=structured,
            graph=graph,
            documents=documents,
            k=cfg.k,
            max_tokens=self.settings.llm.max_tokens,
        )

    def ask(
        self, question: str, schema: GraphSchema | None, *, session: str | None = None, user: str | None = None, use_cache: bool = True
    ) -> Answer:
        """Answer `question`; a follow-up in `session` is rewritten first, and `user`'s cache is tried before the pipeline."""
        if self.llm is not None:
            self.llm.open()
        if schema is None:
            raise NothingIngestedError("nothing is ingested in this home yet: run `opsgraph ingest ESTATE_DIR` (or `opsgraph demo`)")
        if session is not None:
            try:
                check_session(session)
            except ValueError as exc:
                raise AskInputError(str(exc)) from exc
        linker = self.linker(schema)
        conversation = self.memory.conversation(self.pipeline(schema, linker), linker, schema)
        return conversation.ask(question, scope=self.memory.scope(user, schema), session=session, use_cache=use_cache)

    def close(self) -> None:
        """Close the cache and the history (the store, embedder and model belong to the facade)."""
        self.memory.close()
