"""`LlamaCppModel`: a GGUF model run inside this process by llama.cpp, fully offline.

`llama_cpp` is imported only when a model is opened, so importing opsgraph
never needs the `llm` extra. Weights load once per process: a module-level
cache keyed by (file, n_ctx, n_threads, chat_format) hands every
`LlamaCppModel` with the same key the same `llama_cpp.Llama`, guarded by one
lock because a llama.cpp context serves one generation at a time. When a
sha256 is given, the file is hashed and compared before it is loaded.

Must not: read configuration or environment variables (the app passes
paths and thread counts in), print engine logs (`verbose=False`), or do I/O
in a constructor.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from opsgraph.llm.base import BaseLanguageModel, ChatMessage, GenerationSettings, JsonSchema, RawCompletion
from opsgraph.llm.errors import LLMContextError, LLMError, LLMInputError, LLMSetupError, ModelIntegrityError

_EXTRA_HINT = "install it with `pip install 'opsgraph[llm]'`"
_SHA256 = re.compile(r"[0-9a-f]{64}")

CacheKey = tuple[str, int, int, str | None, str | None, float]
"""(resolved model path, n_ctx, n_threads, chat_format, LoRA adapter path, LoRA scale): what makes two loaded models different."""


@dataclass
class _Loaded:
    llama: Any
    lock: threading.Lock
    verified_sha256: set[str]


_LOADED: dict[CacheKey, _Loaded] = {}
_LOADED_LOCK = threading.Lock()


def loaded_models() -> dict[CacheKey, Any]:
    """The `llama_cpp.Llama` objects this process holds, by cache key (for diagnostics and tests)."""
    with _LOADED_LOCK:
        return {key: entry.llama for key, entry in _LOADED.items()}


def unload_models() -> None:
    """Forget every cached model; the next `open()` loads again.

    Memory is freed once no open `LlamaCppModel` still uses a model (they keep
    working until closed), so nothing is pulled from under a running call.
    """
    with _LOADED_LOCK:
        _LOADED.clear()


def file_sha256(path: str | Path) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _import_llama_cpp() -> Any:
    try:
        import llama_cpp
    except ImportError as exc:
        raise LLMSetupError(f"the embedded model needs llama-cpp-python, which is not installed: {_EXTRA_HINT}") from exc
    return llama_cpp


@lru_cache(maxsize=16)
def _gbnf(text: str) -> Any:
    # Compiling a schema's Cypher grammar costs milliseconds; every question of an estate uses the same one.
    llama_cpp = _import_llama_cpp()
    try:
        return llama_cpp.LlamaGrammar.from_string(text, verbose=False)
    except Exception as exc:
        raise LLMInputError(f"llama.cpp cannot parse this GBNF grammar: {exc}") from exc


@lru_cache(maxsize=64)
def _grammar(schema_json: str) -> Any:
    # Converting a schema to GBNF costs milliseconds; RAG asks with the same few schemas over and over.
    llama_cpp = _import_llama_cpp()
    try:
        return llama_cpp.LlamaGrammar.from_json_schema(schema_json, verbose=False)
    except Exception as exc:
        raise LLMInputError(f"llama.cpp cannot turn this json_schema into a grammar: {exc}") from exc


class LlamaCppModel(BaseLanguageModel):
    """A local GGUF chat model run by llama.cpp (`llama-cpp-python`).

    Args:
        model_path: the `.gguf` file (see `resolve_model` for the bundled ones).
        sha256: expected hex sha256 of the file; when given, `open()` refuses a
            file that differs (`ModelIntegrityError`). Default `None` (not checked).
        n_ctx: context window in tokens, prompt and answer together; a multiple
            of 256 (what llama.cpp allocates anyway). Default 2048.
        n_threads: CPU threads for prompt processing and generation. Default 2;
            on a shared 2-core machine 1 can be faster (see ENGINE-NOTES).
        chat_format: a llama-cpp-python chat format name (`chatml`, `gemma`, ...);
            `None` uses the template stored in the GGUF. Give it for models
            without one: Gemma-3-270M needs `"gemma"`, or llama-cpp-python
            silently falls back to another format.
        name: the name reported in `Completion.model`; default the file's stem.
        lora_path: a llama.cpp LoRA adapter (`.gguf`, see `opsgraph.llm.adapters`) applied on top
            of the base weights; the base file stays shared and unchanged. Default `None`.
        lora_sha256: expected hex sha256 of the adapter file, checked like `sha256`.
        lora_scale: how strongly the adapter applies (1.0 = as trained).

    JSON mode turns `json_schema` into a llama.cpp grammar, so the sampler can
    only produce text the schema allows (up to `max_tokens`).
    """

    def __init__(
        self,
        model_path: str | Path,
        *,
        sha256: str | None = None,
        n_ctx: int = 2048,
        n_threads: int = 2,
        chat_format: str | None = None,
        name: str | None = None,
        lora_path: str | Path | None = None,
        lora_sha256: str | None = None,
        lora_scale: float = 1.0,
    ) -> None:
        for label, digest in (("sha256", sha256), ("lora_sha256", lora_sha256)):
            if digest is not None and not _SHA256.fullmatch(digest.lower()):
                raise LLMInputError(f"{label} must be 64 hex digits, got {digest!r}")
        if isinstance(n_ctx, bool) or not isinstance(n_ctx, int) or n_ctx < 256 or n_ctx % 256:
            # llama.cpp pads the context up to a multiple of 256, but llama-cpp-python 0.3.36 sizes its token
            # buffer by the requested value and checks prompts against the padded one: prompts in between crash
            # with a numpy broadcast error instead of a clear "too long".
            raise LLMInputError(f"n_ctx must be a multiple of 256 (256, 512, 1024, 2048, ...), got {n_ctx!r}")
        if isinstance(n_threads, bool) or not isinstance(n_threads, int) or n_threads < 1:
            raise LLMInputError(f"n_threads must be a positive integer, got {n_threads!r}")
        super().__init__(name or Path(model_path).stem)
        self.model_path = Path(model_path)
        self.sha256 = sha256.lower() if sha256 else None
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.chat_format = chat_format
        self.lora_path = Path(lora_path) if lora_path is not None else None
        self.lora_sha256 = lora_sha256.lower() if lora_sha256 else None
        self.lora_scale = float(lora_scale)
        self._entry: _Loaded | None = None

    def with_adapter(self, lora_path: str | Path, *, lora_sha256: str | None = None, name: str | None = None) -> LlamaCppModel:
        """The same base file and settings with a LoRA adapter on top (an unopened model; the base stays shared)."""
        return LlamaCppModel(
            self.model_path, sha256=self.sha256, n_ctx=self.n_ctx, n_threads=self.n_threads, chat_format=self.chat_format,
            name=name or f"{self.name}+lora", lora_path=lora_path, lora_sha256=lora_sha256,
        )  # fmt: skip

    def open(self) -> None:
        """Load the model, or reuse the copy this process already loaded; verify the sha256 first when one was given."""
        if self._entry is not None:
            return
        llama_cpp = _import_llama_cpp()
        path = self.model_path.expanduser().resolve()
        if not path.is_file():
            raise LLMSetupError(f"model file {path} does not exist")
        lora = self.lora_path.expanduser().resolve() if self.lora_path is not None else None
        if lora is not None and not lora.is_file():
            raise LLMSetupError(f"LoRA adapter {lora} does not exist")
        key: CacheKey = (str(path), self.n_ctx, self.n_threads, self.chat_format, str(lora) if lora else None, self.lora_scale)
        with _LOADED_LOCK:
            entry = _LOADED.get(key)
            if lora is not None and self.lora_sha256 is not None and entry is None:
                actual = file_sha256(lora)
                if actual != self.lora_sha256:
                    raise ModelIntegrityError(str(lora), self.lora_sha256, actual)
            if self.sha256 is not None and (entry is None or self.sha256 not in entry.verified_sha256):
                actual = file_sha256(path)
                if actual != self.sha256:
                    raise ModelIntegrityError(str(path), self.sha256, actual)
                if entry is not None:
                    entry.verified_sha256.add(actual)
            if entry is None:
                entry = _Loaded(self._load(llama_cpp, path, lora), threading.Lock(), {self.sha256} if self.sha256 else set())
                _LOADED[key] = entry
        self._entry = entry

    def _load(self, llama_cpp: Any, path: Path, lora: Path | None = None) -> Any:
        # verbose=False silences llama-cpp-python's logger, but llama.cpp still writes a few lines straight to
        # file descriptor 2 while it builds the context (e.g. Gemma's "using full-size SWA cache"): capture
        # them, and show them only if the load fails.
        with tempfile.TemporaryFile(mode="w+b") as captured:
            saved = os.dup(2)
            sys.stderr.flush()
            os.dup2(captured.fileno(), 2)
            try:
                adapter = {"lora_path": str(lora), "lora_scale": self.lora_scale} if lora is not None else {}
                return llama_cpp.Llama(
                    model_path=str(path),
                    n_ctx=self.n_ctx,
                    n_threads=self.n_threads,
                    # Left at None, batch threads default to every core, which fights other thread pools.
                    n_threads_batch=self.n_threads,
                    chat_format=self.chat_format,
                    verbose=False,
                    **adapter,
                )
            except Exception as exc:
                os.dup2(saved, 2)
                captured.seek(0)
                engine_says = captured.read().decode(errors="replace").strip()
                raise LLMSetupError(f"llama.cpp could not load {path}: {exc}" + (f"\n{engine_says}" if engine_says else "")) from exc
            finally:
                os.dup2(saved, 2)
                os.close(saved)

    def close(self) -> None:
        """Stop using the model; the weights stay cached for the process (see `unload_models`)."""
        self._entry = None

    @property
    def is_open(self) -> bool:
        """True between `open()` and `close()`."""
        return self._entry is not None

    def _complete(self, messages: list[ChatMessage], settings: GenerationSettings, json_schema: JsonSchema | None) -> RawCompletion:
        entry = self._entry
        if entry is None:
            raise LLMError(f"{self.name}: the model is not open: call open() or use it as a context manager")
        kwargs: dict[str, Any] = {
            "messages": self._chat_messages(messages),
            "max_tokens": settings.max_tokens,
            "temperature": settings.temperature,
            "stop": list(settings.stop or ()),
            "seed": settings.seed,
        }
        for field in ("top_k", "top_p", "min_p", "repeat_penalty", "presence_penalty", "frequency_penalty"):
            value = getattr(settings, field)
            if value is not None:
                kwargs[field] = value
        if json_schema is not None:
            kwargs["grammar"] = _grammar(json.dumps(json_schema, sort_keys=True))
        elif settings.grammar is not None:
            kwargs["grammar"] = _gbnf(settings.grammar)
        with entry.lock:
            try:
                out = entry.llama.create_chat_completion(**kwargs)
            except ValueError as exc:
                if "exceed context window" in str(exc):
                    raise LLMContextError(f"{self.name}: the prompt does not fit the {self.n_ctx}-token context window ({exc})") from exc
                raise
        choice = out["choices"][0]
        usage: Mapping[str, int] = out.get("usage") or {}
        return RawCompletion(
            text=choice["message"].get("content") or "",
            prompt_tokens=int(usage.get("prompt_tokens", 0)),
            completion_tokens=int(usage.get("completion_tokens", 0)),
            finish_reason=choice.get("finish_reason") or "stop",
        )

    def _chat_messages(self, messages: list[ChatMessage]) -> list[dict[str, str]]:
        turns = [m.model_dump() for m in messages]
        if self.chat_format == "gemma":
            # llama-cpp-python's "gemma" format silently drops system turns (Gemma has no system role);
            # keep the instructions by putting them in front of the first user turn, as Gemma's own template does.
            system = "\n\n".join(t["content"] for t in turns if t["role"] == "system")
            turns = [t for t in turns if t["role"] != "system"]
            if system:
                first_user = next((i for i, t in enumerate(turns) if t["role"] == "user"), None)
                if first_user is None:
                    turns.insert(0, {"role": "user", "content": system})
                else:
                    turns[first_user] = {"role": "user", "content": f"{system}\n\n{turns[first_user]['content']}"}
        return turns

    def __repr__(self) -> str:
        return (
            f"LlamaCppModel({str(self.model_path)!r}, n_ctx={self.n_ctx}, n_threads={self.n_threads}, "
            f"chat_format={self.chat_format!r}, sha256={'pinned' if self.sha256 else None}"
            + (f", lora_path={str(self.lora_path)!r}" if self.lora_path else "")
            + ")"
        )
