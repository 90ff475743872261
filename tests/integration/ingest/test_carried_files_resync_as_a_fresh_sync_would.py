"""A re-sync that carries unchanged files as blocks leaves the store exactly as a fresh sync into a new store would.

Against the real embedded store, through `OpsGraph.sync` (caches in the home). Each case first checks that the
unchanged files really were carried (`files["reused_carried"]`), then changes something a carried file depends on
from outside itself, and compares every node and edge (all properties) and the claims with a fresh sync of the
same manifests into a new home.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers import write
from opsgraph.app import OpsGraph, Settings
from opsgraph.ingest.sync import Entity, claims_of
from opsgraph.sources import SourceConfig
from opsgraph.sources.carried import ent_key

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: {ns}, labels: {{app: {name}{team}}}}}
spec:
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers:
        - name: main
          image: registry.example/{name}:{version}
          env: [{env}]
"""
SERVICE = """\
---
apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: {ns}}}
spec: {{selector: {{app: {name}}}}}
"""


def workload(
    name: str, *, deps: tuple[str, ...] = (), team: str | None = None, version: str = "1.0", ns: str = "shop", service: bool = True
) -> str:
    env = ", ".join(f'{{name: DEP{i}_ADDR, value: "{d}"}}' for i, d in enumerate(deps))
    text = DEPLOYMENT.format(name=name, ns=ns, team=f", team: {team}" if team else "", version=version, env=env)
    return text + (SERVICE.format(name=name, ns=ns) if service else "")


TEAMS = ["payments", "storefront"]


def open_home(home: Path, root: Path, teams: list[str]) -> OpsGraph:
    settings = Settings(home=home, embed={"provider": "none"}, sources=[SourceConfig(name="k8s", kind="kubernetes", path=root)])
    og = OpsGraph(settings)
    og.__enter__()
    if teams:
        from opsgraph.app.sync import default_schema

        og.store.ensure_schema(og.schema() or default_schema())
        og.store.upsert_nodes("Team", [{"id": t, "name": t} for t in teams])
    return og


@pytest.fixture
def estate(tmp_path: Path) -> Iterator[tuple[OpsGraph, Path, Path]]:
    root = tmp_path / "k8s"
    write(root / "a.yaml", workload("a", deps=("b:8080", "c:8080"), team="payments"))
    write(root / "b.yaml", workload("b", deps=("c:8080",), team="storefront"))
    write(root / "c.yaml", workload("c", team="payments"))
    write(root / "d.yaml", workload("d", deps=("a:8080",)))
    og = open_home(tmp_path / "home", root, TEAMS)
    try:
        yield og, root, tmp_path
    finally:
        og.__exit__(None, None, None)


def sync(og: OpsGraph) -> Any:
    [plan] = og.sync(["k8s"])
    return plan


def contents(og: OpsGraph) -> dict[str, Any]:
    """Every node and edge with all its properties, and the source's claims (without their timestamps)."""
    nodes = og.query("MATCH (n) RETURN labels(n)[0] AS t, properties(n) AS p", limit=10**6).rows
    edges = og.query("MATCH (a)-[r]->(b) RETURN type(r) AS t, a.id AS f, b.id AS to, properties(r) AS p", limit=10**6).rows
    claims = [{k: v for k, v in c.items() if k not in ("since", "@rid", "@type", "@cat")} for c in claims_of(og.store, "k8s")]
    return {
        "nodes": sorted(repr(sorted(r.items())) for r in nodes),
        "edges": sorted(repr(sorted(r.items())) for r in edges),
        "claims": sorted(repr(sorted(c.items())) for c in claims),
    }


def fresh(tmp_path: Path, root: Path, teams: list[str], name: str) -> tuple[dict[str, Any], Any]:
    """The store a first sync of the same manifests into a new home gives, and that sync's plan."""
    og = open_home(tmp_path / name, root, teams)
    try:
        plan = sync(og)
        assert plan.files["reused_carried"] == 0
        return contents(og), plan
    finally:
        og.__exit__(None, None, None)


def problems(plan: Any) -> list[str]:
    return sorted(str(p) for p in plan.problems)


