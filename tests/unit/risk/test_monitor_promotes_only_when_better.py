from pathlib import Path

import pytest

from opsgraph.risk import ModelRegistry, RiskConfig, SimulatedEstate, TrainedRiskModel, monitor
from opsgraph.risk.monitor import decide

from ._sim import later


@pytest.fixture
def registry(tmp_path: Path, trained: TrainedRiskModel) -> ModelRegistry:
    reg = ModelRegistry(tmp_path)
    reg.save(trained, promote=True)
    return reg


def test_no_drift_means_no_retraining(registry: ModelRegistry, estate: SimulatedEstate) -> None:
    fresh = later(estate, 300, run_seed=9)
    report = monitor(registry, fresh.to_frame(), fresh.edges)
    assert report.action == "no_drift" and report.challenger_version is None
    assert [v.version for v in registry.list_versions()] == ["v0001"]


def test_drift_retrains_and_promotes_a_better_challenger(registry: ModelRegistry, estate: SimulatedEstate) -> None:
    drifted = later(estate, 600, run_seed=3, mode="drift")
    report = monitor(registry, drifted.to_frame(), drifted.edges, config=RiskConfig(epochs=20))
    assert report.drift is not None and report.drift.drifted
    assert report.action == "promoted"
    assert report.challenger_score > report.current_score  # type: ignore[operator]
    assert registry.current_version() == report.challenger_version == "v0002"


def test_worse_challenger_is_stored_but_not_promoted(registry: ModelRegistry, estate: SimulatedEstate) -> None:
    fresh = later(estate, 400, run_seed=9)
    weak = RiskConfig(epochs=1, lr=1e-6)
    report = monitor(registry, fresh.to_frame(), fresh.edges, config=weak, force=True, warm_start=False)
    assert report.action == "kept_current"
    assert report.challenger_score < report.current_score  # type: ignore[operator]
    assert registry.current_version() == "v0001"
    assert [v.version for v in registry.list_versions()] == ["v0001", "v0002"]


def test_decision_needs_a_finite_strict_gain() -> None:
    assert decide(0.5, 0.6, 0.0)
    assert not decide(0.5, 0.5, 0.0)
    assert not decide(0.5, 0.55, 0.1)
    assert not decide(0.5, float("nan"), 0.0)
    assert decide(float("nan"), 0.1, 0.0)
