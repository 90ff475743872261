"""The looped reference temporal GAT, kept to check and time the vectorised model.

A faithful re-implementation of the original design's forward pass: Python
loops over windows x time steps (one GAT call per snapshot of each window,
so a snapshot shared by 8 windows is encoded 8 times) x nodes (one recurrent
call per node sequence). It shares every parameter with a `TemporalGAT`, so
in eval mode both give the same logits. Tests and measurements only: never
use it to train or score in the product.
"""

from __future__ import annotations

import torch
from torch import Tensor

from opsgraph.risk.model import TemporalGAT, with_self_loops


def reference_forward(model: TemporalGAT, x: Tensor, edge_index: Tensor, window_ends: Tensor) -> Tensor:
    """Logits [B, N] for windows ending at `window_ends`, computed the slow way."""
    t_len, n, _ = x.shape
    w = model.window
    ei = with_self_loops(edge_index.to(torch.long), n)
    act = torch.nn.functional.elu
    out = []
    for end in window_ends.tolist():  # windows
        if end < w - 1 or end >= t_len:
            raise ValueError(f"window end {end} outside [{w - 1}, {t_len - 1}]")
        snapshots = []
        for t in range(end - w + 1, end + 1):  # time steps
            xt = x[t]
            h = model.dropout(model.norm1(act(model.conv1(xt, ei))))
            h = model.dropout(model.norm2(act(model.conv2(h, ei) + model.res(xt))))
            snapshots.append(h)
        row = []
        for node in range(n):  # nodes
            seq = torch.stack([snap[node] for snap in snapshots]).unsqueeze(0)  # [1, W, D]
            hidden, _ = model.rnn(seq)
            row.append(model.head(model.dropout(hidden[0, -1])).squeeze(-1))
        out.append(torch.stack(row))
    return torch.stack(out)