def carried_then_changed(og: OpsGraph, root: Path) -> None:
    """A first sync, then a re-sync with d.yaml changed that carries the other three files as blocks."""
    sync(og)
    write(root / "d.yaml", workload("d", deps=("a:8080",), version="1.1"))
    plan = sync(og)
    assert plan.files["reused_carried"] == 3 and [(c.op, c.a) for c in plan.changes] == [("update", "d")]


def test_entity_keys_of_blocks_are_the_plans() -> None:
    assert ent_key("node", "Service", "a") == Entity("node", "Service", "a").ent
    assert ent_key("edge", "DEPENDS_ON", "a", "b") == Entity("edge", "DEPENDS_ON", "a", "b").ent


def test_a_workload_moved_to_another_file_is_one_fresh_sync_away(estate: tuple[OpsGraph, Path, Path]) -> None:
    og, root, tmp_path = estate
    carried_then_changed(og, root)
    (root / "b.yaml").unlink()
    write(root / "e.yaml", workload("b", deps=("c:8080",), team="storefront"))  # b's facts now come from e.yaml
    plan = sync(og)
    assert plan.files["reused_carried"] == 3  # a, c and d: every lookup of theirs (b among them) answers the same
    assert plan.writes() == 0 and plan.claims_write  # same graph; the claims' evidence names e.yaml now
    expected, first = fresh(tmp_path, root, TEAMS, "fresh")
    assert contents(og) == expected
    assert problems(plan) == problems(first)


def test_a_deleted_file_takes_its_facts_and_the_edges_naming_them(estate: tuple[OpsGraph, Path, Path]) -> None:
    og, root, tmp_path = estate
    carried_then_changed(og, root)
    (root / "c.yaml").unlink()  # a and b (unchanged files) named c
    plan = sync(og)
    assert sorted((c.op, c.kind, c.type, c.a, c.b) for c in plan.changes) == [
        ("delete", "edge", "DEPENDS_ON", "a", "c"), ("delete", "edge", "DEPENDS_ON", "b", "c"), ("delete", "edge", "OWNS", "payments", "c"),
        ("delete", "node", "Service", "c", ""),
    ]  # fmt: skip
    assert plan.asserted == {"nodes": 3, "edges": 4}
    expected, _ = fresh(tmp_path, root, TEAMS, "fresh")
    assert contents(og) == expected


def test_a_team_that_disappears_drops_the_ownership_of_an_unchanged_file(estate: tuple[OpsGraph, Path, Path]) -> None:
    og, root, tmp_path = estate
    carried_then_changed(og, root)
    og.store.delete_nodes("Team", ["storefront"])  # b.yaml (unchanged) names it; its OWNS edge goes with the node
    plan = sync(og)
    assert plan.files["reused_carried"] == 3  # a, c, d: no team of theirs changed
    assert [(c.op, c.a, c.b) for c in plan.changes] == []  # the edge went with the team; its claim goes now
    assert len(plan.claims_delete) == 1 and plan.claims_delete[0].endswith("|edge|OWNS|storefront|b")
    assert any("'storefront' is not a known Team id" in str(p) for p in plan.problems)
    expected, first = fresh(tmp_path, root, ["payments"], "fresh")
    assert contents(og) == expected
    assert problems(plan) == problems(first)
    og.store.upsert_nodes("Team", [{"id": "storefront", "name": "storefront"}])  # and back: the edge is asserted again
    plan = sync(og)
    assert [(c.op, c.type, c.a, c.b) for c in plan.changes] == [("create", "OWNS", "storefront", "b")]
    expected, _ = fresh(tmp_path, root, TEAMS, "fresh-again")
    assert contents(og) == expected


