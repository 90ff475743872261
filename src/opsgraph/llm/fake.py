"""`FakeLanguageModel`: a scripted `LanguageModel` for testing code that uses a model, without one.

Like httpx's `MockTransport`, it ships with the library so the RAG and
text-to-Cypher layers (and users) can test their prompts, parsing and error
handling in milliseconds. It goes through `BaseLanguageModel`, so validation,
JSON-mode parsing and errors behave exactly as with a real provider.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from opsgraph.llm.base import BaseLanguageModel, ChatMessage, GenerationSettings, JsonSchema, RawCompletion

Reply = str | RawCompletion | BaseException
"""A scripted answer: text, a full `RawCompletion`, or an exception to raise."""
Responder = Callable[[list[ChatMessage], GenerationSettings, JsonSchema | None], str | RawCompletion]
"""Computes the answer from what the model was asked."""


@dataclass(frozen=True)
class FakeCall:
    """One request the fake received, after validation."""

    messages: list[ChatMessage]
    """The normalised conversation."""
    settings: GenerationSettings
    """The sampling settings."""
    json_schema: JsonSchema | None
    """The schema, in JSON mode."""


class FakeLanguageModel(BaseLanguageModel):
    """Answers from a script and records every call in `calls`.

    Args:
        replies: one `Reply` given to every call; a sequence of them, used in
            order (an `LLMError` once exhausted); or a `Responder`.
        name: the model name in each `Completion`. Default `"fake"`.

    Text replies count tokens as whitespace-separated words, which is enough
    for tests of budgets and reports, and are cut to `max_tokens` words with
    `finish_reason="length"`, like a real model.
    """

    def __init__(self, replies: Reply | Sequence[Reply] | Responder, *, name: str = "fake") -> None:
        super().__init__(name)
        self._replies = replies
        self._next = 0
        self.calls: list[FakeCall] = []

    def _complete(self, messages: list[ChatMessage], settings: GenerationSettings, json_schema: JsonSchema | None) -> RawCompletion:
        self.calls.append(FakeCall(messages, settings, json_schema))
        reply: Reply
        if isinstance(self._replies, str | RawCompletion | BaseException):
            reply = self._replies
        elif isinstance(self._replies, Sequence):
            if self._next >= len(self._replies):
                raise AssertionError(f"FakeLanguageModel ran out of replies after {len(self._replies)} call(s)")
            reply = self._replies[self._next]
            self._next += 1
        else:
            reply = self._replies(messages, settings, json_schema)
        if isinstance(reply, BaseException):
            raise reply
        if isinstance(reply, RawCompletion):
            return reply
        words = reply.split()
        cut = len(words) > settings.max_tokens
        return RawCompletion(
            text=" ".join(words[: settings.max_tokens]) if cut else reply,
            prompt_tokens=sum(len(m.content.split()) for m in messages),
            completion_tokens=min(len(words), settings.max_tokens),
            finish_reason="length" if cut else "stop",
        )
