"""A 10k-node ingest that fails in its last batch is undone; so is one killed (kill -9) mid-ingest or mid-undo.

The store first holds version 1 of a generated estate (10,000 nodes, ~20,000
edges). Version 2 changes a third of the hosts, adds 500 and rewires edges,
so its undo has to restore old rows and `_hash`es, delete created rows and
edges and put back the data version. The failure is injected into the last
edge batch (a fault injection on the real store, not a fake engine). The
crash cases run the ingest of a 2,000-node fleet in a child process that
SIGKILLs itself at a chosen point; reopening the store must finish the undo
from the journal.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers import write
from opsgraph.errors import OpsGraphError
from opsgraph.ingest import ingest_estate
from opsgraph.store.arcadedb import ArcadeDBStore

SCHEMA = """\
version: 1
name: fleet
nodes:
  Rack:
    properties: {name: string, site: {type: string, indexed: true}}
  Host:
    properties: {name: {type: string, fulltext: true}, zone: {type: string, indexed: true}, cores: integer, load: float}
edges:
  IN_RACK: {from: Host, to: Rack}
  TALKS_TO: {from: Host, to: Host, properties: {port: integer}}
"""
RACKS, HOSTS = 100, 9_900
SRC = Path(__file__).resolve().parents[3] / "src"


def make_estate(root: Path, version: int, hosts_count: int = HOSTS) -> Path:
    """Version 1: 100 racks, 9,900 hosts, an IN_RACK edge per host and ~1 TALKS_TO per host. Version 2 changes and adds."""
    write(root / "schema.yaml", SCHEMA)
    write(root / "nodes" / "Rack.csv", "id,name,site\n" + "".join(f"r{i},Rack {i},site-{i % 7}\n" for i in range(RACKS)))
    hosts, extra = [], 500 if version == 2 else 0
    for i in range(hosts_count + extra):
        cores = 8 + i % 4 + (100 if version == 2 and i % 3 == 0 else 0)
        hosts.append(f"h{i},Host {i},zone-{i % 5},{cores},{(i % 97) / 10}\n")
    write(root / "nodes" / "Host.csv", "id,name,zone,cores,load\n" + "".join(hosts))
    n = hosts_count + extra
    write(root / "edges" / "IN_RACK.csv", "from,to\n" + "".join(f"h{i},r{(i + version - 1) % RACKS}\n" for i in range(n)))
    write(root / "edges" / "TALKS_TO.csv", "from,to,port\n" + "".join(f"h{i},h{(i * 7 + 1) % n},{8000 + version}\n" for i in range(n)))
    return root


def last_edge(root: Path) -> tuple[str, str]:
    f, t, _ = (root / "edges" / "TALKS_TO.csv").read_text().strip().splitlines()[-1].split(",")
    return f, t


@pytest.fixture(scope="module")
def estates(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("fleet")
    return make_estate(base / "v1", 1), make_estate(base / "v2", 2)


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory, estates: tuple[Path, Path]) -> Path:
    path = tmp_path_factory.mktemp("home") / "store"
    with ArcadeDBStore(path) as store:
        report = ingest_estate(store, estates[0])
        assert report.nodes["Host"].created == HOSTS
    return path


@pytest.fixture(scope="module")
def before(store_path: Path, store_state: Callable[[ArcadeDBStore], dict[str, Any]]) -> dict[str, Any]:
    with ArcadeDBStore(store_path) as store:
        return store_state(store)


@pytest.fixture
def store(store_path: Path) -> Iterator[ArcadeDBStore]:
    with ArcadeDBStore(store_path) as st:
        yield st


def test_failure_in_the_last_batch_of_a_10k_node_ingest_is_undone(
    store: ArcadeDBStore, estates: tuple[Path, Path], before: dict[str, Any], store_state: Callable[[ArcadeDBStore], dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    final = last_edge(estates[1])
    real = ArcadeDBStore._edge_batch
    seen = {"batches": 0}

    def failing(self: ArcadeDBStore, rel: str, ft: str, tt: str, batch: list[dict[str, Any]], *, assume_new: bool) -> Any:
        seen["batches"] += 1
        if (batch[-1]["from"], batch[-1]["to"]) == final:
            raise RuntimeError("injected failure in the last batch")
        return real(self, rel, ft, tt, batch, assume_new=assume_new)

    monkeypatch.setattr(ArcadeDBStore, "_edge_batch", failing)
    with pytest.raises(OpsGraphError) as info:
        ingest_estate(store, estates[1])
    message = str(info.value)
    assert "injected failure in the last batch" in message and "nothing was changed" in message
    assert seen["batches"] >= 20  # every node batch and every other edge batch had committed
    assert store_state(store) == before
    assert store.journal_dir is not None and not list(store.journal_dir.glob("*.jsonl"))


CHILD = """
import os, signal, sys
sys.path.insert(0, {src!r})
from pathlib import Path
from opsgraph.ingest import ingest_estate
from opsgraph.store.arcadedb import ArcadeDBStore

