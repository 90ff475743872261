"""Log files become (service, time, error) lines: Nezha's CSV layout with the runtime's JSON wrapper, a severity column,
JSON lines with an ISO time; error words when no severity is given; bad input is refused naming file, line and field."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from opsgraph.sources import SourceConfig, read_source
from opsgraph.sources.logs import LogFormatError, read_log_jsonl, read_log_table, read_logs

T = 1_661_145_522_908_318_000


def _wrapped(inner: dict) -> str:
    """A container runtime's line: {"log": "<the service's JSON line>\\n", "stream": ..., "time": ...}."""
    return json.dumps({"log": json.dumps(inner) + "\n", "stream": "stdout", "time": "2022-08-22T05:18:42.90847299Z"})


def test_nezha_layout_reads_pods_as_services_and_severity_from_the_wrapped_line(tmp_path: Path) -> None:
    path = tmp_path / "05_19_log.csv"
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Timestamp", "TimeUnixNano", "Node", "PodName", "Container", "TraceID", "SpanID", "Log"])
        w.writerow(["2022-08-22T05:18:42.908318Z", T, "n1", "recommendationservice-6cfdd55578-gfj6q", "server", "t", "s",
                    _wrapped({"severity": "INFO", "message": "List Recommendations"})])
        w.writerow(["2022-08-22T05:18:43Z", T + 1, "n1", "currencyservice-7d8b9c6f4-x2kqz", "server", "t", "s",
                    _wrapped({"severity": "error", "message": "conversion failed"})])
        w.writerow(["2022-08-22T05:18:44Z", T + 2, "n1", "adservice-5f6b8c9d7-q8zzk", "server", "t", "s",
                    json.dumps({"log": "Exception in thread main java.lang.RuntimeException\n"})])
        w.writerow(["2022-08-22T05:18:45Z", T + 3, "n1", "cartservice-579f59597d-wc2lz", "server", "t", "s",
                    json.dumps({"log": "info: cart loaded\n"})])
    lines = list(read_log_table(path))
    assert [(x.service, x.error) for x in lines] == [("recommendationservice", False), ("currencyservice", True),
                                                     ("adservice", True), ("cartservice", False)]
    assert lines[0].time_ns == T


def test_a_severity_column_and_json_lines_with_iso_times(tmp_path: Path) -> None:
    table = tmp_path / "app.csv"
    table.write_text("timestamp,service,level,message\n2026-01-02T10:00:00.123456789Z,payments,ERROR,boom\n"
                     "2026-01-02T10:00:01Z,payments,warn,slow\n")
    rows = list(read_log_table(table))
    assert [(r.service, r.error) for r in rows] == [("payments", True), ("payments", False)]
    assert rows[0].time_ns % 1_000_000_000 == 123_456_789
    jl = tmp_path / "app.jsonl"
    jl.write_text(json.dumps({"timestamp": "2026-01-02T10:00:00Z", "service": "cart", "message": "FATAL: out of memory"})
                  + "\n\n" + json.dumps({"time_unix_nano": 5, "pod": "cart-7d8b9c6f4-x2kqz", "severity": "info", "body": "ok"}) + "\n")
    assert [(r.service, r.error, r.time_ns) for r in read_log_jsonl(jl)] == [("cart", True, 1767348000 * 10**9), ("cart", False, 5)]
    assert len(list(read_logs(tmp_path))) == 4


def test_bad_log_input_names_file_line_and_field(tmp_path: Path) -> None:
    no_time = tmp_path / "a.csv"
    no_time.write_text("service,message\nx,y\n")
    with pytest.raises(LogFormatError, match=r"a\.csv: line 1: a log table needs a time"):
        list(read_log_table(no_time))
    bad_time = tmp_path / "b.csv"
    bad_time.write_text("timestamp,service,message\n2026-01-02T10:00:00Z,x,y\nyesterday,x,y\n")
    with pytest.raises(LogFormatError, match=r"b\.csv: line 3: field 'timestamp' must be Unix nanoseconds or an ISO time"):
        list(read_log_table(bad_time))
    no_zone = tmp_path / "c.jsonl"
    no_zone.write_text(json.dumps({"timestamp": "2026-01-02T10:00:00", "service": "x", "message": "y"}) + "\n")
    with pytest.raises(LogFormatError, match=r"c\.jsonl: line 1: field 'timestamp'"):
        list(read_log_jsonl(no_zone))
    not_json = tmp_path / "d.jsonl"
    not_json.write_text("{oops\n")
    with pytest.raises(LogFormatError, match=r"d\.jsonl: line 1: not JSON"):
        list(read_log_jsonl(not_json))
    with pytest.raises(LogFormatError, match="no such file or folder"):
        list(read_logs(tmp_path / "missing"))


def test_a_log_source_asserts_no_facts(schema, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "app.jsonl").write_text(json.dumps({"time_unix_nano": 1, "service": "cart", "message": "ERROR x"}) + "\n")
    facts = read_source(SourceConfig(name="applogs", kind="logs", path=tmp_path), schema)
    assert facts.kind == "logs" and not any(facts.nodes.values()) and not any(facts.edges.values())
