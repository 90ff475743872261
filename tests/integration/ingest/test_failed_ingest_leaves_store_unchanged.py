"""A failed ingest leaves the real embedded store exactly as it was.

Two layers are checked on one store holding the sample estate with its
documents (chunks, vectors, MENTIONS) and telemetry:
- validation refuses what the engine would refuse (ints beyond 64 bits, NaN,
  NUL bytes, over-long ids and indexed text) before the first write, naming
  file, line, field, value and limit;
- when the engine refuses a batch anyway (validation bypassed by editing the
  validated plan) or a batch fails late (a fault injected into the last
  write), every batch the ingest had committed is undone: node and edge
  properties and `_hash`es, the data version, documents, chunks and vectors,
  and telemetry buckets all compare equal, and the error says nothing was
  changed.
Every case leaves the store as it found it, so the module shares one store.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers import write
from opsgraph.app import sample_estate_path
from opsgraph.embed.fake import HashingEmbedder
from opsgraph.errors import BatchError, IngestError, OpsGraphError
from opsgraph.ingest import ingest_estate, write_plan
from opsgraph.ingest.estate import EstatePlan, read_estate
from opsgraph.store.arcadedb import ArcadeDBStore
from opsgraph.store.limits import ID_MAX_BYTES, INDEXED_STRING_MAX_BYTES

UNDONE = "nothing was changed"


@pytest.fixture(scope="module")
def embedder() -> HashingEmbedder:
    return HashingEmbedder(dims=32)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, embedder: HashingEmbedder) -> Iterator[ArcadeDBStore]:
    home = tmp_path_factory.mktemp("home")
    with ArcadeDBStore(home / "store") as st:
        report = ingest_estate(st, sample_estate_path(), embedder=embedder)
        assert report.documents is not None and report.documents.chunks_written > 0
        yield st


@pytest.fixture
def estate(tmp_path: Path) -> Path:
    dst = tmp_path / "estate"
    shutil.copytree(sample_estate_path(), dst)
    return dst


State = Callable[[ArcadeDBStore], dict[str, Any]]


@pytest.fixture
def before(store: ArcadeDBStore, store_state: State) -> dict[str, Any]:
    state = store_state(store)
    assert state["nodes"] and state["edges"] and state["telemetry"]
    assert any("'Chunk'" in n for n in state["nodes"])
    return state


def changed_everywhere(estate: Path) -> None:
    """Edit the estate so that an ingest writes in every step: new and changed nodes of every file, edges, telemetry, documents."""
    for path in sorted((estate / "nodes").iterdir()):
        text = path.read_text()
        if path.suffix == ".csv":
            header, first, *rest = text.splitlines()
            text = "\n".join([header, first.replace(",", ",x", 1), *rest]) + "\n"
        else:
            text = text.replace("name: ", "name: Renamed ", 1)
        path.write_text(text)
    deps = estate / "edges" / "DEPENDS_ON.csv"
    deps.write_text(deps.read_text().replace(",500,", ",501,"))
    tele = estate / "telemetry" / "services.csv"
    tele.write_text(tele.read_text().replace("2026-01-01T00:00:00Z,frontend,39.43", "2026-01-01T00:00:00Z,frontend,41.5"))
    docs = sorted((estate / "docs").glob("*.md"))
    docs[0].write_text(docs[0].read_text() + "\n\n## Afterword\n\nThe frontend and the cartservice were checked again.\n")
    docs[1].unlink()
    write(estate / "docs" / "new-note.md", "# New note\n\nThe checkoutservice calls the paymentservice.\n")


def validated_changed_plan(store: ArcadeDBStore, estate: Path) -> EstatePlan:
    changed_everywhere(estate)
    return read_estate(estate, lookup_ids=store.node_types)


# -- validation refuses what the engine would refuse ---------------------------


def _set_first(path: Path, old: str, new: str) -> int:
    """Replace the first `old` in a file; return the 1-based line of its row (a YAML row starts at its `- `)."""
    text = path.read_text()
    at = text.index(old)
    path.write_text(text.replace(old, new, 1))
    lines = text[: at + len(old)].split("\n")
    if path.suffix == ".yaml":
        while not lines[-1].startswith("- "):
            lines.pop()
    return len(lines)


@pytest.mark.parametrize(
    ("file", "old", "new", "field", "needles"),
    [
        ("nodes/Service.yaml", "port: 9555", "port: 99999999999999999999", "port", ["99999999999999999999", "64-bit"]),
        ("edges/DEPENDS_ON.csv", ",2000,", ",-99999999999999999999,", "timeout_ms", ["-99999999999999999999", "9,223,372,036,854,775,807"]),
        ("nodes/Service.yaml", "tier: critical", "tier: " + "x" * (INDEXED_STRING_MAX_BYTES + 1), "tier", [f"{INDEXED_STRING_MAX_BYTES + 1:,} bytes", f"{INDEXED_STRING_MAX_BYTES:,} bytes"]),
        ("nodes/Datastore.csv", "Cart Redis", "Cart\x00Redis", "name", ["NUL", "position 5"]),
        ("nodes/Service.yaml", "slo_availability: 99.0", "slo_availability: .nan", "slo_availability", ["nan", "allow_nan"]),
        ("nodes/Service.yaml", "- id: frontend", "- id: " + "f" * (ID_MAX_BYTES + 1), "id", [f"{ID_MAX_BYTES + 1:,} bytes", f"{ID_MAX_BYTES:,} bytes"]),
    ],
    ids=["int64-node", "int64-edge", "indexed-string", "nul-byte", "nan", "long-id"],
)
def test_engine_limits_are_refused_before_any_write(
    store: ArcadeDBStore, before: dict[str, Any], store_state: State, estate: Path, file: str, old: str, new: str, field: str, needles: list[str]
) -> None:
    changed_everywhere(estate)  # valid changes elsewhere must not be written either
    line = _set_first(estate / file, old, new)
    with pytest.raises(IngestError) as info:
        ingest_estate(store, estate, embedder=HashingEmbedder(dims=32))
    issues = [str(i) for i in info.value.issues if (i.file, i.line, i.field) == (file, line, field)]
    assert len(issues) == 1, str(info.value)[:3000]
    for needle in needles:
        assert needle in issues[0], issues[0]
    assert len(issues[0]) < 400  # the over-long value is shortened
    assert "nothing was written" in str(info.value)
    assert store_state(store) == before


# -- the engine refuses a batch after others committed: undone -----------------


def test_engine_refusal_of_a_node_batch_is_undone(store: ArcadeDBStore, before: dict[str, Any], store_state: State, estate: Path) -> None:
    plan = validated_changed_plan(store, estate)
    assert list(plan.nodes).index("Service") > 3  # Datastore, ExternalService, Incident, Person... commit first
    plan.nodes["Service"][1]["port"] = 2**70
    with pytest.raises(BatchError) as info:
        write_plan(store, plan)
    message = str(info.value)
    assert f"row id {plan.nodes['Service'][1]['id']!r}, field 'port'" in message
    assert "64-bit" in message and UNDONE in message
    assert store_state(store) == before


def test_engine_refusal_of_an_edge_batch_after_all_nodes_is_undone(store: ArcadeDBStore, before: dict[str, Any], store_state: State, estate: Path) -> None:
    plan = validated_changed_plan(store, estate)
    assert list(plan.edges).index("DEPENDS_ON") >= 2  # AFFECTED and CAUSED_BY commit first
    row = plan.edges["DEPENDS_ON"][-1]
    row["timeout_ms"] = -(2**70)
    with pytest.raises(BatchError) as info:
        write_plan(store, plan)
    message = str(info.value)
    assert f"row id '{row['from']}->{row['to']}', field 'timeout_ms'" in message and UNDONE in message
    assert store_state(store) == before


def test_engine_refusal_of_an_over_long_index_key_is_undone(store: ArcadeDBStore, before: dict[str, Any], store_state: State, estate: Path) -> None:
    plan = validated_changed_plan(store, estate)
    row = plan.nodes["Service"][-1]
    row["tier"] = "t" * 300_000  # beyond the engine's own key limit (one 256 KiB index page)
    with pytest.raises(BatchError) as info:
        write_plan(store, plan)
    message = str(info.value)
    assert f"row id {row['id']!r}, field 'tier'" in message and "300,000 bytes" in message and UNDONE in message
    assert store_state(store) == before


# -- a late failure (fault injection) undoes nodes, edges, telemetry and documents -------------


def test_failure_in_the_last_document_write_undoes_the_whole_ingest(
    store: ArcadeDBStore, before: dict[str, Any], store_state: State, estate: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    changed_everywhere(estate)
    real = ArcadeDBStore.upsert_nodes
    calls = {"Document": 0}

    def failing(self: ArcadeDBStore, node_type: str, rows: Any) -> Any:
        # The sync marks documents pending, writes chunks and links, then stamps them done: fail that last stamp.
        if node_type == "Document":
            calls["Document"] += 1
            if calls["Document"] == 2:
                raise RuntimeError("injected: disk went away")
        return real(self, node_type, rows)

    monkeypatch.setattr(ArcadeDBStore, "upsert_nodes", failing)
    with pytest.raises(OpsGraphError) as info:
        ingest_estate(store, estate, embedder=HashingEmbedder(dims=32))
    assert "injected: disk went away" in str(info.value) and UNDONE in str(info.value)
    assert calls["Document"] == 2
    assert store_state(store) == before
    assert not list((store.journal_dir or Path("/nonexistent")).glob("*.jsonl"))


def test_nested_blocks_join_and_a_failure_undoes_them_all(store: ArcadeDBStore, before: dict[str, Any], store_state: State) -> None:
    with pytest.raises(BatchError, match=UNDONE):
        with store.atomic("outer"):
            with store.atomic("inner"):
                store.upsert_nodes("Team", [{"id": "t-new", "name": "New team"}])
            store.delete_nodes("Team", ["t-new"])
            store.upsert_nodes("Team", [{"id": "t-new2", "name": "Another"}])
            store.upsert_edges("OWNS", [{"from": "t-new2", "to": "ghost", "from_type": "Team", "to_type": "Service"}])
    assert store_state(store) == before
    assert store.journal_dir is not None and not list(store.journal_dir.glob("*.jsonl"))
