"""Text-to-Cypher for the estate in one store: settings become the options and folders `retrieve.text2cypher` takes.

The algorithm (pairs, style choice, adapter, the tuned writer) lives in
`opsgraph.retrieve.text2cypher.tune`; this service only says where the estate's
choice, pairs and adapters live (`<home>/text2cypher`, `<home>/models/adapters`)
and which settings apply.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from opsgraph.app.config import Settings
from opsgraph.embed import Embedder
from opsgraph.ingest.documents import DOCUMENT_TYPES
from opsgraph.llm import LanguageModel
from opsgraph.retrieve import prompt_schema
from opsgraph.retrieve.text2cypher import (
    CANDIDATE_STYLES,
    CypherPair,
    CypherWriter,
    PromptStyle,
    ServeOptions,
    TuneError,
    TuneOptions,
    TuneProgress,
    TuneReport,
    choice_status,
    read_choice,
    tune_estate,
    tuned_pairs,
    tuned_writer,
)
from opsgraph.schema import GraphSchema
from opsgraph.store import GraphStore

__all__ = ["Text2CypherService", "TuneError", "TuneReport"]


class Text2CypherService:
    """Tuning and serving of text-to-Cypher for the estate in one store."""

    def __init__(self, store: GraphStore, settings: Settings, *, embedder: Embedder | None, llm: LanguageModel | None) -> None:
        self.store = store
        self.settings = settings
        self.embedder = embedder
        self.llm = llm
        self.root = settings.home / "text2cypher"

    # -- paths -------------------------------------------------------------------
    @property
    def choice_path(self) -> Path:
        return self.root / "choice.json"

    @property
    def adapter_root(self) -> Path:
        return self.settings.home / "models" / "adapters"

    def tuned(self) -> bool:
        """Whether `tune` has run for this home (its choice is kept)."""
        return self.choice_path.is_file()

    def choice(self) -> dict[str, Any] | None:
        """The tuned choice, or None before `tune`."""
        return read_choice(self.root)

    def status(self, schema: GraphSchema | None) -> dict[str, Any]:
        """Whether this estate is tuned, with what, and whether that is stale."""
        return choice_status(self.choice(), schema)

    def schema_text(self, schema: GraphSchema) -> str:
        """The live schema as the models that write Cypher see it (document and chunk types left out)."""
        return prompt_schema(self.store.describe(), schema, exclude=DOCUMENT_TYPES)

    # -- tuning ------------------------------------------------------------------
    def tune(
        self,
        schema: GraphSchema,
        linker: Any,
        *,
        adapter: bool = True,
        steps: int | None = None,
        sample: int | None = None,
        seed: int | None = None,
        styles: Sequence[PromptStyle] = CANDIDATE_STYLES,
        progress: TuneProgress | None = None,
    ) -> TuneReport:
        """Generate pairs, choose the prompt style, train an adapter; keep the choice with the estate."""
        cfg = self.settings.cypher
        options = TuneOptions(
            seed=cfg.seed if seed is None else seed,
            max_pairs=cfg.pairs,
            held_out_sample=sample or cfg.held_out_sample,
            train_steps=steps or cfg.train_steps,
            max_attempts=cfg.tune_attempts,
            lora_threads=self.settings.llm.threads,
            first_rung=cfg.first_rung,
            exclude_types=tuple(DOCUMENT_TYPES),
        )
        return tune_estate(
            self.store, schema, linker, root=self.root, adapter_root=self.adapter_root, llm=self.llm, embedder=self.embedder,
            schema_text=self.schema_text(schema), options=options, adapter=adapter, styles=styles, progress=progress,
        )  # fmt: skip

    # -- serving -----------------------------------------------------------------
    def writer(self, schema: GraphSchema, linker: Any, schema_text: str) -> tuple[CypherWriter, dict[str, Any]]:
        """The writer for questions, from the tuned choice (or the plain schema prompt before `tune`), and what was chosen."""
        cfg = self.settings.cypher
        options = ServeOptions(examples=cfg.examples, grammar=cfg.grammar, adapter=cfg.adapter, reuse=cfg.reuse, max_attempts=cfg.max_attempts)
        return tuned_writer(self.store, schema, linker, schema_text, root=self.root, llm=self.llm, embedder=self.embedder, options=options)

    def pairs(self) -> list[CypherPair]:
        """All tuned pairs (training and held-out), or none before `tune`."""
        return tuned_pairs(self.root)
