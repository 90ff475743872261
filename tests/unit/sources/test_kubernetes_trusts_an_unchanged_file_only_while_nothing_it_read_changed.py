"""An unchanged manifest file's workloads are trusted whole only while no lookup table entry they read changed.

The Kubernetes reader keeps, per file, a summary of its objects and what its workloads' lookups read (Service
DNS names, ConfigMaps, the namespaces of a name), and compares the lookup tables with the previous read's: a
file none of whose entries changed is trusted without asking its lookups one by one and without loading its
documents. Each step reads through a cache saved by the previous read (as a re-sync does) and without one: the
facts must be the same, and `Facts.reused["files"]` says how many files were trusted, so a test fails both when a
stale answer is served and when nothing is trusted at all.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import k8s_manifests
from helpers import write
from k8s_manifests import Reader, config_map, edges, service
from opsgraph.schema import GraphSchema


def workload(name: str, ns: str = "shop", env: tuple[str, ...] = (), config_map: str | None = None) -> str:
    return k8s_manifests.workload(name, ns, env, config_map, sized=True)


def cron_job(name: str, env: tuple[str, ...]) -> str:
    values = ", ".join(f'{{name: V{i}, value: "{v}"}}' for i, v in enumerate(env))
    return f"""\
apiVersion: batch/v1
kind: CronJob
metadata: {{name: {name}, namespace: shop, labels: {{team: core}}}}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        metadata: {{labels: {{app: {name}}}}}
        spec:
          containers: [{{name: main, image: "registry.example/{name}:2.0", env: [{values}]}}]
"""


@pytest.fixture
def estate(tmp_path: Path, schema: GraphSchema) -> Reader:
    root = tmp_path / "k8s"
    write(root / "a.yaml", workload("a", env=("b:8080", "x:8080"), config_map="a-cfg") + "---\n" + workload("a2", env=("c:8080",)))
    write(root / "b.yaml", workload("b") + "---\n" + service("b"))
    write(root / "c.yaml", workload("c", env=("b.shop.svc.cluster.local:8080",)) + "---\n" + service("c"))
    write(root / "cfg.yaml", config_map("a-cfg", "c:9090"))
    write(root / "jobs.yaml", cron_job("nightly", env=("b:8080",)))
    reader = Reader(root, schema, tmp_path / "cache" / "k8s.docs")
    first, _ = reader.both()
    assert first.reused["files"] == 0
    cached, _ = reader.both()
    assert cached.reused["files"] == 5  # nothing changed: every file trusted
    assert edges(cached) == {("a", "b"), ("a", "c"), ("a2", "c"), ("c", "b"), ("nightly", "b")}
    return reader


def test_an_unchanged_folder_is_trusted_again_and_again(estate: Reader) -> None:
    for _ in range(2):
        cached, _ = estate.both()
        assert cached.reused == {"nodes": 5, "dependencies": 5, "files": 5, "carried": 0}


def test_a_newly_added_service_an_unchanged_file_names_is_not_trusted_and_adds_the_edge(estate: Reader) -> None:
    write(estate.root / "x.yaml", workload("x") + "---\n" + service("x"))
    cached, _ = estate.both()
    assert ("a", "x") in edges(cached)
    assert cached.reused["files"] == 4  # a.yaml looked `x` up; b, c, cfg and jobs did not
    assert cached.reused["dependencies"] == 4  # a2 (same file, lookups unchanged) still reused after its own checks


def test_a_changed_config_map_changes_the_unchanged_workload_that_mounts_it(estate: Reader) -> None:
    write(estate.root / "cfg.yaml", config_map("a-cfg", "https://example.org"))
    cached, _ = estate.both()
    assert ("a", "c") not in edges(cached) and ("a2", "c") in edges(cached)
    assert cached.reused["files"] == 3  # b, c, jobs: a.yaml read the ConfigMap, cfg.yaml changed


def test_a_service_that_now_selects_other_pods_moves_the_edges_of_unchanged_files(estate: Reader) -> None:
    write(estate.root / "b.yaml", workload("b") + "---\n" + service("b", selects="c"))
    cached, _ = estate.both()
    assert ("a", "b") not in edges(cached) and ("a", "c") in edges(cached)
    assert ("nightly", "c") in edges(cached)  # the CronJob's file is unchanged: its lookup of `b` answers c now


def test_a_deleted_file_leaves_no_facts_and_no_trust_in_its_names(estate: Reader) -> None:
    (estate.root / "b.yaml").unlink()
    cached, _ = estate.both()
    assert "b" not in {r["id"] for r in cached.nodes["Service"]}
    assert not {e for e in edges(cached) if e[1] == "b"}
    assert cached.reused["files"] == 1  # only cfg.yaml: every workload file named b


def test_a_workload_mapped_again_in_an_unchanged_file_reads_its_whole_document(estate: Reader) -> None:
    ingress = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web, namespace: shop}\nspec: {defaultBackend: {service: {name: b}}}\n"
    write(estate.root / "web.yaml", ingress)  # b is exposed now: b.yaml is unchanged, its workload is mapped again
    cached, _ = estate.both()
    [row] = [r for r in cached.nodes["Service"] if r["id"] == "b"]
    assert row["exposed"] is True and row["replicas"] == 3 and row["image"] == "registry.example/b:1.0" and row["cpu_request"] == 0.25
    assert ("node", "Service", "b") not in cached.replayed and cached.reused["files"] == 4
    again, _ = estate.both()
    assert again.reused == {"nodes": 5, "dependencies": 5, "files": 6, "carried": 0}
