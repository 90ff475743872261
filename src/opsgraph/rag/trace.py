"""A trace of one question's way through the pipeline: every stage, what it returned, what it cost.

Stages are appended as they finish; nothing is kept between questions.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Stage:
    """One step: its name, wall time, tokens spent and what it found."""

    name: str
    ms: float = 0.0
    tokens: int = 0
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Trace:
    """The stages of one `ask`, in order."""

    stages: list[Stage] = field(default_factory=list)

    @contextmanager
    def stage(self, name: str) -> Iterator[Stage]:
        """Time a block and record it as a stage (recorded even if the block raises)."""
        s = Stage(name)
        began = time.perf_counter()
        try:
            yield s
        finally:
            s.ms = (time.perf_counter() - began) * 1000
            self.stages.append(s)

    @property
    def total_ms(self) -> float:
        return sum(s.ms for s in self.stages)

    @property
    def total_tokens(self) -> int:
        return sum(s.tokens for s in self.stages)

    def to_dict(self) -> dict[str, Any]:
        return {"stages": [asdict(s) for s in self.stages], "total_ms": self.total_ms, "total_tokens": self.total_tokens}
