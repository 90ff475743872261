import subprocess
import sys

import opsgraph.risk as risk


def test_all_is_pinned() -> None:
    assert risk.__all__ == [
        "DriftReport", "EstateTelemetry", "Explanation", "ExplanationHop", "FeatureScaler", "ModelRegistry",
        "MonitorReport", "NodeRisk", "ProgressCallback", "RegistryError", "RiskConfig", "RiskDataError",
        "RiskModelError", "RiskScores", "SimulatedEstate", "TemporalGAT", "TrainedRiskModel", "build_dataset",
        "check_drift", "explain_node", "load_from_store", "monitor", "score_nodes", "simulate_estate",
        "train_model", "write_telemetry_csv",
    ]
    for name in risk.__all__:
        assert getattr(risk, name) is not None


def test_importing_the_package_does_not_import_torch() -> None:
    code = "import sys, opsgraph.risk; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
