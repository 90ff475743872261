"""`atomic(..., one_transaction=True)`: the block's batches join one engine transaction, committed once or not at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import SMALL_SCHEMA
from opsgraph.app import OpsGraph
from opsgraph.errors import OpsGraphError
from opsgraph.schema import parse_schema
from opsgraph.store.arcadedb import ArcadeDBStore

RECORD = "TestRecord"


@pytest.fixture
def store(any_og: OpsGraph) -> ArcadeDBStore:
    """The embedded engine, then a real ArcadeDB server over HTTP (its transaction is a server session)."""
    s = any_og.store
    assert isinstance(s, ArcadeDBStore)
    s.batch_size = 2
    s.ensure_schema(parse_schema(SMALL_SCHEMA))
    s.ensure_records(RECORD, {"v": "STRING"})
    s.upsert_nodes("Service", [{"id": "a", "name": "a"}, {"id": "b", "name": "b"}])
    return s


def _state(store: ArcadeDBStore) -> tuple[list[tuple[str, str]], list[tuple[str, str]], list[tuple[str, str]]]:
    nodes = store.query("MATCH (n:Service) RETURN n.id AS id, n.name AS name ORDER BY id").rows
    edges = store.query("MATCH (a)-[r:DEPENDS_ON]->(b) RETURN a.id AS f, b.id AS t ORDER BY f, t").rows
    records = store.read_records(RECORD)
    return ([(r["id"], r["name"]) for r in nodes], [(r["f"], r["t"]) for r in edges], sorted((str(r["key"]), str(r["v"])) for r in records))


def _journal_files(store: ArcadeDBStore) -> list[Path]:
    folder = store.journal_dir
    return sorted(folder.glob("*.jsonl*")) if folder is not None and folder.is_dir() else []


def test_a_failing_block_leaves_nothing_and_writes_no_journal(store: ArcadeDBStore, monkeypatch: pytest.MonkeyPatch) -> None:
    before, version = _state(store), store.data_version()
    began: list[int] = []

    from opsgraph.store import journal

    real_begin = journal.Journal.begin

    def counting_begin(*args: object, **kwargs: object) -> journal.Journal:
        began.append(1)
        return real_begin(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(journal.Journal, "begin", counting_begin)
    with pytest.raises(OpsGraphError, match="nothing was changed"), store.atomic("test block", one_transaction=True):
        # more rows than one batch (batch_size 2): several batches, all in the one transaction
        store.upsert_nodes("Service", [{"id": f"n{i}", "name": f"n{i}"} for i in range(5)] + [{"id": "a", "name": "renamed"}])
        store.upsert_edges("DEPENDS_ON", [{"from": "a", "to": "n1", "from_type": "Service", "to_type": "Service"}])
        store.write_records(RECORD, [{"key": "k1", "v": "x"}])
        store.delete_nodes("Service", ["b"])
        raise OpsGraphError("failure injected after the writes")
    assert _state(store) == before and store.data_version() == version
    assert began == [] and _journal_files(store) == []


def test_a_block_that_ends_commits_every_batch(store: ArcadeDBStore) -> None:
    version = store.data_version()
    with store.atomic("test block", one_transaction=True):
        assert store.in_one_transaction()
        store.upsert_nodes("Service", [{"id": f"m{i}", "name": f"m{i}"} for i in range(3)])
        store.upsert_edges("DEPENDS_ON", [{"from": "m0", "to": "m1", "from_type": "Service", "to_type": "Service"}])
        store.write_records(RECORD, [{"key": "k2", "v": "y"}])
        # reads inside the block see its own writes
        assert store.node_types(["m0", "m2"]) == {"m0": "Service", "m2": "Service"}
    assert not store.in_one_transaction()
    nodes, edges, records = _state(store)
    assert {"m0", "m1", "m2"} <= {i for i, _ in nodes} and ("m0", "m1") in edges and ("k2", "y") in records
    assert store.data_version() > version and _journal_files(store) == []
