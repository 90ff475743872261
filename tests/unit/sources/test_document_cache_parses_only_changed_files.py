"""The per-file document cache: unchanged bytes are not parsed again, and nothing about the cache can change a result."""

from __future__ import annotations

import marshal
from pathlib import Path
from typing import Any

import pytest

from helpers import write
from opsgraph.errors import SourceError
from opsgraph.schema import GraphSchema
from opsgraph.sources import SourceConfig, read_source
from opsgraph.sources.doc_cache import DocumentCache
from opsgraph.sources.yamldocs import read_documents

DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: shop, labels: {{app: {name}}}}}
spec:
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers:
        - name: main
          image: registry.example/{name}:{version}
          env: [{{name: NEXT_ADDR, value: "{dep}:8080"}}]
---
apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: shop}}
spec: {{selector: {{app: {name}}}}}
"""


def estate(root: Path, versions: dict[str, str]) -> None:
    names = sorted(versions)
    for i, name in enumerate(names):
        write(root / f"{name}.yaml", DEPLOY.format(name=name, version=versions[name], dep=names[(i + 1) % len(names)]))


def docs_of(cache: DocumentCache, path: Path) -> list[tuple[int, Any]]:
    return list(read_documents(path, path.name, cache))


def test_unchanged_files_are_served_from_the_cache_and_a_changed_one_is_parsed(tmp_path: Path) -> None:
    estate(tmp_path / "k8s", {"a": "1.0", "b": "1.0", "c": "1.0"})
    files = sorted((tmp_path / "k8s").glob("*.yaml"))
    cache_file = tmp_path / "cache" / "k8s.docs"
    first = DocumentCache(cache_file).load()
    assert first.ignored == "no cache yet"
    parsed = {p.name: docs_of(first, p) for p in files}
    assert len(first.parsed) == 3 and first.reused == []
    first.save()

    again = DocumentCache(cache_file).load()
    assert {p.name: docs_of(again, p) for p in files} == parsed
    assert again.parsed == [] and len(again.reused) == 3

    estate(tmp_path / "k8s", {"a": "1.0", "b": "2.0", "c": "1.0"})
    third = DocumentCache(cache_file).load()
    now = {p.name: docs_of(third, p) for p in files}
    assert third.parsed == [str((tmp_path / "k8s" / "b.yaml").resolve())] and len(third.reused) == 2
    assert now["b.yaml"][0][1]["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.example/b:2.0"
    assert now["a.yaml"] == parsed["a.yaml"]


@pytest.mark.parametrize("garbage", [b"", b"\x00\x01not marshal at all", marshal.dumps([1, 2, 3]), marshal.dumps({"version": "old", "files": {}})], ids=["empty", "not-marshal", "a-list", "old-version"])
def test_a_corrupted_or_foreign_cache_file_is_ignored_with_the_same_result(tmp_path: Path, garbage: bytes, schema: GraphSchema) -> None:
    estate(tmp_path / "k8s", {"a": "1.0", "b": "1.0"})
    config = SourceConfig(name="k8s", kind="kubernetes", path=tmp_path / "k8s")
    plain = read_source(config, schema)
    (tmp_path / "c.docs").write_bytes(garbage)
    cache = DocumentCache(tmp_path / "c.docs").load()
    assert cache.ignored
    cached = read_source(config, schema, cache=cache)
    assert len(cache.parsed) == 2 and cache.reused == []
    assert (cached.nodes, cached.edges, cached.problems) == (plain.nodes, plain.edges, plain.problems)
    cache.save()
    reread = DocumentCache(tmp_path / "c.docs").load()
    served = read_source(config, schema, cache=reread)
    assert reread.ignored == "" and reread.parsed == [] and (served.nodes, served.edges) == (plain.nodes, plain.edges)


def test_another_version_is_rebuilt_and_a_removed_file_leaves_the_cache(tmp_path: Path) -> None:
    estate(tmp_path / "k8s", {"a": "1.0", "b": "1.0"})
    files = sorted((tmp_path / "k8s").glob("*.yaml"))
    old = DocumentCache(tmp_path / "c.docs", version="doc-cache 0|opsgraph 0.0.1").load()
    for p in files:
        docs_of(old, p)
    old.save()
    new = DocumentCache(tmp_path / "c.docs").load()
    assert new.ignored == "another version"
    docs_of(new, files[0])  # b.yaml was removed from the folder: not read this time
    assert len(new.parsed) == 1
    new.save()
    kept = marshal.loads((tmp_path / "c.docs").read_bytes())["files"]
    assert list(kept) == [str(files[0].resolve())]


def test_a_reader_mutating_its_documents_does_not_change_the_cache(tmp_path: Path) -> None:
    path = write(tmp_path / "a.yaml", "kind: ConfigMap\nmetadata: {name: x}\ndata: {k: v}\n")
    cache = DocumentCache(tmp_path / "c.docs").load()
    docs_of(cache, path)[0][1]["data"]["k"] = "changed by a reader"
    assert docs_of(cache, path)[0][1]["data"] == {"k": "v"}
    cache.save()
    reread = DocumentCache(tmp_path / "c.docs").load()
    docs_of(reread, path)[0][1]["data"].clear()
    assert docs_of(reread, path)[0][1]["data"] == {"k": "v"} and reread.parsed == []


def test_values_marshal_cannot_hold_are_parsed_every_time(tmp_path: Path) -> None:
    path = write(tmp_path / "a.yaml", "kind: ConfigMap\nmetadata: {name: x, created: 2026-12-04T10:00:00Z}\n")
    cache = DocumentCache(tmp_path / "c.docs").load()
    first = docs_of(cache, path)
    cache.save()
    again = DocumentCache(tmp_path / "c.docs").load()
    assert docs_of(again, path) == first and len(again.parsed) == 1


def test_bad_input_fails_the_same_with_a_cache_and_is_never_cached(tmp_path: Path) -> None:
    path = write(tmp_path / "a.yaml", "kind: Service\nmetadata: {name: ok}\n---\nkind: [unclosed\n")
    cache = DocumentCache(tmp_path / "c.docs").load()
    with pytest.raises(SourceError) as plain:
        list(read_documents(path, "a.yaml"))
    with pytest.raises(SourceError) as cached:
        docs_of(cache, path)
    assert str(cached.value) == str(plain.value) and "a.yaml" in str(cached.value)
    cache.save()
    assert marshal.loads((tmp_path / "c.docs").read_bytes())["files"] == {}


def test_a_changed_file_parses_only_its_changed_documents_with_the_whole_files_result(tmp_path: Path) -> None:
    from helpers import datasets_dir

    text = (datasets_dir() / "topologies" / "raw" / "online_boutique_kubernetes-manifests.yaml").read_text(encoding="utf-8")
    path = write(tmp_path / "ob.yaml", text)
    cache = DocumentCache(tmp_path / "c.docs").load()
    first = docs_of(cache, path)
    assert cache.documents_parsed == len(first) > 20
    cache.save()
    write(path, text.replace("microservices-demo/adservice:v0.10.6", "microservices-demo/adservice:v9"))
    assert path.read_text(encoding="utf-8") != text
    again = DocumentCache(tmp_path / "c.docs").load()
    served = docs_of(again, path)
    assert again.parsed == [str(path.resolve())] and again.documents_parsed == 1
    assert served == list(read_documents(path, path.name))  # the whole file parsed without a cache
    assert served != first


@pytest.mark.parametrize("text", [
    "%YAML 1.1\n---\nkind: A\nmetadata: {name: a}\n---\nkind: B\nmetadata: {name: b}\n",
    "kind: A\nmetadata: {name: a}\n...\n---\nkind: B\nmetadata: {name: b}\n",
    "---\nkind: A\nx: &v {k: 1}\ny: *v\n---\n# only a comment\n---\nkind: B\nmetadata: {name: b}\n",
], ids=["directive", "end-marker", "anchor-and-empty-document"])  # fmt: skip
def test_files_a_document_might_parse_differently_in_alone_give_the_whole_files_result(tmp_path: Path, text: str) -> None:
    path = write(tmp_path / "a.yaml", text)
    cache = DocumentCache(tmp_path / "c.docs").load()
    docs_of(cache, path)
    cache.save()
    write(path, text.replace("name: b", "name: c"))
    again = DocumentCache(tmp_path / "c.docs").load()
    assert docs_of(again, path) == list(read_documents(path, path.name))


def test_a_document_made_malformed_in_a_cached_file_fails_as_without_a_cache(tmp_path: Path) -> None:
    path = write(tmp_path / "a.yaml", "kind: Service\nmetadata: {name: ok}\n---\nkind: ConfigMap\nmetadata: {name: x}\n")
    cache = DocumentCache(tmp_path / "c.docs").load()
    docs_of(cache, path)
    cache.save()
    write(path, "kind: Service\nmetadata: {name: ok}\n---\nkind: [unclosed\n")
    with pytest.raises(SourceError) as plain:
        list(read_documents(path, "a.yaml"))
    with pytest.raises(SourceError) as cached:
        docs_of(DocumentCache(tmp_path / "c.docs").load(), path)
    assert str(cached.value) == str(plain.value)
