"""Sync cost: a generated estate of Kubernetes manifests synced, then re-synced with 1 % changed; query latency with history.

    .venv/bin/python bench/sync.py                   # 10k workloads
    .venv/bin/python bench/sync.py --workloads 2000  # quicker

What it does, in one process, with one torch-free JVM:
1. writes N Deployments + Services as multi-document manifest files (one file per 100 workloads); each
   workload names 1-3 others in environment variables (`http://svc-000123:8080`), which the kubernetes
   reader turns into DEPENDS_ON edges, and carries a team label (an OWNS edge from a known team);
2. `opsgraph sync` of that folder into a fresh store (read, plan, apply: times and writes printed);
3. changes 1 % of the workloads (half get a new image tag, a third lose one dependency, the rest are new
   workloads) and syncs again: time and writes must follow the change, not the estate (ratios printed);
4. fills 30 days of history (30 daily syncs' worth of change records, 1 % of the estate a day, written
   through the same hidden change log) and times 1/2/4-hop current-state queries against a store holding
   the same graph loaded without any sync (no provenance, no claims, no history): ratio printed, goal <= 1.3.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

HOP_QUERY = "MATCH (a:Service {id: $id})-[:DEPENDS_ON*1..%d]->(b) RETURN count(DISTINCT b) AS c"
ALL_ROWS = 100_000_000
TEAMS = ["team-a", "team-b", "team-c", "team-d"]


def workload(i: int, deps: list[int], tag: str) -> str:
    env = "\n".join(f"            - {{name: DEP_{k}_ADDR, value: \"http://svc-{d:06d}:8080\"}}" for k, d in enumerate(deps))
    return f"""---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: svc-{i:06d}, namespace: shop, labels: {{team: {TEAMS[i % len(TEAMS)]}}}}}
