"""Session history in one SQLite file (or in memory): the embedded backend, no server needed."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

from opsgraph.rag.cache.records import Scope
from opsgraph.rag.history.base import Turn, check_session

HISTORY_FILE = "history.sqlite"


class EmbeddedHistory:
    """Session history in `<folder>/history.sqlite` (or in memory when `folder` is None).

    Args:
        folder: where the file lives.
        max_turns: turns kept per session (older ones are dropped on append).
        ttl: seconds a turn is kept (None: until dropped by `max_turns`).
        clock: epoch seconds; tests pass a fake one.
    """

    def __init__(self, folder: str | Path | None = None, *, max_turns: int = 50, ttl: int | None = None, clock: Callable[[], float] = time.time) -> None:
        if max_turns < 1:
            raise ValueError(f"max_turns must be >= 1, got {max_turns}")
        self.folder = Path(folder) if folder is not None else None
        self.max_turns = max_turns
        self.ttl = ttl
        self.clock = clock
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def open(self) -> None:
        with self._lock:
            if self._db is not None:
                return
            target = ":memory:"
            if self.folder is not None:
                self.folder.mkdir(parents=True, exist_ok=True)
                target = str(self.folder / HISTORY_FILE)
            db = sqlite3.connect(target, timeout=30, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS turns (n INTEGER PRIMARY KEY AUTOINCREMENT, tenant TEXT NOT NULL, user_id TEXT NOT NULL, "
                "session TEXT NOT NULL, at REAL NOT NULL, turn TEXT NOT NULL)"
            )
            db.execute("CREATE INDEX IF NOT EXISTS turns_session ON turns (tenant, user_id, session, n)")
            db.commit()
            self._db = db

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError("the history is not open: call open()")
        return self._db

    def recent(self, scope: Scope, session: str, n: int) -> list[Turn]:
        check_session(session)
        if n < 1:
            return []
        oldest = -1.0 if self.ttl is None else self.clock() - self.ttl
        with self._lock:
            rows = self._conn().execute(
                "SELECT turn FROM turns WHERE tenant = ? AND user_id = ? AND session = ? AND at > ? ORDER BY n DESC LIMIT ?",
                (scope.tenant, scope.user, session, oldest, n),
            ).fetchall()
        return [Turn.model_validate_json(r[0]) for r in reversed(rows)]

    def append(self, scope: Scope, session: str, turn: Turn) -> None:
        check_session(session)
        key = (scope.tenant, scope.user, session)
        with self._lock:
            db = self._conn()
            with db:
                db.execute("INSERT INTO turns (tenant, user_id, session, at, turn) VALUES (?, ?, ?, ?, ?)", (*key, turn.at, turn.model_dump_json()))
                db.execute(
                    "DELETE FROM turns WHERE tenant = ? AND user_id = ? AND session = ? AND n NOT IN "
                    "(SELECT n FROM turns WHERE tenant = ? AND user_id = ? AND session = ? ORDER BY n DESC LIMIT ?)",
                    (*key, *key, self.max_turns),
                )

    def clear(self, scope: Scope, session: str | None = None) -> int:
        with self._lock:
            db = self._conn()
            with db:
                if session is None:
                    cur = db.execute("DELETE FROM turns WHERE tenant = ? AND user_id = ?", (scope.tenant, scope.user))
                else:
                    cur = db.execute("DELETE FROM turns WHERE tenant = ? AND user_id = ? AND session = ?", (scope.tenant, scope.user, check_session(session)))
            return int(cur.rowcount)
