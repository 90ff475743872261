"""Quality section of `bench/risk.py`: TemporalGAT vs the looped reference, an LSTM without graph
layers and logistic regression, on the simulator and on Nezha Online Boutique.

Every model sees the same dataset (`build_dataset` with the run's `RiskConfig`: same
scaling, windows, targets and time-ordered splits); every threshold is the one that
maximises F1 on the validation windows; metrics are those of the risky class on the
test windows. Imported by `bench/risk.py`; not a command of its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from opsgraph.risk import RiskConfig, build_dataset, train_model
from opsgraph.risk.dataset import split_steps
from opsgraph.store.base import TelemetryFrame

Log = Callable[[str], None]


@dataclass(frozen=True)
class QualityRow:
    data: str
    model: str
    epochs: int
    seconds: float
    test: dict[str, float]


def quality(data: str, frame: TelemetryFrame, edges: list[tuple[str, str]], cfg: RiskConfig, ref_epochs: int,
            log: Log) -> list[QualityRow]:
    """Train and score the five rows of one data set."""
    from _risk_baselines import NodeLSTM, fit_window_model, logistic_last_step
    from _risk_reference import reference_forward

    from opsgraph.risk.train import build_module

    ds = build_dataset(frame, edges, window=cfg.window, horizon=cfg.horizon, val_fraction=cfg.val_fraction,
                       test_fraction=cfg.test_fraction, scaling=cfg.scaling, clip=cfg.clip)
    f = len(ds.features)
    rows: list[QualityRow] = []
    log(f"{data}: {len(ds.node_ids)} nodes, {len(ds.edges)} edges, {ds.x.shape[0]} steps, windows "
        f"{ds.train_ends.size}/{ds.val_ends.size}/{ds.test_ends.size} (train/val/test)")

    t = time.perf_counter()
    model = train_model(frame, edges, cfg)
    rows.append(QualityRow(data, "TemporalGAT (train_model)", len(model.history), time.perf_counter() - t,
                           model.metrics.get("test", {})))
    log(f"{data}: TemporalGAT {len(model.history)} epochs in {rows[-1].seconds:.0f} s")

    r = fit_window_model("gat", build_module(cfg, f), ds, cfg, epochs=ref_epochs)
    rows.append(QualityRow(data, f"TemporalGAT ({ref_epochs} epochs)", r.epochs, r.seconds, r.test))

    def tick(epoch: int, row: dict[str, float]) -> None:
        log(f"{data}: reference epoch {epoch}/{ref_epochs} (val loss {row['val_loss']:.3f})")

    r = fit_window_model("reference", build_module(cfg, f), ds, cfg, forward=reference_forward, epochs=ref_epochs,
                         progress=tick)
    rows.append(QualityRow(data, f"looped reference ({ref_epochs} epochs)", r.epochs, r.seconds, r.test))

    import torch

    torch.manual_seed(cfg.seed)
    lstm = NodeLSTM(f, window=cfg.window, rnn_hidden=cfg.rnn_hidden, dropout=cfg.dropout)
    r = fit_window_model("lstm", lstm, ds, cfg)
    rows.append(QualityRow(data, "LSTM, no graph layers", r.epochs, r.seconds, r.test))
    log(f"{data}: LSTM {r.epochs} epochs in {r.seconds:.0f} s")

    r = logistic_last_step(ds)
    rows.append(QualityRow(data, "logistic regression, last step", 0, r.seconds, r.test))
    return rows


def nezha_config(base: RiskConfig, n_steps: int, segments: list[int], fault_steps: list[int]) -> RiskConfig:
    """Train on day 1, validate on the first half of day 2's faults, test on the rest of day 2.

    Faults happen only in the first ~5 hours of each day, so the default "last 15 % of
    steps" test period would hold none; the split still runs forward in time.
    """
    if len(segments) < 2:
        raise ValueError("Nezha split needs two days")
    t1 = segments[1]
    later = sorted(s for s in fault_steps if s >= t1)
    t2 = later[len(later) // 2] - 2  # two quiet minutes before the first test fault
    vf, tf = (t2 - t1) / n_steps, (n_steps - t2) / n_steps
    cfg = base.model_copy(update={"val_fraction": vf, "test_fraction": tf})
    if split_steps(n_steps, cfg.val_fraction, cfg.test_fraction) != (t1, t2):
        raise ValueError("could not express the Nezha split as fractions")
    return cfg


def run_quality(args: Any, datasets: Path, log: Log) -> tuple[list[QualityRow], list[str]]:
    """Both data sets; returns the rows and notes on the Nezha import."""
    from _risk_datasets_public import load_nezha

    from opsgraph.risk import simulate_estate

    cfg = RiskConfig(epochs=args.epochs, patience=args.patience, threads=args.threads, seed=args.seed)
    sim = simulate_estate(args.quality_nodes, args.quality_steps, seed=args.seed)
    rows = quality("simulator", sim.to_frame(), sim.edges, cfg, args.ref_epochs, log)

    notes: list[str] = []
    root = datasets / "nezha_online_boutique"
    if not root.is_dir():
        notes.append(f"Nezha not found at {root}: skipped")
        return rows, notes
    data = load_nezha(root, fault_minutes=args.fault_minutes)
    frame = data.frame
    ncfg = nezha_config(cfg, len(frame.timestamps), data.segments, [f.step for f in data.faults])
    t1, t2 = split_steps(len(frame.timestamps), ncfg.val_fraction, ncfg.test_fraction)
    n_faults = [sum(1 for f in data.faults if lo <= f.step < hi) for lo, hi in ((0, t1), (t1, t2), (t2, 10**9))]
    notes.append(f"Nezha: {len(frame.node_ids)} services x {len(frame.features)} features x {len(frame.timestamps)} "
                 f"minutes (2 days), {len(data.edges)} edges, {len(data.faults)} faults labelled "
                 f"{args.fault_minutes} min each; split train = day 1 ({n_faults[0]} faults), val = day 2 up to "
                 f"step {t2 - t1} ({n_faults[1]}), test = rest of day 2 ({n_faults[2]})")
    notes.extend(data.report.notes)
    nan_share = float(np.isnan(frame.values).mean())
    notes.append(f"missing values after import: {nan_share:.2%} of the frame (imputed: last value seen, else median); "
                 f"{ncfg.window - 1} validation windows straddle the day boundary")
    rows += quality("nezha", frame, data.edges, ncfg, args.ref_epochs, log)
    # Injected faults have no precursor: a positive window that ends before its fault shows is unpredictable.
    ds = build_dataset(frame, data.edges, window=ncfg.window, horizon=ncfg.horizon, val_fraction=ncfg.val_fraction,
                       test_fraction=ncfg.test_fraction)
    pos = ds.targets[ds.test_ends] == 1
    showing = int((pos & (ds.labels[ds.test_ends] == 1)).sum())
    notes.append(f"of the {int(pos.sum())} positive Nezha test windows, {showing} end while their fault is already "
                 f"labelled; the other {int(pos.sum()) - showing} end in the {ncfg.horizon} minutes before an injection")
    return rows, notes
