"""Incremental risk scoring vs re-scoring the whole window, per new telemetry step (issue 16's watch loop).

    .venv/bin/python bench/risk_incremental.py [--nodes 1000 10000] [--steps 20] [--threads 1]

For each estate size: a `TemporalGAT` (default sizes, window 8) on a random
dependency graph with ~3 dependencies per node; every new step is scored two
ways in the same run:
- full: `module(x, edge_index, [last])` on the last W steps (W snapshots encoded, then the LSTM);
- incremental: `IncrementalScorer.step` (one snapshot encoded, the ring of W encodings read by the LSTM).
Both give the same logits (checked here: max abs difference printed). The
weights are untrained: time does not depend on them. Prints ms per step
(median over `--steps`), the ratio, and how each grows with the estate.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def run(nodes: int, steps: int, seed: int = 0) -> dict[str, float]:
    import torch

    from opsgraph.risk.incremental import IncrementalScorer
    from opsgraph.risk.model import TemporalGAT

    torch.manual_seed(seed)
    features, window = 8, 8
    module = TemporalGAT(features, window=window).eval()
    src = torch.randint(0, nodes, (3 * nodes,))
    dst = torch.randint(0, nodes, (3 * nodes,))
    edge_index = torch.stack([src, dst])
    x = torch.randn(window + steps, nodes, features)
    scorer = IncrementalScorer(module, edge_index, nodes)
    scorer.prime(x[: window - 1])
    full_ms, inc_ms, diff = [], [], 0.0
    for t in range(window - 1, window - 1 + steps):
        t0 = time.perf_counter()
        with torch.no_grad():
            ref = module(x[t - window + 1 : t + 1], edge_index, torch.tensor([window - 1]))[0]
        full_ms.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        got = scorer.step(x[t])
        inc_ms.append((time.perf_counter() - t0) * 1000)
        assert got is not None
        diff = max(diff, float((got - ref).abs().max()))
    return {"nodes": nodes, "full_ms": statistics.median(full_ms), "inc_ms": statistics.median(inc_ms), "max_abs_diff": diff}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nodes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} thread(s), window 8, 8 features, ~3 dependencies per node, "
          f"median of {args.steps} steps, load average {os.getloadavg()[0]:.1f}")
    print(f"{'nodes':>7} {'full window ms/step':>20} {'incremental ms/step':>20} {'ratio':>7} {'max |logit diff|':>17}")
    rows = [run(n, args.steps) for n in args.nodes]
    for r in rows:
        print(f"{r['nodes']:>7} {r['full_ms']:>20.1f} {r['inc_ms']:>20.1f} {r['full_ms'] / r['inc_ms']:>6.1f}x {r['max_abs_diff']:>17.2e}")
    if len(rows) > 1:
        a, b = rows[0], rows[-1]
        k = b["nodes"] / a["nodes"]
        print(f"growth {a['nodes']} -> {b['nodes']} nodes ({k:.0f}x): full {b['full_ms'] / a['full_ms']:.1f}x, incremental {b['inc_ms'] / a['inc_ms']:.1f}x")


if __name__ == "__main__":
    main()
