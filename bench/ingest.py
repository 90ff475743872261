"""Ingest and traversal throughput: opsgraph vs the raw engine, at growing sizes.

    .venv/bin/python bench/ingest.py                 # 1k, 10k, 100k nodes (~3 edges per node)
    .venv/bin/python bench/ingest.py --sizes 1000 10000

For each size it generates one estate (seeded), then loads it twice into
fresh databases in this process:
- **opsgraph**: `ArcadeDBStore.upsert_nodes/upsert_edges` (hashing, batch
  de-duplication, existence checks, one transaction per batch);
- **raw**: the same engine through `arcadedb_embedded` directly, with the
  same type/index DDL and the same 1,000-row `UNWIND ... CREATE` batches
  that a careful hand-written loader would use.
It then times 1/2/4-hop traversals from random start nodes through both
paths and prints each figure with its ratio (opsgraph / raw; for rates,
raw / opsgraph, so >1 always means "opsgraph is slower").
`--raw-module arcadedb --raw-only` measures the native (GraalVM) build
alone, run from an environment where that package is installed.
"""

from __future__ import annotations

import argparse
import importlib
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

BATCH = 1000
HOP_QUERY = "MATCH (a:Service {id: $id})-[:DEPENDS_ON*1..%d]->(b) RETURN count(DISTINCT b) AS c"


def generate(n: int, seed: int = 1) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """n services; each depends on ~3 others, preferring lower ids (a layered, DAG-like estate)."""
    rng = random.Random(seed)
    tiers = ["critical", "high", "medium", "low"]
    nodes = [{"id": f"svc-{i:06d}", "name": f"Service {i}", "tier": rng.choice(tiers), "port": 1000 + i % 50000} for i in range(n)]
    edges: set[tuple[str, str]] = set()
    for i in range(1, n):
        for _ in range(3):
            j = int(i * rng.random() ** 0.5)  # skew towards nearby ids: deep dependency chains
            if j != i:
                edges.add((nodes[i]["id"], nodes[j]["id"]))
    return nodes, sorted(edges)


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def time_hops(run: Any, ids: list[str], hops: int, repeats: int) -> tuple[float, float]:
    lat = []
    for node in ids[:repeats]:
        t = time.perf_counter()
        run(HOP_QUERY % hops, {"id": node})
        lat.append((time.perf_counter() - t) * 1000)
    return statistics.median(lat), pct(lat, 0.95)


def bench_opsgraph(root: Path, nodes: list[dict[str, Any]], edges: list[tuple[str, str]], starts: list[str], repeats: int) -> dict[str, float]:
    from opsgraph.schema import parse_schema
    from opsgraph.store.arcadedb import ArcadeDBStore

    schema = parse_schema(
        "version: 1\nname: bench\nnodes:\n  Service:\n    properties: {name: string, tier: string, port: integer}\n"
        "edges:\n  DEPENDS_ON: {from: Service, to: Service, dependency: true}\n"
    )
    out: dict[str, float] = {}
    with ArcadeDBStore(root / "opsgraph", batch_size=BATCH) as store:
        store.ensure_schema(schema)
        t = time.perf_counter()
        store.upsert_nodes("Service", nodes)
        out["nodes/s"] = len(nodes) / (time.perf_counter() - t)
        rows = [{"from": a, "to": b, "from_type": "Service", "to_type": "Service"} for a, b in edges]
        t = time.perf_counter()
        store.upsert_edges("DEPENDS_ON", rows)
        out["edges/s"] = len(edges) / (time.perf_counter() - t)
        t = time.perf_counter()
        report = store.upsert_nodes("Service", nodes)
        out["re-ingest nodes/s"] = len(nodes) / (time.perf_counter() - t)
        if report.unchanged != len(nodes):
            raise SystemExit(f"re-ingest was not a no-op: {report}")
        for h in (1, 2, 4):
            out[f"{h}-hop p50 ms"], out[f"{h}-hop p95 ms"] = time_hops(lambda q, p: store.query(q, p), starts, h, repeats)
    return out