mode, final = {mode!r}, tuple({final!r})
real_edge, real_undo = ArcadeDBStore._edge_batch, ArcadeDBStore._undo_record
undone = [0]

def edge_batch(self, rel, ft, tt, batch, *, assume_new):
    if (batch[-1]["from"], batch[-1]["to"]) == final:
        if mode == "ingest":
            os.kill(os.getpid(), signal.SIGKILL)  # a crash before the last batch: committed batches stay behind
        raise RuntimeError("injected failure in the last batch")
    return real_edge(self, rel, ft, tt, batch, assume_new=assume_new)

def undo_record(self, rec):
    kept = real_undo(self, rec)
    undone[0] += 1
    if undone[0] == 5:
        os.kill(os.getpid(), signal.SIGKILL)  # a crash half-way through the undo
    return kept

ArcadeDBStore._edge_batch = edge_batch
ArcadeDBStore._undo_record = undo_record
with ArcadeDBStore(Path({store!r}), batch_size=500) as store:
    ingest_estate(store, Path({estate!r}))
"""


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory, store_state: Callable[[ArcadeDBStore], dict[str, Any]]) -> tuple[Path, Path, dict[str, Any]]:
    """The crash cases run in a child process (its own JVM): a 2,000-node fleet keeps them quick; still ~10 batches to undo."""
    base = tmp_path_factory.mktemp("small")
    v1, v2 = make_estate(base / "v1", 1, 1_900), make_estate(base / "v2", 2, 1_900)
    with ArcadeDBStore(base / "home" / "store", batch_size=500) as store:
        ingest_estate(store, v1)
        return base / "home" / "store", v2, store_state(store)


@pytest.mark.parametrize("mode", ["ingest", "undo"])
def test_kill_9_mid_ingest_or_mid_undo_is_finished_on_the_next_open(
    small: tuple[Path, Path, dict[str, Any]], store_state: Callable[[ArcadeDBStore], dict[str, Any]], mode: str
) -> None:
    store_path, estate, before = small
    code = CHILD.format(src=str(SRC), mode=mode, final=list(last_edge(estate)), store=str(store_path), estate=str(estate))
    child = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=600, check=False)
    assert child.returncode == -signal.SIGKILL, child.stderr[-3000:]
    journals = list((store_path.parent / "journal").glob("*.jsonl"))
    assert len(journals) == 1
    lines = [json.loads(line) for line in journals[0].read_text().splitlines() if line.endswith("}")]
    marks = [r for r in lines if r["kind"] == "undone"]
    assert len(marks) == (4 if mode == "undo" else 0)  # killed after undoing the 5th record, before marking it
    assert sum(r["kind"] == "undo" for r in lines) > 5
    with ArcadeDBStore(store_path) as store:
        assert len(store.recovered) == 1 and store.recovered[0].startswith("ingest-v2")
        assert store_state(store) == before
        assert not list((store_path.parent / "journal").glob("*.jsonl"))
    with ArcadeDBStore(store_path) as store:  # nothing left to do the second time
        assert store.recovered == []
        assert store_state(store) == before
