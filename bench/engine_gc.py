"""How much JPype's Java-GC-triggered Python collections stall a process's other threads, with and without opsgraph's unhook.

    .venv/bin/python bench/engine_gc.py [--seconds 3] [--objects 2000000]

JPype 1.7 answers every Java garbage collection with a full Python collection that holds the
GIL; `opsgraph.store.transport` removes the hook when it starts the engine. Each mode runs in its
own process: start the engine (hooked: JPype's default, the unhook replaced by a no-op), load the
bundled MiniLM model and keep `--objects` extra small Python objects (a served process holding
models and caches), then run one long engine query (it allocates on the Java side until the
time limit stops it) in a thread while the main thread sleeps 1 ms at a time. Printed per mode:
full (generation 2) Python collections during the query, and the main thread's wake-up delay
p50/p95/max (how late a server's event loop would answer); then the ratio hooked/unhooked.
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
LONG_QUERY = "UNWIND range(1, 100000) AS x UNWIND range(1, 100000) AS y WITH x, y WHERE x + y = -1 RETURN count(*) AS n"


def measure(mode: str, seconds: float, objects: int) -> dict[str, float]:
    sys.path.insert(0, str(SRC))
    import opsgraph.store.transport as transport

    if mode == "hooked":
        transport._unhook_java_triggered_collections = lambda: None  # JPype's default behaviour
    transport.start_engine("1g")
    from opsgraph.embed import create_embedder

    embedder = create_embedder("sentence-transformers")  # the bundled MiniLM
    embedder.embed(["warm the model up"])
    ballast = [{"i": i} for i in range(objects)]
    folder = tempfile.mkdtemp(prefix="opsgraph-gc-")
    store = transport.EmbeddedTransport(Path(folder) / "db")
    store.open()
    store.set_timeout(int(seconds * 1000))
    full = [0]

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and info["generation"] == 2:
            full[0] += 1

    def run() -> None:
        try:
            store.query("cypher", LONG_QUERY, None, None)
        except Exception:  # the time limit ends it: that is the point
            pass

    gc.callbacks.append(count)
    worker = threading.Thread(target=run)
    worker.start()
    delays = []
    while worker.is_alive():
        began = time.perf_counter()
        time.sleep(0.001)
        delays.append(time.perf_counter() - began - 0.001)
    gc.callbacks.remove(count)
    store.close()
    delays.sort()
    del ballast
    return {"full_collections": full[0], "p50_ms": delays[len(delays) // 2] * 1000,
            "p95_ms": delays[int(len(delays) * 0.95)] * 1000, "max_ms": delays[-1] * 1000, "wakeups": len(delays)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--objects", type=int, default=2_000_000)
    parser.add_argument("--mode", choices=["hooked", "unhooked"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mode:
        print(json.dumps(measure(args.mode, args.seconds, args.objects)))
        return
    results = {}
    for mode in ("hooked", "unhooked"):
        out = subprocess.run([sys.executable, __file__, "--mode", mode, "--seconds", str(args.seconds), "--objects", str(args.objects)],
                             capture_output=True, text=True, check=True)
        results[mode] = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"one {args.seconds:g} s engine query, MiniLM loaded + {args.objects:,} small objects; main thread sleeping 1 ms at a time")
    print(f"{'mode':<10} {'full GCs':>9} {'wake p50 ms':>12} {'p95 ms':>9} {'max ms':>9} {'wake-ups':>9}")
    for mode, r in results.items():
        print(f"{mode:<10} {r['full_collections']:>9} {r['p50_ms']:>12.2f} {r['p95_ms']:>9.1f} {r['max_ms']:>9.1f} {r['wakeups']:>9}")
    h, u = results["hooked"], results["unhooked"]
    print(f"hooked / unhooked: full GCs {h['full_collections']} vs {u['full_collections']}, "
          f"p95 wake delay {h['p95_ms'] / max(u['p95_ms'], 1e-3):.1f}x, max {h['max_ms'] / max(u['max_ms'], 1e-3):.1f}x, "
          f"wake-ups {u['wakeups'] / max(h['wakeups'], 1):.1f}x as many without the hook")


if __name__ == "__main__":
    main()