def test_an_edge_to_a_workload_of_another_file_drops_when_that_file_goes(estate: tuple[OpsGraph, Path, Path]) -> None:
    og, root, tmp_path = estate
    # a names x by its cluster DNS name; x has no Service, so the edge stands on x being a node of this source.
    write(root / "a.yaml", workload("a", deps=("b:8080", "c:8080", "http://x.batch.svc.cluster.local:80"), team="payments"))
    write(root / "x.yaml", workload("x", ns="batch", service=False))
    sync(og)
    assert ("a", "x") in [(r["a"], r["b"]) for r in og.query("MATCH (a)-[:DEPENDS_ON]->(b) RETURN a.id AS a, b.id AS b").rows]
    write(root / "d.yaml", workload("d", deps=("a:8080",), version="1.1"))
    assert sync(og).files["reused_carried"] == 4
    (root / "x.yaml").unlink()  # a.yaml is unchanged and none of its lookups changed: only its edge's endpoint went
    plan = sync(og)
    assert sorted((c.op, c.kind, c.a, c.b) for c in plan.changes) == [("delete", "edge", "a", "x"), ("delete", "node", "x", "")]
    # x is still in the store while this sync plans, so a.yaml's block holds; the plan sees x leaving and takes a's
    # facts as rows, dropping the edge as a re-sync without caches does (a fresh sync never saw x: its report differs).
    assert plan.files["reused_carried"] == 4
    assert [str(p) for p in plan.problems] == [
        "a.yaml#1 env DEP2_ADDR=http://x.batch.svc.cluster.local:80 [DEPENDS_ON]: edge a->x dropped: 'x' is no longer in this source"
    ]
    expected, first = fresh(tmp_path, root, TEAMS, "fresh")
    assert contents(og) == expected
    assert [str(p) for p in first.problems] == [
        "a.yaml#1 [DEPENDS_ON]: edge dropped: to 'x' is neither in this source nor in the store (from a.yaml#1 env DEP2_ADDR=http://x.batch.svc.cluster.local:80)"
    ]
    again = sync(og)  # now x is gone from the store too: a.yaml's block no longer holds, and the report is a fresh sync's
    assert again.writes() == 0 and problems(again) == problems(first) and again.files["reused_carried"] == 3
    assert contents(og) == expected


def test_a_cached_resync_equals_a_fresh_sync_after_many_changes(estate: tuple[OpsGraph, Path, Path]) -> None:
    og, root, tmp_path = estate
    carried_then_changed(og, root)
    write(root / "b.yaml", workload("b", deps=("c:8080", "a:8080"), team="payments", version="2.0"))
    write(root / "f.yaml", workload("f", deps=("b:8080", "nowhere:9"), team="nobody"))
    plan = sync(og)
    assert plan.files["reused_carried"] == 3
    expected, first = fresh(tmp_path, root, TEAMS, "fresh")
    assert contents(og) == expected
    assert problems(plan) == problems(first)
    assert plan.asserted == first.asserted
    again = sync(og)
    assert again.writes() == 0 and again.files["reused_carried"] == 5 and problems(again) == problems(first)
    assert again.asserted == first.asserted and again.totals()["unchanged"] == first.totals()["create"]


def test_blocks_are_planned_as_rows_when_the_stores_claims_moved_on(estate: tuple[OpsGraph, Path, Path]) -> None:
    from opsgraph.ingest.sync import MARK

    og, root, tmp_path = estate
    carried_then_changed(og, root)
    og.store.write_records(MARK, [{"key": "k8s", "source": "k8s", "run": "another-home"}])  # as if another home synced since
    write(root / "b.yaml", workload("b", deps=("c:8080",), team="storefront", version="3.0"))
    plan = sync(og)
    assert plan.files["reused_carried"] == 3 and plan.hashes_from == "store"  # carried by the reader, hashed by the plan
    assert [(c.op, c.a) for c in plan.changes] == [("update", "b")]
    assert plan.claims_write and all(w["a"] == "b" for w in plan.claims_write)  # the others' claims read back unchanged
    expected, _ = fresh(tmp_path, root, TEAMS, "fresh")
    assert contents(og) == expected


def depends_on(og: OpsGraph) -> list[tuple[str, str]]:
    return sorted((r["a"], r["b"]) for r in og.query("MATCH (a)-[:DEPENDS_ON]->(b) RETURN a.id AS a, b.id AS b").rows)


