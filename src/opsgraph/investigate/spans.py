"""Trace evidence for a root cause: each service's own time and its failed spans, after the onset against before.

A span lasts as long as its service's own work plus the calls it waits on. Its *exclusive* time
(duration minus the time its child spans cover, the union of their intervals clipped to the parent) is
the part that service is answerable for: a slow database makes every caller's spans longer, but
only the database's exclusive time. A caller's client span keeps its own exclusive time (the wire and
the caller's own work around the call): on Nezha's traces, charging it to the callee instead spread a
busy frontend's delay over every service it calls. So, per service:

* **own time**: the median exclusive time of its spans after the onset against before. The change is
  measured like a metric's (`evidence.calibrated_changes`): in units of how much that median
  normally moves, the spread (1.4826 MAD) of the medians of `SLICES` equal slices of the spans
  before, floored at a tenth of the median (so a quiet service is not blamed for a jitter). It
  counts only when the median at least doubled (`OWN_FACTOR`): traces hold thousands of spans a
  minute, so a statistically sure change can still be too small to matter.
* **failed spans**: when the spans carry a status, the share of failed spans after against before,
  in binomial standard errors of the share before (floored at one failure in the spans before),
  counted only when at least `MIN_ERRORS` spans failed and the share at least doubled.

Speed: the evidence costs a few microseconds per span, so a busy estate's window (millions of spans) is
first thinned to about `MAX_SPANS` by keeping whole traces chosen by a hash of their id (`thin`): a
kept trace keeps all its spans, so exclusive times stay exact, and medians need hundreds of spans per
service, not millions.

A service's trace change is the larger of the two; `rank.node_evidence` weighs it beside its metric
changes, as health evidence about the service itself. The median, not the mean: a span whose children
fell outside the spans read looks all-exclusive, and such spans are a tail, not the middle.

Spans come in as plain records (anything with the attributes of `SpanLike`, e.g. the
`sources.traces.Span` readers produce); this module reads no files and no store.
"""

from __future__ import annotations

import math
import zlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

MAD_SCALE = 1.4826
SLICES = 6
"""Slices of the spans before the onset whose medians give the normal movement of the median."""
OWN_FACTOR = 2.0
"""The median exclusive time must at least double to count."""
MIN_ERRORS = 5
"""Failed spans after the onset needed before their share counts."""
LEVEL_FLOOR = 0.1
"""The normal movement is at least this share of the normal median (as in `calibrated_changes`)."""
MAX_SPANS = 40_000
"""Spans of a window kept for the evidence (`thin`): ~400 per service and period on a 50-service estate."""


class SpanLike(Protocol):
    trace_id: str
    span_id: str
    parent_id: str | None
    service: str
    start_ns: int
    end_ns: int
    error: bool | None


@dataclass(frozen=True)
class ServiceSpans:
    """One service's spans in one period, reduced to what the evidence needs."""

    own_ms: np.ndarray
    """Exclusive time of each span, milliseconds, in start order."""
    errors: int | None
    """Failed spans, None when no span carried a status."""

    @property
    def count(self) -> int:
        return int(self.own_ms.size)


@dataclass(frozen=True)
class TraceChange:
    """What the spans say about one service around the onset."""

    service: str
    spans_before: int
    spans_after: int
    own_before_ms: float
    """Median exclusive time before the onset."""
    own_after_ms: float
    own_change: float
    """Calibrated change of the median exclusive time (0 unless it at least doubled)."""
    errors_before: int | None
    errors_after: int | None
    error_change: float
    """Calibrated rise of the failed-span share (0 unless it counts)."""

    @property
    def change(self) -> float:
        """The larger of the two: what ranks the service."""
        return max(self.own_change, self.error_change)

    @property
    def own_factor(self) -> float | None:
        return self.own_after_ms / self.own_before_ms if self.own_before_ms > 0 else None

    def text(self) -> str:
        """'own time per span 3.0 -> 95 ms (x31) over 4124 spans' and/or 'failed spans 0/5510 -> 40/4124'."""
        bits = []
        if self.own_change > 0:
            f = self.own_factor
            bits.append(f"own time per span {self.own_before_ms:.3g} -> {self.own_after_ms:.3g} ms"
                        + (f" (x{f:.3g})" if f is not None else "") + f" over {self.spans_after} spans")
        if self.error_change > 0:
            bits.append(f"failed spans {self.errors_before}/{self.spans_before} -> {self.errors_after}/{self.spans_after}")
        return f"{self.service}: " + ("; ".join(bits) if bits else "spans unchanged")

    def as_dict(self) -> dict[str, object]:
        return {"service": self.service, "spans_before": self.spans_before, "spans_after": self.spans_after,
                "own_before_ms": self.own_before_ms, "own_after_ms": self.own_after_ms, "own_change": self.own_change,
                "errors_before": self.errors_before, "errors_after": self.errors_after, "error_change": self.error_change,
                "change": self.change, "text": self.text()}


