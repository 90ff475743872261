"""The `LanguageModel` protocol, the records it exchanges, and the base class providers fill in.

Every provider subclasses `BaseLanguageModel` and writes one private method,
`_complete`; the base does the shared work around it: validating messages,
settings and the JSON schema, timing, token accounting, mapping unexpected
errors to `LLMError`, and parsing plus validating JSON-mode output. So every
provider returns the same `Completion` and raises the same errors.

This module knows no engine and does no I/O; layers above talk to models
through it only.
"""

from __future__ import annotations

import json
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal, Protocol, Self, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from opsgraph.errors import OpsGraphError
from opsgraph.llm._jsonschema import check_schema, validate
from opsgraph.llm.errors import LLMError, LLMInputError, StructuredOutputError

JsonSchema = Mapping[str, Any]


class ChatMessage(BaseModel):
    """One turn of a conversation."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    role: Literal["system", "user", "assistant"]
    """Who speaks: `system` sets the rules, `user` asks, `assistant` is the model's earlier answers."""
    content: str
    """The text of the turn."""


Messages = str | Sequence[ChatMessage | Mapping[str, str]]
"""A conversation: `ChatMessage`s or `{"role", "content"}` mappings; a bare string is one user turn."""


class GenerationSettings(BaseModel):
    """How to sample an answer; one object the app builds from configuration and passes around.

    `None` means "the engine's own default" and is not sent. Ranges follow the
    OpenAI API, which the embedded engine also accepts.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    max_tokens: int = Field(256, ge=1)
    """Most tokens to generate; the answer ends with `finish_reason="length"` when reached."""
    temperature: float = Field(0.0, ge=0.0, le=2.0)
    """0 picks the most likely token every time (greedy, reproducible); higher is more varied."""
    top_k: int | None = Field(None, ge=0)
    """Sample only among the k most likely tokens (0 disables). Not in the OpenAI API; vLLM and llama.cpp server accept it."""
    top_p: float | None = Field(None, gt=0.0, le=1.0)
    """Nucleus sampling: the smallest set of tokens whose probabilities add up to `top_p`."""
    min_p: float | None = Field(None, ge=0.0, le=1.0)
    """Drop tokens less likely than `min_p` times the most likely one. vLLM / llama.cpp extra."""
    repeat_penalty: float | None = Field(None, gt=0.0)
    """Divide the odds of recently seen tokens by this (1 = off). vLLM calls it `repetition_penalty`; sent as both."""
    presence_penalty: float | None = Field(None, ge=-2.0, le=2.0)
    """Penalise tokens that already appeared at all."""
    frequency_penalty: float | None = Field(None, ge=-2.0, le=2.0)
    """Penalise tokens in proportion to how often they appeared."""
    stop: tuple[str, ...] | None = None
    """Strings that end the answer; the matched string is not part of the text."""
    seed: int | None = Field(None, ge=0, le=2**32 - 1)
    """Random seed for sampling; with temperature > 0 the same seed gives the same answer on the same engine."""
    grammar: str | None = None
    """A llama.cpp GBNF grammar (root rule `root`) the answer must match, e.g. the read-only Cypher subset of an
    estate. llama.cpp in-process and llama.cpp server read it as `grammar`, vLLM as `guided_grammar`; other
    servers ignore it, so callers still check what comes back. Not together with `json_schema`."""

    @field_validator("stop", mode="before")
    @classmethod
    def _one_stop_is_a_tuple(cls, value: object) -> object:
        if isinstance(value, str):
            value = (value,)
        if isinstance(value, list | tuple) and any(not isinstance(s, str) or not s for s in value):
            raise ValueError("stop sequences must be non-empty strings")
        return tuple(value) if isinstance(value, list) else value

    def updated(self, **changes: Any) -> GenerationSettings:
        """A validated copy with `changes` applied."""
        return _settings({**self.model_dump(), **changes})


def _settings(values: Mapping[str, Any]) -> GenerationSettings:
    try:
        return GenerationSettings.model_validate(values)
    except ValidationError as exc:
        details = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise LLMInputError(f"invalid generation settings: {details}", exc.errors()) from exc


class Completion(BaseModel):
    """One answer from a model, the same shape whatever produced it."""

    model_config = ConfigDict(frozen=True)
    text: str
    """The generated text, without the stop sequence that ended it."""
    parsed: Any = None
    """JSON mode: the text parsed as JSON and validated against the schema; `None` otherwise."""
    prompt_tokens: int
    """Tokens the prompt took, as the engine counted them (chat template included); 0 if an endpoint reports no usage."""
    completion_tokens: int
    """Tokens generated, as the engine counted them; 0 if an endpoint reports no usage."""
    latency_ms: float
    """Wall time of the whole call, prompt processing included."""
    model: str
    """Name of the model that answered."""
    finish_reason: str
    """Why generation ended: `stop` (end of turn or a stop sequence), `length` (hit max_tokens), or the server's reason."""

    @property
    def tokens_per_second(self) -> float:
        """Generated tokens per second of wall time (prompt processing included)."""
        return self.completion_tokens / (self.latency_ms / 1000.0) if self.latency_ms > 0 else 0.0