def test_a_service_a_carried_workload_names_that_appears_then_disappears_elsewhere(estate: tuple[OpsGraph, Path, Path]) -> None:
    og, root, tmp_path = estate
    # a names y by its bare name; no Service y exists yet, so the edge a->y drops (y is neither here nor in the store).
    write(root / "a.yaml", workload("a", deps=("b:8080", "c:8080", "http://y:8080"), team="payments"))
    carried_then_changed(og, root)
    assert ("a", "y") not in depends_on(og)
    write(root / "y.yaml", workload("y", team="storefront"))  # a.yaml is unchanged; the Service it names appears in another file
    plan = sync(og)
    assert ("a", "y") in depends_on(og)
    assert plan.files["reused_carried"] == 3  # b, c, d; not a: one of its lookups answers otherwise now
    expected, first = fresh(tmp_path, root, TEAMS, "fresh-appeared")
    assert contents(og) == expected
    assert problems(plan) == problems(first)
    again = sync(og)
    assert again.writes() == 0 and again.files["reused_carried"] == 5 and problems(again) == problems(first)
    # The Service moves to another namespace: a's bare name no longer reaches it.
    write(root / "y.yaml", workload("y", team="storefront", ns="batch"))
    plan = sync(og)
    assert ("a", "y") not in depends_on(og) and plan.files["reused_carried"] == 3
    assert any("names 'y', which is only in namespace(s) batch" in str(p) for p in plan.problems)
    expected, first = fresh(tmp_path, root, TEAMS, "fresh-moved")
    assert contents(og) == expected
    assert problems(plan) == problems(first)
    (root / "y.yaml").unlink()  # and gone
    plan = sync(og)
    assert ("a", "y") not in depends_on(og) and plan.files["reused_carried"] == 3
    # y is still in the store while this sync plans: the edge is reported as gone from this source (as by a re-sync
    # without caches); the next sync, with y gone from the store too, reports what a fresh sync does.
    assert [str(p) for p in plan.problems] == [
        "a.yaml#1 env DEP2_ADDR=http://y:8080 [DEPENDS_ON]: edge a->y dropped: 'y' is no longer in this source"
    ]
    expected, first = fresh(tmp_path, root, TEAMS, "fresh-gone")
    assert contents(og) == expected
    again = sync(og)
    assert again.writes() == 0 and problems(again) == problems(first) and contents(og) == expected


# -- a changed multi-document file: one document changed, removed or added, or a lookup it reads changed elsewhere ---
# (written by resync11 for per-document carrying, which was measured not to pay and left unmerged; the store must
# still equal a fresh sync's in every case)


def m_yaml(*, q: str = "1.0", q_deps: tuple[str, ...] = ("r:8080",), r_deps: tuple[str, ...] = ("http://s:8080",), with_r: bool = True,
           extra: str = "") -> str:  # fmt: skip
    """p, q and r in one file (documents #1-#2, #3-#4, #5-#6), then `extra`."""
    docs = [workload("p", deps=("q:8080",), team="payments"), workload("q", deps=q_deps, team="storefront", version=q)]
    if with_r:
        docs.append(workload("r", deps=r_deps, team="payments"))
    if extra:
        docs.append(extra)
    return "---\n".join(docs)


@pytest.fixture
def multi(tmp_path: Path) -> Iterator[tuple[OpsGraph, Path, Path]]:
    root = tmp_path / "k8s"
    write(root / "m.yaml", m_yaml())
    write(root / "o.yaml", workload("o", deps=("p:8080",)))
    og = open_home(tmp_path / "home", root, TEAMS)
    try:
        sync(og)
        yield og, root, tmp_path
    finally:
        og.__exit__(None, None, None)


def same_as_fresh(og: OpsGraph, plan: Any, root: Path, tmp_path: Path, name: str, *, reports: bool = True) -> None:
    """The store equals a fresh sync's; so do the problems (`reports`), and a further re-sync writes nothing and reports the same."""
    expected, first = fresh(tmp_path, root, TEAMS, name)
    assert contents(og) == expected
    if reports:
        assert problems(plan) == problems(first)
        assert plan.asserted == first.asserted
    again = sync(og)
    assert again.writes() == 0 and not again.claims_write and not again.claims_delete
    assert problems(again) == problems(first) and again.asserted == first.asserted
    assert contents(og) == expected


