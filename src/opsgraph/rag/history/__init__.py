"""Conversation history per (tenant, user, session): the turn record, the protocol, and two backends.

`EmbeddedHistory` (SQLite, no server) is exported here; `opsgraph.rag.history.redis.RedisHistory`
is not imported here: it needs the `[redis]` extra.
"""

from opsgraph.rag.history.base import ConversationHistory, Turn, TurnEntity, check_session
from opsgraph.rag.history.embedded import HISTORY_FILE, EmbeddedHistory

__all__ = ["HISTORY_FILE", "ConversationHistory", "EmbeddedHistory", "Turn", "TurnEntity", "check_session"]