@dataclass(frozen=True)
class RawCompletion:
    """What a provider's `_complete` returns; the base class turns it into a `Completion`."""

    text: str
    """Generated text."""
    prompt_tokens: int
    """Prompt tokens as the engine counted them."""
    completion_tokens: int
    """Generated tokens."""
    finish_reason: str
    """`stop`, `length` or the engine's own reason."""
    model: str | None = None
    """The name the engine reports, when it reports one (else the model's `name`)."""


@runtime_checkable
class LanguageModel(Protocol):
    """A chat model: messages in, one `Completion` out, optionally JSON constrained by a schema."""

    @property
    def name(self) -> str:
        """A short name for traces and reports."""

    def open(self) -> None:
        """Acquire what the model needs (load weights, check the endpoint settings); all I/O starts here."""

    def close(self) -> None:
        """Release it; safe to call twice."""

    def complete(
        self,
        messages: Messages,
        *,
        json_schema: JsonSchema | None = None,
        max_tokens: int = 256,
        temperature: float = 0.0,
        top_k: int | None = None,
        top_p: float | None = None,
        min_p: float | None = None,
        repeat_penalty: float | None = None,
        presence_penalty: float | None = None,
        frequency_penalty: float | None = None,
        stop: str | Sequence[str] | None = None,
        seed: int | None = None,
        grammar: str | None = None,
    ) -> Completion:
        """Answer `messages`; with `json_schema`, the text is JSON matching it and `parsed` holds the value."""

    def complete_with(self, messages: Messages, settings: GenerationSettings, *, json_schema: JsonSchema | None = None) -> Completion:
        """The same as `complete`, with the sampling settings as one object."""


