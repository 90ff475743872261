import numpy as np
import pytest

from opsgraph.risk.rca import (
    RootCauseError,
    accuracy_at_k,
    baro_scores,
    metric_changes,
    personalised_pagerank,
    rank_by_change,
    rank_root_causes,
    reachable,
)
from opsgraph.store.base import TelemetryFrame

# frontend calls api, api calls db; an unrelated batch job is called by nobody.
NODES = ["frontend", "api", "db", "batch"]
CALLS = [("frontend", "api"), ("api", "db")]
FEATURES = ["latency", "requests"]


def frame(latency: list[list[float]], requests: list[list[float]] | None = None) -> TelemetryFrame:
    lat = np.array(latency, dtype=np.float32)  # [T, N]
    req = np.array(requests, dtype=np.float32) if requests is not None else np.full_like(lat, 100.0)
    t = lat.shape[0]
    return TelemetryFrame(node_ids=list(NODES), features=list(FEATURES),
                          timestamps=np.arange(t, dtype=np.int64) * 300, values=np.stack([lat, req], axis=-1),
                          labels=np.full((t, len(NODES)), -1, np.int8))


# Two rows before the onset (t = 600), three after: api slows down, which slows frontend too.
INCIDENT = frame([[1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0], [3.0, 5.0, 1.0, 1.0], [3.0, 5.0, 1.0, 1.0],
                  [2.0, 3.0, 1.0, 1.0]])


def test_the_anomalous_dependency_whose_own_dependencies_are_healthy_ranks_first() -> None:
    ranking = rank_root_causes(INCIDENT, CALLS, "frontend", 600)
    assert ranking.top(1) == ["api"]
    assert ranking.rank_of("batch") == 4  # cannot explain the symptom: last
    assert [n.explains_symptom for n in ranking.nodes][:3] == [True, True, True]


def test_a_larger_change_in_a_node_that_cannot_explain_the_symptom_does_not_win() -> None:
    incident = frame([[1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0], [3.0, 2.0, 1.0, 9.0], [3.0, 2.0, 1.0, 9.0],
                      [3.0, 2.0, 1.0, 9.0]])
    assert rank_root_causes(incident, CALLS, "frontend", 600).top(1) == ["api"]
    assert rank_by_change(incident, 600).top(1) == ["batch"]  # the baseline has no graph


def test_load_changes_are_not_evidence_of_a_fault() -> None:
    # db receives 5x the requests (its caller retries) but stays fast: api is still the cause.
    req = [[100.0] * 4] * 2 + [[100.0, 100.0, 500.0, 100.0]] * 3
    incident = frame([[1, 1, 1, 1], [1, 1, 1, 1], [3, 5, 1, 1], [3, 5, 1, 1], [3, 5, 1, 1]], req)
    assert rank_root_causes(incident, CALLS, "frontend", 600).top(1) == ["api"]


def test_a_normal_recording_calibrates_how_unusual_a_change_is() -> None:
    rng = np.random.default_rng(0)
    lat = np.ones((40, 4))
    lat[:, 1] += rng.normal(0, 2.0, 40)  # api is always noisy
    baseline = TelemetryFrame(list(NODES), list(FEATURES), np.arange(40, dtype=np.int64) * 300,
                              np.stack([lat, np.full_like(lat, 100.0)], axis=-1).astype(np.float32),
                              np.full((40, 4), -1, np.int8))
    incident = frame([[1, 1, 1, 1], [1, 1, 1, 1], [3, 4, 3, 1], [3, 4, 3, 1], [3, 4, 3, 1]])
    plain = metric_changes(incident, 600)
    calibrated = metric_changes(incident, 600, baseline=baseline)
    assert plain[1, 0] > plain[2, 0]  # without calibration api moved more than db
    assert calibrated[1, 0] < calibrated[2, 0]  # but api moves that much every day


def test_baro_scales_each_metric_by_its_own_pre_onset_rows() -> None:
    scores = baro_scores(INCIDENT, 600)
    # pre-onset IQR is 0 everywhere, so the scale is 1 (RobustScaler): the raw largest change
    assert np.allclose(scores, [2.0, 4.0, 0.0, 0.0])


def test_pagerank_without_evidence_and_reachability() -> None:
    pi = personalised_pagerank(np.zeros(3), np.array([[0], [1]]), 0)
    assert np.allclose(pi, [0.85, 0.0, 0.0])  # no evidence: the walk never leaves the symptom (restart mass removed)
    assert reachable(NODES, CALLS, "api") == {"api", "db"}


def test_accuracy_at_k_and_refusals() -> None:
    r = rank_root_causes(INCIDENT, CALLS, "frontend", 600)
    assert accuracy_at_k([r, r], ["api", "db"], 1) == 0.5
    assert accuracy_at_k([r, r], ["api", "db"], 3) == 1.0
    with pytest.raises(RootCauseError):
        rank_root_causes(INCIDENT, CALLS, "nope", 600)
    with pytest.raises(RootCauseError):
        rank_root_causes(INCIDENT, CALLS, "frontend", 10**9)  # no row after the onset
