"""A trace of one question's way through the pipeline: every stage, what it returned, what it cost.

Stages are appended as they finish; nothing is kept between questions.
A caller that wants to see stages while a question is still being answered
(the HTTP API streams them as server-sent events) wraps the call in
`observe_stages(callback)`: the callback runs in the answering thread when a
stage starts and when it ends. It must be quick and must not raise.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Stage:
    """One step: its name, wall time, tokens spent and what it found."""

    name: str
    ms: float = 0.0
    tokens: int = 0
    detail: dict[str, Any] = field(default_factory=dict)


StageObserver = Callable[["Stage", bool], None]
"""`observer(stage, done)`: called with `done=False` when a stage starts and `done=True` when it ends."""

# A context variable, not a field: the pipeline builds its own Trace per question and
# knows nothing of who is watching; the caller's context (its thread) carries the observer.
_observer: ContextVar[StageObserver | None] = ContextVar("opsgraph_stage_observer", default=None)


@contextmanager
def observe_stages(observer: StageObserver) -> Iterator[None]:
    """Call `observer` for every stage started and finished in this context (this thread)."""
    token = _observer.set(observer)
    try:
        yield
    finally:
        _observer.reset(token)


@dataclass
class Trace:
    """The stages of one `ask`, in order."""

    stages: list[Stage] = field(default_factory=list)

    @contextmanager
    def stage(self, name: str) -> Iterator[Stage]:
        """Time a block and record it as a stage (recorded even if the block raises)."""
        s = Stage(name)
        observer = _observer.get()
        if observer is not None:
            observer(s, False)
        began = time.perf_counter()
        try:
            yield s
        finally:
            s.ms = (time.perf_counter() - began) * 1000
            self.stages.append(s)
            if observer is not None:
                observer(s, True)

    @property
    def total_ms(self) -> float:
        return sum(s.ms for s in self.stages)

    @property
    def total_tokens(self) -> int:
        return sum(s.tokens for s in self.stages)

    def to_dict(self) -> dict[str, Any]:
        return {"stages": [asdict(s) for s in self.stages], "total_ms": self.total_ms, "total_tokens": self.total_tokens}