def test_one_changed_document_of_a_file_is_mapped_and_the_others_carried(multi: tuple[OpsGraph, Path, Path]) -> None:
    og, root, tmp_path = multi
    write(root / "m.yaml", m_yaml(q="2.0"))
    plan = sync(og)
    assert plan.files["reused_carried"] == 1  # o.yaml
    assert plan.files["documents_parsed"] == 1
    assert [(c.op, c.a) for c in plan.changes] == [("update", "q")]
    assert any("'s' is neither in this source nor in the store" in str(p) for p in plan.problems)  # r's report, carried
    same_as_fresh(og, plan, root, tmp_path, "fresh")


def test_a_removed_document_takes_its_facts_and_the_rest_of_the_file_is_carried(multi: tuple[OpsGraph, Path, Path]) -> None:
    og, root, tmp_path = multi
    write(root / "m.yaml", m_yaml(with_r=False))  # q names r: q's lookup changed, q is mapped again; p is carried
    plan = sync(og)
    assert sorted((c.op, c.kind, c.type, c.a, c.b) for c in plan.changes) == [
        ("delete", "edge", "DEPENDS_ON", "q", "r"), ("delete", "edge", "OWNS", "payments", "r"), ("delete", "node", "Service", "r", ""),
    ]  # fmt: skip
    # r is still in the store while this sync plans: reported as gone from this source (as a re-sync without caches does)
    assert [str(p) for p in plan.problems] == ["m.yaml#3 env DEP0_ADDR=r:8080 [DEPENDS_ON]: edge q->r dropped: 'r' is no longer in this source"]
    same_as_fresh(og, plan, root, tmp_path, "fresh", reports=False)


def test_an_added_document_is_mapped_and_the_file_s_others_carried(multi: tuple[OpsGraph, Path, Path]) -> None:
    og, root, tmp_path = multi
    write(root / "m.yaml", m_yaml(extra=workload("t", deps=("p:8080", "nowhere:1"), team="nobody")))
    plan = sync(og)
    assert plan.files["reused_carried"] == 1
    assert sorted((c.op, c.type, c.a, c.b) for c in plan.changes) == [("create", "DEPENDS_ON", "t", "p"), ("create", "Service", "t", "")]
    assert any("'nobody' is not a known Team id" in str(p) for p in plan.problems)
    same_as_fresh(og, plan, root, tmp_path, "fresh")


def test_a_service_a_carried_document_names_appears_then_disappears_in_another_file(multi: tuple[OpsGraph, Path, Path]) -> None:
    og, root, tmp_path = multi
    assert ("r", "s") not in depends_on(og)
    write(root / "m.yaml", m_yaml(q="2.0"))  # m.yaml changed: its documents are carried in part
    write(root / "s.yaml", workload("s", team="storefront"))  # r (an unchanged document) names s: r must be mapped again
    plan = sync(og)
    assert ("r", "s") in depends_on(og)
    same_as_fresh(og, plan, root, tmp_path, "fresh-appeared")
    write(root / "m.yaml", m_yaml(q="3.0"))
    (root / "s.yaml").unlink()
    plan = sync(og)
    assert ("r", "s") not in depends_on(og)
    # s is still in the store while this sync plans: the edge is reported as gone from this source (as by a re-sync without
    # caches); the next sync (in same_as_fresh) reports what a fresh sync does.
    assert [str(p) for p in plan.problems] == ["m.yaml#5 env DEP0_ADDR=http://s:8080 [DEPENDS_ON]: edge r->s dropped: 's' is no longer in this source"]
    same_as_fresh(og, plan, root, tmp_path, "fresh-gone", reports=False)


def test_a_workload_in_a_new_namespace_that_shifts_ids_remaps_the_documents_it_shifts(multi: tuple[OpsGraph, Path, Path]) -> None:
    og, root, tmp_path = multi
    write(root / "0.yaml", workload("q", ns="batch", service=False))  # read first: q of batch takes the plain id, q of shop is q.shop
    write(root / "m.yaml", m_yaml().replace("registry.example/p:1.0", "registry.example/p:1.1"))
    plan = sync(og)
    assert ("p", "q.shop") in depends_on(og) and ("q.shop", "r") in depends_on(og) and ("p", "q") not in depends_on(og)
    same_as_fresh(og, plan, root, tmp_path, "fresh")


