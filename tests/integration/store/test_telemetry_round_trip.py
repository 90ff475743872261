"""Telemetry is stored per node and time step and read back as one dense array."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from helpers import write
from opsgraph.app import OpsGraph


@pytest.fixture
def og(any_og: OpsGraph) -> OpsGraph:
    """Every test here runs on both store backends: the embedded engine and an ArcadeDB server over HTTP."""
    return any_og


def test_round_trip_and_idempotent(og: OpsGraph, small_estate: Path) -> None:
    first = og.ingest(small_estate)
    assert first.telemetry["Service"].created == 2  # one bucket per node
    frame = og.store.read_telemetry("Service")
    assert frame.node_ids == ["api", "worker"]
    assert frame.features == ["cpu", "latency"]
    assert frame.values.shape == (10, 2, 2)
    assert np.allclose(frame.values[:, 0, 0], [0.1 * i for i in range(10)], atol=1e-6)
    assert np.isnan(frame.values[:, 1, 1]).all()  # worker has no latency
    assert frame.labels[:, 0].tolist() == [0] * 8 + [1, 1]
    assert (frame.labels[:, 1] == -1).all()
    assert np.all(np.diff(frame.timestamps) == 60)

    again = og.ingest(small_estate)
    assert again.telemetry["Service"].unchanged == 2 and again.telemetry["Service"].created == 0


def test_new_rows_merge_into_stored_buckets(og: OpsGraph, small_estate: Path) -> None:
    og.ingest(small_estate)
    write(small_estate / "telemetry" / "update-1.csv", "timestamp,node,cpu,latency,label\n2026-01-01T00:10:00Z,api,5,50,1\n2026-01-01T00:00:00Z,api,9,9,0\n")
    report = og.ingest(small_estate)
    assert report.telemetry["Service"].updated == 1
    frame = og.store.read_telemetry("Service", ["api"])
    assert frame.values.shape == (11, 1, 2)
    assert frame.values[0, 0, 0] == 9.0  # files are read in name order; the later one wins a step
    assert frame.values[10, 0, 1] == 50.0


def test_time_window_and_node_filter(og: OpsGraph, small_estate: Path) -> None:
    og.ingest(small_estate)
    full = og.store.read_telemetry("Service")
    t0 = int(full.timestamps[3])
    part = og.store.read_telemetry("Service", ["worker"], start=t0, end=t0 + 120)
    assert part.node_ids == ["worker"]
    assert part.timestamps.tolist() == [t0, t0 + 60]
    assert np.allclose(part.values[:, 0, 0], full.values[3:5, 1, 0])
