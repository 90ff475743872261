"""The Kubernetes reader reuses an unchanged workload's kept rows only while every answer they were inferred from still holds.

Each step rewrites part of a manifest folder and reads it twice: through a document cache saved by the previous
read (as a re-sync does) and without any cache. Both must give the same facts (nodes, edges, problems, skips),
and the cache must say which workloads it reused, so a test fails both when a stale answer is served and when
nothing is reused at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from helpers import write
from k8s_manifests import Reader, config_map, edges, service, workload
from opsgraph.schema import GraphSchema
from opsgraph.sources import Facts


def same(cached: Facts, plain: Facts) -> None:
    assert cached.nodes == plain.nodes
    assert cached.edges == plain.edges
    assert cached.problems == plain.problems
    assert cached.skipped == plain.skipped


def replayed_from(facts: Facts, workload_id: str) -> bool:
    return any(key[0] == "edge" and key[1] == "DEPENDS_ON" and key[2] == workload_id for key in facts.replayed) or (
        "node", "Service", workload_id) in facts.replayed  # fmt: skip


@pytest.fixture
def estate(tmp_path: Path, schema: GraphSchema) -> Reader:
    root = tmp_path / "k8s"
    write(root / "a.yaml", workload("a", env=("b:8080", "x:8080"), config_map="a-cfg"))
    write(root / "b.yaml", workload("b") + "---\n" + service("b"))
    write(root / "c.yaml", workload("c", env=("b:8080",)) + "---\n" + service("c"))
    write(root / "cfg.yaml", config_map("a-cfg", "c:9090"))
    reader = Reader(root, schema, tmp_path / "cache" / "k8s.docs")
    cached, plain = reader.both()
    same(cached, plain)
    assert cached.reused == {"nodes": 0, "dependencies": 0, "files": 0, "carried": 0}
    assert edges(plain) == {("a", "b"), ("a", "c"), ("c", "b")}  # x names nothing yet: dropped and reported
    return reader


def test_an_unchanged_folder_reuses_every_workload_with_the_same_facts(estate: Reader) -> None:
    cached, plain = estate.both()
    same(cached, plain)
    assert cached.reused == {"nodes": 3, "dependencies": 3, "files": 4, "carried": 0}
    assert all(replayed_from(cached, w) for w in ("a", "b", "c"))


def test_a_newly_added_service_an_unchanged_workload_names_adds_its_edge(estate: Reader) -> None:
    write(estate.root / "x.yaml", workload("x") + "---\n" + service("x"))
    cached, plain = estate.both()
    same(cached, plain)
    assert ("a", "x") in edges(cached)
    assert cached.reused["dependencies"] == 2  # b and c; a's lookup of `x` answers differently now
    assert not any(key[:3] == ("edge", "DEPENDS_ON", "a") for key in cached.replayed)


def test_a_changed_config_map_changes_the_edges_of_the_unchanged_workload_that_mounts_it(estate: Reader) -> None:
    write(estate.root / "cfg.yaml", config_map("a-cfg", "https://example.org"))
    cached, plain = estate.both()
    same(cached, plain)
    assert ("a", "c") not in edges(cached) and ("a", "b") in edges(cached)
    assert cached.reused["dependencies"] == 2


def test_a_service_selecting_another_workload_moves_the_edges_of_unchanged_callers(estate: Reader) -> None:
    write(estate.root / "b.yaml", workload("b") + "---\n" + service("b", selects="c"))  # Service b now selects pods of c
    cached, plain = estate.both()
    same(cached, plain)
    assert ("a", "b") not in edges(cached) and ("a", "c") in edges(cached) and ("c", "b") not in edges(cached)


def test_a_name_that_appears_in_another_namespace_reports_the_unchanged_workload_naming_it(estate: Reader) -> None:
    write(estate.root / "x.yaml", workload("x", ns="other") + "---\n" + service("x", ns="other"))
    cached, plain = estate.both()
    same(cached, plain)
    assert any("only in namespace(s) other" in p.message for p in cached.problems)


def test_a_workload_the_store_now_holds_as_another_type_is_mapped_again(estate: Reader) -> None:
    estate.known["b"] = "Datastore"
    cached, plain = estate.both()
    same(cached, plain)
    assert [r["id"] for r in cached.nodes["Datastore"]] == ["b"] and ("node", "Datastore", "b") not in cached.replayed


def test_a_team_that_stops_being_known_drops_the_ownership_edges(estate: Reader) -> None:
    assert ("core", "a") in edges(estate.both()[0], "OWNS")
    del estate.known["core"]
    cached, plain = estate.both()
    same(cached, plain)
    assert edges(cached, "OWNS") == set() and any("'core' is not a known Team" in p.message for p in cached.problems)


def test_a_changed_document_is_mapped_again_and_its_neighbours_are_reused(estate: Reader) -> None:
    write(estate.root / "c.yaml", workload("c", env=("a:8080",)) + "---\n" + service("c"))
    cached, plain = estate.both()
    same(cached, plain)
    assert ("c", "a") not in edges(cached)  # a has no Service: no DNS name, no edge
    assert cached.reused["nodes"] == 2 and replayed_from(cached, "a") and replayed_from(cached, "b")


def test_a_workload_moved_to_another_file_or_position_is_mapped_again(estate: Reader) -> None:
    text = (estate.root / "a.yaml").read_text(encoding="utf-8")
    (estate.root / "a.yaml").unlink()
    write(estate.root / "z.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\n" + text)
    cached, plain = estate.both()
    same(cached, plain)
    evidence: Any = [r["_evidence"] for r in cached.edges["DEPENDS_ON"] if r["from"] == "a"]
    assert evidence and all(e.startswith("z.yaml#2 ") for e in evidence)
