"""Risk alerts: a node crossing its threshold is raised once, and cleared once when it falls back under it.

The watch loop scores each new telemetry step; this module turns those scores
into alert events kept in the store as hidden records of type `RiskAlert`
(keyed `<node type>/<node>/<step>`; the store's records, not graph nodes, so an
alert can never be mistaken for an incident and feed back into the failure
labels). One record per crossing: it is written when the node first scores
at or over the threshold (status `open`) and rewritten once when a later step
scores under it (status `cleared`, with the step it cleared at). A node that
stays over the threshold writes nothing more, so re-running a cycle, or a
cycle with no new steps, writes nothing. The open alerts are read back from
the store each time: a restarted watcher does not raise them again.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from opsgraph.store.base import GraphStore

ALERT = "RiskAlert"
"""Hidden record type of alerts."""
ALERT_FIELDS = {
    "node": "STRING", "node_type": "STRING", "status": "STRING", "raised": "DOUBLE", "cleared": "DOUBLE", "score": "DOUBLE",
    "cleared_score": "DOUBLE", "threshold": "DOUBLE", "mode": "STRING", "version": "STRING", "recorded": "DOUBLE",
}  # fmt: skip
ALERT_INDEXED = ("node", "status")

StepScores = tuple[int, Mapping[str, tuple[bool, float]]]
"""(epoch seconds of the step, node -> (over its threshold?, the score: probability, or anomaly p-value))."""


@dataclass
class AlertChanges:
    """Alerts one call raised and cleared (each a record as stored)."""

    raised: list[dict[str, Any]] = field(default_factory=list)
    cleared: list[dict[str, Any]] = field(default_factory=list)

    @property
    def written(self) -> int:
        return len(self.raised) + len(self.cleared)


def ensure_alerts(store: GraphStore) -> None:
    store.ensure_records(ALERT, ALERT_FIELDS, ALERT_INDEXED)


def list_alerts(store: GraphStore, *, node_type: str | None = None, open_only: bool = False) -> list[dict[str, Any]]:
    """Alert records, newest raised first."""
    where: dict[str, Any] = {}
    if node_type is not None:
        where["node_type"] = node_type
    if open_only:
        where["status"] = "open"
    return store.read_records(ALERT, where or None, order="-raised")


def update_alerts(store: GraphStore, node_type: str, steps: Sequence[StepScores], *, threshold: float, mode: str,
                  version: str | None) -> AlertChanges:
    """Raise and clear alerts for scored steps (oldest first); one `write_records` call for all of them."""
    changes = AlertChanges()
    if not steps:
        return changes
    ensure_alerts(store)
    open_now = {str(r["node"]): r for r in list_alerts(store, node_type=node_type, open_only=True)}
    changed: dict[str, dict[str, Any]] = {}
    now = time.time()
    for ts, nodes in steps:
        for node, (over, score) in nodes.items():
            if isinstance(score, float) and math.isnan(score):
                continue  # no score for this node at this step: nothing to decide
            alert = open_now.get(node)
            if over and alert is None:
                alert = {"key": f"{node_type}/{node}/{int(ts)}", "node": node, "node_type": node_type, "status": "open",
                         "raised": float(ts), "cleared": None, "score": float(score), "cleared_score": None,
                         "threshold": float(threshold), "mode": mode, "version": version or "", "recorded": now}  # fmt: skip
                open_now[node] = alert
                changed[alert["key"]] = alert
                changes.raised.append(alert)
            elif not over and alert is not None:
                alert = {**alert, "status": "cleared", "cleared": float(ts), "cleared_score": float(score), "recorded": now}
                del open_now[node]
                changed[alert["key"]] = alert
                if any(r["key"] == alert["key"] for r in changes.raised):
                    changes.raised = [r if r["key"] != alert["key"] else alert for r in changes.raised]
                changes.cleared.append(alert)
    if changed:
        store.write_records(ALERT, list(changed.values()))
    return changes
