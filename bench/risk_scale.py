"""One estate size for `bench/risk.py`'s scale section, run in its own process so peak memory is its own.

    .venv/bin/python bench/risk_scale.py --nodes 1000 --steps 200 --threads 1

Simulates an estate, builds the dataset, times `--epochs` training epochs of
`TemporalGAT` (batch 32, window 8) and scoring every node once, and prints one
JSON line. Memory, two ways:
- `tracemalloc` peak over the whole run: Python and numpy allocations (it does
  not see torch's CPU allocator, so this is essentially the telemetry arrays
  and the dataset);
- the process's peak resident set (`VmHWM`; `resource.getrusage` `ru_maxrss`
  where /proc is absent) after imports, after building the data, and after
  training: the growth during training is what the epoch (torch tensors kept
  for backward) added. It includes everything torch allocated.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def _rss_mb() -> float:
    """Peak resident set of this process so far, MB.

    `VmHWM` where /proc has it: `ru_maxrss` survives exec, so a child started by a
    big parent would report the parent's peak until it outgrows it.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # kB on Linux


def _log(msg: str) -> None:
    print(f"    [{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def run(nodes: int, steps: int, epochs: int, threads: int, warmup: bool) -> dict[str, object]:
    if threads > 1:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import numpy as np
    import torch

    torch.set_num_threads(threads)
    from opsgraph.risk import RiskConfig, build_dataset, simulate_estate
    from opsgraph.risk.anomaly import NodeAnomalyDetector
    from opsgraph.risk.dataset import slice_frame
    from opsgraph.risk.model import TemporalGAT  # noqa: F401  (imports torch_geometric before tracemalloc starts)
    from opsgraph.risk.train import TrainedRiskModel, build_module, contiguous_batches, score_nodes, train_epoch

    out: dict[str, object] = {"nodes": nodes, "steps": steps, "threads": torch.get_num_threads()}
    tracemalloc.start()
    rss0 = _rss_mb()
    t = time.perf_counter()
    sim = simulate_estate(nodes, steps, seed=0)
    frame = sim.to_frame()
    cfg = RiskConfig(threads=threads, seed=0)
    ds = build_dataset(frame, sim.edges, window=cfg.window, horizon=cfg.horizon)
    out["edges"] = len(sim.edges)
    out["data_s"] = time.perf_counter() - t
    _log(f"{nodes} nodes: simulated and built the dataset in {out['data_s']:.1f} s")

    module = build_module(cfg, len(ds.features))
    optimizer = torch.optim.Adam(module.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    x, ei = torch.from_numpy(ds.x), torch.from_numpy(ds.edge_index)
    y = torch.from_numpy(ds.targets.astype(np.float32))
    batches = contiguous_batches(ds.train_ends, cfg.batch_size)
    out["windows"], out["batches"] = int(ds.train_ends.size), len(batches)
    rss_before = _rss_mb()
    if warmup:  # first calls allocate; not worth a whole extra batch at 10k nodes
        train_epoch(module, x, ei, y, batches[:1], optimizer, 5.0, cfg)
    walls, cpus = [], []
    for e in range(epochs):
        w, c = time.perf_counter(), time.process_time()
        train_epoch(module, x, ei, y, batches, optimizer, 5.0, cfg)
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
        _log(f"{nodes} nodes: epoch {e + 1}/{epochs} {walls[-1]:.1f} s wall, {cpus[-1]:.1f} s CPU")
    out["epoch_wall_s"], out["epoch_cpu_s"] = min(walls), min(cpus)
    out["rss_base_mb"], out["rss_before_train_mb"], out["rss_after_train_mb"] = rss0, rss_before, _rss_mb()

    # Scoring every node once: the model alone, and the product path (scaling, anomaly scores, sorting).
    t1 = ds.split_steps[0]
    model = TrainedRiskModel(
        config=cfg, module=module, node_ids=ds.node_ids, features=ds.features, edges=ds.edges, scaler=ds.scaler,
        threshold=0.5, metrics={}, drift=None,
        anomaly=NodeAnomalyDetector.fit(ds.x[:t1], ds.node_ids, ds.labels[:t1], length=cfg.anomaly_window),
        data_start=int(ds.timestamps[0]), data_end=int(ds.timestamps[-1]),
    )
    recent = slice_frame(frame, steps - 24)
    x_last = torch.from_numpy(ds.x[-cfg.window :])
    end = torch.tensor([cfg.window - 1])
    module.eval()
    fwd, full = [], []
    for _ in range(3):
        w = time.perf_counter()
        with torch.no_grad():
            torch.sigmoid(module(x_last, ei, end))
        fwd.append(time.perf_counter() - w)
        w = time.perf_counter()
        scores = score_nodes(model, recent)
        full.append(time.perf_counter() - w)
    if len(scores.nodes) != nodes:
        raise RuntimeError("scoring missed nodes")
    out["score_model_s"], out["score_full_s"] = min(fwd), min(full)
    out["rss_peak_mb"] = _rss_mb()
    out["tracemalloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    _log(f"{nodes} nodes: scoring {out['score_model_s']:.3f} s (model), {out['score_full_s']:.3f} s (score_nodes)")
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--nodes", type=int, required=True)
    p.add_argument("--steps", type=int, required=True)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--no-warmup", action="store_true")
    a = p.parse_args()
    print(json.dumps(run(a.nodes, a.steps, a.epochs, a.threads, not a.no_warmup)), flush=True)


if __name__ == "__main__":
    main()
