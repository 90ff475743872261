"""A store given two real ArcadeDB servers: reads spread over both and carry on when one stops; a write whose leader
stops mid-run fails plainly and leaves nothing half-written (its committed batches are undone once the leader is back).

These are two independent single servers holding the same data, what can run here: the HA plugin (replication,
elections) is in no package these machines can install, so replication itself is not tested.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from opsgraph.app import OpsGraph, Settings
from opsgraph.errors import StoreError
from opsgraph.store.server_process import PASSWORD_FILE, ServerInfo, start_server, stop_server, write_secret


@pytest.fixture
def second_server(arcadedb_server: ServerInfo, tmp_path: Path) -> Iterator[tuple[Path, ServerInfo]]:
    """Another real server, with the same root password as the session's (one password for the whole store.url list)."""
    folder = tmp_path / "second"
    write_secret(folder / PASSWORD_FILE, Path(arcadedb_server.password_file).read_text(encoding="utf-8"))
    info = start_server(folder, heap="512m")
    try:
        yield folder, info
    finally:
        stop_server(folder)


def settings(home: Path, urls: list[str], database: str, password_file: str, **store: object) -> Settings:
    return Settings(home=home, embed={"provider": "none"},
                    store={"backend": "arcadedb-server", "url": urls, "database": database, "password_file": password_file, **store})


def test_reads_carry_on_and_a_write_without_its_leader_leaves_nothing_half_written(
    arcadedb_server: ServerInfo, second_server: tuple[Path, ServerInfo], small_estate: Path, tmp_path: Path
) -> None:
    folder, leader = second_server
    other = arcadedb_server
    database = f"f{uuid.uuid4().hex[:10]}"
    pw = other.password_file
    for url in (leader.url, other.url):  # the same data on both (a replicated cluster's state, loaded by hand here)
        with OpsGraph(settings(tmp_path / f"load-{url.rsplit(':', 1)[1]}", [url], database, pw)) as og:
            og.ingest(small_estate, documents=False)

    home = tmp_path / "home"
    og = OpsGraph(settings(home, [leader.url, other.url], database, pw, batch_size=100)).open()
    transport = og.store.transport  # type: ignore[attr-defined]
    answered = set()
    for _ in range(6):
        assert og.query("MATCH (s:Service) RETURN count(s) AS c").rows == [{"c": 3}]
        answered.add(transport.last_server)
    assert answered == {leader.url, other.url}
    before = og.store.data_version()

    # Readers keep querying while the leader is stopped in the middle of a many-batch write.
    errors: list[str] = []
    reads = [0]
    stop_reading = threading.Event()

    def read() -> None:
        while not stop_reading.is_set():
            try:
                assert og.query("MATCH (s:Service) RETURN count(s) AS c").rows == [{"c": 3}]
                reads[0] += 1
            except Exception as exc:
                errors.append(f"{type(exc).__name__}: {exc}")

    readers = [threading.Thread(target=read) for _ in range(2)]
    for t in readers:
        t.start()
    failure: list[BaseException] = []

    def write() -> None:
        try:
            og.store.upsert_nodes("Team", [{"id": f"t{i}", "name": f"team {i}"} for i in range(3000)])
        except BaseException as exc:
            failure.append(exc)

    writer = threading.Thread(target=write)
    writer.start()
    probe = OpsGraph(settings(tmp_path / "probe", [leader.url], database, pw)).open()
    deadline = time.monotonic() + 120
    while probe.query("MATCH (t:Team) RETURN count(t) AS c").rows[0]["c"] <= 2 and time.monotonic() < deadline:
        time.sleep(0.02)  # until the first batches are committed on the leader
    probe.close()
    stop_server(folder)
    writer.join(120)
    time.sleep(0.5)
    stop_reading.set()
    for t in readers:
        t.join(60)

    assert failure, "the write should have failed when its leader stopped"
    message = str(failure[0])
    assert isinstance(failure[0], StoreError) and leader.url in message, message
    assert "journal" in message and "next open" in message  # the undo waits for the leader
    assert errors == [] and reads[0] > 0
    assert transport.last_server == other.url  # the reads went on, on the other server
    assert og.query("MATCH (t:Team) RETURN count(t) AS c").rows == [{"c": 2}]  # the other server never saw the write
    with pytest.raises(StoreError, match="did not answer"):
        og.store.set_meta("probe", "x")  # writes go to the leader only: plainly refused, never sent elsewhere
    og.close()

    # The leader comes back on its port: the next open finishes the undo, and the leader holds what it held before.
    start_server(folder, port=leader.port, heap="512m")
    with OpsGraph(settings(home, [leader.url], database, pw)) as again:
        assert again.store.recovered  # type: ignore[attr-defined]
        assert again.query("MATCH (t:Team) RETURN count(t) AS c").rows == [{"c": 2}]
        assert again.store.data_version() == before
