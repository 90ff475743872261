"""Build the semantic cache and conversation memory from settings (the app layer's part of `ask`).

Named for what it builds, so it is not mistaken for `opsgraph.rag.cache` (what it builds from).

`CacheAndMemory` opens the configured cache backend (embedded or Redis) and
history on first use (built by `opsgraph.app.build`), keeps them open for the
facade's lifetime, and builds a `Conversation` around each question's pipeline.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable

from pydantic import ValidationError

from opsgraph.app.build import build_cache, build_history
from opsgraph.app.config import Settings
from opsgraph.embed import Embedder
from opsgraph.errors import OpsGraphError
from opsgraph.ingest.documents import HAS_CHUNK, MENTIONS
from opsgraph.ingest.linking import EntityLinker
from opsgraph.llm import LanguageModel
from opsgraph.rag import GraphRAG
from opsgraph.rag.cache import BaseSemanticCache, Scope
from opsgraph.rag.cache.freshness import StoreFreshness
from opsgraph.rag.conversation import Conversation
from opsgraph.rag.history import ConversationHistory
from opsgraph.rag.rewrite import FollowUpRewriter, type_words
from opsgraph.schema import GraphSchema
from opsgraph.store import GraphStore


class AskInputError(OpsGraphError, ValueError):
    """A user, session or tenant name that cannot be used as a cache or history key."""

    code = "ask_input"
    status = 422


def answer_variant(settings: Settings, embedder: Embedder | None) -> str:
    """Hash of the settings that shape an answer; cached answers made under other settings are stale."""
    s = settings
    shape = {
        "llm": [s.llm.provider, s.llm.model, s.llm.base_url, s.llm.max_tokens, s.llm.temperature, s.llm.answers],
        "ask": s.ask.model_dump(),
        "embedder": embedder.name if embedder is not None else None,
    }
    return hashlib.blake2b(json.dumps(shape, sort_keys=True, default=str).encode(), digest_size=8).hexdigest()


def store_identity(settings: Settings) -> str:
    """Which store instance this is: the backend, and for the embedded one its folder and inode (a folder
    deleted and loaded again is another store whose version numbers start over)."""
    path = settings.store_path
    try:
        st = path.stat()
    except OSError:
        return f"{settings.store.backend}:{path}"
    return f"{settings.store.backend}:{path}:{st.st_dev}:{st.st_ino}"


class CacheAndMemory:
    """The semantic cache and session history of one open `OpsGraph`."""

    def __init__(self, settings: Settings, store: GraphStore, *, embedder: Embedder | None, llm: LanguageModel | None) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self.llm = llm
        self._cache: BaseSemanticCache | None = None
        self._history: ConversationHistory | None = None
        self._built = False
        self.freshness = StoreFreshness(store, variant=answer_variant(settings, embedder), ignore_edges=(MENTIONS, HAS_CHUNK))
        """Records what cached answers depend on and checks it when one is found."""

    def _build(self) -> None:
        if self._built:
            return
        self._built = True
        s = self.settings
        self.freshness.store_id = store_identity(s)
        cache = build_cache(s, self.embedder, self.freshness)
        if cache is not None:
            cache.open()
            self._cache = cache
        history = build_history(s)
        if history is not None:
            history.open()
            self._history = history

    @property
    def cache(self) -> BaseSemanticCache | None:
        """The open cache, or None (backend `none`, or no embedder to compare questions with)."""
        self._build()
        return self._cache

    @property
    def history(self) -> ConversationHistory | None:
        self._build()
        return self._history

    def scope(self, user: str | None, schema: GraphSchema) -> Scope:
        tenant = self.settings.cache.tenant or re.sub(r"[^A-Za-z0-9_.@+\-]+", "-", schema.name)[:128] or "default"
        try:
            return Scope(tenant=tenant, user=user or "anonymous")
        except ValidationError as exc:
            raise AskInputError(f"user {user!r} / tenant {tenant!r}: {exc.errors()[0]['msg']}") from exc

    def conversation(self, rag: GraphRAG | Callable[[], GraphRAG], linker: EntityLinker, schema: GraphSchema) -> Conversation:
        """Memory and cache around one question's pipeline (or a function that builds it, called only on a cache miss)."""
        m = self.settings.memory
        rewriter = FollowUpRewriter(type_words(schema), linker=linker, llm=self.llm if m.llm_rewrite else None, window=m.window)
        return Conversation(
            rag,
            self.store,
            linker=linker,
            cache=self.cache,
            freshness=self.freshness,
            history=self.history,
            rewriter=rewriter,
            window=m.window,
            ttl=self.settings.cache.ttl,
        )

    def close(self) -> None:
        for part in (self._cache, self._history):
            if part is not None:
                part.close()
        self._cache = None
        self._history = None
        self._built = False
