"""Concurrent API clients against `opsgraph serve --workers N` on one ArcadeDB server database (used by bench/server.py).

For each worker count, a real `opsgraph serve --workers N --port 0` subprocess is started on a home whose
store is the given server database (with `serve.heavy_wait_s` raised, see HEAVY_WAIT_S); C clients (asyncio, one kept-alive connection each) then send
`POST /v1/query` with a 2-hop Cypher query from varying start nodes for a fixed time after a short warm-up.
It reports requests/s, p50/p95 latency, errors and how the responses were spread over worker pids
(`X-Opsgraph-Worker`). The client runs in this process: on a small machine it takes CPU from the workers,
which is the same for every worker count.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

SRC = Path(__file__).resolve().parents[1] / "src"
HEAVY_WAIT_S = 60
"""A request waits this long for one of a worker's heavy-query slots (default 8 per worker) instead of 0.5 s, so
50 clients queue rather than get 503 `busy`: the figures are throughput, not the refusal policy."""
QUERY = "MATCH (a:Service {id: $id})-[:DEPENDS_ON*1..2]->(b) RETURN count(DISTINCT b) AS c"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def start_serve(server_url: str, database: str, password_file: str, workers: int, home: Path) -> tuple[subprocess.Popen[str], str]:
    home.mkdir(parents=True, exist_ok=True)
    (home / "opsgraph.yaml").write_text(
        f"embed: {{provider: none}}\nllm: {{provider: none}}\nserve: {{heavy_wait_s: {HEAVY_WAIT_S}}}\n"
        f"store: {{backend: arcadedb-server, url: '{server_url}', database: {database}, password_file: '{password_file}'}}\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSGRAPH_")}
    env.update(OPSGRAPH_CONFIG=str(home / "opsgraph.yaml"), OMP_NUM_THREADS="1", PYTHONPATH=str(SRC))
    cmd = [sys.executable, "-m", "opsgraph.cli.main", "serve", "--home", str(home), "--port", "0", "--workers", str(workers), "--no-mcp"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    first = proc.stdout.readline()
    match = re.search(r" at (http://\S+)", first)
    if match is None:
        proc.kill()
        raise SystemExit(f"`opsgraph serve --workers {workers}` did not start: {first!r}\n{proc.communicate()[1][-3000:]}")
    return proc, match.group(1)


async def _clients(url: str, starts: list[str], clients: int, warmup: float, seconds: float) -> dict[str, Any]:
    import httpx

    latencies: list[float] = []
    errors: list[str] = []
    workers: Counter[str] = Counter()
    began = time.perf_counter()
    measure_from, end = began + warmup, began + warmup + seconds

    async def client(k: int) -> None:
        async with httpx.AsyncClient(base_url=url, timeout=60, limits=httpx.Limits(max_connections=1)) as c:
            i = k
            while (now := time.perf_counter()) < end:
                body = {"cypher": QUERY, "params": {"id": starts[i % len(starts)]}}
                i += clients
                try:
                    r = await c.post("/v1/query", json=body)
                    ok = r.status_code == 200
                except httpx.HTTPError as exc:
                    ok, r = False, None
                    if time.perf_counter() >= measure_from:
                        errors.append(f"{type(exc).__name__}: {exc}")
                done = time.perf_counter()
                if measure_from <= done <= end:  # completions inside the measured window
                    if ok and r is not None:
                        latencies.append((done - now) * 1000)
                        workers[r.headers.get("x-opsgraph-worker", "?")] += 1
                    elif r is not None:
                        errors.append(f"{r.status_code}: {r.text[:200]}")

    await asyncio.gather(*(client(k) for k in range(clients)))
    return {
        "req/s": len(latencies) / seconds,
        "p50 ms": statistics.median(latencies) if latencies else float("nan"),
        "p95 ms": _pct(latencies, 0.95) if latencies else float("nan"),
        "errors": len(errors),
        "first error": errors[0] if errors else "",
        "per worker": dict(workers),
    }


def measure(server_url: str, database: str, password_file: str, starts: list[str], *, worker_counts: tuple[int, ...] = (1, 2), clients: int = 50,
            warmup: float = 5.0, seconds: float = 15.0) -> dict[int, dict[str, Any]]:
    """{workers: figures} for each worker count, served in turn on the same database."""
    out: dict[int, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="opsgraph-bench-api-") as tmp:
        for n in worker_counts:
            proc, url = start_serve(server_url, database, password_file, n, Path(tmp) / f"home{n}")
            try:
                out[n] = asyncio.run(_clients(url, starts, clients, warmup, seconds))
            finally:
                proc.send_signal(signal.SIGTERM)
                _, errs = proc.communicate(timeout=60)
                if proc.returncode != 0:
                    print(f"serve --workers {n} exited {proc.returncode}: {errs[-1000:]}", file=sys.stderr)
    return out


def report(figures: dict[int, dict[str, Any]], clients: int) -> None:
    print(f"\n{clients} concurrent API clients, POST /v1/query (2 hops), per worker count (same server database, same run; "
          f"serve.heavy_queries 8 per worker, heavy_wait_s {HEAVY_WAIT_S})")
    print(f"{'workers':<9}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'errors':>8}   responses per worker pid")
    for n, f in figures.items():
        spread = ", ".join(f"{pid}: {count}" for pid, count in sorted(f["per worker"].items()))
        print(f"{n:<9}{f['req/s']:>9.1f}{f['p50 ms']:>9.1f}{f['p95 ms']:>9.1f}{f['errors']:>8}   {spread}")
        if f["first error"]:
            print(f"          first error: {f['first error']}")
    if 1 in figures and 2 in figures and figures[1]["req/s"] > 0:
        print(f"ratio req/s 2 workers / 1 worker: {figures[2]['req/s'] / figures[1]['req/s']:.2f}×; "
              f"p50 {figures[2]['p50 ms'] - figures[1]['p50 ms']:+.1f} ms")
