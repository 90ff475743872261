"""The watch loop's drift step: no drift, nothing; drift, the retraining policy runs once, then not again within
`watch.retrain_cooldown` (a drift that persists must not retrain every minute); a failed retraining is reported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from opsgraph.app import Settings
from opsgraph.app.watch import CycleReport, Watcher
from opsgraph.errors import RiskError
from opsgraph.risk import DriftReport, MonitorReport


class _Meta:
    """The two store settings calls the watcher uses."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get_meta(self, key: str) -> str | None:
        return self.values.get(key)

    def set_meta(self, key: str, value: str) -> None:
        self.values[key] = value


class _Risk:
    node_type = "Service"

    def __init__(self, fail: bool = False) -> None:
        self.runs = 0
        self.fail = fail

    def monitor(self) -> MonitorReport:
        self.runs += 1
        if self.fail:
            raise RiskError("monitoring failed: disk full")
        return MonitorReport("promoted", "drift detected; challenger better: promoted", None, "v0001", "v0002", "v0002")


class _Model:
    def __init__(self, drifted: bool) -> None:
        self.drifted = drifted

    def check_drift(self, frame: Any) -> DriftReport:
        return DriftReport(9.0 if self.drifted else 1.0, 4.0, 0.001 if self.drifted else 0.6, self.drifted, 0.01, 24)


def _watcher(tmp_path: Path, risk: _Risk, cooldown: float) -> Watcher:
    settings = Settings(home=tmp_path, watch={"retrain_cooldown": cooldown})
    return Watcher(_Meta(), settings, risk, lambda: None, lambda name, now: None)  # type: ignore[arg-type]


def test_drift_retrains_once_then_waits_for_the_cooldown(tmp_path: Path) -> None:
    risk = _Risk()
    w = _watcher(tmp_path, risk, cooldown=3600)
    calm = CycleReport(0.0, "Service")
    w._drift(calm, _Model(drifted=False), None)  # type: ignore[arg-type]
    assert calm.drift == {"drifted": False, "score": 1.0, "threshold": 4.0} and calm.monitor is None and risk.runs == 0

    first = CycleReport(0.0, "Service")
    w._drift(first, _Model(drifted=True), None)  # type: ignore[arg-type]
    assert risk.runs == 1 and first.monitor == {"action": "promoted", "reason": "drift detected; challenger better: promoted", "version": "v0002"}

    again = CycleReport(0.0, "Service")
    w._drift(again, _Model(drifted=True), None)  # type: ignore[arg-type]
    assert risk.runs == 1, "within the cooldown the policy does not run again"
    assert again.monitor is not None and again.monitor["action"] == "cooldown" and "retrain_cooldown 60 min" in again.monitor["reason"]

    w.settings.watch.retrain_cooldown = 0
    later = CycleReport(0.0, "Service")
    w._drift(later, _Model(drifted=True), None)  # type: ignore[arg-type]
    assert risk.runs == 2 and later.monitor is not None and later.monitor["action"] == "promoted"


def test_a_failed_retraining_is_reported_not_raised(tmp_path: Path) -> None:
    w = _watcher(tmp_path, _Risk(fail=True), cooldown=0)
    report = CycleReport(0.0, "Service")
    w._drift(report, _Model(drifted=True), None)  # type: ignore[arg-type]
    assert report.monitor == {"action": "failed", "reason": "monitoring failed: disk full"}
