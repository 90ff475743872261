"""Log evidence for a root cause: each service's error lines per second, after the onset against before.

A service that starts failing usually says so in its own log: error lines per second rise. Its
callers may log errors too (the failure travels up), which is why this is one evidence line among
the others (`rank`), not a verdict. Per service: the error lines after the onset against the rate
before, as a Poisson count: ``(after - expected) / sqrt(expected)`` with ``expected`` the rate before
(floored at one line in the period before) times the seconds after. It counts only when at least
`MIN_ERROR_LINES` error lines came and the rate at least doubled (`RATE_FACTOR`): a busy service
logs a few errors all day long.

Lines come in as plain records (anything with the attributes of `LogLike`, e.g. the
`sources.logs.LogLine` its readers produce); this module reads no files and no store.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

MIN_ERROR_LINES = 5
"""Error lines after the onset needed before a rise counts."""
RATE_FACTOR = 2.0
"""The error-line rate must at least double to count."""


class LogLike(Protocol):
    service: str
    time_ns: int
    error: bool


@dataclass(frozen=True)
class LogChange:
    """What one service's log says around the onset."""

    service: str
    errors_before: int
    errors_after: int
    before_s: float
    after_s: float
    change: float
    """Poisson z of the error lines after the onset (0 unless it counts)."""

    def text(self) -> str:
        """'error log lines 0.10/min -> 24/min (72 lines)'."""
        return (f"{self.service}: error log lines {60 * self.errors_before / self.before_s:.2g}/min -> "
                f"{60 * self.errors_after / self.after_s:.2g}/min ({self.errors_after} lines)")

    def as_dict(self) -> dict[str, object]:
        return {"service": self.service, "errors_before": self.errors_before, "errors_after": self.errors_after,
                "before_s": self.before_s, "after_s": self.after_s, "change": self.change, "text": self.text()}


def log_changes(lines: Iterable[LogLike], onset_s: int, start_s: int, end_s: int) -> dict[str, LogChange]:
    """Each service that logged an error line in [start_s, end_s), with its change at `onset_s` (module docstring)."""
    cut, lo, hi = (int(x) * 1_000_000_000 for x in (onset_s, start_s, end_s))
    before_s, after_s = float(onset_s - start_s), float(end_s - onset_s)
    if before_s <= 0 or after_s <= 0:
        return {}
    before: Counter[str] = Counter()
    after: Counter[str] = Counter()
    for line in lines:
        if line.error and lo <= line.time_ns < hi:
            (before if line.time_ns < cut else after)[line.service] += 1
    out = {}
    for svc in sorted(set(before) | set(after)):
        b, a = before[svc], after[svc]
        rate_b = max(b, 1) / before_s
        expected = rate_b * after_s
        change = 0.0
        if a >= MIN_ERROR_LINES and a / after_s >= RATE_FACTOR * rate_b:
            change = (a - expected) / math.sqrt(expected)
        out[svc] = LogChange(svc, b, a, before_s, after_s, float(change))
    return out
