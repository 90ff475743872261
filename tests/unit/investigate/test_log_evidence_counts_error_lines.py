"""Error log lines as root-cause evidence: a service whose error lines per second rose sharply counts, a handful of lines or
a rate that did not double does not, lines outside the window are ignored; the ranker cites the log."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from opsgraph.investigate.evidence import metric_evidence
from opsgraph.investigate.logs import MIN_ERROR_LINES, log_changes
from opsgraph.investigate.rank import rank_candidates
from opsgraph.store.base import TelemetryFrame

T0 = 1_767_225_600
ONSET = T0 + 1800


@dataclass(frozen=True)
class L:
    service: str
    time_ns: int
    error: bool


def lines(service: str, start: int, seconds: int, per_min: float, error: bool = True) -> list[L]:
    n = int(seconds / 60 * per_min)
    return [L(service, int((start + i * seconds / max(n, 1)) * 1e9), error) for i in range(n)]


def test_a_sharp_rise_counts_and_a_few_lines_or_a_steady_rate_do_not() -> None:
    logs = (lines("db", ONSET - 1800, 1800, 0.2) + lines("db", ONSET, 600, 12)  # 0.2/min -> 12/min
            + lines("api", ONSET - 1800, 1800, 6) + lines("api", ONSET, 600, 8)  # busy and steady
            + lines("cache", ONSET, 600, (MIN_ERROR_LINES - 1) / 10)  # a handful, none before
            + lines("db", ONSET, 600, 50, error=False)  # info lines do not count
            + lines("db", ONSET + 700, 60, 600))  # after the window
    ch = log_changes(logs, ONSET, ONSET - 1800, ONSET + 600)
    assert ch["db"].errors_after == 120 and ch["db"].change > 10
    assert "error log lines 0.2/min -> 12/min (120 lines)" in ch["db"].text()
    assert ch["api"].change == 0 and ch["cache"].change == 0
    assert log_changes(logs, ONSET, ONSET, ONSET + 600) == {}


def test_the_ranker_weighs_error_lines_as_the_nodes_own_health() -> None:
    rng = np.random.default_rng(3)
    nodes = ["frontend", "api", "db"]
    v = np.empty((40, 3, 2), np.float32)
    v[...] = np.array([100.0, 50.0], np.float32)
    v *= 1 + 0.01 * rng.standard_normal(v.shape).astype(np.float32)
    v[30:, :2, 0] *= 1.3  # frontend and api slower; db's metrics say nothing
    ts = T0 + 60 * np.arange(40, dtype=np.int64)
    f = TelemetryFrame(nodes, ["server_latency", "requests"], ts, v, np.full((40, 3), -1, np.int8))
    onset = int(ts[30])
    edges = [("frontend", "api"), ("api", "db")]
    metrics = metric_evidence(f, onset)
    assert rank_candidates(f, edges, "frontend", onset, metrics=metrics).top(1) != ["db"]
    said = log_changes(lines("db", onset - 1800, 1800, 0.1) + lines("db", onset, 600, 30), onset, onset - 1800, onset + 600)
    ranked = rank_candidates(f, edges, "frontend", onset, metrics=metrics, logs=said)
    top = ranked.candidates[0]
    assert top.node == "db" and top.log is not None and "logs: error log lines" in top.reason
    assert top.as_dict()["log"]["errors_after"] == 300