class BaseLanguageModel(ABC):
    """Shared work of every provider; subclasses implement `_complete` (and `open`/`close` if they hold resources)."""

    def __init__(self, name: str) -> None:
        self._name = name

    @property
    def name(self) -> str:
        """A short name for traces and reports."""
        return self._name

    def open(self) -> None:
        """Acquire resources; nothing to do by default."""
        return None

    def close(self) -> None:
        """Release resources; nothing to do by default."""
        return None

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def complete(
        self,
        messages: Messages,
        *,
        json_schema: JsonSchema | None = None,
        max_tokens: int = 256,
        temperature: float = 0.0,
        top_k: int | None = None,
        top_p: float | None = None,
        min_p: float | None = None,
        repeat_penalty: float | None = None,
        presence_penalty: float | None = None,
        frequency_penalty: float | None = None,
        stop: str | Sequence[str] | None = None,
        seed: int | None = None,
        grammar: str | None = None,
    ) -> Completion:
        """Answer `messages`; with `json_schema`, the text is JSON matching it and `parsed` holds the value.

        Raises `LLMInputError` for bad messages, settings or schema (before
        the model runs), `StructuredOutputError` when JSON mode produced
        something that does not parse or validate, and another `LLMError`
        when the model itself failed.
        """
        settings = _settings(
            {
                "max_tokens": max_tokens, "temperature": temperature, "top_k": top_k, "top_p": top_p, "min_p": min_p,
                "repeat_penalty": repeat_penalty, "presence_penalty": presence_penalty,
                "frequency_penalty": frequency_penalty, "stop": stop, "seed": seed, "grammar": grammar,
            }
        )  # fmt: skip
        return self.complete_with(messages, settings, json_schema=json_schema)

    def complete_with(self, messages: Messages, settings: GenerationSettings, *, json_schema: JsonSchema | None = None) -> Completion:
        """The same as `complete`, with the sampling settings as one object."""
        if not isinstance(settings, GenerationSettings):
            raise LLMInputError(f"settings must be a GenerationSettings, got {type(settings).__name__}")
        turns = normalize_messages(messages)
        if json_schema is not None:
            check_schema(json_schema)
            if settings.grammar is not None:
                raise LLMInputError("give json_schema or grammar, not both: each one constrains the whole answer")
        started = time.perf_counter()
        try:
            raw = self._complete(turns, settings, json_schema)
        except OpsGraphError:
            raise
        except Exception as exc:  # an engine bug or an unmapped low-level error: keep the cause, name the model
            raise LLMError(f"{self.name}: generation failed: {type(exc).__name__}: {exc}") from exc
        latency_ms = (time.perf_counter() - started) * 1000.0
        parsed = _parse_json(raw, json_schema, settings) if json_schema is not None else None
        return Completion(
            text=raw.text,
            parsed=parsed,
            prompt_tokens=max(0, raw.prompt_tokens),
            completion_tokens=max(0, raw.completion_tokens),
            latency_ms=latency_ms,
            model=raw.model or self.name,
            finish_reason=raw.finish_reason,
        )

    @abstractmethod
    def _complete(self, messages: list[ChatMessage], settings: GenerationSettings, json_schema: JsonSchema | None) -> RawCompletion:
        """Run the model once. Inputs are already validated; with `json_schema`, constrain the output to it."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


def normalize_messages(messages: Messages) -> list[ChatMessage]:
    """Validated `ChatMessage`s from any accepted form; raises `LLMInputError`."""
    if isinstance(messages, str):
        messages = [ChatMessage(role="user", content=messages)]
    if not isinstance(messages, Sequence) or isinstance(messages, bytes | bytearray):
        raise LLMInputError(f"messages must be a string or a sequence of messages, got {type(messages).__name__}")
    if not messages:
        raise LLMInputError("messages is empty: give at least one user message")
    turns: list[ChatMessage] = []
    for i, message in enumerate(messages):
        if isinstance(message, ChatMessage):
            turns.append(message)
            continue
        try:
            turns.append(ChatMessage.model_validate(dict(message) if isinstance(message, Mapping) else message))
        except ValidationError as exc:
            details = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'message'}: {e['msg']}" for e in exc.errors())
            raise LLMInputError(f"messages[{i}] is invalid: {details}", exc.errors()) from exc
    if all(t.role == "system" for t in turns):
        raise LLMInputError("messages hold only system turns: add a user message")
    return turns


def _parse_json(raw: RawCompletion, schema: JsonSchema, settings: GenerationSettings) -> Any:
    try:
        value = json.loads(raw.text)
    except json.JSONDecodeError as exc:
        cut = f" (generation stopped at max_tokens={settings.max_tokens} before the JSON closed)" if raw.finish_reason == "length" else ""
        raise StructuredOutputError(f"the model's output is not JSON{cut}: {exc}", text=raw.text, problems=[str(exc)]) from exc
    problems = validate(value, schema)
    if problems:
        raise StructuredOutputError("the model's JSON does not match the schema: " + "; ".join(problems[:5]), text=raw.text, problems=problems)
    return value