def test_carried_documents_that_must_become_rows_again_give_only_their_own_rows(multi: tuple[OpsGraph, Path, Path]) -> None:
    og, root, tmp_path = multi
    og.store.upsert_nodes("Service", [{"id": "s", "name": "s"}])  # r's address names s, unknown so far: now the store holds it
    write(root / "m.yaml", m_yaml(q_deps=()))  # q (changed) no longer names r
    plan = sync(og)
    # p's and r's unchanged documents give their rows again (an endpoint of r's answers otherwise now), and q's
    # changed one its new rows: q's old edge to r must not come back.
    assert sorted((c.op, c.type, c.a, c.b) for c in plan.changes) == [("create", "DEPENDS_ON", "r", "s"), ("delete", "DEPENDS_ON", "q", "r")]
    other = open_home(tmp_path / "fresh", root, TEAMS)
    try:
        other.store.upsert_nodes("Service", [{"id": "s", "name": "s"}])
        first = sync(other)
        expected = contents(other)
    finally:
        other.__exit__(None, None, None)
    assert contents(og) == expected and problems(plan) == problems(first)
    again = sync(og)
    assert again.writes() == 0 and again.files["reused_carried"] == 2 and problems(again) == problems(first)


# -- the lookup tables an unchanged file reads, built from the kept summaries of carried files and the changed files' objects --


def named_service(name: str, app: str, ns: str = "shop") -> str:
    return f"---\napiVersion: v1\nkind: Service\nmetadata: {{name: {name}, namespace: {ns}}}\nspec: {{selector: {{app: {app}}}}}\n"


def test_a_service_in_a_changed_file_that_a_carried_file_names_appears_selects_others_then_goes(estate: tuple[OpsGraph, Path, Path]) -> None:
    og, root, tmp_path = estate
    write(root / "a.yaml", workload("a", deps=("b:8080", "c:8080", "http://y:8080"), team="payments"))  # y: no Service yet
    write(root / "s.yaml", workload("e", team="payments") + "---\n" + workload("f", team="storefront"))
    sync(og)
    assert sync(og).files["reused_carried"] == 5
    # s.yaml changes: e's version, and a Service y selecting e (a.yaml, unchanged, names y)
    write(root / "s.yaml", workload("e", team="payments", version="1.1") + "---\n" + workload("f", team="storefront") + named_service("y", "e"))
    plan = sync(og)
    assert ("a", "e") in depends_on(og) and plan.files["reused_carried"] == 3  # b, c, d; not a: y answers otherwise now
    same_as_fresh(og, plan, root, tmp_path, "fresh-appeared")
    # y now selects f (s.yaml changed again)
    write(root / "s.yaml", workload("e", team="payments", version="1.1") + "---\n" + workload("f", team="storefront") + named_service("y", "f"))
    plan = sync(og)
    assert ("a", "f") in depends_on(og) and ("a", "e") not in depends_on(og) and plan.files["reused_carried"] == 3
    same_as_fresh(og, plan, root, tmp_path, "fresh-reselected")
    # y goes (s.yaml changed again): a's address names nothing known
    write(root / "s.yaml", workload("e", team="payments", version="1.2") + "---\n" + workload("f", team="storefront"))
    plan = sync(og)
    assert not any(a == "a" and b in ("e", "f", "y") for a, b in depends_on(og)) and plan.files["reused_carried"] == 3
    same_as_fresh(og, plan, root, tmp_path, "fresh-gone")


CONFIGMAP = "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}, namespace: shop}}\ndata: {{ADDR: '{addr}'}}\n"
READS_CONFIGMAP = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: g, namespace: shop, labels: {app: g}}
spec:
  template:
    metadata: {labels: {app: g}}
    spec:
      containers:
        - name: main
          image: registry.example/g:1.0
          env: [{name: UPSTREAM, valueFrom: {configMapKeyRef: {name: settings, key: ADDR}}}]
          envFrom: [{configMapRef: {name: more}}]