def _covered_ns(start: int, end: int, children: list[tuple[int, int]]) -> int:
    """Length of the union of `children` intervals clipped to [start, end]."""
    total, reach = 0, start
    for a, b in sorted(children):
        a, b = max(a, reach), min(b, end)
        if b > a:
            total += b - a
            reach = b
    return total


def service_spans(spans: Iterable[SpanLike]) -> dict[str, ServiceSpans]:
    """Per service, the exclusive time of each of its spans and its failed spans (module docstring)."""
    items = list(spans)
    kids: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    for s in items:
        if s.parent_id is not None:
            kids[(s.trace_id, s.parent_id)].append((int(s.start_ns), int(s.end_ns)))
    own: dict[str, list[tuple[int, float]]] = defaultdict(list)
    flags: dict[str, list[bool | None]] = defaultdict(list)
    for s in items:
        start, end = int(s.start_ns), int(s.end_ns)
        covered = _covered_ns(start, end, kids.get((s.trace_id, s.span_id), []))
        own[s.service].append((start, max(end - start - covered, 0) / 1e6))
        flags[s.service].append(s.error)
    out = {}
    for svc, rows in own.items():
        rows.sort()
        fl = flags[svc]
        errors = None if all(f is None for f in fl) else sum(1 for f in fl if f)
        out[svc] = ServiceSpans(np.array([ms for _, ms in rows], np.float64), errors)
    return out


def _median_spread(own_ms: np.ndarray) -> float:
    """How much the median of these spans normally moves: MAD of the medians of `SLICES` slices, floored."""
    med = float(np.median(own_ms))
    parts = [p for p in np.array_split(own_ms, SLICES) if p.size]
    meds = np.array([np.median(p) for p in parts])
    spread = MAD_SCALE * float(np.median(np.abs(meds - np.median(meds)))) if meds.size >= 3 else 0.0
    return max(spread, LEVEL_FLOOR * abs(med), 1e-9)


def trace_changes(before: Iterable[SpanLike], after: Iterable[SpanLike]) -> dict[str, TraceChange]:
    """Each service seen in both periods, with its trace change (module docstring)."""
    b, a = service_spans(before), service_spans(after)
    out = {}
    for svc in sorted(set(b) & set(a)):
        sb, sa = b[svc], a[svc]
        if not sb.count or not sa.count:
            continue
        med_b, med_a = float(np.median(sb.own_ms)), float(np.median(sa.own_ms))
        own_change = 0.0
        if med_a >= OWN_FACTOR * med_b and med_a > 0:
            own_change = (med_a - med_b) / _median_spread(sb.own_ms)
        err_change = 0.0
        if sb.errors is not None and sa.errors is not None and sa.errors >= MIN_ERRORS:
            p_b = max(sb.errors, 1) / sb.count
            p_a = sa.errors / sa.count
            if p_a >= OWN_FACTOR * p_b:
                err_change = (p_a - p_b) / math.sqrt(p_b * (1 - min(p_b, 0.999)) / sa.count)
        out[svc] = TraceChange(svc, sb.count, sa.count, med_b, med_a, float(own_change), sb.errors, sa.errors,
                               float(err_change))
    return out


def thin(spans: Sequence[SpanLike], cap: int = MAX_SPANS) -> list[SpanLike]:
    """At most about `cap` spans, as whole traces chosen by a hash of their id (module docstring); all when fewer."""
    if len(spans) <= cap:
        return list(spans)
    keep = cap / len(spans)
    bound = int(keep * 0xFFFFFFFF)
    return [s for s in spans if zlib.crc32(s.trace_id.encode()) <= bound]


def split_at(spans: Iterable[SpanLike], onset_s: int) -> tuple[list[SpanLike], list[SpanLike]]:
    """Spans that started before the onset (seconds) and the rest: the two periods of `trace_changes`."""
    cut = int(onset_s) * 1_000_000_000
    before: list[SpanLike] = []
    after: list[SpanLike] = []
    for s in spans:
        (before if s.start_ns < cut else after).append(s)
    return before, after


def trace_change_matrix(node_ids: Sequence[str], changes: dict[str, TraceChange]) -> np.ndarray:
    """[N] calibrated trace change per node of a frame (0 where traces say nothing)."""
    return np.array([changes[n].change if n in changes else 0.0 for n in node_ids], np.float64)
