"""The Kubernetes reader takes the kept lookup tables as they are only while the files read are those it kept them from.

When every file is unchanged (same names, order and bytes as in the read the tables were kept from) the tables are
not rebuilt (`_FileBlocks._changed_tables` is not called); any other read rebuilds and compares them. Each step
reads through a saved cache and without one (`Reader.both` asserts their facts are the same), so a test fails both
when stale tables are served and when they are never reused.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import write
from k8s_manifests import Reader, edges, service, workload
from opsgraph.schema import GraphSchema
from opsgraph.sources import kubernetes


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times the tables were rebuilt (one entry per read that rebuilt them)."""
    calls: list[int] = []
    original = kubernetes._FileBlocks._changed_tables

    def counted(self: kubernetes._FileBlocks, *args: object) -> set[str]:
        calls.append(1)
        return original(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(kubernetes._FileBlocks, "_changed_tables", counted)
    return calls


def test_tables_are_reused_only_while_no_file_changed(tmp_path: Path, schema: GraphSchema, built: list[int]) -> None:
    root = tmp_path / "k8s"
    a = workload("a", "shop", ("b:8080", "x:8080"), None)
    write(root / "a.yaml", a)
    write(root / "b.yaml", workload("b", "shop", (), None) + "---\n" + service("b"))
    reader = Reader(root, schema, tmp_path / "cache" / "k8s.docs")
    first, _ = reader.both()
    assert len(built) == 1 and edges(first) == {("a", "b")}
    cached, _ = reader.both()
    assert len(built) == 1 and cached.reused["files"] == 2  # unchanged: kept tables, every file trusted
    write(root / "x.yaml", workload("x", "shop", (), None) + "---\n" + service("x"))  # a Service a.yaml names appears
    cached, _ = reader.both()
    assert len(built) == 2 and edges(cached) == {("a", "b"), ("a", "x")} and cached.reused["files"] == 1
    cached, _ = reader.both()
    assert len(built) == 2 and edges(cached) == {("a", "b"), ("a", "x")} and cached.reused["files"] == 3
    (root / "x.yaml").unlink()  # every file left is unchanged, but one is gone: rebuilt, and a.yaml not trusted
    cached, _ = reader.both()
    assert len(built) == 3 and edges(cached) == {("a", "b")} and cached.reused["files"] == 1
    write(root / "b.yaml", workload("b", "shop", (), None))  # b's Service goes ...
    cached, _ = reader.both()
    assert len(built) == 4 and edges(cached) == set()
    write(root / "b.yaml", workload("b", "shop", (), None) + "---\n" + service("b"))  # ... and comes back with the same bytes as before
    cached, _ = reader.both()
    assert len(built) == 5 and edges(cached) == {("a", "b")}
    cached, _ = reader.both()
    assert len(built) == 5 and edges(cached) == {("a", "b")} and cached.reused["files"] == 2
