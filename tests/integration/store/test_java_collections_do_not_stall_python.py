"""A long engine query must not stop the process's other Python threads (a server's event loop).

JPype answers every Java garbage collection with a full Python collection that holds the GIL;
`store.transport` unhooks that when it starts the engine. Checked by counting full (generation
2) Python collections while one query allocates on the Java side for a couple of seconds and
this thread does nothing: with the hook there were several a second.
"""

from __future__ import annotations

import gc
import threading
from typing import Any

from opsgraph.errors import QueryTimeoutError

LONG_QUERY = "UNWIND range(1, 100000) AS x UNWIND range(1, 100000) AS y WITH x, y WHERE x + y = -1 RETURN count(*) AS n"


def test_a_long_query_does_not_trigger_full_python_collections(og: Any) -> None:
    import _jpype

    assert getattr(_jpype, "_collect", None) not in gc.callbacks
    full: list[float] = []

    def count(phase: str, info: dict[str, Any]) -> None:
        if phase == "start" and info["generation"] == 2:
            full.append(1.0)

    gc.callbacks.append(count)
    try:
        failure: list[BaseException] = []

        def run() -> None:
            try:
                og.store.query(LONG_QUERY, timeout_ms=2500)
            except BaseException as exc:
                failure.append(exc)

        worker = threading.Thread(target=run)
        worker.start()
        worker.join(timeout=60)
    finally:
        gc.callbacks.remove(count)
    assert len(failure) == 1 and isinstance(failure[0], QueryTimeoutError), failure  # it ran until the engine stopped it
    assert len(full) <= 1, f"{len(full)} full Python collections while one query ran"
