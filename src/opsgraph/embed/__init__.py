"""Embeddings: the `Embedder` protocol, a shared base class and its providers, picked by name.

Providers register in `EMBEDDERS` (name → `module:factory`) the way stores do
in `opsgraph.store.BACKENDS`; a new provider is one module plus one line.
Importing this package loads neither torch nor an HTTP client.
"""

from __future__ import annotations

from typing import Any

from opsgraph._registry import Registry
from opsgraph.embed.base import BaseEmbedder, Embedder, EmbeddingError, EmbeddingIntegrityError, EmbedProgress, text_key
from opsgraph.embed.cache import EmbeddingCache
from opsgraph.embed.endpoint import HTTPStatusError, JsonClient, OpenAIEmbedder, UrllibClient
from opsgraph.embed.fake import HashingEmbedder
from opsgraph.embed.local import MINILM_DIMS, MINILM_NAME, MINILM_SHA256, SentenceTransformerEmbedder, minilm_path

EMBEDDERS: Registry[Embedder] = Registry("embedder", {
    "sentence-transformers": "opsgraph.embed.local:SentenceTransformerEmbedder",
    "openai": "opsgraph.embed.endpoint:OpenAIEmbedder",
    "hashing": "opsgraph.embed.fake:HashingEmbedder",
})
"""Provider name → `module:factory`; the factory takes the provider's settings as keywords."""


def create_embedder(name: str, **settings: Any) -> Embedder:
    """Build (but do not load) the embedder named `name` with its settings."""
    return EMBEDDERS.create(name, **settings)


__all__ = [
    "EMBEDDERS",
    "MINILM_DIMS",
    "MINILM_NAME",
    "MINILM_SHA256",
    "BaseEmbedder",
    "EmbedProgress",
    "Embedder",
    "EmbeddingCache",
    "EmbeddingError",
    "EmbeddingIntegrityError",
    "HTTPStatusError",
    "HashingEmbedder",
    "JsonClient",
    "OpenAIEmbedder",
    "SentenceTransformerEmbedder",
    "UrllibClient",
    "create_embedder",
    "minilm_path",
    "text_key",
]
