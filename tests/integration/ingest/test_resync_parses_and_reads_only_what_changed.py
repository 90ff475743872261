"""A re-sync of a manifest folder parses only changed files and reads only differing claims, with exact deletes.

Against the real embedded store, through `OpsGraph.sync` (the caches live in the home, `<home>/cache/sources`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers import write
from opsgraph.app import OpsGraph, Settings
from opsgraph.ingest.sync import CLAIM, claims_of
from opsgraph.sources import SourceConfig

WORKLOAD = """\
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
          env: [{env}]
{volumes}---
apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: shop}}
spec: {{selector: {{app: {name}}}}}
"""


def workload(name: str, version: str = "1.0", deps: tuple[str, ...] = (), config_map: str | None = None) -> str:
    env = ", ".join(f'{{name: DEP{i}_ADDR, value: "{d}:8080"}}' for i, d in enumerate(deps))
    volumes = f"      volumes: [{{name: cfg, configMap: {{name: {config_map}}}}}]\n" if config_map else ""
    return WORKLOAD.format(name=name, version=version, env=env, volumes=volumes)


def config_map(name: str, **data: str) -> str:
    body = ", ".join(f'{k}: "{v}"' for k, v in data.items())
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}, namespace: shop}}\ndata: {{{body}}}\n"


def base_estate(root: Path) -> None:
    write(root / "a.yaml", workload("a", deps=("b", "c")))
    write(root / "b.yaml", workload("b", deps=("c",)))
    write(root / "c.yaml", workload("c"))
    write(root / "d.yaml", workload("d", deps=("a",)))


@pytest.fixture
def home(tmp_path: Path) -> Iterator[tuple[OpsGraph, Path]]:
    root = tmp_path / "k8s"
    base_estate(root)
    settings = Settings(home=tmp_path / "home", embed={"provider": "none"}, sources=[SourceConfig(name="k8s", kind="kubernetes", path=root)])
    with OpsGraph(settings) as og:
        yield og, root


def sync(og: OpsGraph, **kw: Any) -> Any:
    [plan] = og.sync(["k8s"], **kw)
    return plan


def graph(og: OpsGraph) -> tuple[list[tuple[str, str]], list[tuple[str, str, str]]]:
    nodes = og.query("MATCH (s:Service) RETURN s.id AS id, s.version AS v ORDER BY id").rows
    edges = og.query("MATCH (a)-[r:DEPENDS_ON]->(b) RETURN a.id AS a, b.id AS b, r._sources AS s ORDER BY a, b").rows
    return [(r["id"], r["v"]) for r in nodes], [(r["a"], r["b"], ",".join(r["s"])) for r in edges]


def count_hash_reads(og: OpsGraph, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every read of a source's full claim hashes (`record_values` on the claim records) on the real store."""
    seen: list[str] = []
    real = og.store.record_values

    def spy(record_type: str, where: Any, field: str) -> dict[str, Any]:
        if record_type == CLAIM:
            seen.append(str(where))
        return real(record_type, where, field)

    monkeypatch.setattr(og.store, "record_values", spy)
    return seen


