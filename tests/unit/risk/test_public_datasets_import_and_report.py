import json
from pathlib import Path

import numpy as np
import pytest
from _risk_datasets_public import PublicDataError, load_nezha, load_petshop, service_of

HEADER = ("Time,TimeStamp,PodName,CpuUsageRate(%),MemoryUsageRate(%),SyscallRead,SyscallWrite,NetworkReceiveBytes,"
          "NetworkTransmitBytes,PodClientLatencyP90(s),PodServerLatencyP90(s),PodClientLatencyP99(s),"
          "PodServerLatencyP99(s),PodWorkload(Ops),PodSuccessRate(%)")
T0 = 1661140279  # 2022-08-22 03:51:19 UTC


def _row(minute: int, pod: str, cpu: float, *, stamp_off: int = 0, latency: str = "0.1") -> str:
    from datetime import UTC, datetime

    t = T0 + 60 * minute
    when = datetime.fromtimestamp(t, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")
    return (f"{when}.799 +0000 UTC m=+{60 * minute}.3,{t + stamp_off},{pod},{cpu},50,1,1,10,10,"
            f"{latency},{latency},{latency},{latency},2,0")


def _nezha(root: Path) -> Path:
    day = root / "2022-08-22"
    (day / "metric").mkdir(parents=True)
    (day / "metric" / "front-aaaaaaaaaa-bbbbb_metric.csv").write_text(
        "\n".join([HEADER] + [_row(m, "front-aaaaaaaaaa-bbbbb", 10 + m) for m in range(6)]) + "\n")
    (day / "metric" / "cart-cccccccccc-ddddd_metric.csv").write_text(  # TimeStamp corrupted, one latency missing
        "\n".join([HEADER] + [_row(m, "cart-cccccccccc-ddddd", 1.0, stamp_off=200_000_000,
                                   latency="" if m == 2 else "0.1") for m in range(6)]) + "\n")
    (day / "metric" / "cart-cccccccccc-eeeee_metric.csv").write_text(  # a second cart pod, minutes 0-4 only
        "\n".join([HEADER] + [_row(m, "cart-cccccccccc-eeeee", 3.0) for m in range(5)]) + "\n")
    (day / "metric" / "dependency.csv").write_text(
        "Source,Target,Weight\nfront,cart,1\nfront,33.33.33.1,1\nloadgenerator,front,1\n")
    faults = {"03": [{"inject_time": "2022-08-22 03:52:30", "inject_timestamp": str(T0 + 71 + 60),
                      "inject_pod": "cart-cccccccccc-ddddd", "inject_type": "cpu_contention"}]}
    (day / "2022-08-22-fault_list.json").write_text(json.dumps(faults))
    return root


def test_nezha_aggregates_pods_per_service_and_labels_faults_by_inject_time(tmp_path: Path) -> None:
    data = load_nezha(_nezha(tmp_path), fault_minutes=2)
    f = data.frame
    assert f.node_ids == ["cart", "front"] and f.values.shape == (6, 2, 11)
    cpu = f.features.index("cpu_rate")
    assert np.allclose(f.values[:5, 0, cpu], 2.0) and f.values[5, 0, cpu] == 1.0  # mean of the pods' rates
    assert f.values[0, 0, f.features.index("syscall_read")] == 2.0  # counters are summed
    assert data.edges == [("front", "cart")]
    # injected 03:52:30 -> the first cart row at or after it is 03:53:19, step 2; labelled 2 minutes
    assert [x.step for x in data.faults] == [2]
    assert f.labels[:, 0].tolist() == [0, 0, 1, 1, 0, 0] and f.labels[:, 1].sum() == 0
    c = data.report.counts
    assert c["rows_timestamp_distrusted"] == 6
    assert c["faults_timestamp_distrusted"] == 1  # inject_timestamp is 60 s off
    assert c["edges_dropped"] == 2 and c["columns_constant"] == 1
    assert c["values_missing"] == 4  # the four latency columns of one row (the other cart pod fills them in)
    assert data.segments == [0]


def test_nezha_refuses_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(PublicDataError):
        load_nezha(tmp_path / "absent")
    assert service_of("checkoutservice-578fcf4766-9csqn") == "checkoutservice"


def _petshop(root: Path) -> Path:
    sc = root / "dataset" / "low_traffic"
    (sc / "train" / "issue_0").mkdir(parents=True)
    (sc / "noissue").mkdir()
    (sc / "graph.csv").write_text(",site,search,db\nsite,0.0,1.0,0.0\nsearch,0.0,0.0,1.0\ndb,0.0,0.0,0.0\n")
    head = ("microservice,site,search,db,site\nmetric,latency,latency,latency,requests\n"
            "statistic,Average,Average,Average,Sum\nunix_timestamp,,,,\n")
    rows = ["1000.0,0.1,0.01,0.002,10", "1300.0,0.1,0.01,,10", "1600.0,0.5,0.2,0.002,11"]
    (sc / "train" / "issue_0" / "metrics.csv").write_text(head + "\n".join(rows) + "\n")
    (sc / "noissue" / "metrics.csv").write_text(head + "\n".join(rows[:2]) + "\n")
    (sc / "train" / "issue_0" / "target.json").write_text(json.dumps({
        "target": {"node": "site", "metric": "latency", "agg": "Average", "timestamp": 1500},
        "root_cause": {"node": "search", "metric": None}}))
    return root


def test_petshop_issue_becomes_a_frame_with_call_edges(tmp_path: Path) -> None:
    issues, report = load_petshop(_petshop(tmp_path))
    assert len(issues) == 1 and not report.notes
    i = issues[0]
    assert i.edges == [("site", "search"), ("search", "db")]
    assert (i.symptom, i.onset, i.root_cause) == ("site", 1500, "search")
    assert i.frame.features == ["latency:Average", "requests:Sum"]
    assert i.frame.values.shape == (3, 3, 2) and np.isnan(i.frame.values[1, 2, 0])
    assert np.isnan(i.frame.values[0, 1, 1])  # search has no requests column
    assert (i.frame.labels == -1).all() and i.baseline is not None and i.baseline.values.shape[0] == 2
