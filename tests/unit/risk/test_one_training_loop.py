"""The risk model and the baselines train through one loop: early stopping on validation loss, best weights kept."""

from __future__ import annotations

import numpy as np
import torch
from _risk_baselines import NodeLSTM, fit_window_model

from opsgraph.risk import RiskConfig, build_dataset, simulate_estate
from opsgraph.risk.train import fit_windows, masked_loss


def _dataset(cfg: RiskConfig):  # type: ignore[no-untyped-def]
    sim = simulate_estate(4, 160, seed=3, incident_rate=1 / 40)
    return build_dataset(sim.to_frame(), sim.edges, window=cfg.window, horizon=cfg.horizon)


def test_the_loop_stops_on_patience_and_keeps_the_best_epoch() -> None:
    cfg = RiskConfig(epochs=6, patience=1, threads=1, seed=0, batch_size=64, lr=0.05)
    ds = _dataset(cfg)
    torch.manual_seed(0)
    module = NodeLSTM(len(ds.features), window=cfg.window)
    seen: list[tuple[int, int]] = []
    history = fit_windows(module, ds, cfg, progress=lambda epoch, total, row: seen.append((epoch, total)))
    assert [int(r["epoch"]) for r in history] == list(range(1, len(history) + 1)) and seen[-1] == (len(history), 6)
    assert set(history[0]) == {"epoch", "train_loss", "val_loss", "val_ap", "best_val_loss"}
    best = min(r["val_loss"] for r in history)
    if len(history) < 6:  # stopped early: the last `patience` epochs did not improve
        assert all(r["val_loss"] >= best - 1e-5 for r in history[-1:]) and history[-1]["best_val_loss"] == best
    # The module holds the best epoch's weights: its validation loss is the best one seen.
    x, ei = torch.from_numpy(ds.x), torch.from_numpy(ds.edge_index)
    y = torch.from_numpy(ds.targets.astype(np.float32))
    train_y = ds.targets[ds.train_ends]
    pos_weight = float(min(max((train_y == 0).sum() / (train_y == 1).sum(), 1.0), 50.0))
    with torch.no_grad():
        logits = module(x, ei, torch.from_numpy(ds.val_ends))
        assert abs(float(masked_loss(logits, y[torch.from_numpy(ds.val_ends)], pos_weight, cfg)) - best) < 1e-4


def test_baselines_report_the_loops_history() -> None:
    cfg = RiskConfig(epochs=3, patience=5, threads=1, seed=0, batch_size=64)
    ds = _dataset(cfg)
    rows: list[int] = []
    result = fit_window_model("lstm", NodeLSTM(len(ds.features), window=cfg.window), ds, cfg, epochs=2,
                              progress=lambda epoch, row: rows.append(epoch))
    assert rows == [1, 2] and result.epochs == 2 and "val_ap" in result.history[-1]
