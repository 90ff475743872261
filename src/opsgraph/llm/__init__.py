"""Language models: the `LanguageModel` protocol and its providers, picked by name.

Public API (everything else is private)::

    model.complete(messages, *, json_schema=None, max_tokens=256, temperature=0.0, top_k=None,
                   top_p=None, min_p=None, repeat_penalty=None, presence_penalty=None,
                   frequency_penalty=None, stop=None, seed=None) -> Completion
    model.complete_with(messages, GenerationSettings(...), *, json_schema=None) -> Completion
    LlamaCppModel(model_path, *, sha256=None, n_ctx=2048, n_threads=2, chat_format=None)
    OpenAICompatibleModel(base_url, model, *, api_key=None, timeout=60, client=None)
    resolve_model(name_or_path, cache_dir) -> ModelFile     bundled name or local .gguf
    create_language_model(provider, **settings)            a provider from LANGUAGE_MODELS by name
    BaseLanguageModel                                     subclass it and write `_complete`
    FakeLanguageModel(replies)                            scripted model for tests of code that uses one

Importing this package does not import llama_cpp: opening a `LlamaCppModel`
does. May import only `opsgraph.schema`, `opsgraph.errors` and the leaf helpers (`opsgraph._files`, `opsgraph._registry`); reads no
configuration or environment (the app passes paths, URLs and threads in).
"""

from __future__ import annotations

from typing import Any

from opsgraph._registry import Registry
from opsgraph.llm.base import (
    BaseLanguageModel,
    ChatMessage,
    Completion,
    GenerationSettings,
    JsonSchema,
    LanguageModel,
    Messages,
    RawCompletion,
)
from opsgraph.llm.errors import (
    LLMConnectionError,
    LLMContextError,
    LLMError,
    LLMInputError,
    LLMServerError,
    LLMSetupError,
    ModelIntegrityError,
    StructuredOutputError,
)
from opsgraph.llm.fake import FakeCall, FakeLanguageModel
from opsgraph.llm.llamacpp import LlamaCppModel, file_sha256, loaded_models, unload_models
from opsgraph.llm.models import BUNDLED_MODELS, DEFAULT_MODEL, BundledModel, ModelFile, resolve_model
from opsgraph.llm.openai_compat import HTTPClient, HTTPResponse, OpenAICompatibleModel, UrllibClient

LANGUAGE_MODELS: Registry[LanguageModel] = Registry("llm provider", {
    "llamacpp": "opsgraph.llm.models:bundled_or_file_model",
    "openai": "opsgraph.llm.openai_compat:OpenAICompatibleModel",
})
"""Provider name → `module:factory`; the factory takes the provider's settings as keywords."""


def create_language_model(provider: str, **settings: Any) -> LanguageModel:
    """Build (but do not open) the language model of `provider` with its settings."""
    return LANGUAGE_MODELS.create(provider, **settings)


__all__ = [
    "BUNDLED_MODELS",
    "DEFAULT_MODEL",
    "LANGUAGE_MODELS",
    "BaseLanguageModel",
    "BundledModel",
    "ChatMessage",
    "Completion",
    "FakeCall",
    "FakeLanguageModel",
    "GenerationSettings",
    "HTTPClient",
    "HTTPResponse",
    "JsonSchema",
    "LLMConnectionError",
    "LLMContextError",
    "LLMError",
    "LLMInputError",
    "LLMServerError",
    "LLMSetupError",
    "LanguageModel",
    "LlamaCppModel",
    "Messages",
    "ModelFile",
    "ModelIntegrityError",
    "OpenAICompatibleModel",
    "RawCompletion",
    "StructuredOutputError",
    "UrllibClient",
    "create_language_model",
    "file_sha256",
    "loaded_models",
    "resolve_model",
    "unload_models",
]
