"""Scoring one new step at a time (one snapshot encoded per step) gives the full window's logits."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from opsgraph.risk import SimulatedEstate, TrainedRiskModel
from opsgraph.risk.dataset import message_edge_index
from opsgraph.risk.incremental import IncrementalScorer, ModelStepper
from opsgraph.risk.model import TemporalGAT


def test_every_step_matches_a_full_reencoding_of_its_window() -> None:
    torch.manual_seed(0)
    t_len, n, f, w = 20, 9, 4, 5
    module = TemporalGAT(f, window=w, hidden_channels=8, heads=2, out_channels=8, out_heads=2).eval()
    x = torch.randn(t_len, n, f)
    edge_index = torch.tensor([[0, 1, 2, 3, 4, 5, 6, 7], [1, 2, 3, 4, 5, 6, 7, 8]])
    with torch.no_grad():
        full = module(x, edge_index, torch.arange(w - 1, t_len))  # [T-W+1, N]
    scorer = IncrementalScorer(module, edge_index, n)
    got = [scorer.step(x[t]) for t in range(t_len)]
    assert all(g is None for g in got[: w - 1])
    inc = torch.stack([g for g in got[w - 1 :] if g is not None])
    torch.testing.assert_close(inc, full, atol=1e-5, rtol=1e-5)


def test_priming_with_history_then_stepping() -> None:
    torch.manual_seed(1)
    module = TemporalGAT(3, window=4).eval()
    x = torch.randn(12, 6, 3)
    ei = torch.tensor([[0, 1, 2], [3, 4, 5]])
    scorer = IncrementalScorer(module, ei, 6)
    primed = scorer.prime(x[:10])
    after = scorer.step(x[10])
    with torch.no_grad():
        ref = module(x, ei, torch.tensor([9, 10]))
    assert primed is not None and after is not None
    torch.testing.assert_close(torch.stack([primed, after]), ref, atol=1e-5, rtol=1e-5)
    with pytest.raises(ValueError, match="expected 6 nodes"):
        scorer.step(torch.randn(5, 3))


def test_the_model_stepper_scales_and_imputes_like_the_window(trained: TrainedRiskModel, estate: SimulatedEstate) -> None:
    frame = estate.to_frame()
    values = np.array(frame.values, dtype=np.float64)[:60]
    values[30:33, 2, 1] = np.nan  # a gap: the last seen value is carried, as impute does over a window
    values[0, 4, 0] = np.nan      # missing from the start: the scaled median (0)
    stepper = ModelStepper(trained, frame.node_ids)
    probs = [stepper.step(values[t], int(frame.timestamps[t])) for t in range(60)]
    window = trained.config.window
    from dataclasses import replace

    clipped = replace(frame, timestamps=np.asarray(frame.timestamps)[:60], values=values.astype(np.float32),
                      labels=np.asarray(frame.labels)[:60])
    ref = trained.probabilities(clipped, ends=np.arange(window - 1, 60))
    got = np.stack([p for p in probs[window - 1 :] if p is not None])
    np.testing.assert_allclose(got, ref, atol=1e-5)
    assert stepper.timestamp == int(frame.timestamps[59])
    assert message_edge_index(frame.node_ids, trained.edges)[0].shape[1] > 0
