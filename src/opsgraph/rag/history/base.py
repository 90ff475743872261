"""Conversation history: the turn record, session ids, and the protocol every history backend keeps.

Histories (`embedded.EmbeddedHistory`, `redis.RedisHistory`) are keyed by
scope (tenant, user) *and* session, so one user never reads another's
conversation. Follow-up rewriting over the turns is `opsgraph.rag.rewrite`.
"""

from __future__ import annotations

import re
import time
from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel, Field, field_validator

from opsgraph.rag.cache.records import Scope

_SESSION = re.compile(r"^[A-Za-z0-9_.@+:\-]{1,128}$")


class TurnEntity(BaseModel):
    """An estate entity a turn was about."""

    id: str
    """The node id."""
    type: str
    """Its node type."""
    source: Literal["question", "answer"]
    """Linked in the question, or returned/cited by the answer."""


class Turn(BaseModel):
    """One question and its answer, as memory keeps them."""

    question: str
    """As the user asked it."""
    standalone: str
    """As it was answered (after rewriting)."""
    answer: str = ""
    """The answer text (first 1,000 characters)."""
    entities: list[TurnEntity] = Field(default_factory=list)
    """What the turn was about, question entities first, in order of mention."""
    at: float = Field(default_factory=time.time)
    """Epoch seconds."""

    @field_validator("answer")
    @classmethod
    def _short(cls, value: str) -> str:
        return value[:1000]


def check_session(session: str) -> str:
    """Session ids are plain tokens (they become keys and filter values)."""
    if not _SESSION.match(session):
        raise ValueError(f"session {session!r}: use 1-128 letters, digits and _ . @ + : -")
    return session


@runtime_checkable
class ConversationHistory(Protocol):
    """Turns per (scope, session), oldest first."""

    def open(self) -> None: ...

    def close(self) -> None: ...

    def recent(self, scope: Scope, session: str, n: int) -> list[Turn]:
        """The last `n` turns of the session, oldest first."""

    def append(self, scope: Scope, session: str, turn: Turn) -> None:
        """Add a turn at the end of the session."""

    def clear(self, scope: Scope, session: str | None = None) -> int:
        """Forget one session of `scope`, or all of its sessions; returns turns dropped."""
