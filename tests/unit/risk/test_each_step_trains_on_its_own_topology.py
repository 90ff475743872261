"""The risk model reads each time step on the dependencies true at that step (from the estate's history),
and a topology that never changed gives exactly the results of a static edge list."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from opsgraph.risk import RiskConfig, SimulatedEstate, train_model
from opsgraph.risk.dataset import build_dataset, edge_step_mask, message_edge_index, timed_edges
from opsgraph.risk.model import TemporalGAT

# 0 <- 1 <- 2 and 0 <- 3: messages travel from dependencies to dependants.
EDGE_INDEX = torch.tensor([[1, 2, 3], [0, 1, 0]])
FAST = RiskConfig(epochs=2, threads=1, seed=0, patience=5)


def _model() -> TemporalGAT:
    torch.manual_seed(0)
    return TemporalGAT(3, window=4, hidden_channels=5, heads=2, out_channels=6, out_heads=2, rnn_hidden=7, dropout=0.0).eval()


def _snapshots(module: TemporalGAT) -> list[set[tuple[int, int]]]:
    """Wraps `encode` so the test sees the edges of each snapshot the GAT layers receive (self-loops left out)."""
    seen: list[set[tuple[int, int]]] = []
    encode = module.encode

    def spy(x: torch.Tensor, edge_index: torch.Tensor) -> Any:
        n = 4
        per: dict[int, set[tuple[int, int]]] = {}
        for s, d in edge_index.t().tolist():
            per.setdefault(s // n, set())
            if s != d:
                per[s // n].add((s % n, d % n))
        seen.extend(per[k] for k in sorted(per))
        return encode(x, edge_index)

    module.encode = spy  # type: ignore[method-assign]
    return seen


def test_each_snapshot_holds_only_the_edges_of_its_step() -> None:
    module = _model()
    seen = _snapshots(module)
    mask = torch.ones(10, 3, dtype=torch.bool)
    mask[6:, 1] = False  # 2 -> 1 (node 1 depends on node 2) removed from step 6 on
    module(torch.randn(10, 4, 3), EDGE_INDEX, torch.tensor([9]), edge_mask=mask)  # window: steps 6..9
    assert seen == [{(1, 0), (3, 0)}] * 4
    seen.clear()
    module(torch.randn(10, 4, 3), EDGE_INDEX, torch.tensor([7]), edge_mask=mask)  # steps 4..7
    assert seen == [{(1, 0), (2, 1), (3, 0)}] * 2 + [{(1, 0), (3, 0)}] * 2


def test_an_all_true_mask_gives_the_same_logits_and_attention_as_none() -> None:
    x = torch.randn(12, 4, 3)
    ends = torch.tensor([3, 7, 11])
    plain, att = _model()(x, EDGE_INDEX, ends, return_attention=True)
    masked, att_m = _model()(x, EDGE_INDEX, ends, return_attention=True, edge_mask=torch.ones(12, 3, dtype=torch.bool))
    assert torch.equal(plain, masked)
    assert torch.equal(att.alpha1, att_m.alpha1) and torch.equal(att.alpha2, att_m.alpha2)


def test_a_removed_edge_changes_the_logits_and_has_no_attention_where_absent() -> None:
    x = torch.randn(10, 4, 3)
    mask = torch.ones(10, 3, dtype=torch.bool)
    mask[6:, 1] = False
    with torch.no_grad():
        plain = _model()(x, EDGE_INDEX, torch.tensor([9]))
        masked, att = _model()(x, EDGE_INDEX, torch.tensor([9]), return_attention=True, edge_mask=mask)
    assert not torch.allclose(plain[0, 1], masked[0, 1])  # node 1 lost its dependency
    assert torch.equal(plain[0, 2], masked[0, 2])  # node 2 never received anything over that edge
    assert float(att.alpha1[:, 1].abs().sum()) == 0.0  # column 1 is the removed edge, steps 6..9
    # attention still sums to 1 over each target's incoming edges (node 1 now only its self-loop)
    _, dst = att.edge_index
    into_1 = att.alpha1[:, dst == 1].sum(dim=1)
    assert torch.allclose(into_1, torch.ones_like(into_1))


def test_a_mask_of_the_wrong_shape_is_refused() -> None:
    with pytest.raises(ValueError, match="edge_mask must be"):
        _model()(torch.randn(10, 4, 3), EDGE_INDEX, torch.tensor([9]), edge_mask=torch.ones(10, 2, dtype=torch.bool))


def _removed_mid_window(estate: SimulatedEstate) -> tuple[tuple[str, str], float, dict[tuple[str, str], list[Any]]]:
    ts = estate.timestamps
    gone = estate.edges[0]
    cut = float(ts[len(ts) // 2])
    return gone, cut, {gone: [(None, cut)]}


def test_dataset_keeps_the_removed_edge_only_before_its_removal(estate: SimulatedEstate) -> None:
    gone, cut, spans = _removed_mid_window(estate)
    current = [e for e in estate.edges if e != gone]
    frame = estate.to_frame()
    ds = build_dataset(frame, current, window=8, horizon=5, edge_spans=spans)
    assert set(ds.edges) == set(estate.edges) and ds.edge_mask is not None
    col = ds.edges.index(gone)
    assert ds.edge_mask.shape == (len(ds.timestamps), len(ds.edges))
    assert ds.edge_mask[:, col].tolist() == (ds.timestamps < cut).tolist()
    others = [i for i in range(len(ds.edges)) if i != col]
    assert ds.edge_mask[:, others].all()
    # a history in which nothing changed inside the frame is the static case
    assert build_dataset(frame, estate.edges, edge_spans={e: [(None, None)] for e in estate.edges}).edge_mask is None
    assert edge_step_mask(ds.timestamps, ds.edges, {gone: [(float(ds.timestamps[0]) - 1, None)]}) is None


def test_training_passes_each_step_its_own_adjacency(estate: SimulatedEstate, monkeypatch: pytest.MonkeyPatch) -> None:
    gone, cut, spans = _removed_mid_window(estate)
    current = [e for e in estate.edges if e != gone]
    masks: list[torch.Tensor | None] = []
    forward = TemporalGAT.forward

    def record(self: TemporalGAT, *args: Any, **kwargs: Any) -> Any:
        masks.append(kwargs.get("edge_mask"))
        return forward(self, *args, **kwargs)

    monkeypatch.setattr(TemporalGAT, "forward", record)
    model = train_model(estate.to_frame(), current, FAST, edge_spans=spans)
    assert masks and all(m is not None for m in masks)
    pairs = timed_edges(current, spans)
    _, kept = message_edge_index(estate.node_ids, pairs)
    col = kept.index(gone)
    mask = masks[0]
    assert mask is not None
    assert mask[:, col].numpy().tolist() == (estate.timestamps < cut).tolist()
    assert gone not in model.edges and set(model.edges) == set(current)  # the graph at its last step
    # scoring uses the same per-step topology: a window before the removal sees the edge
    masks.clear()
    model.probabilities(estate.to_frame(), ends=np.array([len(estate.timestamps) // 4]), edge_spans=spans)
    assert masks[-1] is not None and bool(masks[-1][len(estate.timestamps) // 4, col])


def test_static_history_trains_exactly_like_a_static_edge_list(estate: SimulatedEstate) -> None:
    frame = estate.to_frame()
    plain = train_model(frame, estate.edges, FAST)
    since_forever = train_model(frame, estate.edges, FAST, edge_spans={e: [(None, None)] for e in estate.edges})
    assert plain.metrics == since_forever.metrics and plain.threshold == since_forever.threshold
    ends = np.arange(7, len(estate.timestamps), 50)
    assert np.array_equal(plain.probabilities(frame, ends=ends), since_forever.probabilities(frame, ends=ends, edge_spans={}))