def bench_raw(module: str, root: Path, nodes: list[dict[str, Any]], edges: list[tuple[str, str]], starts: list[str], repeats: int) -> dict[str, float]:
    engine = importlib.import_module(module)
    out: dict[str, float] = {}
    db = engine.create_database(str(root / f"raw-{module}"))
    try:
        db.command("sql", "CREATE VERTEX TYPE Service IF NOT EXISTS")
        for prop, typ in (("id", "STRING"), ("name", "STRING"), ("tier", "STRING"), ("port", "LONG")):
            db.command("sql", f"CREATE PROPERTY Service.`{prop}` IF NOT EXISTS {typ}")
        db.command("sql", "CREATE INDEX IF NOT EXISTS ON Service (id) UNIQUE")
        db.command("sql", "CREATE EDGE TYPE DEPENDS_ON IF NOT EXISTS")
        t = time.perf_counter()
        for s in range(0, len(nodes), BATCH):
            with db.transaction():
                db.command("cypher", "UNWIND $rows AS row CREATE (n:Service) SET n = row", {"rows": nodes[s : s + BATCH]})
        out["nodes/s"] = len(nodes) / (time.perf_counter() - t)
        rows = [{"f": a, "t": b} for a, b in edges]
        t = time.perf_counter()
        for s in range(0, len(rows), BATCH):
            with db.transaction():
                db.command(
                    "cypher",
                    "UNWIND $rows AS row MATCH (a:Service {id: row.f}) MATCH (b:Service {id: row.t}) CREATE (a)-[:DEPENDS_ON]->(b)",
                    {"rows": rows[s : s + BATCH]},
                )
        out["edges/s"] = len(edges) / (time.perf_counter() - t)

        def run(q: str, p: dict[str, Any]) -> None:
            [r.to_dict() for r in db.query("cypher", q, p)]  # materialise rows, as a caller must

        for h in (1, 2, 4):
            out[f"{h}-hop p50 ms"], out[f"{h}-hop p95 ms"] = time_hops(run, starts, h, repeats)
    finally:
        db.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--repeats", type=int, default=200, help="traversals per hop count")
    parser.add_argument("--raw-module", default="arcadedb_embedded", help="engine module for the raw baseline")
    parser.add_argument("--rounds", type=int, default=3, help="alternating opsgraph/raw rounds per size; medians are shown")
    parser.add_argument("--raw-only", action="store_true", help="only the raw engine (e.g. the native build in another venv)")
    args = parser.parse_args()

    print(f"python {sys.version.split()[0]}, cpus {os.cpu_count()}, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, batch {BATCH}")
    print(f"raw baseline module: {args.raw_module}")
    rows: list[tuple[int, str, float, float]] = []
    # Warm the JVM's JIT on both paths first, so neither pays for it in the figures.
    warm_nodes, warm_edges = generate(3000, seed=99)
    with tempfile.TemporaryDirectory(prefix="opsgraph-warm-") as tmp:
        if not args.raw_only:
            bench_opsgraph(Path(tmp), warm_nodes, warm_edges, [n["id"] for n in warm_nodes[:50]], 50)
        bench_raw(args.raw_module, Path(tmp), warm_nodes, warm_edges, [n["id"] for n in warm_nodes[:50]], 50)
    for n in args.sizes:
        nodes, edges = generate(n)
        rng = random.Random(n)
        starts = [nodes[rng.randrange(n)]["id"] for _ in range(args.repeats)]
        ours_runs: list[dict[str, float]] = []
        raw_runs: list[dict[str, float]] = []
        rounds = min(args.rounds, 2) if n >= 100_000 else args.rounds
        for r in range(rounds):
            # Alternate which side goes first: the JIT and the page cache favour whoever runs second.
            order = ["ours", "raw"] if r % 2 == 0 else ["raw", "ours"]
            for side in order:
                with tempfile.TemporaryDirectory(prefix="opsgraph-bench-") as tmp:
                    if side == "ours" and not args.raw_only:
                        ours_runs.append(bench_opsgraph(Path(tmp), nodes, edges, starts, args.repeats))
                    elif side == "raw":
                        raw_runs.append(bench_raw(args.raw_module, Path(tmp), nodes, edges, starts, args.repeats))
        raw = {k: statistics.median(run[k] for run in raw_runs) for k in raw_runs[0]}
        if args.raw_only:
            print(f"\n== {n:,} nodes, {len(edges):,} edges (raw {args.raw_module} only, median of {rounds})")
            for key, value in raw.items():
                print(f"{key:<20}{value:>12.1f}")
            continue
        ours = {k: statistics.median(run[k] for run in ours_runs) for k in ours_runs[0]}
        print(f"\n== {n:,} nodes, {len(edges):,} edges (median of {rounds} alternating rounds)")
        print(f"{'figure':<20}{'opsgraph':>12}{'raw':>12}{'overhead':>10}")
        for key in ours:
            r = raw.get(key)
            if r is None:
                print(f"{key:<20}{ours[key]:>12.1f}{'-':>12}{'-':>10}")
                continue
            ratio = r / ours[key] if key.endswith("/s") else ours[key] / r
            print(f"{key:<20}{ours[key]:>12.1f}{r:>12.1f}{ratio:>9.2f}x")
            rows.append((n, key, ours[key], r))
    print("\nhow cost grows with size (opsgraph):")
    for key in ("nodes/s", "edges/s", "4-hop p50 ms"):
        series = [(n, o) for n, k, o, _ in rows if k == key]
        print(f"  {key:<14}" + "  ".join(f"{n:>7,}: {o:>9.1f}" for n, o in series))


if __name__ == "__main__":
    main()