spec:
  replicas: {1 + i % 3}
  template:
    metadata: {{labels: {{app: svc-{i:06d}}}}}
    spec:
      containers:
        - name: main
          image: registry.example/shop/svc-{i:06d}:{tag}
          env:
{env if env else "            []"}
---
apiVersion: v1
kind: Service
metadata: {{name: svc-{i:06d}, namespace: shop}}
spec: {{selector: {{app: svc-{i:06d}}}, ports: [{{port: 8080}}]}}
"""


def estate(n: int, seed: int = 7) -> dict[int, tuple[list[int], str]]:
    rng = random.Random(seed)
    out: dict[int, tuple[list[int], str]] = {}
    for i in range(n):
        deps = sorted({int(i * rng.random() ** 0.5) for _ in range(rng.randint(1, 3))} - {i}) if i else []
        out[i] = (deps, "1.0.0")
    return out


def write_manifests(folder: Path, work: dict[int, tuple[list[int], str]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.yaml"):
        old.unlink()
    ids = sorted(work)
    for start in range(0, len(ids), 100):
        text = "".join(workload(i, *work[i]) for i in ids[start : start + 100])
        (folder / f"part-{start // 100:04d}.yaml").write_text(text, encoding="utf-8")


def change(work: dict[int, tuple[list[int], str]], share: float, seed: int = 11) -> dict[str, int]:
    rng = random.Random(seed)
    n = len(work)
    k = max(3, int(n * share))
    picked = rng.sample(sorted(i for i in work if work[i][0]), k)
    bumps, drops = picked[: k // 2], picked[k // 2 : k // 2 + k // 3]
    for i in bumps:
        work[i] = (work[i][0], "1.0.1")
    for i in drops:
        work[i] = (work[i][0][:-1], work[i][1])
    added = k - len(bumps) - len(drops)
    for j in range(added):
        work[n + j] = ([rng.randrange(n)], "1.0.0")
    return {"version bumps": len(bumps), "dependencies removed": len(drops), "workloads added": added}


def direct_facts(work: dict[int, tuple[list[int], str]]) -> Any:
    """The facts the kubernetes reader yields for these manifests, built without reading them."""
    from opsgraph.sources import Facts

    f = Facts(source="k8s", kind="kubernetes")
    f.nodes["Service"] = [
        {"id": f"svc-{i:06d}", "name": f"svc-{i:06d}", "namespace": "shop", "image": f"registry.example/shop/svc-{i:06d}:{tag}", "version": tag,
         "replicas": 1 + i % 3, "_evidence": f"part-{i // 100:04d}.yaml Deployment=shop/svc-{i:06d}"}
        for i, (_, tag) in sorted(work.items())
    ]  # fmt: skip
    f.edges["DEPENDS_ON"] = [
        {"from": f"svc-{i:06d}", "to": f"svc-{d:06d}", "_evidence": f"part-{i // 100:04d}.yaml env DEP_{k}_ADDR"}
        for i, (deps, _) in sorted(work.items()) for k, d in enumerate(deps)
    ]
    f.edges["OWNS"] = [{"from": TEAMS[i % len(TEAMS)], "to": f"svc-{i:06d}", "_evidence": "label team"} for i in sorted(work)]
    return f


def hop_latency(stores: dict[str, Any], ids: list[str], reps: int) -> dict[str, dict[int, float]]:
    """p50 per store and hop count; the stores take turns query by query, after a warm-up on each (fair to JIT and caches)."""
    out: dict[str, dict[int, float]] = {name: {} for name in stores}
    for hops in (1, 2, 4):
        q = HOP_QUERY % hops
        for store in stores.values():
            for i in ids[:50]:
                store.query(q, {"id": i})
        times: dict[str, list[float]] = {name: [] for name in stores}
        for r in range(reps):
            for name, store in stores.items():
                t = time.perf_counter()
                store.query(q, {"id": ids[r % len(ids)]})
                times[name].append((time.perf_counter() - t) * 1000)
        for name in stores:
            out[name][hops] = statistics.median(times[name])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workloads", type=int, default=10_000)
    ap.add_argument("--change", type=float, default=0.01)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--facts", action="store_true", help="Build the source's facts directly instead of reading manifests (skips the reader's own time).")
    args = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")

    from opsgraph.app.sync import default_schema
    from opsgraph.ingest.history import CHANGE, Change
    from opsgraph.ingest.sync import apply_plan, plan_sync, state_from_facts
    from opsgraph.sources import SourceConfig, read_source
    from opsgraph.store.arcadedb import ArcadeDBStore

    schema = default_schema()
    work = estate(args.workloads)
    tmp = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    manifests = tmp / "manifests"
    write_manifests(manifests, work)
    config = SourceConfig(name="k8s", kind="kubernetes", path=manifests)
    print(f"estate: {args.workloads} workloads in {len(list(manifests.glob('*.yaml')))} manifest files; threads OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}")

    def one_sync(store: ArcadeDBStore, label: str) -> dict[str, float]:
        t0 = time.perf_counter()
        facts = direct_facts(work) if args.facts else read_source(config, schema, known_ids=store.node_types)
        t1 = time.perf_counter()
        if os.environ.get("BENCH_PROFILE"):
            import cProfile
            import pstats

            prof = cProfile.Profile()
            plan = prof.runcall(plan_sync, store, schema, state_from_facts(facts))
            pstats.Stats(prof).sort_stats("cumulative").print_stats(15)
        else:
            plan = plan_sync(store, schema, state_from_facts(facts))
        t2 = time.perf_counter()
        if os.environ.get("BENCH_PROFILE"):
            prof = cProfile.Profile()
            prof.runcall(apply_plan, store, plan)
            pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
        else:
            apply_plan(store, plan)
        t3 = time.perf_counter()
        row = {"read": t1 - t0, "plan": t2 - t1, "apply": t3 - t2, "total": t3 - t0, "writes": plan.writes(), "claims": len(plan.claims_write) + len(plan.claims_delete)}
        print(f"  {label:<22} read {row['read']:7.2f} s  plan {row['plan']:7.2f} s  apply {row['apply']:7.2f} s  total {row['total']:7.2f} s  "
              f"graph writes {row['writes']:>6}  claim writes {row['claims']:>6}")  # fmt: skip
        return row

    with ArcadeDBStore(tmp / "synced" / "store") as store:
        store.ensure_schema(schema)
        store.upsert_nodes("Team", [{"id": t, "name": t} for t in TEAMS])
        print("sync:")
        first = one_sync(store, "first sync")
        what = change(work, args.change)
        write_manifests(manifests, work)
        second = one_sync(store, f"re-sync, {args.change:.0%} changed")
        print(f"  change: {what}")
        print(f"  re-sync / first sync: time {second['total'] / first['total']:.3f}, apply time {second['apply'] / first['apply']:.3f}, "
              f"graph writes {second['writes'] / max(first['writes'], 1):.4f}")  # fmt: skip
        again = one_sync(store, "re-sync, nothing changed")
        print(f"  unchanged re-sync writes {again['writes']} (time {again['total']:.2f} s: reading the manifests and the source's claim hashes)")

        # 30 days of history: each day's 1 % of changes as change records, through the same log.
        ids = [f"svc-{i:06d}" for i in sorted(work)]
        rng = random.Random(3)
        now = time.time()
        per_day = max(1, int(len(ids) * args.change))
        t = time.perf_counter()
        records = []
        for day in range(args.days, 0, -1):
            ts = now - day * 86400
            for s in range(per_day):
                node = rng.choice(ids)
                records.append(Change(ts, s, f"bench-{day}", "k8s", "update", "node", "Service", node, "", "Service", "",
                                      {"version": "0.9.0"}, {"version": "1.0.0"}).record())  # fmt: skip
        store.write_records(CHANGE, records)
        print(f"history: {len(records)} change records for {args.days} days written in {time.perf_counter() - t:.1f} s "
              f"(plus {first['writes'] + second['writes']} from the syncs above)")  # fmt: skip
        starts = [ids[rng.randrange(len(ids))] for _ in range(args.reps)]
        nodes = store.query("MATCH (s:Service) RETURN properties(s) AS p", limit=ALL_ROWS).rows
        edges = store.query("MATCH (a:Service)-[:DEPENDS_ON]->(b:Service) RETURN a.id AS a, b.id AS b", limit=ALL_ROWS).rows
        with ArcadeDBStore(tmp / "plain" / "store") as plain:
            plain.ensure_schema(schema)
            plain.upsert_nodes("Service", [{k: v for k, v in n["p"].items() if not k.startswith("_")} for n in nodes])
            plain.upsert_edges("DEPENDS_ON", [{"from": e["a"], "to": e["b"], "from_type": "Service", "to_type": "Service"} for e in edges])
            lat = hop_latency({"plain": plain, "synced": store}, starts, args.reps)
    without, with_history = lat["plain"], lat["synced"]
    print(f"current-state query p50 over {args.reps} starts (same graph: {len(nodes)} services, {len(edges)} DEPENDS_ON):")
    for hops in (1, 2, 4):
        print(f"  {hops}-hop: no history {without[hops]:7.2f} ms   with {args.days} days of history {with_history[hops]:7.2f} ms   "
              f"ratio {with_history[hops] / without[hops]:.2f} (goal <= 1.3)")  # fmt: skip


if __name__ == "__main__":
    main()
