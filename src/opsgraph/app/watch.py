"""`Watcher`: the watch loop of `opsgraph watch` and of `opsgraph serve` with `serve.watch: true`.

One cycle:

1. pull each configured telemetry source (`kind: prometheus`) from its last stored step
   to now (`SyncService.pull`, all or nothing); a source that fails (down, slow, refused)
   is reported in the cycle and retried by the next one, never fatal;
2. read the steps stored since the last scored one (`watch:<node type>` in the store's
   settings, so a `--once` run from cron continues where the last one stopped), at most
   `watch.max_catchup_steps` of them, with the history the model needs before them;
3. score them: with a current model, incrementally (`risk.live.LiveScorer`: only the new
   snapshots are encoded while the state continues; a full score when it is missing,
   stale or the model changed); with no model and no failure labels, the label-free
   anomaly score (`anomaly-only`); with labels but no model, the retraining policy
   trains the first one;
4. record alerts (`risk.alerts`): a node crossing its threshold raises one, falling back
   under it clears it; nothing is written when nothing crossed;
5. check drift on the recent window and, when drifted and the last retraining started
   here is older than `watch.retrain_cooldown`, run the retraining policy (`risk monitor`).

It reads settings through the objects the facade passes in (no configuration files, no
environment); the shells draw the `CycleReport`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from opsgraph._time import age_seconds, age_text
from opsgraph.app.config import Settings
from opsgraph.app.risk import RiskService
from opsgraph.app.sync import TELEMETRY_KINDS
from opsgraph.errors import OpsGraphError
from opsgraph.ingest.telemetry_pull import PullReport, last_stored_step
from opsgraph.risk import RiskDataError, RiskModelError, RiskScores, TrainedRiskModel, load_from_store
from opsgraph.risk.alerts import AlertChanges, update_alerts
from opsgraph.risk.live import ANOMALY_ONLY, LiveScorer, anomaly_only_scores
from opsgraph.schema import GraphSchema
from opsgraph.store.base import GraphStore, TelemetryFrame

__all__ = ["CycleReport", "Watcher"]

Pull = Callable[[str, float], PullReport]
HISTORY_STEPS = 60
"""Steps read before the window, so imputation has recent values to carry (as `RiskService` does)."""
ANOMALY_MIN_HISTORY = 20
LABEL_RECHECK_S = 3600.0
"""With no model, how long the verdict "no failure labels" is kept before the labels are looked for again (it reads all telemetry)."""


@dataclass
class CycleReport:
    """What one watch cycle did, for people (`lines()`) and machines (`as_dict()`)."""

    started: float
    node_type: str
    pulls: list[dict[str, Any]] = field(default_factory=list)
    """Per source: name, rows stored, newest step, or the error."""
    new_steps: int = 0
    """Steps stored since the last scored one."""
    scored_steps: int = 0
    skipped_steps: int = 0
    """New steps older than `max_catchup_steps` from the newest: not scored one by one."""
    how: str = "none"
    """`incremental`, `full`, `anomaly-only` or `none` (nothing new)."""
    reason: str = ""
    """Why the score was full, or why nothing was scored."""
    mode: str = ""
    """`model` or `anomaly-only` when something was scored."""
    version: str | None = None
    scores: RiskScores | None = None
    alerts: AlertChanges = field(default_factory=AlertChanges)
    drift: dict[str, Any] | None = None
    monitor: dict[str, Any] | None = None
    score_seconds: float = 0.0
    seconds: float = 0.0

    @property
    def errors(self) -> list[str]:
        return [f"{p['source']}: {p['error']}" for p in self.pulls if p.get("error")]

    def as_dict(self) -> dict[str, Any]:
        s = self.scores
        return {
            "started": self.started, "node_type": self.node_type, "pulls": self.pulls, "new_steps": self.new_steps,
            "scored_steps": self.scored_steps, "skipped_steps": self.skipped_steps, "how": self.how, "reason": self.reason,
            "mode": self.mode, "version": self.version,
            "timestamp": s.timestamp if s else None, "data_age_seconds": round(age_seconds(s.timestamp)) if s else None,
            "data_age": age_text(s.timestamp) if s else None, "threshold": s.threshold if s else None,
            "risky": [n.node for n in s.nodes if n.risky] if s else [],
            "alerts_raised": self.alerts.raised, "alerts_cleared": self.alerts.cleared, "drift": self.drift, "monitor": self.monitor,
            "score_seconds": round(self.score_seconds, 4), "seconds": round(self.seconds, 3),
        }  # fmt: skip


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


class Watcher:
    """Runs watch cycles over one open store. Keeps the scorer's state and the loaded model between cycles."""

    def __init__(self, store: GraphStore, settings: Settings, risk: RiskService, schema: Callable[[], GraphSchema | None], pull: Pull,
                 *, lock: Any = None, clock: Callable[[], float] = time.time) -> None:  # fmt: skip
        """`pull(source, now)` pulls one telemetry source; `lock` (a context manager) is held around each cycle's writes;
        `clock` gives "now" (epoch seconds) to cycles that are not told."""
        self.store = store
        self.settings = settings
        self.risk = risk
        self._schema = schema
        self._pull = pull
        self.lock = lock
        self.clock = clock
        self.live = LiveScorer()
        self._model: tuple[str, TrainedRiskModel] | None = None
        self._labels: tuple[float, str, str] | None = None

    # -- state kept in the store's settings ----------------------------------------------------
    def _state(self) -> dict[str, Any]:
        raw = self.store.get_meta(f"watch:{self.risk.node_type}")
        return json.loads(raw) if raw else {}

    def _save_state(self, **update: Any) -> None:
        self.store.set_meta(f"watch:{self.risk.node_type}", json.dumps({**self._state(), **update}))

    def sources(self) -> list[str]:
        """The telemetry sources each cycle pulls."""
        chosen = self.settings.watch.sources
        if chosen is not None:
            return list(chosen)
        return [s.name for s in self.settings.sources if s.kind in TELEMETRY_KINDS]

    # -- one cycle -------------------------------------------------------------------------------
    def cycle(self, *, now: float | None = None) -> CycleReport:
        """Pull, score the new steps, record alerts, check drift (see the module docstring)."""
        began = time.perf_counter()
        now = self.clock() if now is None else now
        report = CycleReport(started=now, node_type=self.risk.node_type)
        for name in self.sources():
            report.pulls.append(self._pull_one(name, now))
        if self.lock is not None:
            with self.lock:
                self._score(report, now)
        else:
            self._score(report, now)
        report.seconds = time.perf_counter() - began
        return report

    def _pull_one(self, name: str, now: float) -> dict[str, Any]:
        try:
            if self.lock is not None:
                with self.lock:
                    pulled = self._pull(name, now)
            else:
                pulled = self._pull(name, now)
        except OpsGraphError as exc:  # down, slow, refused: said in the report, retried next cycle
            return {"source": name, "rows": 0, "error": str(exc)}
        steps = [v for v in pulled.last_steps.values() if v is not None]
        return {"source": name, "rows": pulled.rows, "last_step": max(steps) if steps else None, "seconds": round(pulled.seconds, 3)}

    def _score(self, report: CycleReport, now: float) -> None:
        schema = self._schema()
        node_type = self.risk.node_type
        if schema is None or node_type not in schema.nodes:
            report.reason = "no estate with a risk node type in the store yet"
            return
        step = schema.telemetry.interval_seconds
        newest = last_stored_step(self.store, node_type, now=now)
        last = self._state().get("last_scored")
        if newest is None:
            report.reason = f"no {node_type} telemetry stored yet"
            return
        if last is not None and newest <= int(last):
            report.reason = f"no new {node_type} telemetry since {_iso(int(last))}"
            return
        catchup = self.settings.watch.max_catchup_steps
        first_new = newest - (catchup - 1) * step
        if last is None:
            report.new_steps = catchup
        else:
            report.new_steps = (newest - int(last)) // step
            if int(last) + step > first_new:
                first_new = int(last) + step
            report.skipped_steps = max(0, report.new_steps - catchup)
        version = self.risk.current_version()
        if version is None:
            version = self._first_model(report)
        t0 = time.perf_counter()
        if version is None:
            self._score_anomaly_only(report, schema, newest, step)
        else:
            self._score_model(report, schema, version, first_new, newest, step)
        report.score_seconds = time.perf_counter() - t0
        if report.scores is not None:
            self.risk.remember(report.scores, version)
        self._save_state(last_scored=newest, last_cycle=now)

    def _first_model(self, report: CycleReport) -> str | None:
        """No model yet: train the first one when there are failure labels (the policy's first step), else None."""
        checked = self._labels
        if checked is not None and time.monotonic() - checked[0] < LABEL_RECHECK_S:
            mode, why = checked[1], checked[2]
        else:
            try:
                mode, why = self.risk.mode()
            except OpsGraphError as exc:
                report.reason = str(exc)
                return None
            self._labels = (time.monotonic(), mode, why)
        if mode == ANOMALY_ONLY or not self.settings.watch.monitor:
            report.reason = why
            return None
        result = self.risk.monitor()
        self._save_state(last_retrain=time.time())
        report.monitor = {"action": result.action, "reason": result.reason, "version": result.current_version}
        return result.current_version

    def _model_for(self, version: str) -> TrainedRiskModel:
        if self._model is None or self._model[0] != version:
            self._model = (version, self.risk.current_model())
        return self._model[1]

    def _read(self, schema: GraphSchema, start: int) -> tuple[TelemetryFrame, list[tuple[str, str]]]:
        data = load_from_store(self.store, schema, self.risk.node_type, start=start)
        return data.frame, data.edges

    def _score_model(self, report: CycleReport, schema: GraphSchema, version: str, first_new: int, newest: int, step: int) -> None:
        model = self._model_for(version)
        c = model.config
        history = max(c.window, c.anomaly_window, c.drift_window) + HISTORY_STEPS
        frame, edges = self._read(schema, first_new - history * step)
        stamps = frame.timestamps.tolist()
        index = next((i for i, t in enumerate(stamps) if t >= first_new), len(stamps))
        try:
            result = self.live.score(model, version, frame, edges, index)
        except (RiskDataError, RiskModelError) as exc:
            report.reason = f"cannot score with model {version}: {exc}"
            return
        report.version, report.mode, report.how, report.reason = version, "model", result.how, result.reason
        report.scored_steps = len(result.steps)
        report.scores = result.scores
        ids = result.node_ids
        steps = [(ts, {n: (bool(p[i] >= model.threshold), float(p[i])) for i, n in enumerate(ids)}) for ts, p in result.steps]
        report.alerts = update_alerts(self.store, self.risk.node_type, steps, threshold=model.threshold, mode="model", version=version)
        if self.settings.watch.monitor and model.drift is not None and len(stamps) >= model.drift.length:
            self._drift(report, model, frame)

    def _drift(self, report: CycleReport, model: TrainedRiskModel, frame: TelemetryFrame) -> None:
        try:
            drift = model.check_drift(frame)
        except RiskModelError as exc:
            report.drift = {"error": str(exc)}
            return
        report.drift = {"drifted": drift.drifted, "score": drift.score, "threshold": drift.threshold}
        if not drift.drifted:
            return
        since = time.time() - float(self._state().get("last_retrain") or 0)
        if since < self.settings.watch.retrain_cooldown:
            report.monitor = {"action": "cooldown", "reason": f"drifted, but the last retraining started {since / 60:.0f} min ago "
                              f"(watch.retrain_cooldown {self.settings.watch.retrain_cooldown / 60:.0f} min)"}  # fmt: skip
            return
        self._save_state(last_retrain=time.time())
        try:
            result = self.risk.monitor()
        except OpsGraphError as exc:
            report.monitor = {"action": "failed", "reason": str(exc)}
            return
        report.monitor = {"action": result.action, "reason": result.reason, "version": result.current_version}

    def _score_anomaly_only(self, report: CycleReport, schema: GraphSchema, newest: int, step: int) -> None:
        report.mode, report.how = ANOMALY_ONLY, ANOMALY_ONLY
        length = self.risk.config().anomaly_window
        history = max(self.settings.risk.monitor_steps or 0, length + ANOMALY_MIN_HISTORY)
        frame, _ = self._read(schema, newest - history * step)
        try:
            scores = anomaly_only_scores(frame, length=length, min_history=ANOMALY_MIN_HISTORY)
        except RiskDataError as exc:
            report.reason = f"{report.reason + '; ' if report.reason else ''}{exc}"
            return
        report.scores = scores
        report.scored_steps = 1
        nodes = {r.node: (r.risky, r.anomaly_p) for r in scores.nodes}
        report.alerts = update_alerts(self.store, self.risk.node_type, [(scores.timestamp, nodes)], threshold=scores.threshold,
                                      mode=ANOMALY_ONLY, version=None)

    # -- the loop --------------------------------------------------------------------------------
    def run(self, stop: threading.Event, on_cycle: Callable[[CycleReport], None] | None = None,
            on_error: Callable[[BaseException], None] | None = None, *, every: float | None = None) -> None:
        """Cycle every `every` seconds (default `watch.every`) until `stop` is set. A cycle that fails unexpectedly
        is passed to `on_error` (or raised when there is none); the next cycle runs on schedule."""
        every = self.settings.watch.every if every is None else every
        while not stop.is_set():
            began = time.monotonic()
            try:
                report = self.cycle()
            except Exception as exc:
                if on_error is None:
                    raise
                on_error(exc)
            else:
                if on_cycle is not None:
                    on_cycle(report)
            stop.wait(max(0.0, every - (time.monotonic() - began)))
