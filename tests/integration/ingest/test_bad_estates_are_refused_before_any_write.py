"""Bad estates are refused before anything is written; the store keeps what it had."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import snapshot, write
from opsgraph.app import OpsGraph
from opsgraph.errors import BatchError, IngestError


@pytest.mark.parametrize(
    ("path", "content", "needle"),
    [
        ("edges/OWNS.yaml", "- {from: core, to: api}\n- {from: core, to: ghost}\n", "edges/OWNS.yaml:2 [to]: edge to unknown node 'ghost'"),
        ("nodes/extra.yaml", "- {type: Squad, id: s1}\n", "nodes/extra.yaml:1 [type]: unknown node type 'Squad'"),
        ("nodes/extra.yaml", "- {type: Team, name: No Id}\n", "nodes/extra.yaml:1 [id]: missing id"),
        ("nodes/Service.csv", "id,name,port\napi,API,eighty\n", "nodes/Service.csv:2 [port]: expected an integer"),
        ("edges/DEPENDS_ON.json", "[{\"from\": \"api\",}]", "edges/DEPENDS_ON.json:1: not valid JSON"),
        ("telemetry/more.csv", "timestamp,node,cpu\nnot-a-time,api,1\n", "telemetry/more.csv:2 [timestamp]"),
    ],
)
def test_refused_with_location_and_store_unchanged(og: OpsGraph, small_estate: Path, path: str, content: str, needle: str) -> None:
    og.ingest(small_estate)
    before = snapshot(og)
    version = og.store.data_version()
    # A valid change elsewhere in the same folder must not be written either.
    csv = small_estate / "nodes" / "Service.csv"
    if path != "nodes/Service.csv":
        csv.write_text(csv.read_text().replace("Worker", "Worker 2"))
    write(small_estate / path, content)
    with pytest.raises(IngestError) as info:
        og.ingest(small_estate)
    assert needle in str(info.value)
    assert snapshot(og) == before
    assert og.store.data_version() == version


def test_duplicate_key_in_one_batch_last_row_wins_and_is_reported(og: OpsGraph, small_estate: Path) -> None:
    write(small_estate / "nodes" / "more.yaml", "- {type: Service, id: api, name: API v2, tier: low}\n")
    report = og.ingest(small_estate)
    assert report.nodes["Service"].duplicates == ("api",)
    assert report.nodes["Service"].created == 3
    rows = og.query("MATCH (n:Service {id: 'api'}) RETURN n.name AS name, n.tier AS tier").rows
    assert rows == [{"name": "API v2", "tier": "low"}]


def test_store_dedupes_a_batch_itself(og: OpsGraph, small_estate: Path) -> None:
    og.ingest(small_estate)
    report = og.store.upsert_nodes("Team", [{"id": "t9", "name": "A"}, {"id": "t9", "name": "B"}])
    assert (report.created, report.duplicates) == (1, ("t9",))
    assert og.query("MATCH (t:Team {id: 't9'}) RETURN t.name AS n").rows == [{"n": "B"}]


def test_failed_batch_rolls_back(og: OpsGraph, small_estate: Path) -> None:
    og.ingest(small_estate)
    before = snapshot(og)
    rows = [
        {"from": "core", "to": "worker", "from_type": "Team", "to_type": "Service"},
        {"from": "core", "to": "missing", "from_type": "Team", "to_type": "Service"},
    ]
    with pytest.raises(BatchError, match="rolled back"):
        og.store.upsert_edges("OWNS", rows)
    assert snapshot(og) == before


def test_id_stored_under_another_type_is_refused(og: OpsGraph, small_estate: Path) -> None:
    og.ingest(small_estate)
    write(small_estate / "nodes" / "more.yaml", "- {type: Team, id: worker, name: Clash}\n")
    with pytest.raises(IngestError, match="id 'worker' is already a Service"):
        og.ingest(small_estate)
