"""Execution accuracy: a generated query is right when its rows equal the gold query's rows.

Column names and aliases do not matter (`d.id AS id` and `x.id AS dep` are
the same answer); values are compared as text with numbers normalised (6.0 ==
6, 0.30000000000000004 == 0.3); rows are compared as a set unless the gold
query orders them (`ORDER BY`), then as a list. A query that returns the same
rows with duplicates (no DISTINCT) is counted right only if the set matches
and the gold has no ordering: what a user sees after de-duplication.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

_ORDER = re.compile(r"\bORDER\s+BY\b", re.I)


def normalise(value: Any) -> str:
    """One value as comparable text."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        f = float(value)
        if math.isfinite(f) and f == int(f) and abs(f) < 1e15:
            return str(int(f))
        return f"{f:.6g}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(normalise(v) for v in value) + "]"
    if value is None:
        return "null"
    return str(value)


def row_key(row: Mapping[str, Any] | Sequence[Any]) -> tuple[str, ...]:
    """A row's values in column order, normalised."""
    values = row.values() if isinstance(row, Mapping) else row
    return tuple(normalise(v) for v in values)


def rows_match(
    predicted: Iterable[Mapping[str, Any] | Sequence[Any]], gold: Iterable[Mapping[str, Any] | Sequence[Any]], *, ordered: bool = False
) -> bool:
    """True when the predicted rows are the gold rows (as a list if `ordered`, else as a set)."""
    p = [row_key(r) for r in predicted]
    g = [row_key(r) for r in gold]
    if ordered:
        return p == g
    return set(p) == set(g)


def is_ordered(cypher: str) -> bool:
    """Whether a gold query's row order is part of its answer."""
    return bool(_ORDER.search(cypher))


@dataclass(frozen=True)
class EvalItem:
    """One labelled question."""

    question: str
    gold_rows: list[Any]
    ordered: bool = False
    pattern: str = ""
    gold_cypher: str = ""
    """The gold query, when the item came from a pair (`tune` bounds a measured answer's length by it)."""


@dataclass
class EvalReport:
    """Execution accuracy over a set of questions, with what each cost."""

    total: int = 0
    correct: int = 0
    ran: int = 0
    ms: list[float] = field(default_factory=list)
    by_pattern: dict[str, list[int]] = field(default_factory=dict)
    """pattern → [correct, total]."""
    misses: list[dict[str, Any]] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        """Share of questions whose rows equal the gold rows."""
        return self.correct / self.total if self.total else 0.0

    @property
    def ran_share(self) -> float:
        """Share of questions for which some query ran without error."""
        return self.ran / self.total if self.total else 0.0

    def percentile(self, q: float) -> float:
        """Latency percentile in milliseconds (nearest rank)."""
        if not self.ms:
            return 0.0
        ordered = sorted(self.ms)
        return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]

    def merged(self, other: EvalReport) -> EvalReport:
        """This report and `other` (measured on other items) as one."""
        by_pattern = {k: list(v) for k, v in self.by_pattern.items()}
        for k, (c, t) in other.by_pattern.items():
            tally = by_pattern.setdefault(k, [0, 0])
            tally[0] += c
            tally[1] += t
        return EvalReport(
            total=self.total + other.total, correct=self.correct + other.correct, ran=self.ran + other.ran,
            ms=[*self.ms, *other.ms], by_pattern=by_pattern, misses=[*self.misses, *other.misses][:200],
        )  # fmt: skip

    def summary(self) -> dict[str, Any]:
        """JSON-ready figures."""
        return {
            "accuracy": round(self.accuracy, 4), "correct": self.correct, "total": self.total, "ran": round(self.ran_share, 4),
            "p50_ms": round(self.percentile(50), 1), "p95_ms": round(self.percentile(95), 1),
            "by_pattern": {k: f"{c}/{t}" for k, (c, t) in sorted(self.by_pattern.items())},
        }  # fmt: skip


def evaluate(write: Callable[[str], Any], items: Sequence[EvalItem], *, progress: Callable[[int, int], None] | None = None) -> EvalReport:
    """Run `write(question)` (a `CypherWriter.write`: an outcome with `ok`, `rows`, `cypher`, `ms`) on every item and compare rows."""
    report = EvalReport()
    for i, item in enumerate(items):
        outcome = write(item.question)
        right = bool(outcome.ok) and rows_match(outcome.rows, item.gold_rows, ordered=item.ordered)
        report.total += 1
        report.correct += int(right)
        report.ran += int(bool(outcome.ok))
        report.ms.append(float(outcome.ms))
        tally = report.by_pattern.setdefault(item.pattern or "-", [0, 0])
        tally[0] += int(right)
        tally[1] += 1
        if not right and len(report.misses) < 200:
            report.misses.append({"q": item.question, "cypher": outcome.cypher, "pattern": item.pattern})
        if progress is not None:
            progress(i + 1, len(items))
    return report
