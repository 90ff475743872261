import json
from pathlib import Path

import numpy as np
import pytest

from opsgraph.risk import ModelRegistry, RegistryError, SimulatedEstate, TrainedRiskModel

from ._sim import later


def test_versions_promote_and_rollback(tmp_path: Path, trained: TrainedRiskModel) -> None:
    reg = ModelRegistry(tmp_path / "models")
    assert reg.list_versions() == [] and reg.current_version() is None
    v1 = reg.save(trained, promote=True)
    v2 = reg.save(trained)
    assert (v1, v2) == ("v0001", "v0002")
    assert reg.current_version() == "v0001"
    reg.promote(v2)
    assert [v.version for v in reg.list_versions() if v.current] == ["v0002"]
    assert reg.rollback() == "v0001" and reg.current_version() == "v0001"
    with pytest.raises(RegistryError, match="roll back"):
        reg.rollback()


def test_pointer_file_is_small_json_and_no_temporary_files_remain(tmp_path: Path, trained: TrainedRiskModel) -> None:
    reg = ModelRegistry(tmp_path)
    reg.save(trained, promote=True)
    assert json.loads((tmp_path / "current.json").read_text())["current"] == "v0001"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["current.json", "v0001"]


def test_manifest_records_data_features_scaler_metrics_and_drift(tmp_path: Path, trained: TrainedRiskModel) -> None:
    reg = ModelRegistry(tmp_path)
    reg.save(trained, promote=True)
    m = reg.manifest("current")
    assert m["data_window"]["start"] == "2026-01-01T00:00:00Z"
    assert m["node_type"] == "Service" and m["schema_name"] == "shop"
    assert m["features"] == trained.features
    assert m["hyper_parameters"]["epochs"] == 20
    assert m["metrics"]["test"]["auroc"] == trained.metrics["test"]["auroc"]
    assert m["drift_baseline"]["threshold"] == pytest.approx(trained.drift.threshold)  # type: ignore[union-attr]
    assert len(m["scaler"]["node_center"]) == len(trained.node_ids)
    assert {"created", "threshold", "edges"} <= set(m)


def test_loaded_model_gives_the_same_scores(tmp_path: Path, trained: TrainedRiskModel,
                                            estate: SimulatedEstate) -> None:
    reg = ModelRegistry(tmp_path)
    reg.save(trained, promote=True)
    loaded = reg.load("current")
    frame = later(estate, 40, run_seed=13).to_frame()
    a, b = trained.score(frame), loaded.score(frame)
    assert [r.node for r in a.nodes] == [r.node for r in b.nodes]
    np.testing.assert_allclose([r.probability for r in a.nodes], [r.probability for r in b.nodes], atol=1e-6)
    np.testing.assert_allclose([r.anomaly for r in a.nodes], [r.anomaly for r in b.nodes])
    assert loaded.check_drift(frame) == trained.check_drift(frame)


def test_unknown_version_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RegistryError):
        ModelRegistry(tmp_path).load("v0042")
    with pytest.raises(RegistryError):
        ModelRegistry(tmp_path).promote("../elsewhere")
