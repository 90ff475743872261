"""Estate folders are validated completely before anything is written.

These cases need no store: validation happens on the files alone (ids that
are not in the folder are looked up in an empty store here).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import write
from opsgraph.errors import IngestError
from opsgraph.ingest import read_estate


def issues_of(root: Path) -> list[str]:
    with pytest.raises(IngestError) as info:
        read_estate(root, lookup_ids=lambda ids: {})
    return [str(i) for i in info.value.issues]


def test_small_estate_reads_in_every_format(small_estate: Path) -> None:
    plan = read_estate(small_estate, lookup_ids=lambda ids: {})
    services = {r["id"]: r for r in plan.nodes["Service"]}
    assert services["api"] == {"id": "api", "name": "API", "tier": "critical", "port": 8080, "healthy": True, "tags": ["edge", "public"]}
    assert "port" not in services["worker"]
    assert {r["id"] for r in plan.nodes["Team"]} == {"core", "data"}
    assert {(e["from"], e["to"], e["from_type"], e["to_type"]) for e in plan.edges["DEPENDS_ON"]} == {
        ("api", "db-proxy", "Service", "Service"),
        ("worker", "db-proxy", "Service", "Service"),
    }
    assert len(plan.telemetry["Service"]) == 20


def test_edge_to_unknown_node_names_file_row_and_field(small_estate: Path) -> None:
    write(small_estate / "edges" / "OWNS.yaml", "- {from: core, to: api}\n- {from: core, to: ghost}\n")
    (msg,) = issues_of(small_estate)
    assert msg.startswith("edges/OWNS.yaml:2 [to]")
    assert "unknown node 'ghost'" in msg


def test_unknown_type_in_type_column(small_estate: Path) -> None:
    write(small_estate / "nodes" / "teams.yaml", "- {type: Squad, id: core, name: Core}\n")
    msgs = issues_of(small_estate)
    assert any(m.startswith("nodes/teams.yaml:1 [type]") and "unknown node type 'Squad'" in m for m in msgs)


def test_missing_id(small_estate: Path) -> None:
    write(small_estate / "nodes" / "Service.csv", "id,name\napi,API\n,Nameless\n")
    msgs = issues_of(small_estate)
    assert any(m.startswith("nodes/Service.csv:3 [id]") and "missing id" in m for m in msgs)


def test_type_mismatch_names_the_cell(small_estate: Path) -> None:
    write(small_estate / "nodes" / "Service.csv", "id,name,port\napi,API,80a\ndb-proxy,DB,1\nworker,W,2\n")
    (msg,) = issues_of(small_estate)
    assert msg.startswith("nodes/Service.csv:2 [port]")
    assert "expected an integer" in msg


def test_undeclared_property(small_estate: Path) -> None:
    write(small_estate / "nodes" / "teams.yaml", "- {type: Team, id: core, name: Core, budget: 3}\n- {type: Team, id: data}\n")
    (msg,) = issues_of(small_estate)
    assert msg.startswith("nodes/teams.yaml:1 [budget]")


def test_required_property_missing(small_estate: Path) -> None:
    write(small_estate / "nodes" / "Service.csv", "id,tier\napi,critical\ndb-proxy,high\nworker,low\n")
    msgs = issues_of(small_estate)
    assert len(msgs) == 3
    assert all("[name]" in m and "required" in m for m in msgs)


def test_malformed_files(small_estate: Path) -> None:
    write(small_estate / "edges" / "DEPENDS_ON.json", '[{"from": "api", "to": "db-proxy"},,]')
    write(small_estate / "edges" / "OWNS.yaml", "- {from: core, to: api\n")
    msgs = issues_of(small_estate)
    assert any(m.startswith("edges/DEPENDS_ON.json:1") and "not valid JSON" in m for m in msgs)
    assert any(m.startswith("edges/OWNS.yaml") and "not valid YAML" in m for m in msgs)


def test_csv_row_with_wrong_cell_count(small_estate: Path) -> None:
    write(small_estate / "nodes" / "Service.csv", "id,name\napi,API,extra\ndb-proxy,DB\nworker,W\n")
    msgs = issues_of(small_estate)
    assert msgs[0].startswith("nodes/Service.csv:2") and "expected 2 cells" in msgs[0]
    # The unreadable row's edges are refused too rather than written half-connected.
    assert any("unknown node 'api'" in m for m in msgs[1:])


def test_ids_are_unique_across_types(small_estate: Path) -> None:
    write(small_estate / "nodes" / "teams.yaml", "- {type: Team, id: api, name: Clash}\n- {type: Team, id: core}\n- {type: Team, id: data}\n")
    msgs = issues_of(small_estate)
    assert any("id 'api' is already a Service" in m for m in msgs)


def test_edge_endpoint_of_wrong_type(small_estate: Path) -> None:
    write(small_estate / "edges" / "OWNS.yaml", "- {from: api, to: core}\n")
    msgs = issues_of(small_estate)
    assert any("[from]" in m and "OWNS cannot start at a Service" in m for m in msgs)
    assert any("[to]" in m and "OWNS cannot end at a Team" in m for m in msgs)


def test_telemetry_problems(small_estate: Path) -> None:
    write(
        small_estate / "telemetry" / "metrics.csv",
        "timestamp,node,cpu,latency,label,disk\n2026-01-01T00:00:00Z,api,0.1,3,0,1\nsoon,api,0.1,3,0,1\n2026-01-01T00:01:00Z,core,0.1,3,0,1\n2026-01-01T00:02:00Z,api,high,3,2,1\n",
    )
    msgs = issues_of(small_estate)
    assert any("[disk]" in m and "unknown column" in m for m in msgs)
    assert any(m.startswith("telemetry/metrics.csv:3 [timestamp]") for m in msgs)
    assert any(m.startswith("telemetry/metrics.csv:4 [node]") and "declares no telemetry" in m for m in msgs)
    assert any(m.startswith("telemetry/metrics.csv:5 [cpu]") for m in msgs)
    assert any(m.startswith("telemetry/metrics.csv:5 [label]") for m in msgs)


def test_every_problem_is_reported_at_once(small_estate: Path) -> None:
    write(small_estate / "nodes" / "Service.csv", "id,name,port\napi,API,x\ndb-proxy,DB,y\nworker,W,1\n")
    write(small_estate / "edges" / "OWNS.yaml", "- {from: core, to: nowhere}\n")
    assert len(issues_of(small_estate)) == 3


def test_missing_estate_folder(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="does not exist"):
        read_estate(tmp_path / "nope")
