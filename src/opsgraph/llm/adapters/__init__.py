"""LoRA adapters for the local GGUF model: train on CPU, export for llama.cpp, keep versions.

Public API::

    SFTExample(messages, completion)                       one supervised example
    LoraSettings(r=16, alpha=32, dropout=0.05, target_modules=(v/o/MLP), lr=2e-3, epochs=1,
                 max_steps=None, batch_size=8, max_length=256, seed=0, threads=2)
    train_lora(base_gguf, examples, out_dir, *, settings, progress=None, base_sha256=None) -> TrainResult
    export_lora_gguf(peft_dir, base_gguf, out_path, *, dtype="f32") -> Path     PEFT -> llama.cpp adapter GGUF
    load_base(base_gguf, *, sha256=None) / load_merged(base_gguf, peft_dir)     transformers models, for evaluation
    AdapterRegistry(root): register / versions / get / active / promote / latest
    AdapterVersion, is_stale(version, schema_hash, base_sha256=None)
    AdapterError, AdapterManifestError

Serving: `llama_cpp.Llama(model_path=base, lora_path=version.path)`; an adapter
fits only the base file whose sha256 its manifest records.

Layering: imports only `opsgraph.llm` and `opsgraph.errors` (never the store,
retrieval, RAG or app layers). torch, transformers, peft and gguf are imported
when training or exporting starts, so importing this package is cheap and the
registry works without them.
"""

from __future__ import annotations

from opsgraph.llm.adapters.export import export_lora_gguf
from opsgraph.llm.adapters.registry import (
    AdapterError,
    AdapterManifestError,
    AdapterRegistry,
    AdapterVersion,
    is_stale,
)
from opsgraph.llm.adapters.train import (
    SAFE_TARGET_MODULES,
    LoraSettings,
    SFTExample,
    TrainResult,
    clear_base_cache,
    data_sha256,
    load_base,
    load_merged,
    render_prompt,
    train_lora,
)

__all__ = [
    "SAFE_TARGET_MODULES",
    "AdapterError",
    "AdapterManifestError",
    "AdapterRegistry",
    "AdapterVersion",
    "LoraSettings",
    "SFTExample",
    "TrainResult",
    "clear_base_cache",
    "data_sha256",
    "export_lora_gguf",
    "is_stale",
    "load_base",
    "load_merged",
    "render_prompt",
    "train_lora",
]
