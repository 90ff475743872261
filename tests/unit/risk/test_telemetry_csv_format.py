import csv
from pathlib import Path

from opsgraph.risk import simulate_estate, write_telemetry_csv


def test_csv_has_iso_timestamps_nodes_features_and_labels(tmp_path: Path) -> None:
    e = simulate_estate(3, 4, seed=0, start=1_767_225_600, missing_rate=0.2)
    path = write_telemetry_csv(e, tmp_path / "telemetry" / "estate.csv")
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["timestamp", "node", *e.features, "label"]
    assert len(rows) == 12
    assert rows[0]["timestamp"] == "2026-01-01T00:00:00Z" and rows[3]["timestamp"] == "2026-01-01T00:01:00Z"
    assert [r["node"] for r in rows[:3]] == e.node_ids
    assert {r["label"] for r in rows} <= {"0", "1"}
    assert any(r[f] == "" for r in rows for f in e.features)  # missing values are empty cells
