"""How `ArcadeDBStore` reaches an engine: one small interface, two kinds.

Like httpx's `Client(transport=...)`, the store does the opsgraph work
(batching, hashing, de-duplication, schema DDL) and a transport only runs a
statement. `EmbeddedTransport` runs ArcadeDB inside this process (the
default); an HTTP transport for an ArcadeDB server (and its HA cluster) is
the next one to add. `MockTransport` ships with the library for tests (httpx's
habit): a handler returns each statement's rows, no engine runs.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

from opsgraph.errors import QueryError, QueryTimeoutError, StoreError, StoreLockedError, WriteRefusedError


class Transport(Protocol):
    """Runs statements against one ArcadeDB database."""

    def open(self) -> None:
        """Connect or open the database, creating it if absent."""

    def close(self) -> None:
        """Release the database; safe to call twice."""

    def query(self, language: str, text: str, params: Mapping[str, Any] | None, limit: int | None) -> tuple[list[dict[str, Any]], bool]:
        """Run a read-only statement; return at most `limit` rows and whether more existed."""

    def command(self, language: str, text: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run a statement that may write (inside the current transaction, if any)."""

    def transaction(self) -> contextlib.AbstractContextManager[None]:
        """Commit on success, roll back on any exception."""

    def set_timeout(self, ms: int) -> None:
        """Stop any later statement that runs longer than `ms` milliseconds."""


_JVM_STARTED = False


def _start_jvm(heap: str) -> None:
    """Start the JVM once, with engine logging sent nowhere but SEVERE to stderr.

    ArcadeDB otherwise writes a `./log/` folder into whatever directory the
    user runs from and prints INFO lines for every index build. The JVM's own
    banner ("Using incubator modules") is silenced by pointing stderr at a
    temporary file while it starts; if the start fails, that text is shown.
    """
    global _JVM_STARTED
    if _JVM_STARTED:
        return
    import jpype
    from arcadedb_embedded import jvm

    if jpype.isJVMStarted():
        # Someone in this process (user code, a notebook) started it first: use it as it is.
        _JVM_STARTED = True
        return
    logging_file = resources.files("opsgraph.store").joinpath("arcadedb-logging.properties")
    args = [f"-Djava.util.logging.config.file={logging_file}"]
    os.environ.setdefault("ARCADEDB_JVM_ERROR_FILE", str(Path(tempfile.gettempdir()) / "opsgraph-jvm-error-%p.log"))
    with tempfile.TemporaryFile(mode="w+b") as captured:
        saved = os.dup(2)
        sys.stderr.flush()
        os.dup2(captured.fileno(), 2)
        try:
            jvm.start_jvm(heap_size=heap, jvm_args=args)
        except Exception as exc:
            os.dup2(saved, 2)
            captured.seek(0)
            raise StoreError(f"could not start the ArcadeDB engine: {exc}\n{captured.read().decode(errors='replace')}") from exc
        finally:
            os.dup2(saved, 2)
            os.close(saved)
    _unhook_java_triggered_collections()
    _JVM_STARTED = True


def _unhook_java_triggered_collections() -> None:
    """Stop JPype from answering each Java garbage collection with a full Python one.

    JPype 1.7 registers `_jpype._collect` in `gc.callbacks` and, from its reference-queue thread,
    runs `PyGC_Collect()` (holding the GIL) whenever the JVM has collected, unless a Python
    collection is under way; the callback is what re-arms it after each Python collection. A long
    query collects on the Java side every few hundred milliseconds, and a process holding the
    models has millions of Python objects, so every other Python thread (a server's event loop)
    stood still for 150-300 ms at a time (py-spy: `gc_collect_main` under
    `JPGarbageCollection::triggered`; `/healthz` took ~200 ms instead of ~2 ms during one long
    query). Without the callback the trigger fires at most once more; Python still collects on its
    own thresholds, and the engine's results are copied into Python values, so no object cycle
    spans both heaps and nothing is kept alive longer than before.
    """
    import gc

    import _jpype

    hook = getattr(_jpype, "_collect", None)
    while hook is not None and hook in gc.callbacks:
        gc.callbacks.remove(hook)


def start_engine(heap: str = "2g") -> None:
    """Start the embedded engine's JVM now with at most `heap` of Java heap ("768m", "2g"), if it is not running.

    One JVM serves every embedded store of a process and is configured once: the first start wins, and
    stores opened later share it whatever heap they were built with. A process that opens many stores in
    turn (a test session) calls this first to choose the heap for all of them.
    """
    _start_jvm(heap)


_LOCKED = re.compile(r"LockException: (.*?)(?:\)|$)")
_CAUSE = re.compile(r"(?:com\.arcadedb\.\w+(?:\.\w+)*\.)?(\w+Exception): (.+?)(?: \(caused by |$)", re.S)


