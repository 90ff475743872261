"""Session history on Redis through RedisVL's `MessageHistory`.

One session tag per (tenant, user, session); each turn is a user message
carrying the turn's record in its metadata plus the assistant's answer.
Everything network-bound happens in `open()`. Import this module only when
Redis is configured: it imports `redis` and `redisvl` (the `[redis]` extra).
"""

from __future__ import annotations

from typing import Any

from redis.exceptions import RedisError
from redisvl.extensions.message_history import MessageHistory

from opsgraph.rag._redis import RedisBackendError, connect, slug
from opsgraph.rag.cache.records import Scope
from opsgraph.rag.history.base import Turn, check_session


class RedisHistory:
    """Session history in RedisVL's `MessageHistory`.

    Args:
        url: `redis://host:port/db`.
        name: the history index (and key prefix).
        max_turns: turns kept per session (older ones are dropped on append).
    """

    def __init__(self, url: str, *, name: str = "opsgraph-history", max_turns: int = 50) -> None:
        self.url = url
        self.name = slug(name)
        self.max_turns = max_turns
        self._client: Any = None
        self._mh: MessageHistory | None = None

    def open(self) -> None:
        if self._mh is not None:
            return
        client = connect(self.url)
        try:
            self._mh = MessageHistory(name=self.name, redis_client=client)
        except RedisError as exc:
            raise RedisBackendError(f"Redis at {self.url}: cannot create the history index {self.name}: {exc}") from exc
        self._client = client

    def close(self) -> None:
        self._mh = None
        if self._client is not None:
            self._client.close()
            self._client = None

    def _history(self) -> MessageHistory:
        if self._mh is None:
            raise RuntimeError("the history is not open: call open()")
        return self._mh

    @staticmethod
    def _tag(scope: Scope, session: str) -> str:
        return f"{scope.tenant}/{scope.user}/{check_session(session)}"

    def _sessions_key(self, scope: Scope) -> str:
        return f"{self.name}:sessions:{scope.key}"

    def recent(self, scope: Scope, session: str, n: int) -> list[Turn]:
        if n < 1:
            return []
        messages = self._history().get_recent(top_k=n, session_tag=self._tag(scope, session), role="user")
        turns = []
        for m in messages:
            meta = m.get("metadata") if isinstance(m, dict) else None
            if isinstance(meta, dict) and "turn" in meta:
                turns.append(Turn.model_validate(meta["turn"]))
        return turns

    def append(self, scope: Scope, session: str, turn: Turn) -> None:
        mh = self._history()
        tag = self._tag(scope, session)
        mh.add_messages(
            [
                {"role": "user", "content": turn.question, "metadata": {"turn": turn.model_dump()}},  # type: ignore[dict-item]
                {"role": "assistant", "content": turn.answer or "(no answer)"},
            ],
            session_tag=tag,
        )
        assert self._client is not None
        self._client.sadd(self._sessions_key(scope), tag)
        extra = int(mh.count(session_tag=tag)) - 2 * self.max_turns
        if extra > 0:
            for old in mh.get_recent(top_k=extra + 2 * self.max_turns, session_tag=tag, raw=True)[:extra]:
                mh.drop(old["entry_id"])  # type: ignore[call-overload]

    def clear(self, scope: Scope, session: str | None = None) -> int:
        mh = self._history()
        assert self._client is not None
        tags = [self._tag(scope, session)] if session is not None else [t.decode() for t in self._client.smembers(self._sessions_key(scope))]  # type: ignore[union-attr]
        dropped = 0
        for tag in tags:
            count = int(mh.count(session_tag=tag))
            for message in mh.get_recent(top_k=count, session_tag=tag, raw=True):
                mh.drop(message["entry_id"])  # type: ignore[call-overload]
                dropped += 1
            self._client.srem(self._sessions_key(scope), tag)
        return dropped // 2
