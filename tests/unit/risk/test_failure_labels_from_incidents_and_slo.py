"""Failure labels from what an estate keeps: the label column, incidents, SLO rules; else anomaly-only."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from opsgraph.risk.labels import IncidentWindow, incident_labels, resolve_labels, slo_labels
from opsgraph.schema import SloRule
from opsgraph.store.base import TelemetryFrame


def _frame(values: np.ndarray, labels: np.ndarray | None = None) -> TelemetryFrame:
    t, n, _ = values.shape
    return TelemetryFrame(node_ids=[f"s{i}" for i in range(n)], features=["error_rate", "latency"],
                          timestamps=np.arange(t, dtype=np.int64) * 60, values=values.astype(np.float32),
                          labels=np.full((t, n), -1, np.int8) if labels is None else labels)


def test_an_incident_labels_its_affected_nodes_inside_its_window_only() -> None:
    frame = _frame(np.zeros((10, 3, 2)))
    windows = [IncidentWindow("INC-1", ("s1", "unknown-node"), start=120, end=300),
               IncidentWindow("INC-2", ("s2",), start=6000, end=7000)]  # after the telemetry: labels nothing
    labels, used = incident_labels(frame, windows)
    assert used == ("INC-1",)
    assert labels[:, 1].tolist() == [0, 0, 1, 1, 1, 1, 0, 0, 0, 0]
    assert labels[:, [0, 2]].sum() == 0


def test_an_open_incident_runs_to_the_last_step() -> None:
    labels, _ = incident_labels(_frame(np.zeros((5, 1, 2))), [IncidentWindow("INC-9", ("s0",), start=180, end=None)])
    assert labels[:, 0].tolist() == [0, 0, 0, 1, 1]


def test_an_slo_rule_needs_its_run_of_breached_steps() -> None:
    values = np.zeros((8, 2, 2))
    values[:, 0, 0] = [0.0, 0.1, 0.1, 0.0, 0.1, 0.1, 0.1, 0.1]   # breach runs of 2, then 4
    values[:, 1, 0] = [0.1, np.nan, 0.1, 0.1, 0.1, 0.0, 0.0, 0.0]  # NaN breaks a run
    labels, counts = slo_labels(_frame(values), [SloRule(feature="error_rate", above=0.05, **{"for": 3})])
    assert labels[:, 0].tolist() == [0, 0, 0, 0, 0, 0, 1, 1]
    assert labels[:, 1].tolist() == [0, 0, 0, 0, 1, 0, 0, 0]
    assert counts == {"error_rate>0.05": 3}


def test_below_rules_and_rules_on_absent_features() -> None:
    values = np.ones((4, 1, 2))
    values[2:, 0, 1] = -1.0
    labels, counts = slo_labels(_frame(values), [SloRule(feature="latency", below=0.0), SloRule(feature="cpu", above=1.0)])
    assert labels[:, 0].tolist() == [0, 0, 1, 1] and counts == {"latency<0.0": 2}


def test_explicit_labels_win_then_incidents_and_slo_combine_then_anomaly_only() -> None:
    values = np.zeros((6, 2, 2))
    values[4:, 0, 0] = 0.5
    explicit = np.zeros((6, 2), np.int8)
    explicit[5, 1] = 1
    frame, report = resolve_labels(_frame(values, explicit), incidents=[IncidentWindow("I", ("s0",), 0, 60)],
                                   rules=[SloRule(feature="error_rate", above=0.1)])
    assert report.source == "explicit" and frame.labels[5, 1] == 1 and frame.labels[:, 0].sum() == 0

    frame, report = resolve_labels(_frame(values), incidents=[IncidentWindow("I", ("s1",), 0, 60)],
                                   rules=[SloRule(feature="error_rate", above=0.1)])
    assert report.source == "incidents+slo" and report.incidents_used == ("I",)
    assert frame.labels[:, 0].tolist() == [0, 0, 0, 0, 1, 1] and frame.labels[:, 1].tolist() == [1, 1, 0, 0, 0, 0]
    assert report.failing_steps == 4 and "incident" in report.describe()

    frame, report = resolve_labels(_frame(np.zeros((6, 2, 2))), rules=[SloRule(feature="error_rate", above=0.1)])
    assert report.anomaly_only and "anomaly-only" in report.describe()
    assert (frame.labels == -1).all()  # nothing invented


def test_a_rule_needs_exactly_one_bound() -> None:
    with pytest.raises(ValidationError, match="exactly one"):
        SloRule(feature="error_rate")
    with pytest.raises(ValidationError, match="exactly one"):
        SloRule(feature="error_rate", above=1, below=0)