def engine_message(exc: BaseException) -> str:
    """The engine's own message without the Java class path noise."""
    text = str(exc)
    m = _CAUSE.search(text)
    if m:
        return f"{m.group(1)}: {m.group(2).strip()}"
    return text


def to_python(value: Any) -> Any:
    """Convert engine values (vertices, edges, paths, Java collections) to plain Python."""
    from arcadedb_embedded import convert_java_to_python

    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, list):
        return [to_python(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_python(v) for k, v in value.items()}
    if hasattr(value, "getStartVertex") and hasattr(value, "getEndVertex"):
        return {"nodes": [to_python(v) for v in value.getVertices()], "edges": [to_python(e) for e in value.getEdges()]}
    if hasattr(value, "getOutVertex") and hasattr(value, "propertiesAsMap"):
        props = to_python(convert_java_to_python(value.propertiesAsMap()))
        props.pop("_hash", None)
        return {
            "_type": str(value.getTypeName()),
            "_from": to_python(value.getOutVertex().get("id")),
            "_to": to_python(value.getInVertex().get("id")),
            **props,
        }
    if hasattr(value, "propertiesAsMap") and hasattr(value, "getTypeName"):
        props = to_python(convert_java_to_python(value.propertiesAsMap()))
        props.pop("_hash", None)
        return {"_type": str(value.getTypeName()), **props}
    if hasattr(value, "toMap") and hasattr(value, "getPropertyNames"):
        return to_python(convert_java_to_python(value.toMap()))
    converted = convert_java_to_python(value)
    if converted is value:
        return str(value)
    return to_python(converted)


def _read_error(exc: Exception, text: str) -> QueryError:
    """The public error for an engine failure of a read."""
    msg = engine_message(exc)
    if "TimeoutException" in msg:
        return QueryTimeoutError(f"the query ran past its time limit and was stopped: {msg}", cypher=text)
    if "QueryNotIdempotentException" in msg or "not idempotent" in msg:
        return WriteRefusedError(f"the engine refused a write in a read-only query: {msg}", cypher=text)
    return QueryError(msg, cypher=text)


class EmbeddedTransport:
    """ArcadeDB running in this process through `arcadedb-embedded` (JPype + bundled JRE).

    One process may open a database folder at a time; a second process gets
    `StoreLockedError`. Threads of one process may share it, but a
    transaction belongs to the thread that began it.
    """

    def __init__(self, path: str | Path, *, heap: str = "2g") -> None:
        self.path = Path(path)
        self.heap = heap
        self._db: Any = None

    def open(self) -> None:
        if self._db is not None:
            return
        try:
            import arcadedb_embedded as arcadedb
        except ImportError as exc:  # pragma: no cover - a core dependency
            raise StoreError("the embedded store needs arcadedb-embedded: pip install opsgraph") from exc
        _start_jvm(self.heap)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            if arcadedb.database_exists(str(self.path)):
                self._db = arcadedb.open_database(str(self.path))
            else:
                self._db = arcadedb.create_database(str(self.path))
        except Exception as exc:
            m = _LOCKED.search(str(exc))
            if m or "locked by another process" in str(exc):
                raise StoreLockedError(
                    f"the store at {self.path} is in use by another process. The embedded store allows "
                    "one process at a time: stop the other opsgraph process (or `opsgraph serve`) or point "
                    "OPSGRAPH_HOME at another folder."
                ) from exc
            raise StoreError(f"could not open the store at {self.path}: {engine_message(exc)}") from exc

    def close(self) -> None:
        if self._db is not None:
            try:
                self._db.close()
            finally:
                self._db = None

    @property
    def db(self) -> Any:
        if self._db is None:
            raise StoreError("the store is not open: call open() or use it as a context manager")
        return self._db

    def query(self, language: str, text: str, params: Mapping[str, Any] | None, limit: int | None) -> tuple[list[dict[str, Any]], bool]:
        try:
            result = self.db.query(language, text, dict(params)) if params else self.db.query(language, text)
            rows: list[dict[str, Any]] = []
            truncated = False
            for record in result:
                if limit is not None and len(rows) >= limit:
                    truncated = True
                    break
                rows.append({k: to_python(v) for k, v in record.to_dict().items()})
            return rows, truncated
        except Exception as exc:
            raise _read_error(exc, text) from exc

    def query_numeric(self, language: str, text: str, params: Mapping[str, Any] | None, numeric: Collection[str]) -> list[dict[str, Any]]:
        """`query` without a limit, where the columns named in `numeric` hold lists of numbers (or nulls).

        Those lists cross from the engine as one string each (Java's `List.toString`, exact for
        doubles and longs, `null` for a missing value) parsed by `json`, instead of one JPype call
        per element: a day of per-minute telemetry of one node (7,200 values) then takes about
        5 ms instead of about 100 ms. Other columns convert as in `query`.
        """
        import jpype

        java_list = jpype.JClass("java.util.List")
        try:
            rows: list[dict[str, Any]] = []
            result = self.db.query(language, text, dict(params)) if params else self.db.query(language, text)
            for record in result:
                row: dict[str, Any] = {}
                for k, v in record.to_dict(convert_types=False).items():
                    if k in numeric and isinstance(v, java_list):
                        row[k] = json.loads(str(v.toString()))
                    else:
                        row[k] = to_python(v)
                rows.append(row)
            return rows
        except Exception as exc:
            raise _read_error(exc, text) from exc

    def command(self, language: str, text: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        try:
            result = self.db.command(language, text, dict(params)) if params else self.db.command(language, text)
            if result is None:
                return []
            return [{k: to_python(v) for k, v in record.to_dict().items()} for record in result]
        except Exception as exc:
            from opsgraph.store.health import explain  # a full disk or a read-only folder, said plainly

            raise explain(self.path, exc) or QueryError(engine_message(exc), cypher=text) from exc

    def set_timeout(self, ms: int) -> None:
        import jpype

        config = jpype.JClass("com.arcadedb.GlobalConfiguration")
        self.db.get_java_database().getConfiguration().setValue(config.COMMAND_TIMEOUT, int(ms))

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        db = self.db
        db.begin()
        try:
            yield
        except BaseException:
            db.rollback()
            raise
        try:
            db.commit()
        except Exception as exc:
            from opsgraph.store.health import explain  # health imports nothing of this module

            raise explain(self.path, exc) or QueryError(f"commit failed: {engine_message(exc)}") from exc


# -- a transport for tests -------------------------------------------------------------------------


@dataclass(frozen=True)
class Statement:
    """One statement a `MockTransport` was asked to run."""

    language: str
    """`sql` or `cypher`."""
    text: str
    params: dict[str, Any]
    write: bool
    """True for `command` (may write), False for `query` (read-only)."""
    transaction: int | None
    """Number of the transaction it ran in (1, 2, ...), or None outside one."""


Handler = Callable[[Statement], "list[dict[str, Any]] | None"]
"""Receives each statement, returns its rows (None: no rows); raise a `QueryError` to make it fail."""


class MockTransport:
    """A transport that runs nothing: each statement goes to `handler`, which returns the rows.

    The model is httpx's `MockTransport`: `ArcadeDBStore(transport=MockTransport(handler))`
    exercises the store's own work (batching, de-duplication, hashing, transactions and
    the errors it maps) in microseconds, with no engine. Every statement is kept in
    `statements`; every transaction's end in `outcomes` (`"commit"` or `"rollback"`), in order.
    The real engine is tested through `EmbeddedTransport` in tests/integration.
    """

    def __init__(self, handler: Handler | None = None) -> None:
        self.handler: Handler = handler or (lambda statement: [])
        self.statements: list[Statement] = []
        self.outcomes: list[str] = []
        self.timeout_ms: int | None = None
        self.is_open = False
        self._current: int | None = None

    def open(self) -> None:
        self.is_open = True

    def close(self) -> None:
        self.is_open = False

    def _run(self, language: str, text: str, params: Mapping[str, Any] | None, write: bool) -> list[dict[str, Any]]:
        if not self.is_open:
            raise StoreError("the store is not open: call open() or use it as a context manager")
        statement = Statement(language, text, dict(params or {}), write, self._current)
        self.statements.append(statement)
        return list(self.handler(statement) or [])

    def query(self, language: str, text: str, params: Mapping[str, Any] | None, limit: int | None) -> tuple[list[dict[str, Any]], bool]:
        rows = self._run(language, text, params, False)
        if limit is not None and len(rows) > limit:
            return rows[:limit], True
        return rows, False

    def query_numeric(self, language: str, text: str, params: Mapping[str, Any] | None, numeric: Collection[str]) -> list[dict[str, Any]]:
        return self._run(language, text, params, False)

    def command(self, language: str, text: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        return self._run(language, text, params, True)

    def set_timeout(self, ms: int) -> None:
        self.timeout_ms = ms

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        if self._current is not None:
            raise StoreError("transactions do not nest")
        self._current = len(self.outcomes) + 1
        try:
            yield
        except BaseException:
            self.outcomes.append("rollback")
            raise
        else:
            self.outcomes.append("commit")
        finally:
            self._current = None

    def writes(self, containing: str = "") -> list[Statement]:
        """The `command` statements whose text contains `containing`."""
        return [s for s in self.statements if s.write and containing in s.text]