"""


def test_a_configmap_a_carried_workload_reads_changes_in_a_changed_file(estate: tuple[OpsGraph, Path, Path]) -> None:
    og, root, tmp_path = estate
    write(root / "g.yaml", READS_CONFIGMAP)
    write(root / "h.yaml", workload("h") + CONFIGMAP.format(name="settings", addr="b:8080") + CONFIGMAP.format(name="more", addr="d:80"))
    sync(og)
    assert sync(og).files["reused_carried"] == 6
    assert ("g", "b") in depends_on(og) and ("g", "d") in depends_on(og)
    # h.yaml changes: h's version and the ConfigMap g's env var reads (g.yaml is unchanged)
    write(root / "h.yaml", workload("h", version="2.0") + CONFIGMAP.format(name="settings", addr="http://c:8080") + CONFIGMAP.format(name="more", addr="d:80"))
    plan = sync(og)
    assert ("g", "c") in depends_on(og) and ("g", "b") not in depends_on(og)
    assert plan.files["reused_carried"] == 4  # a, b, c, d; not g: a ConfigMap it reads changed
    same_as_fresh(og, plan, root, tmp_path, "fresh-settings")
    # the envFrom ConfigMap goes: g reports it, as a fresh sync does
    write(root / "h.yaml", workload("h", version="2.0") + CONFIGMAP.format(name="settings", addr="http://c:8080"))
    plan = sync(og)
    assert ("g", "d") not in depends_on(og) and plan.files["reused_carried"] == 4
    assert any("ConfigMap 'more' is not in this source" in str(p) for p in plan.problems)
    same_as_fresh(og, plan, root, tmp_path, "fresh-more-gone")


NAMESPACE = "apiVersion: v1\nkind: Namespace\nmetadata: {name: batch}\n---\n"


def test_a_namespace_added_in_a_new_file_shifts_the_ids_carried_files_read(estate: tuple[OpsGraph, Path, Path]) -> None:
    og, root, tmp_path = estate
    carried_then_changed(og, root)
    # 0.yaml, read first, deploys c in a new namespace: it takes the plain id c, and c of shop becomes c.shop; a and b
    # (unchanged files) name c by its bare name in shop, so their edges move to c.shop.
    write(root / "0.yaml", NAMESPACE + workload("c", ns="batch", team="storefront"))
    plan = sync(og)
    deps = depends_on(og)
    assert ("a", "c.shop") in deps and ("b", "c.shop") in deps and ("a", "c") not in deps
    assert plan.files["reused_carried"] == 1  # d only: a and b read c, c.yaml's workload has another id now
    same_as_fresh(og, plan, root, tmp_path, "fresh-shifted")
    (root / "0.yaml").unlink()  # and back
    plan = sync(og)
    assert ("a", "c") in depends_on(og) and ("a", "c.shop") not in depends_on(og)
    same_as_fresh(og, plan, root, tmp_path, "fresh-back", reports=False)


def test_a_resync_with_the_cache_packs_damaged_equals_a_fresh_sync_and_rebuilds_them(estate: tuple[OpsGraph, Path, Path]) -> None:
    og, root, tmp_path = estate
    carried_then_changed(og, root)
    folder = og.settings.home / "cache" / "sources" / "k8s.docs.d"
    packs = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    assert packs and all(p.name.startswith("pack-") for p in packs)  # the cache's blobs live in packs (sources/blob_packs.py)
    for p in packs:  # every pack's bytes changed from its middle on: blobs there read as not cached
        body = bytearray(p.read_bytes())
        for i in range(len(body) // 2, len(body)):
            body[i] ^= 0xFF
        p.write_bytes(bytes(body))
    write(root / "b.yaml", workload("b", deps=("a:8080",), team="payments", version="2.0"))
    plan = sync(og)
    assert plan.files["parsed"] > 1 and plan.files["reused_carried"] < 3  # the damage was noticed: unchanged files were read again
    expected, first = fresh(tmp_path, root, TEAMS, "fresh")
    assert contents(og) == expected
    assert problems(plan) == problems(first) and plan.asserted == first.asserted
    again = sync(og)
    assert again.writes() == 0 and again.files["parsed"] == 0 and again.files["reused_carried"] == 4
    assert contents(og) == expected
