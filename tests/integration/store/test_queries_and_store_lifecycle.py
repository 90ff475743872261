"""Read-only queries, writes on request, reset, the live schema and the one-process lock."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from opsgraph.app import OpsGraph
from opsgraph.errors import QueryError, WriteRefusedError


@pytest.fixture
def og(any_og: OpsGraph) -> OpsGraph:
    """Every test here runs on both store backends: the embedded engine and an ArcadeDB server over HTTP."""
    return any_og


def test_write_refused_unless_asked(og: OpsGraph, small_estate: Path) -> None:
    og.ingest(small_estate)
    with pytest.raises(WriteRefusedError, match="DETACH, DELETE"):
        og.query("MATCH (n) DETACH DELETE n")
    assert og.query("MATCH (n) RETURN count(n) AS c").rows[0]["c"] == 5
    version = og.store.data_version()
    og.query("MATCH (n:Team {id: $id}) SET n.name = $name", {"id": "core", "name": "Core Platform"}, write=True)
    assert og.query("MATCH (n:Team {id: 'core'}) RETURN n.name AS n").rows == [{"n": "Core Platform"}]
    assert og.store.data_version() > version


def test_engine_refuses_a_write_the_static_check_missed(og: OpsGraph, small_estate: Path) -> None:
    og.ingest(small_estate)
    transport = og.store.transport  # type: ignore[attr-defined]
    with pytest.raises(WriteRefusedError, match="engine refused"):
        transport.query("cypher", "CREATE (n:Team {id: 'sneaky'})", None, 10)
    assert og.query("MATCH (n:Team {id: 'sneaky'}) RETURN n").rows == []


def test_parameters_bind_and_rows_are_bounded(og: OpsGraph, small_estate: Path) -> None:
    og.ingest(small_estate)
    rows = og.query("MATCH (s:Service) WHERE s.id IN $ids RETURN s.id AS id ORDER BY id", {"ids": ["api", "worker", "x"]}).rows
    assert [r["id"] for r in rows] == ["api", "worker"]
    result = og.query("MATCH (s:Service) RETURN s.id AS id", limit=2)
    assert len(result.rows) == 2 and result.truncated


def test_syntax_error_is_a_query_error(og: OpsGraph) -> None:
    with pytest.raises(QueryError, match="line 1"):
        og.query("MATCH (n RETURN n")


def test_describe_shows_types_properties_counts(og: OpsGraph, small_estate: Path) -> None:
    og.ingest(small_estate)
    types = {t.name: t for t in og.describe()}
    assert types["Service"].count == 3
    assert types["Service"].properties["port"] == "LONG"
    assert "_hash" not in types["Service"].properties
    assert types["OWNS"].endpoints == [("Team", "Service")]
    text = og.describe_text()
    assert "(:Team)-[:OWNS]->(:Service) [3]" in text


def test_reset_drops_everything_and_keeps_versions_growing(og: OpsGraph, small_estate: Path) -> None:
    og.ingest(small_estate)
    version = og.store.data_version()
    og.reset()
    assert og.describe() == []
    assert og.store.data_version() > version
    og.ingest(small_estate)  # and it can be filled again
    assert og.query("MATCH (n) RETURN count(n) AS c").rows[0]["c"] == 5


def test_schema_change_of_property_type_is_reported(og: OpsGraph, small_estate: Path) -> None:
    og.ingest(small_estate)
    schema = small_estate / "schema.yaml"
    schema.write_text(schema.read_text().replace("port: integer", "port: string"))
    from opsgraph.errors import StoreError

    with pytest.raises(StoreError, match=r"property Service.port is LONG in the store"):
        og.ingest(small_estate)


def test_second_process_gets_a_clear_lock_error(embedded_og: OpsGraph) -> None:
    og = embedded_og  # the one-process lock is the embedded store's
    code = (
        "import sys\n"
        "from opsgraph.app import OpsGraph, Settings\n"
        "from opsgraph.errors import StoreLockedError\n"
        f"og = OpsGraph(Settings(home={str(og.settings.home)!r}))\n"
        "try:\n"
        "    og.open()\n"
        "except StoreLockedError as exc:\n"
        "    print('LOCKED:', exc)\n"
        "    sys.exit(3)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 3, proc.stderr
    assert "in use by another process" in proc.stdout
    assert "Exception" not in proc.stdout and "Traceback" not in proc.stderr


def test_slow_query_is_stopped_by_its_time_limit(og: OpsGraph) -> None:
    from opsgraph.errors import QueryTimeoutError
    from opsgraph.schema import parse_schema

    og.store.ensure_schema(parse_schema("version: 1\nname: t\nnodes:\n  N: {properties: {x: integer}}\n"))
    og.store.upsert_nodes("N", [{"id": f"n{i}", "x": i} for i in range(3000)])
    with pytest.raises(QueryTimeoutError, match="time limit"):
        og.store.query("MATCH (a:N), (b:N), (c:N) WHERE a.x + b.x + c.x = -1 RETURN count(*) AS c", timeout_ms=100)
    # The store's own limit is back in place afterwards: a normal query still runs.
    assert og.query("MATCH (n:N) RETURN count(n) AS c").rows == [{"c": 3000}]


def test_an_index_dropped_by_hand_is_created_again(og: OpsGraph, small_estate: Path) -> None:
    """`ensure_schema` skips its statements when the store holds this very schema, but not when an index it asks for is
    gone: the shortcut checks the live indexes, so a dropped id index comes back at the next ingest."""
    og.ingest(small_estate)

    def id_indexes() -> list[str]:
        rows, _ = og.store.transport.query("sql", "SELECT name, properties FROM schema:indexes WHERE typeName = 'Service'", None, None)  # type: ignore[attr-defined]
        return [r["name"] for r in rows if r["properties"] == [["id"]]]

    assert "Service[id]" in id_indexes()
    og.store.transport.command("sql", "DROP INDEX `Service[id]`")  # type: ignore[attr-defined]
    assert id_indexes() == []
    og.ingest(small_estate)
    assert "Service[id]" in id_indexes()
    assert og.query("MATCH (s:Service) RETURN count(s) AS c").rows[0]["c"] == 3
