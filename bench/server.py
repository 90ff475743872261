"""The team backend's cost: the same store work on the embedded engine and on an ArcadeDB server over HTTP, same run.

    /work/wt/tslot .venv/bin/python bench/server.py                  # 5k nodes / ~15k edges (a few minutes)
    /work/wt/tslot .venv/bin/python bench/server.py --nodes 100000   # the issue's size (100k / ~300k)

For one generated estate (bench/ingest.py's `generate`: n services, ~3 DEPENDS_ON edges each), it loads
fresh stores through `ArcadeDBStore` twice, in this order: the embedded engine (in this process), then a
database on a real ArcadeDB server (`opsgraph.store.server_process`, the engine's own HTTP server from
`arcadedb-embedded`, in a child process on 127.0.0.1). Both use the same batches (1,000 rows, one
transaction each), hashing and existence checks. It prints nodes/s, edges/s, a no-op re-ingest, and
1/2/4-hop query latency (p50/p95, same start nodes) for each, with the ratio server / embedded
(for rates, embedded / server: above 1 always means the server is slower) and the difference in ms.
The issue's goals are printed beside them: server ≤ 1.5× embedded on ingest, ≤ +2 ms p50 per query.
The server's hops are then timed again on the same database through the transport's wire (`http.client`) and
through httpx (its wire before `store/http_wire.py`), taking turns query by query, to show what the wire saves.
Then, on the same server database, 50 concurrent API clients against `opsgraph serve --workers 1` and
`--workers 2` in turn (bench/server_api.py): req/s, p50/p95 and the ratio (skip with --clients 0).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import generate, time_hops  # bench/ingest.py: the same estate and hop timing

SCHEMA = (
    "version: 1\nname: bench\nnodes:\n  Service:\n    properties: {name: string, tier: string, port: integer}\n"
    "edges:\n  DEPENDS_ON: {from: Service, to: Service, dependency: true}\n"
)
HOP_QUERY = "MATCH (a:Service {id: $id})-[:DEPENDS_ON*1..%d]->(b) RETURN count(DISTINCT b) AS c"


def run(store: Any, nodes: list[dict[str, Any]], edges: list[tuple[str, str]], starts: list[str], repeats: int) -> dict[str, float]:
    from opsgraph.schema import parse_schema

    out: dict[str, float] = {}
    with store:
        store.ensure_schema(parse_schema(SCHEMA))
        t = time.perf_counter()
        store.upsert_nodes("Service", [dict(n) for n in nodes])
        out["nodes/s"] = len(nodes) / (time.perf_counter() - t)
        rows = [{"from": a, "to": b, "from_type": "Service", "to_type": "Service"} for a, b in edges]
        t = time.perf_counter()
        store.upsert_edges("DEPENDS_ON", rows)
        out["edges/s"] = len(edges) / (time.perf_counter() - t)
        t = time.perf_counter()
        report = store.upsert_nodes("Service", [dict(n) for n in nodes])
        out["re-ingest nodes/s"] = len(nodes) / (time.perf_counter() - t)
        if report.unchanged != len(nodes):
            raise SystemExit(f"re-ingest was not a no-op: {report}")
        out.update(hop_latency(store, starts, repeats))
    return out


def hop_latency(store: Any, starts: list[str], repeats: int) -> dict[str, float]:
    """1/2/4-hop p50/p95 (ms) on an open, loaded store, after a warm-up."""
    out: dict[str, float] = {}
    for hops in (1, 2, 4):
        time_hops(lambda q, p: store.query(q, p), starts, hops, min(20, repeats))  # warm up
        out[f"{hops}-hop p50 ms"], out[f"{hops}-hop p95 ms"] = time_hops(lambda q, p: store.query(q, p), starts, hops, repeats)
    return out


def interleaved_hops(stores: dict[str, Any], starts: list[str], repeats: int) -> dict[str, dict[str, float]]:
    """p50/p95 per store and hop count, the stores taking turns query by query (first one, then the other, alternating
    who goes first), so a busy machine weighs on both alike."""
    import statistics

    from ingest import pct

    names = list(stores)
    out: dict[str, dict[str, float]] = {n: {} for n in names}
    for hops in (1, 2, 4):
        query = HOP_QUERY % hops
        lat: dict[str, list[float]] = {n: [] for n in names}
        for i, node in enumerate(starts[:repeats] * 2):  # the first pass warms both up and is not counted
            for n in names if i % 2 == 0 else names[::-1]:
                t = time.perf_counter()
                stores[n].query(query, {"id": node})
                if i >= min(len(starts), repeats):
                    lat[n].append((time.perf_counter() - t) * 1000)
        for n in names:
            out[n][f"{hops}-hop p50 ms"], out[n][f"{hops}-hop p95 ms"] = statistics.median(lat[n]), pct(lat[n], 0.95)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=200, help="queries per hop count")
    parser.add_argument("--heap", default="2g", help="JVM heap of the embedded engine and of the server")
    parser.add_argument("--clients", type=int, default=50, help="concurrent API clients against serve --workers 1 and 2 (0: skip)")
    parser.add_argument("--api-seconds", type=float, default=15.0, help="measured seconds per worker count (after 5 s of warm-up)")
    args = parser.parse_args()

    from opsgraph.store.arcadedb import ArcadeDBStore
    from opsgraph.store.http_transport import server_store
    from opsgraph.store.server_process import start_server, stop_server
    from opsgraph.store.transport import _start_jvm

    nodes, edges = generate(args.nodes)
    starts = [n["id"] for n in nodes[len(nodes) // 2 :: max(1, len(nodes) // (2 * args.repeats))]][: args.repeats]
    print(f"estate: {len(nodes):,} nodes, {len(edges):,} edges; {len(starts)} start nodes per hop count; "
          f"batch 1,000; {os.cpu_count()} CPUs; OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}")
    with tempfile.TemporaryDirectory(prefix="opsgraph-bench-server-") as tmp:
        root = Path(tmp)
        _start_jvm(args.heap)
        t = time.perf_counter()
        embedded = run(ArcadeDBStore(root / "embedded", batch_size=1000, journal=False), nodes, edges, starts, args.repeats)
        print(f"embedded done in {time.perf_counter() - t:.1f} s")
        info = start_server(root / "server", heap=args.heap)
        try:
            password = Path(info.password_file).read_text(encoding="utf-8").strip()
            t = time.perf_counter()
            server = run(server_store(info.url, database="bench", password=password, batch_size=1000, journal=False),
                         nodes, edges, starts, args.repeats)
            print(f"server ({info.url}) done in {time.perf_counter() - t:.1f} s")
            # The same hops on the same database through httpx (the transport's wire before http.client): the per-request cost it saves.
            import httpx

            from opsgraph.store.http_transport import HttpTransport

            via_httpx = HttpTransport(info.url, "bench", password=password, create=False, http=httpx.HTTPTransport())
            via_stdlib = HttpTransport(info.url, "bench", password=password, create=False)
            with ArcadeDBStore(transport=via_stdlib, batch_size=1000, journal=False) as a, \
                    ArcadeDBStore(transport=via_httpx, batch_size=1000, journal=False) as b:
                wires = interleaved_hops({"http.client": a, "httpx": b}, starts, args.repeats)
            api: dict[int, dict[str, Any]] = {}
            if args.clients:
                from server_api import measure

                t = time.perf_counter()
                api = measure(info.url, "bench", info.password_file, starts, clients=args.clients, seconds=args.api_seconds)
                print(f"API clients done in {time.perf_counter() - t:.1f} s")
        finally:
            stop_server(root / "server")

    print(f"\n{'measure':<22}{'embedded':>12}{'server':>12}{'ratio':>9}{'diff':>10}   goal")
    for key in embedded:
        e, s = embedded[key], server[key]
        rate = key.endswith("/s")
        ratio = e / s if rate else s / e
        diff = "" if rate else f"{s - e:+.2f} ms"
        goal = ""
        if key in ("nodes/s", "edges/s"):
            goal = f"≤ 1.5×: {'met' if ratio <= 1.5 else 'NOT met'}"
        elif key.endswith("p50 ms"):
            goal = f"≤ +2 ms: {'met' if s - e <= 2 else 'NOT met'}"
        fmt = (lambda v: f"{v:,.0f}") if rate else (lambda v: f"{v:.2f}")
        print(f"{key:<22}{fmt(e):>12}{fmt(s):>12}{ratio:>8.2f}×{diff:>10}   {goal}")
    print("\nratio: server / embedded for latencies, embedded / server for rates (above 1: the server is slower)")
    print(f"\n{'server, same database':<22}{'http.client':>12}{'httpx':>12}{'diff':>10}")
    for key, mine in wires["http.client"].items():
        via = wires["httpx"][key]
        print(f"{key:<22}{mine:>12.2f}{via:>12.2f}{mine - via:>+8.2f} ms")
    print("http.client: the transport's wire (a kept-alive connection per thread); httpx: the same requests through httpx.HTTPTransport;\n"
          "the two take turns query by query")
    if api:
        from server_api import report

        report(api, args.clients)


if __name__ == "__main__":
    main()
