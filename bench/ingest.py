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

`--guarantee` adds what all-or-nothing ingest costs (`ArcadeDBStore.atomic`,
the undo journal): at each of `--guarantee-sizes` it loads the same estate
into fresh stores with the journal off and on, then re-ingests it with every
node and edge changed (the worst case: every row's pre-image is journaled),
printing wall time, Python peak allocation (tracemalloc), JVM heap peak and
the journal's size on disk side by side. It also times the alternative, one
engine transaction around the whole fresh load, with its JVM heap peak.
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


GUARANTEE_SCHEMA = (
    "version: 1\nname: bench\nnodes:\n  Service:\n    properties: {name: string, tier: {type: string, indexed: true}, port: integer}\n"
    "edges:\n  DEPENDS_ON: {from: Service, to: Service, dependency: true, properties: {weight: integer}}\n"
)


class _HeapPeak:
    """Peak JVM heap over a phase, from the memory pools' own peak counters (reset at start)."""

    def __init__(self) -> None:
        import jpype

        factory = jpype.JClass("java.lang.management.ManagementFactory")
        heap = jpype.JClass("java.lang.management.MemoryType").HEAP
        self.pools = [p for p in factory.getMemoryPoolMXBeans() if p.getType() == heap]

    def reset(self) -> None:
        for pool in self.pools:
            pool.resetPeakUsage()

    def peak_mb(self) -> float:
        return sum(int(pool.getPeakUsage().getUsed()) for pool in self.pools) / 2**20


def _phase(run: Any, heap: _HeapPeak) -> tuple[float, float, float, float]:
    """(wall seconds, CPU seconds of the whole process incl. the JVM's threads, Python peak MB, JVM heap peak MB) of one call."""
    import gc
    import tracemalloc

    gc.collect()
    heap.reset()
    tracemalloc.reset_peak()
    t, cpu = time.perf_counter(), time.process_time()
    run()
    seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
    return seconds, cpu, tracemalloc.get_traced_memory()[1] / 2**20, heap.peak_mb()


def bench_guarantee(root: Path, nodes: list[dict[str, Any]], edges: list[tuple[str, str]]) -> dict[str, dict[str, float]]:
    """Fresh load and full-change re-ingest with the journal off and on; one-transaction load as the alternative."""
    import tracemalloc

    from opsgraph.schema import parse_schema
    from opsgraph.store import journal as journal_module
    from opsgraph.store.arcadedb import ArcadeDBStore

    schema = parse_schema(GUARANTEE_SCHEMA)
    written = [0]
    real_write = journal_module.Journal._write

    def counting_write(self: Any, entry: dict[str, Any]) -> None:
        real_write(self, entry)
        written[0] = max(written[0], self.path.stat().st_size)

    journal_module.Journal._write = counting_write  # type: ignore[method-assign]
    tracemalloc.start()
    out: dict[str, dict[str, float]] = {}
    try:
        for label, journal in (("JIT warm-up", True), ("without journal", False), ("with journal", True)):
            warm = label == "JIT warm-up"  # a small load first, so neither measured side pays for the JIT
            ns = nodes[:2000] if warm else nodes
            es = [e for e in edges if e[0] < ns[-1]["id"] and e[1] < ns[-1]["id"]] if warm else edges
            with ArcadeDBStore(root / f"guarantee-{label.replace(' ', '-')}", batch_size=BATCH, journal=journal) as store:
                store.ensure_schema(schema)
                heap = _HeapPeak()

                def load(version: int, store: ArcadeDBStore = store, ns: list[dict[str, Any]] = ns, es: list[tuple[str, str]] = es) -> None:
                    with store.atomic(f"bench-v{version}"):
                        store.upsert_nodes("Service", [{**n, "name": f"{n['name']} v{version}"} for n in ns])
                        store.upsert_edges("DEPENDS_ON", [{"from": a, "to": b, "from_type": "Service", "to_type": "Service", "weight": version} for a, b in es])

                for version, phase in ((1, "fresh load"), (2, "every row changed")):
                    written[0] = 0
                    seconds, cpu, py_mb, jvm_mb = _phase(lambda v=version: load(v), heap)
                    out[f"{phase}, {label}"] = {"s": seconds, "cpu s": cpu, "python MB": py_mb, "JVM heap MB": jvm_mb, "journal MB": written[0] / 2**20}
        with ArcadeDBStore(root / "guarantee-one-tx", batch_size=BATCH, journal=False) as store:
            store.ensure_schema(schema)
            heap = _HeapPeak()
            t = store.transport

            def one_transaction() -> None:
                with t.transaction():
                    for s in range(0, len(nodes), BATCH):
                        t.command("cypher", "UNWIND $rows AS row CREATE (n:Service) SET n = row", {"rows": nodes[s : s + BATCH]})
                    rows = [{"f": a, "t": b} for a, b in edges]
                    for s in range(0, len(rows), BATCH):
                        t.command(
                            "cypher",
                            "UNWIND $rows AS row MATCH (a:Service {id: row.f}) MATCH (b:Service {id: row.t}) CREATE (a)-[:DEPENDS_ON {weight: 1}]->(b)",
                            {"rows": rows[s : s + BATCH]},
                        )

            seconds, cpu, py_mb, jvm_mb = _phase(one_transaction, heap)
            out["fresh load, one engine transaction"] = {"s": seconds, "cpu s": cpu, "python MB": py_mb, "JVM heap MB": jvm_mb, "journal MB": 0.0}
    finally:
        tracemalloc.stop()
        journal_module.Journal._write = real_write  # type: ignore[method-assign]
    return {k: v for k, v in out.items() if "warm-up" not in k}


def print_guarantee(sizes: list[int]) -> None:
    print("\n== the cost of all-or-nothing ingest (atomic + undo journal), same run, fresh stores")
    for n in sizes:
        nodes, edges = generate(n)
        with tempfile.TemporaryDirectory(prefix="opsgraph-guarantee-") as tmp:
            result = bench_guarantee(Path(tmp), nodes, edges)
        print(f"\n-- {n:,} nodes, {len(edges):,} edges")
        print(f"{'phase':<44}{'wall s':>9}{'cpu s':>9}{'python MB':>11}{'JVM heap MB':>13}{'journal MB':>12}")
        for phase, f in result.items():
            print(f"{phase:<44}{f['s']:>9.1f}{f['cpu s']:>9.1f}{f['python MB']:>11.1f}{f['JVM heap MB']:>13.0f}{f['journal MB']:>12.1f}")
        for phase in ("fresh load", "every row changed"):
            off, on = result[f"{phase}, without journal"], result[f"{phase}, with journal"]
            print(
                f"  {phase}: the journal costs {on['s'] / off['s']:.2f}x wall time, {on['cpu s'] / off['cpu s']:.2f}x CPU time, "
                f"{on['python MB'] - off['python MB']:+.1f} MB Python peak, {on['journal MB']:.1f} MB on disk"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--repeats", type=int, default=200, help="traversals per hop count")
    parser.add_argument("--raw-module", default="arcadedb_embedded", help="engine module for the raw baseline")
    parser.add_argument("--rounds", type=int, default=3, help="alternating opsgraph/raw rounds per size; medians are shown")
    parser.add_argument("--raw-only", action="store_true", help="only the raw engine (e.g. the native build in another venv)")
    parser.add_argument("--guarantee", action="store_true", help="also measure what all-or-nothing ingest costs (journal off vs on)")
    parser.add_argument("--guarantee-only", action="store_true", help="only the all-or-nothing cost section")
    parser.add_argument("--guarantee-sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    if args.guarantee_only:
        print(f"python {sys.version.split()[0]}, cpus {os.cpu_count()}, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, batch {BATCH}")
        print_guarantee(args.guarantee_sizes)
        return

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
    if args.guarantee:
        print_guarantee(args.guarantee_sizes)


if __name__ == "__main__":
    main()
