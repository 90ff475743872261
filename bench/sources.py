"""Source readers: how well inferred dependencies match known call graphs, and how fast manifests read.

    .venv/bin/python bench/sources.py                    # every section
    .venv/bin/python bench/sources.py --only edges       # one section (edges | reading)
    .venv/bin/python bench/sources.py --workloads 2000   # smaller generated estate

Sections (each a function in SECTIONS; add yours there, e.g. the sync timing):
- edges: precision and recall of the dependency edges each reader infers from the real
  manifests and compose files in shared/datasets/topologies/raw, against the known call graphs
  (topologies/*.json). Baseline, same run: a naive reader that links a workload to every other
  workload whose name occurs anywhere in its env values (substring match), and for compose,
  `depends_on` alone.
- reading: time to read a generated estate of N workloads (Deployment + Service each, env
  vars naming 3 dependencies, team labels, ConfigMaps) with the Kubernetes reader, beside the
  baseline of only parsing the same YAML with the same loader; the ratio is the mapping's cost.
  The generator (`write_manifests`) can also write the same estate with a fraction changed
  (versions bumped, dependencies removed, workloads added) for re-sync measurements.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import yaml

from opsgraph.app import sample_estate_path
from opsgraph.schema import GraphSchema, load_schema
from opsgraph.sources import Facts, SourceConfig, SourceMapping, read_source
from opsgraph.sources.yamldocs import yaml_files


def datasets_dir() -> Path:
    """`shared/datasets` found by walking up from this file (works from /work/main and from worktrees)."""
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "datasets"
        if candidate.is_dir():
            return candidate
    raise SystemExit("shared/datasets not found in any parent of bench/ (expected ../shared/datasets)")


# --- edges vs known topologies ---------------------------------------------------------------

SYSTEMS = [
    # (system json, reader kind, raw file)
    ("online_boutique", "kubernetes", "online_boutique_kubernetes-manifests.yaml"),
    ("sock_shop", "kubernetes", "sock_shop_complete-demo.yaml"),
    ("deathstarbench_social_network", "compose", "dsb_socialNetwork_docker-compose.yml"),
    ("deathstarbench_hotel_reservation", "compose", "dsb_hotelReservation_docker-compose.yml"),
    ("train_ticket", "compose", "train_ticket_quickstart-docker-compose.yml"),
]


def _pr(found: set[tuple[str, str]], known: set[tuple[str, str]]) -> tuple[float, float]:
    tp = len(found & known)
    return (tp / len(found) if found else 0.0), tp / len(known)


def _naive_kubernetes(path: Path) -> set[tuple[str, str]]:
    docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if isinstance(d, dict)]
    workloads = {}
    for d in docs:
        if d.get("kind") in ("Deployment", "StatefulSet", "DaemonSet"):
            containers = d["spec"]["template"]["spec"].get("containers", [])
            workloads[d["metadata"]["name"]] = [str(e.get("value", "")) for c in containers for e in c.get("env", []) or []]
    return {(w, o) for w, values in workloads.items() for o in workloads if o != w and any(o in v for v in values)}


def _naive_compose(path: Path, depends_only: bool) -> set[tuple[str, str]]:
    services = yaml.safe_load(path.read_text(encoding="utf-8"))["services"]
    out = set()
    for name, svc in services.items():
        deps = svc.get("depends_on") or []
        out |= {(name, d) for d in (deps if isinstance(deps, list) else list(deps))}
        if not depends_only:
            env = svc.get("environment") or {}
            values = [str(v) for v in (env.values() if isinstance(env, dict) else env)]
            out |= {(name, o) for o in services if o != name and any(o in v for v in values)}
    return out


def section_edges(args: argparse.Namespace, schema: GraphSchema) -> None:
    topo = datasets_dir() / "topologies"
    print("\n## Inferred dependency edges vs the known call graph (topologies/*.json)")
    print(f"{'system':34} {'reader':10} {'known':>5} {'found':>5} {'P':>5} {'R':>5}   {'baseline':26} {'found':>5} {'P':>5} {'R':>5}")
    for system, kind, raw in SYSTEMS:
        data = json.loads((topo / f"{system}.json").read_text(encoding="utf-8"))
        known = {(e["src"], e["dst"]) for e in data["edges"]}
        names = {n["name"] for n in data["nodes"]}

        def known_ids(ids: list[str], names: set[str] = names) -> dict[str, str]:
            # the estate around the source: the system's own node list (as a store would hold it)
            return {i: "Service" for i in ids if i in names}

        facts = read_source(SourceConfig(name="b", kind=kind, path=topo / "raw" / raw), schema, known_ids=known_ids)
        found = {(r["from"], r["to"]) for r in facts.edges.get("DEPENDS_ON", [])}
        p, r = _pr(found, known)
        if kind == "kubernetes":
            base_name, base = "env substring match", _naive_kubernetes(topo / "raw" / raw)
        else:
            base_name, base = "depends_on only", _naive_compose(topo / "raw" / raw, depends_only=True)
        bp, br = _pr(base, known)
        print(f"{system:34} {kind:10} {len(known):5} {len(found):5} {p:5.2f} {r:5.2f}   {base_name:26} {len(base):5} {bp:5.2f} {br:5.2f}")
        if kind == "compose":
            base = _naive_compose(topo / "raw" / raw, depends_only=False)
            bp, br = _pr(base, known)
            print(f"{'':34} {'':10} {'':5} {'':5} {'':5} {'':5}   {'depends_on + env substring':26} {len(base):5} {bp:5.2f} {br:5.2f}")
    print("Call graphs of sock_shop, DeathStarBench and train_ticket were read from source code (addresses hard-coded or in\n"
          "mounted config files), so manifests and compose files can only state part of them; compose `depends_on` also\n"
          "states start-up order on tracing agents and datastores that the call graphs leave out.")


# --- reading a generated estate ---------------------------------------------------------------

NAMESPACES = 20
PER_FILE = 50


def _workload_doc(name: str, ns: str, team: str, version: str, deps: list[tuple[str, str]], port: int) -> str:
    env = "".join(
        f'            - name: {d.upper().replace("-", "_")}_ADDR\n              value: "{addr}"\n' for d, addr in deps
    )
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: {ns}
  labels: {{app: {name}, team: {team}}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers:
        - name: main
          image: registry.example/{ns}/{name}:{version}
          ports: [{{containerPort: {port}}}]
          env:
{env}          resources: {{requests: {{cpu: 100m, memory: 128Mi}}}}
---
apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: {ns}}}
spec:
  selector: {{app: {name}}}
  ports: [{{port: {port}}}]
"""