def test_an_unchanged_resync_parses_no_file_reads_no_hash_and_writes_nothing(home: tuple[OpsGraph, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    og, _ = home
    first = sync(og)
    assert first.files == {"read": 4, "parsed": 4, "cached": 0, "documents_parsed": 8, "reused_nodes": 0, "reused_dependencies": 0, "reused_files": 0,
                           "reused_carried": 0}
    assert first.hashes_from == "store"
    assert first.totals()["create"] == 8  # 4 services, 4 dependencies
    before, version = graph(og), og.store.data_version()
    hash_reads = count_hash_reads(og, monkeypatch)
    again = sync(og)
    assert again.files == {"read": 4, "parsed": 0, "cached": 4, "documents_parsed": 0, "reused_nodes": 4, "reused_dependencies": 4, "reused_files": 4,
                           "reused_carried": 4}
    assert again.hashes_from == "known" and hash_reads == []
    assert again.writes() == 0 and again.claims_write == [] and again.claims_delete == []
    assert graph(og) == before and og.store.data_version() == version


def test_one_changed_file_is_the_only_one_parsed_and_the_plan_is_exact(home: tuple[OpsGraph, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    og, root = home
    sync(og)
    write(root / "b.yaml", workload("b", version="1.1"))  # a version bumped and b -> c removed
    hash_reads = count_hash_reads(og, monkeypatch)
    plan = sync(og)
    # only b's Deployment document is parsed again; the three other workloads are not mapped again
    assert plan.files == {"read": 4, "parsed": 1, "cached": 3, "documents_parsed": 1, "reused_nodes": 3, "reused_dependencies": 3, "reused_files": 3,
                           "reused_carried": 3}
    assert plan.hashes_from == "known" and hash_reads == []
    assert sorted((c.op, c.kind, c.a, c.b) for c in plan.changes) == [("delete", "edge", "b", "c"), ("update", "node", "b", "")]
    assert graph(og) == ([("a", "1.0"), ("b", "1.1"), ("c", "1.0"), ("d", "1.0")], [("a", "b", "k8s"), ("a", "c", "k8s"), ("d", "a", "k8s")])


def test_a_corrupted_cache_is_ignored_with_the_same_result(home: tuple[OpsGraph, Path]) -> None:
    og, root = home
    sync(og)
    folder = og.settings.home / "cache" / "sources"
    assert sorted(p.name for p in folder.iterdir()) == ["k8s.claims", "k8s.docs", "k8s.docs.d"]
    (folder / "k8s.docs").write_bytes(b"\x00garbage")
    (folder / "k8s.claims").write_bytes((folder / "k8s.claims").read_bytes()[:40])
    write(root / "b.yaml", workload("b", version="1.1"))
    plan = sync(og)
    assert plan.files["parsed"] == 4 and plan.files["cached"] == 0 and plan.files["reused_nodes"] == 0 and plan.hashes_from == "store"
    assert sorted((c.op, c.kind, c.a, c.b) for c in plan.changes) == [("delete", "edge", "b", "c"), ("update", "node", "b", "")]
    assert sync(og).files["parsed"] == 0  # rebuilt after the sync committed


def test_a_cache_from_before_another_sync_of_the_store_is_not_trusted(home: tuple[OpsGraph, Path], tmp_path: Path) -> None:
    og, root = home
    sync(og)
    folder = og.settings.home / "cache" / "sources"
    stale = (folder / "k8s.claims").read_bytes()
    write(root / "b.yaml", workload("b", version="1.1"))
    sync(og)
    (folder / "k8s.claims").write_bytes(stale)  # as if another home synced the same source into this store since
    write(root / "b.yaml", workload("b", deps=("c",)))  # back to the first content: the stale copy would say "unchanged"
    plan = sync(og)
    assert plan.hashes_from == "store"
    assert sorted((c.op, c.kind, c.a, c.b) for c in plan.changes) == [("create", "edge", "b", "c"), ("update", "node", "b", "")]
    assert graph(og)[0][1] == ("b", "1.0")


def test_a_removed_file_deletes_its_facts_and_never_another_sources(home: tuple[OpsGraph, Path], tmp_path: Path) -> None:
    og, root = home
    other = tmp_path / "other"
    write(other / "d.yaml", workload("d", deps=("a",)))  # another source asserts d and d -> a too
    og.settings.sources.append(SourceConfig(name="other", kind="kubernetes", path=other))
    sync(og)
    og.sync(["other"])
    (root / "d.yaml").unlink()
    write(root / "a.yaml", workload("a", deps=("b",)))  # and a -> c goes, though c.yaml is unchanged
    plan = sync(og)
    assert {k: plan.files[k] for k in ("read", "parsed", "cached")} == {"read": 3, "parsed": 1, "cached": 2}
    assert sorted((c.op, c.kind, c.a, c.b) for c in plan.changes) == [("delete", "edge", "a", "c"), ("update", "edge", "d", "a"), ("update", "node", "d", "")]
    nodes, edges = graph(og)
    assert ("d", "1.0") in nodes and ("d", "a", "other") in edges and ("a", "c", "k8s") not in [e for e in edges]
    assert not [c for c in claims_of(og.store, "k8s") if c["a"] == "d"]
    assert {c["a"] for c in claims_of(og.store, "other")} == {"d"}
    (root / "c.yaml").unlink()  # every fact of a removed file: c, and the edges naming it
    write(root / "b.yaml", workload("b"))
    plan = sync(og)
    assert sorted((c.op, c.kind, c.a, c.b) for c in plan.changes) == [("delete", "edge", "b", "c"), ("delete", "node", "c", "")]


def test_a_fact_from_two_files_stays_while_one_still_asserts_it(home: tuple[OpsGraph, Path]) -> None:
    og, root = home
    write(root / "a.yaml", workload("a", deps=("b", "c"), config_map="a-cfg"))
    write(root / "cfg.yaml", config_map("a-cfg", backend="c:8080"))  # a -> c from a's env and from a ConfigMap file
    sync(og)
    write(root / "a.yaml", workload("a", deps=("b",), config_map="a-cfg"))
    plan = sync(og)
    assert plan.files["parsed"] == 1
    assert [(c.op, c.a, c.b) for c in plan.changes if c.kind == "edge"] == [("update", "a", "c")]  # evidence and key now from the ConfigMap
    assert ("a", "c", "k8s") in graph(og)[1]
    write(root / "cfg.yaml", config_map("a-cfg", backend="https://example.org"))
    plan = sync(og)
    assert plan.files["parsed"] == 1
    assert [(c.op, c.a, c.b) for c in plan.changes] == [("delete", "a", "c")]


def test_a_dry_run_leaves_the_cache_untouched(home: tuple[OpsGraph, Path]) -> None:
    og, root = home
    sync(og)
    folder = og.settings.home / "cache" / "sources"
    saved = {str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file()}
    write(root / "e.yaml", workload("e", deps=("a",)))
    dry = sync(og, dry_run=True)
    assert not dry.applied and dry.files["parsed"] == 1 and dry.totals()["create"] == 2
    assert {str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file()} == saved
    real = sync(og)
    assert real.files["parsed"] == 1 and real.totals()["create"] == 2 and real.hashes_from == "known"


def test_reused_workloads_keep_exact_claim_hashes_and_a_new_service_reaches_unchanged_callers(home: tuple[OpsGraph, Path]) -> None:
    from opsgraph.app.sync import default_schema
    from opsgraph.ingest.source_sync import cache_files, load_known
    from opsgraph.ingest.sync import state_from_facts
    from opsgraph.sources import read_source
    from opsgraph.store.arcadedb import row_hash

    og, root = home
    write(root / "a.yaml", workload("a", deps=("b", "c", "e")))  # e names nothing yet: no edge
    sync(og)
    write(root / "e.yaml", workload("e"))  # a Service e appears; a.yaml is unchanged
    plan = sync(og)
    assert plan.files["parsed"] == 1 and plan.files["reused_dependencies"] == 3  # b, c, d; a looked e up again
    assert sorted((c.op, c.kind, c.a, c.b) for c in plan.changes) == [("create", "edge", "a", "e"), ("create", "node", "e", "")]
    write(root / "c.yaml", workload("c", version="2.0"))
    plan = sync(og)
    assert [(c.op, c.a) for c in plan.changes] == [("update", "c")] and plan.files["reused_nodes"] == 4
    # The hashes kept for reused rows are the ones the rows hash to, and the store's claims agree with the file.
    known = load_known(cache_files(og.settings.home / "cache" / "sources", "k8s")[1], "k8s")
    assert known is not None and known.hashes == og.store.record_values(CLAIM, {"source": "k8s"}, "h")
    config = og.settings.sources[0]
    schema = og.schema() or default_schema()
    state = state_from_facts(read_source(config, schema, known_ids=og.store.node_types), location=str(config.path))
    recomputed = {f"k8s|{e.ent}": row_hash({"props": props, "evidence": state.evidence.get(e, "")}) for e, props in [*state.nodes.items(), *state.edges.items()]}
    assert recomputed == dict(known.hashes)


def test_an_unchanged_resync_keeps_the_claims_file_and_a_change_rewrites_it(home: tuple[OpsGraph, Path]) -> None:
    from opsgraph.ingest.source_sync import cache_files, load_known

    og, root = home
    first = sync(og)
    claims = cache_files(og.settings.home / "cache" / "sources", "k8s")[1]
    claims.write_bytes(claims.read_bytes())  # same bytes, a new stamp: only a rewrite would change it again
    stamp = claims.stat().st_mtime_ns
    again = sync(og)
    assert again.writes() == 0 and again.mark == first.mark
    assert claims.stat().st_mtime_ns == stamp
    write(root / "b.yaml", workload("b", version="1.1"))
    changed = sync(og)
    assert changed.mark != first.mark
    known = load_known(claims, "k8s")
    assert known is not None and known.mark == changed.mark and dict(known.hashes) == changed.claim_hashes
