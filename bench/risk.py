"""Risk engine benchmark (issue 3): speed, scale, quality vs baselines, drift alarms, root-cause ranking.

    .venv/bin/python bench/risk.py                  # everything, 1 torch thread (~10-15 min on 2 busy cores)
    .venv/bin/python bench/risk.py --only 1 4 5     # some sections

Sections (each prints its own progress and is bounded by its arguments):
1. **Reference scenario** (the original design's: 8 services, 300 steps, window
   8, 233 training windows, failures drawn independently of the past): seconds
   per training epoch of the looped reference (`bench/_risk_reference.py`,
   Python loops over windows x steps x nodes) and of `TemporalGAT` (batch 32,
   and one batch of all 233 windows), wall and CPU; the max abs difference of
   their logits with equal weights (eval mode).
2. **Scale**: 100 / 1,000 / 10,000-node simulated estates, each in its own
   process (`bench/risk_scale.py`) so its peak memory is its own: seconds per
   epoch, memory (tracemalloc peak for Python/numpy, peak RSS `VmHWM` for the
   process), time to score every node once (model alone and `score_nodes`).
   10k nodes use 60 steps (30 training windows, one batch) and one epoch.
3. **Quality**: test F1 / AUROC / AP of the risky class (fails within 5 steps)
   for TemporalGAT, the looped reference (same data, fewer epochs), an LSTM
   without graph layers (same windows) and logistic regression on each node's
   last-step features, on the simulator and on Nezha Online Boutique.
4. **Drift**: the calibrated Mahalanobis detector vs the original design's
   score (mean |difference| of scaled feature means, fixed threshold 0.05):
   alarm rates on 24-step windows of drift-mode vs fresh normal telemetry
   over 20 estate seeds.
5. **Root cause**: AC@1 / AC@3 on PetShop's 20 training issues for the
   evidence ranker (`opsgraph.risk.rca`) beside a BARO-style baseline.

Datasets are read from ``../shared/datasets`` relative to the repository
(`--datasets`), never copied. Thread settings are printed first: torch's
OpenMP threads spin while they wait (ENGINE-NOTES.md).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "bench"))
DATASETS = REPO.parent / "shared" / "datasets"
T0 = time.perf_counter()


def log(msg: str) -> None:
    print(f"    [{time.perf_counter() - T0:6.0f} s] {msg}", file=sys.stderr, flush=True)


def thread_settings(threads: int) -> str:
    if threads > 1:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # must be set before torch loads
    import torch

    torch.set_num_threads(threads)
    env = ", ".join(f"{k}={os.environ.get(k, 'unset')}" for k in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "MKL_NUM_THREADS"))
    return (f"python {sys.version.split()[0]}, torch {torch.__version__}, cpus {os.cpu_count()}, load "
            f"{os.getloadavg()[0]:.1f}, torch threads {torch.get_num_threads()} (interop "
            f"{torch.get_num_interop_threads()}), {env}")


def fmt(v: Any, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    return f"{v:.{digits}f}"


# -- 1. reference scenario ------------------------------------------------------------------------


def section_reference(args: argparse.Namespace) -> list[str]:
    import numpy as np
    import torch
    from _risk_reference import reference_forward

    from opsgraph.risk import RiskConfig, simulate_estate
    from opsgraph.risk.dataset import message_edge_index
    from opsgraph.risk.train import build_module, contiguous_batches, train_epoch

    # The original design's scenario: independent noise features, failures drawn independently
    # at each step (p = 0.05), the window ending at t predicts t + 1, 80 % of steps for training.
    rng = np.random.default_rng(args.seed)
    sim = simulate_estate(8, 2, seed=args.seed)  # only its dependency graph
    ei = torch.from_numpy(message_edge_index(sim.node_ids, sim.edges)[0])
    x = torch.from_numpy(rng.standard_normal((300, 8, 5)).astype(np.float32))
    fail = (rng.random((300, 8)) < 0.05).astype(np.float32)
    y = torch.zeros(300, 8)
    y[:-1] = torch.from_numpy(fail[1:])
    ends = np.arange(7, 240)
    cfg = RiskConfig(threads=args.threads, seed=args.seed)

    def epoch(batch: int, forward: Any, repeats: int) -> tuple[float, float]:
        batches = contiguous_batches(ends, batch)
        walls, cpus = [], []
        for _ in range(repeats):
            module = build_module(cfg, 5)
            opt = torch.optim.Adam(module.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
            train_epoch(module, x, ei, y, batches[:1], opt, 5.0, cfg, forward=forward)  # warm-up
            w, c = time.perf_counter(), time.process_time()
            train_epoch(module, x, ei, y, batches, opt, 5.0, cfg, forward=forward)
            walls.append(time.perf_counter() - w)
            cpus.append(time.process_time() - c)
        return min(walls), min(cpus)

    lines = [f"{len(ends)} training windows, {ei.shape[1]} edges; best of {args.ref_repeats} reference and "
             f"{args.vec_repeats} vectorised epochs (fresh seeded weights each)",
             f"{'batch':>6} {'reference s':>16} {'TemporalGAT s':>16} {'speed-up':>16}",
             f"{'':>6} {'wall':>7} {'CPU':>8} {'wall':>7} {'CPU':>8} {'wall':>7} {'CPU':>8}"]
    for batch in (32, len(ends)):
        rw, rc = epoch(batch, reference_forward, args.ref_repeats)
        vw, vc = epoch(batch, None, args.vec_repeats)
        log(f"reference scenario, batch {batch}: reference {rw:.2f} s, TemporalGAT {vw:.3f} s")
        lines.append(f"{batch:>6} {rw:>7.2f} {rc:>8.2f} {vw:>7.3f} {vc:>8.3f} {rw / vw:>6.0f}x {rc / vc:>7.0f}x")
    module = build_module(cfg, 5).eval()
    with torch.no_grad():
        fast = module(x, ei, torch.from_numpy(ends))
        slow = reference_forward(module, x, ei, torch.from_numpy(ends))
    lines.append(f"equal weights, eval mode, all {len(ends)} windows x 8 nodes: max |logit difference| = "
                 f"{float((fast - slow).abs().max()):.2e}")
    lines.append("goal >= 100x; a 'speed-up' row compares the same batches, same weights, same optimiser")
    return lines


# -- 2. scale -------------------------------------------------------------------------------------


def section_scale(args: argparse.Namespace) -> list[str]:
    rows = []
    for spec in args.scale:
        nodes, steps = (int(v) for v in spec.split(":"))
        big = nodes > 1000
        cmd = [sys.executable, str(REPO / "bench" / "risk_scale.py"), "--nodes", str(nodes), "--steps", str(steps),
               "--epochs", "1" if big else str(args.scale_epochs), "--threads", str(args.threads)]
        if big:
            cmd.append("--no-warmup")
        log(f"scale: {nodes} nodes, {steps} steps (child process)")
        done = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=True, timeout=args.scale_timeout)
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    lines = [f"{'nodes':>6} {'edges':>6} {'steps':>5} {'wins':>5} {'epoch wall':>10} {'CPU s':>6} "
             f"{'x vs prev':>9} {'RSS MB: imports':>15} {'data':>6} {'train':>6} {'tracemalloc':>11} "
             f"{'score: model':>12} {'full':>6}"]
    prev = None
    for r in rows:
        growth = "-"
        if prev is not None:
            per_win = (r["epoch_cpu_s"] / r["windows"]) / (prev["epoch_cpu_s"] / prev["windows"])
            growth = f"{per_win:.1f}/{r['nodes'] / prev['nodes']:.0f}"
        lines.append(f"{r['nodes']:>6} {r['edges']:>6} {r['steps']:>5} {r['windows']:>5} {r['epoch_wall_s']:>10.2f} "
                     f"{r['epoch_cpu_s']:>6.2f} {growth:>9} {r['rss_base_mb']:>15.0f} {r['rss_before_train_mb']:>6.0f} "
                     f"{r['rss_after_train_mb']:>6.0f} {r['tracemalloc_peak_mb']:>10.0f}M "
                     f"{r['score_model_s']:>11.3f}s {r['score_full_s']:>5.3f}s")
        prev = r
    lines += [
        "epoch = one pass over the training windows (batch 32, window 8), best of the epochs run (10k: 1 epoch, no warm-up);",
        "'x vs prev' = CPU per training window grew / nodes grew; RSS = peak resident set after imports, after building",
        "the data, after training (VmHWM, includes torch); tracemalloc = Python+numpy peak (torch's allocator unseen);",
        "score = every node once: the model's forward on the last window, and score_nodes (scaling, anomaly scores,",
        "sorting) on the last 24 steps. Goal at 10k nodes: < 1 s.",
    ]
    return lines


# -- 3. quality -----------------------------------------------------------------------------------


def section_quality(args: argparse.Namespace) -> list[str]:
    from risk_quality import run_quality

    rows, notes = run_quality(args, args.datasets, log)
    lines = [f"{'data':<10} {'model':<34} {'epochs':>6} {'train s':>7} {'F1':>6} {'AUROC':>6} {'AP':>6} {'pos/windows':>12}"]
    for r in rows:
        t = r.test
        lines.append(f"{r.data:<10} {r.model:<34} {r.epochs:>6} {r.seconds:>7.0f} {fmt(t.get('f1')):>6} "
                     f"{fmt(t.get('auroc')):>6} {fmt(t.get('ap')):>6} {t.get('positives', 0):>5}/{t.get('count', 0):<6}")
    lines.append(f"simulator: {args.quality_nodes} services x {args.quality_steps} steps, test = last 15 %; up to "
                 f"{args.epochs} epochs (patience {args.patience}); threshold = best F1 on validation")
    lines += [f"  {n}" for n in notes]
    return lines


# -- 4. drift -------------------------------------------------------------------------------------


def section_drift(args: argparse.Namespace) -> list[str]:
    import numpy as np
    from _risk_baselines import MEAN_SHIFT_THRESHOLD, mean_shift_score

    from opsgraph.risk import RiskConfig, build_dataset, simulate_estate
    from opsgraph.risk.dataset import impute
    from opsgraph.risk.drift import DriftDetector

    cfg = RiskConfig()
    length = cfg.drift_window
    counts = {(d, m): [0, 0] for d in ("mahalanobis", "mean-shift") for m in ("normal", "drift")}
    seeds_false = {"mahalanobis": 0, "mean-shift": 0}
    for seed in range(args.drift_seeds):
        sim = simulate_estate(args.quality_nodes, args.quality_steps, seed=seed)
        ds = build_dataset(sim.to_frame(), sim.edges, window=cfg.window, horizon=cfg.horizon)
        t2 = ds.split_steps[1]
        det = DriftDetector.fit(ds.x[:t2], length=length, false_alarm_rate=cfg.drift_false_alarm_rate,
                                shrinkage=cfg.drift_shrinkage)
        start = int(sim.timestamps[-1]) + 60
        for mode in ("normal", "drift"):
            later = simulate_estate(args.quality_nodes, args.drift_steps, seed=seed, run_seed=seed + 1000, start=start,
                                    mode=mode)  # type: ignore[arg-type]
            z = impute(ds.scaler.transform(later.values, later.node_ids, later.features))
            usable = (z.shape[0] // length) * length
            d_alarm = det.distances(z[:usable], stride=length) > det.threshold
            m_alarm = np.array([mean_shift_score(ds.x[:t2], z[s : s + length]) > MEAN_SHIFT_THRESHOLD
                                for s in range(0, usable, length)])
            for name, alarm in (("mahalanobis", d_alarm), ("mean-shift", m_alarm)):
                counts[(name, mode)][0] += int(alarm.sum())
                counts[(name, mode)][1] += int(alarm.size)
                if mode == "normal" and alarm.any():
                    seeds_false[name] += 1
        if (seed + 1) % 5 == 0:
            log(f"drift: {seed + 1}/{args.drift_seeds} seeds")
    lines = [f"{'detector':<44} {'true alarms (drift)':>20} {'false alarms (normal)':>22} {'seeds w/ false alarm':>21}"]
    for name, label in (("mahalanobis", "Mahalanobis, calibrated (target FAR 1 %)"),
                        ("mean-shift", f"mean |shift| > {MEAN_SHIFT_THRESHOLD} (original design)")):
        (ta, tn), (fa, fn) = counts[(name, "drift")], counts[(name, "normal")]
        lines.append(f"{label:<44} {ta / tn:>11.1%} ({ta}/{tn}) {fa / fn:>13.1%} ({fa}/{fn}) "
                     f"{seeds_false[name]:>14}/{args.drift_seeds}")
    lines.append(f"{args.drift_seeds} seeds x {args.quality_nodes} services: fitted on the first 85 % of "
                 f"{args.quality_steps} steps; then {args.drift_steps} fresh steps per mode, in non-overlapping "
                 f"{length}-step windows")
    return lines


# -- 5. root cause --------------------------------------------------------------------------------


def section_rca(args: argparse.Namespace) -> list[str]:
    from risk_rca import run_rca

    return run_rca(args.datasets)


SECTIONS = {
    1: ("1. training speed on the reference scenario: looped reference vs TemporalGAT", section_reference),
    2: ("2. scale: seconds per epoch, peak memory, time to score every node", section_scale),
    3: ("3. quality of the risky class: TemporalGAT vs baselines", section_quality),
    4: ("4. drift alarms over seeds: Mahalanobis vs the original mean-shift score", section_drift),
    5: ("5. root-cause ranking on PetShop (training split)", section_rca),
}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", type=int, nargs="+", choices=sorted(SECTIONS), default=sorted(SECTIONS))
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--datasets", type=Path, default=DATASETS, help="folder of the shared datasets (read, never copied)")
    p.add_argument("--ref-repeats", type=int, default=1, help="reference epochs timed per batch size (best kept)")
    p.add_argument("--vec-repeats", type=int, default=5, help="TemporalGAT epochs timed per batch size (best kept)")
    p.add_argument("--scale", nargs="+", default=["100:400", "1000:200", "10000:60"], help="nodes:steps per estate")
    p.add_argument("--scale-epochs", type=int, default=2, help="epochs timed up to 1,000 nodes (10k: always 1)")
    p.add_argument("--scale-timeout", type=float, default=900.0)
    p.add_argument("--quality-nodes", type=int, default=12)
    p.add_argument("--quality-steps", type=int, default=1000)
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--patience", type=int, default=5)
    p.add_argument("--ref-epochs", type=int, default=2, help="epochs for the looped reference (slow)")
    p.add_argument("--fault-minutes", type=int, default=5, help="Nezha: minutes a fault is labelled failing")
    p.add_argument("--drift-seeds", type=int, default=20)
    p.add_argument("--drift-steps", type=int, default=240)
    args = p.parse_args()

    print(thread_settings(args.threads), flush=True)
    for k in args.only:
        title, fn = SECTIONS[k]
        t = time.perf_counter()
        lines = fn(args)
        print(f"\n{title}  [{time.perf_counter() - t:.0f} s]")
        for line in lines:
            print(f"  {line}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
