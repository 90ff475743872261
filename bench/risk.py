"""Risk model: training speed (vectorised vs looped reference), quality and drift alarms, at growing estates.

    .venv/bin/python bench/risk.py                       # 12, 40, 200 services; 1 torch thread
    .venv/bin/python bench/risk.py --sizes 12 40 --threads 2

For each size it simulates one estate (seeded, `--steps` one-minute steps,
~1.5 dependencies per service, failures with precursors that propagate to
callers) and reports:
- **seconds per training epoch** of the vectorised `TemporalGAT` (all
  snapshots of a batch in one GATv2 call, all node sequences in one LSTM
  call) and of the looped reference (Python loops over windows x steps x
  nodes, `opsgraph.risk.reference`) on the *same* batches with the same
  weights, and their ratio. The reference runs only on sizes up to
  `--ref-max-nodes` and only on `--ref-batches` batches (it is slow); its
  epoch time is extrapolated from them, and the ratio compares the same
  batches;
- **quality** of a model trained with `train_model` (early stopping on
  validation loss): F1 / AUROC / AP of the risky class ("fails within the
  horizon") on the held-out most recent steps, and on early-warning windows
  only (the node is not failing yet);
- **drift**: share of windows that alarm on fresh normal telemetry of the same
  estate (false alarms; calibrated target 1 %) and on drift-mode telemetry;
- how the epoch time grows with the number of nodes (log-log slope between
  consecutive sizes; 1.0 = linear).
It prints the thread settings it ran with first: torch's OpenMP threads spin
while they wait, so they matter more than anything else here (ENGINE-NOTES.md).
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import sys
import time
from pathlib import Path
from typing import Any, Literal

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def thread_settings(threads: int) -> str:
    if threads > 1:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # must be set before torch loads
    import torch

    torch.set_num_threads(threads)
    env = ", ".join(f"{k}={os.environ.get(k, 'unset')}" for k in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "MKL_NUM_THREADS"))
    return (f"python {sys.version.split()[0]}, torch {torch.__version__}, cpus {os.cpu_count()}, "
            f"torch threads {torch.get_num_threads()} (interop {torch.get_num_interop_threads()}), {env}")


def time_epoch(cfg: Any, ds: Any, batches: list[Any], forward: Any | None) -> float:
    """Seconds for one training pass over `batches` from a fresh seeded module (so both paths see the same weights)."""
    import numpy as np
    import torch

    from opsgraph.risk.train import build_module, train_epoch

    module = build_module(cfg, len(ds.features))
    optimizer = torch.optim.Adam(module.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    x, ei = torch.from_numpy(ds.x), torch.from_numpy(ds.edge_index)
    y = torch.from_numpy(ds.targets.astype(np.float32))
    t = time.perf_counter()
    train_epoch(module, x, ei, y, batches, optimizer, 5.0, cfg, forward=forward)
    return time.perf_counter() - t


def bench_size(n: int, args: argparse.Namespace) -> dict[str, Any]:
    import numpy as np

    from opsgraph.risk import RiskConfig, build_dataset, simulate_estate, train_model
    from opsgraph.risk.dataset import impute
    from opsgraph.risk.reference import reference_forward
    from opsgraph.risk.train import contiguous_batches

    out: dict[str, Any] = {"nodes": n}
    sim = simulate_estate(n, args.steps, seed=args.seed)
    out["edges"] = len(sim.edges)
    out["failing"] = float(sim.labels.mean())
    cfg = RiskConfig(epochs=args.epochs, patience=args.patience, threads=args.threads, seed=args.seed)
    ds = build_dataset(sim.to_frame(), sim.edges, window=cfg.window, horizon=cfg.horizon)
    batches = contiguous_batches(ds.train_ends, cfg.batch_size)
    out["batches"] = len(batches)

    time_epoch(cfg, ds, batches[:2], None)  # warm-up: first calls allocate
    out["vec_epoch_s"] = time_epoch(cfg, ds, batches, None)
    if n <= args.ref_max_nodes:
        k = min(args.ref_batches, len(batches))
        ref = time_epoch(cfg, ds, batches[:k], reference_forward)
        vec = min(time_epoch(cfg, ds, batches[:k], None) for _ in range(3))
        out["ref_epoch_s"] = ref * len(batches) / k
        out["ratio"] = ref / vec

    t = time.perf_counter()
    model = train_model(sim.to_frame(), sim.edges, cfg)
    out["train_s"] = time.perf_counter() - t
    out["epochs_run"] = len(model.history)
    out["test"] = model.metrics.get("test", {})
    out["early"] = model.metrics.get("test_early", {})

    start = int(sim.timestamps[-1]) + 60
    if model.drift is not None:
        runs: tuple[tuple[str, Literal["normal", "drift"], int], ...] = (
            ("fresh", "normal", args.fresh_steps), ("drift", "drift", args.drift_steps))
        for name, mode, steps in runs:
            later = simulate_estate(n, steps, seed=args.seed, run_seed=args.seed + 101, start=start, mode=mode)
            z = impute(model.scaler.transform(later.values, later.node_ids, later.features))
            d = model.drift.distances(z)
            out[f"{name}_alarm"] = float(np.mean(d > model.drift.threshold))
            out[f"{name}_windows"] = int(d.size)
    return out


def fmt(v: Any, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    return f"{v:.{digits}f}"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[12, 40, 200])
    p.add_argument("--steps", type=int, default=1000, help="one-minute steps per estate (same for every size)")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--patience", type=int, default=5)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--ref-max-nodes", type=int, default=40, help="run the looped reference up to this many nodes")
    p.add_argument("--ref-batches", type=int, default=3, help="batches the reference is timed on")
    p.add_argument("--fresh-steps", type=int, default=1500)
    p.add_argument("--drift-steps", type=int, default=600)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()

    print(thread_settings(args.threads))
    print(f"{args.steps} steps per estate, window 8, horizon 5, batch 32, up to {args.epochs} epochs "
          f"(patience {args.patience}); reference timed on {args.ref_batches} batches\n")
    rows = []
    for n in args.sizes:
        t = time.perf_counter()
        r = bench_size(n, args)
        rows.append(r)
        print(f"  {n} nodes done in {time.perf_counter() - t:.0f} s", flush=True)

    print("\nspeed (seconds per training epoch, one pass over the training windows)")
    print(f"{'nodes':>6} {'edges':>6} {'batches':>8} {'vectorised':>11} {'reference':>10} {'ref/vec':>8} {'ms/node':>8}")
    for r in rows:
        print(f"{r['nodes']:>6} {r['edges']:>6} {r['batches']:>8} {r['vec_epoch_s']:>11.3f} "
              f"{fmt(r.get('ref_epoch_s'), 1):>10} {fmt(r.get('ratio'), 0) + 'x' if 'ratio' in r else '-':>8} "
              f"{1000 * r['vec_epoch_s'] / r['nodes']:>8.2f}")
    print("  (reference epoch extrapolated from the timed batches; ratio = same batches, same weights)")
    for a, b in itertools.pairwise(rows):
        slope = math.log(b["vec_epoch_s"] / a["vec_epoch_s"]) / math.log(b["nodes"] / a["nodes"])
        print(f"  {a['nodes']} -> {b['nodes']} nodes: epoch x{b['vec_epoch_s'] / a['vec_epoch_s']:.1f} "
              f"for x{b['nodes'] / a['nodes']:.1f} nodes (log-log slope {slope:.2f})")

    print("\nquality (risky class = fails within 5 steps; test = most recent 15 % of steps)")
    print(f"{'nodes':>6} {'failing':>8} {'epochs':>7} {'train s':>8} {'F1':>6} {'AUROC':>6} {'AP':>6} {'pos':>5} "
          f"| {'early F1':>8} {'AUROC':>6} {'AP':>6}")
    for r in rows:
        t, e = r["test"], r["early"]
        print(f"{r['nodes']:>6} {r['failing']:>8.3f} {r['epochs_run']:>7} {r['train_s']:>8.1f} {fmt(t.get('f1')):>6} "
              f"{fmt(t.get('auroc')):>6} {fmt(t.get('ap')):>6} {t.get('positives', 0):>5} | {fmt(e.get('f1')):>8} "
              f"{fmt(e.get('auroc')):>6} {fmt(e.get('ap')):>6}")

    print("\ndrift alarms per 24-step window (calibrated false-alarm target 1 %)")
    print(f"{'nodes':>6} {'fresh normal':>13} {'drift mode':>11}")
    for r in rows:
        if "fresh_alarm" in r:
            print(f"{r['nodes']:>6} {r['fresh_alarm']:>12.1%} {r['drift_alarm']:>10.1%}   "
                  f"({r['fresh_windows']} / {r['drift_windows']} windows)")
        else:
            print(f"{r['nodes']:>6} {'-':>13} {'-':>11}   (no drift baseline)")


if __name__ == "__main__":
    main()