def write_manifests(root: Path, n: int, *, changed: float = 0.0, seed: int = 7) -> dict[str, Any]:
    """Write `n` workloads (plus `changed * n` new ones when `changed`) under `root`; return what was written.

    With `changed > 0` the same estate is written with `changed * n` workloads' versions bumped,
    `changed * n` dependencies removed and `changed * n` workloads added: the input of a re-sync.
    """
    rng = random.Random(seed)
    names = [(f"svc-{i:05d}", f"ns-{i % NAMESPACES:02d}") for i in range(n)]
    k = round(changed * n)
    bumped = set(rng.sample(range(n), k)) if k else set()
    pruned = set(rng.sample(range(n), k)) if k else set()
    added = [(f"new-{i:05d}", f"ns-{i % NAMESPACES:02d}") for i in range(k)]
    deps_total = 0
    by_ns: dict[str, list[str]] = {}
    for i, (name, ns) in enumerate([*names, *added]):
        rng_i = random.Random(seed * 1_000_003 + i)
        peers = rng_i.sample(range(n), 3)
        deps = []
        for j, p in enumerate(peers):
            pname, pns = names[p]
            if pname == name:
                continue
            addr = f"{pname}:8080" if pns == ns else f"{pname}.{pns}.svc.cluster.local:8080"
            if pns != ns and j == 0:
                addr = f"http://{pname}.{pns}:8080/api"
            deps.append((pname, addr))
        if i in pruned and deps:
            deps = deps[1:]
        deps_total += len(deps)
        version = "1.0.1" if i in bumped else "1.0.0"
        by_ns.setdefault(ns, []).append(_workload_doc(name, ns, f"team-{i % 50:02d}", version, deps, 8080))
    files = 0
    for ns, docs in by_ns.items():
        for start in range(0, len(docs), PER_FILE):
            path = root / ns / f"apps-{start // PER_FILE:03d}.yaml"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("---\n".join(docs[start : start + PER_FILE]), encoding="utf-8")
            files += 1
    return {"workloads": n + len(added), "dependencies": deps_total, "files": files, "bumped": len(bumped), "pruned": len(pruned), "added": len(added)}


def section_reading(args: argparse.Namespace, schema: GraphSchema) -> None:
    print(f"\n## Reading a generated estate of {args.workloads} workloads from manifests")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "k8s"
        info = write_manifests(root, args.workloads)
        size = sum(p.stat().st_size for p in root.rglob("*.yaml"))
        print(f"written: {info['workloads']} workloads, {info['dependencies']} env dependencies, {info['files']} files, {size / 1e6:.1f} MB")
        teams = {f"team-{i:02d}" for i in range(50)}

        def known_ids(ids: list[str]) -> dict[str, str]:
            return {i: "Team" for i in ids if i in teams}

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        t = time.perf_counter()
        docs = sum(1 for p in yaml_files(root) for d in yaml.load_all(p.read_text(encoding="utf-8"), Loader=loader) if d)
        parse = time.perf_counter() - t
        config = SourceConfig(name="gen", kind="kubernetes", path=root, mapping=SourceMapping())
        t = time.perf_counter()
        facts: Facts = read_source(config, schema, known_ids=known_ids)
        read = time.perf_counter() - t
        counts = facts.count()
        ok = counts.get("DEPENDS_ON") == info["dependencies"] and counts.get("Service") == info["workloads"]
        print(f"baseline: parse only ({loader.__name__}) {docs} documents   {parse:7.2f} s")
        print(f"kubernetes reader (parse + map + infer)      {read:7.2f} s   ratio {read / parse:4.2f}x   "
              f"{info['workloads'] / read:,.0f} workloads/s")
        print(f"facts: {counts}, problems {len(facts.problems)}; every generated dependency found: {ok}")


SECTIONS: dict[str, Callable[[argparse.Namespace, GraphSchema], None]] = {
    "edges": section_edges,
    "reading": section_reading,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=sorted(SECTIONS), action="append", help="run only these sections")
    parser.add_argument("--workloads", type=int, default=10_000, help="size of the generated estate (default 10000)")
    args = parser.parse_args()
    schema = load_schema(sample_estate_path() / "schema.yaml")
    for name, section in SECTIONS.items():
        if not args.only or name in args.only:
            section(args, schema)


if __name__ == "__main__":
    main()
