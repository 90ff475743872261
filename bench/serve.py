"""Load on a local `opsgraph serve`: N concurrent clients asking questions for a bounded time.

What it does: starts `opsgraph serve --port 0` on a fresh home (or --home),
ingests the sample estate through the API (`POST /v1/ingest`, polled as a
job), warms the server, then runs `--clients` asyncio clients for
`--duration` seconds. Each client loops, alternating two kinds of request:

- `repeated`: one of 5 fixed questions, semantic cache on (after the warm-up
  these are cache hits when the cache is on);
- `fresh`: a question from templates over the estate's services and teams,
  with `use_cache: false`, so the whole pipeline runs every time.

One more client runs a read-only `POST /v1/query` every 0.2 s meanwhile
(kind `query`), to show that queries stay quick while questions queue.

It reports requests/s, p50/p95/max latency per kind, cache hits, and every
error (goal: none), prints the thread settings it ran with, and writes the
figures to bench/results/serve-<time>.json.

    .venv/bin/python bench/serve.py                     # 50 clients, 30 s, no LLM (extractive answers), hashing embedder
    .venv/bin/python bench/serve.py --llm default --embed default   # the bundled SmolLM2 + MiniLM
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
OPSGRAPH = Path(sys.executable).parent / "opsgraph"

REPEATED = [
    "What breaks if the payment service is down?",
    "Who is on call for the checkout service?",
    "How do I mitigate redis-cart being unavailable?",
    "Which incidents were caused by redis-cart?",
    "What does the checkout service depend on?",
]
TEMPLATES = [
    "What breaks if {s} is down?",
    "What does {s} depend on?",
    "Which team owns {s}?",
    "Which incidents affected {s}?",
    "Which runbooks cover {s}?",
    "How do I troubleshoot {s} errors?",
]


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q / 100 * (len(s) - 1))))]


def start_server(home: Path, env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([str(OPSGRAPH), "serve", "--home", str(home), "--port", "0"], stdout=subprocess.PIPE,
                            stderr=open(home / "serve.stderr", "w"), text=True, env=env)
    assert proc.stdout is not None
    for line in proc.stdout:
        m = re.search(r" at (http://\S+)", line)
        if m:
            return proc, m.group(1)
    raise SystemExit(f"the server did not start: {(home / 'serve.stderr').read_text()[-2000:]}")


async def wait_ready(client: httpx.AsyncClient, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            r = await client.get("/readyz")
            if r.status_code == 200:
                return dict(r.json())
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.3)
    raise SystemExit("the server was not ready in time")


async def ingest(client: httpx.AsyncClient, estate: Path) -> dict[str, Any]:
    r = await client.post("/v1/ingest", json={"path": str(estate), "documents": True})
    r.raise_for_status()
    job_id = r.json()["id"]
    while True:
        job = (await client.get(f"/v1/jobs/{job_id}")).json()
        if job["state"] == "succeeded":
            return dict(job)
        if job["state"] == "failed":
            raise SystemExit(f"ingest failed: {job['error']}")
        await asyncio.sleep(0.5)


async def run_load(url: str, clients: int, duration: float, services: list[str]) -> dict[str, Any]:
    results: list[dict[str, Any]] = []
    stop_at = time.monotonic() + duration
    counter = 0

    async def client_loop(n: int, http: httpx.AsyncClient) -> None:
        nonlocal counter
        i = n
        while time.monotonic() < stop_at:
            i += 1
            if i % 2 == 0:
                kind, body = "repeated", {"question": REPEATED[i % len(REPEATED)]}
            else:
                counter += 1
                q = TEMPLATES[counter % len(TEMPLATES)].format(s=services[(counter // len(TEMPLATES)) % len(services)])
                kind, body = "fresh", {"question": q, "use_cache": False}
            began = time.perf_counter()
            try:
                r = await http.post("/v1/ask", json=body)
                ms = (time.perf_counter() - began) * 1000
                ok = r.status_code == 200
                cached = bool(ok and r.json().get("cached"))
                results.append({"kind": kind, "ms": ms, "ok": ok, "cached": cached,
                                "error": None if ok else f"{r.status_code} {r.text[:200]}"})
            except httpx.HTTPError as exc:
                results.append({"kind": kind, "ms": (time.perf_counter() - began) * 1000, "ok": False, "cached": False,
                                "error": f"{type(exc).__name__}: {exc}"})

    async def probe_loop(http: httpx.AsyncClient) -> None:
        # One more client, outside the 50: a read-only query every 0.2 s, to see that queries stay quick under question load.
        while time.monotonic() < stop_at:
            began = time.perf_counter()
            try:
                r = await http.post("/v1/query", json={"cypher": "MATCH (s:Service)-[:DEPENDS_ON]->(d {id: $id}) RETURN s.id AS id",
                                                       "params": {"id": "paymentservice"}})
                ok = r.status_code == 200
                results.append({"kind": "query", "ms": (time.perf_counter() - began) * 1000, "ok": ok, "cached": False,
                                "error": None if ok else f"{r.status_code} {r.text[:200]}"})
            except httpx.HTTPError as exc:
                results.append({"kind": "query", "ms": (time.perf_counter() - began) * 1000, "ok": False, "cached": False,
                                "error": f"{type(exc).__name__}: {exc}"})
            await asyncio.sleep(0.2)

    limits = httpx.Limits(max_connections=clients + 1, max_keepalive_connections=clients + 1)
    began = time.perf_counter()
    async with httpx.AsyncClient(base_url=url, timeout=300, limits=limits) as http:
        await asyncio.gather(probe_loop(http), *(client_loop(n, http) for n in range(clients)))
    wall = time.perf_counter() - began
    asks = [r for r in results if r["kind"] != "query"]
    out: dict[str, Any] = {"wall_s": round(wall, 2), "requests": len(asks), "rps": round(len(asks) / wall, 2),
                           "errors": [r["error"] for r in results if not r["ok"]][:20],
                           "error_count": sum(not r["ok"] for r in results)}
    for kind in ("repeated", "fresh", "query"):
        ms = [r["ms"] for r in results if r["kind"] == kind and r["ok"]]
        out[kind] = {"n": len(ms), "rps": round(len(ms) / wall, 2), "p50_ms": round(pct(ms, 50), 1), "p95_ms": round(pct(ms, 95), 1),
                     "max_ms": round(max(ms), 1) if ms else None, "mean_ms": round(statistics.fmean(ms), 1) if ms else None,
                     "cache_hits": sum(r["cached"] for r in results if r["kind"] == kind)}
    return out


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    tmp = None
    if args.home:
        home = Path(args.home)
    else:
        tmp = Path(tempfile.mkdtemp(prefix="opsgraph-bench-serve-"))
        home = tmp / "home"
    home.mkdir(parents=True, exist_ok=True)
    config = {"embed": {"provider": "hashing"} if args.embed == "hashing" else {},
              "llm": {"provider": "none"} if args.llm == "none" else {}}
    (home / "opsgraph.yaml").write_text(json.dumps(config), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSGRAPH_")}
    env.update(OPSGRAPH_CONFIG=str(home / "opsgraph.yaml"), OMP_NUM_THREADS="1")
    print(f"threads: OMP_NUM_THREADS=1, server worker threads 8 (serve.threads), torch threads 1 (risk.threads); "
          f"llm={args.llm}, embed={args.embed}, clients={args.clients}, duration={args.duration}s")
    proc, url = start_server(home, env)
    try:
        async with httpx.AsyncClient(base_url=url, timeout=600) as http:
            await wait_ready(http)
            t = time.perf_counter()
            job = await ingest(http, ROOT / "src" / "opsgraph" / "data" / "sample_estate")
            print(f"server {url}; ingested the sample estate through the API in {time.perf_counter() - t:.1f} s "
                  f"({job['result']['created']} created)")
            services = [r["id"] for r in (await http.post("/v1/query", json={"cypher": "MATCH (s:Service) RETURN s.id AS id ORDER BY id"})).json()["rows"]]
            t = time.perf_counter()
            for q in REPEATED:  # warm: fills the cache for the repeated questions, loads models
                (await http.post("/v1/ask", json={"question": q})).raise_for_status()
            print(f"warm-up (5 questions, sequential): {time.perf_counter() - t:.1f} s")
        result = await run_load(url, args.clients, args.duration, services)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    result.update(llm=args.llm, embed=args.embed, clients=args.clients, duration_s=args.duration)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--duration", type=float, default=30.0, help="seconds of load")
    ap.add_argument("--llm", choices=["none", "default"], default="none", help="none: extractive answers; default: the configured model")
    ap.add_argument("--embed", choices=["hashing", "default"], default="hashing", help="hashing: model-free; default: MiniLM")
    ap.add_argument("--home", help="use this home instead of a temporary one")
    args = ap.parse_args()
    result = asyncio.run(main_async(args))
    print(f"\n{result['requests']} questions in {result['wall_s']} s: {result['rps']} req/s, {result['error_count']} errors")
    print(f"{'kind':<10}{'n':>7}{'req/s':>9}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}{'cache hits':>12}")
    for kind in ("repeated", "fresh", "query"):
        k = result[kind]
        print(f"{kind:<10}{k['n']:>7}{k['rps']:>9}{k['p50_ms']:>10}{k['p95_ms']:>10}{k['max_ms'] or '-':>10}{k['cache_hits']:>12}")
    for e in result["errors"]:
        print("error:", e)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"serve-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(f"written {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
