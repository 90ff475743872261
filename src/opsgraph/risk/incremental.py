"""Score each new telemetry step without re-encoding the whole window.

`TemporalGAT` encodes every snapshot of a window with two GATv2 layers and
then reads each node's sequence of W encodings with a recurrent layer. When
telemetry arrives one step at a time (the watch loop), the W-1 older
snapshots were already encoded at earlier steps: `IncrementalScorer` keeps
those encodings in a ring of W per node and encodes only the new snapshot,
then runs the recurrent layer over the ring. In eval mode the logits equal a
full re-encoding of the window (a snapshot's encoding does not depend on the
other snapshots), so nothing is approximated; the GAT work per step drops
from W snapshots to one.

`ModelStepper` wraps a `TrainedRiskModel`: it scales the raw values with the
model's scaler and carries each node's last seen value forward for missing
ones, exactly as `impute` does over a window.

Torch is imported at load time (this module is imported lazily by callers).
It keeps state on purpose (the ring): that state is the point of the class.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor

from opsgraph.risk.dataset import message_edge_index
from opsgraph.risk.model import TemporalGAT, with_self_loops
from opsgraph.risk.train import TrainedRiskModel


class IncrementalScorer:
    """Logits of the window ending at each new step, encoding one snapshot per step.

    Args:
        module (TemporalGAT): a trained model; it is put in eval mode.
        edge_index (Tensor): [2, E] message edges (dependency -> dependant), no self-loops needed.
        num_nodes (int): N.

    Shapes:
        - `prime(x)`: x :math:`(T, N, F)` with T >= W - 1; returns logits :math:`(N,)` when T >= W, else None.
        - `step(x_t)`: x_t :math:`(N, F)`; returns logits :math:`(N,)` once W steps were seen, else None.
    """

    def __init__(self, module: TemporalGAT, edge_index: Tensor, num_nodes: int) -> None:
        self.module = module.eval()
        self.n = num_nodes
        self.window = module.window
        self.edge_index = with_self_loops(edge_index.to(torch.long), num_nodes)
        self._ring: Tensor | None = None
        self._filled = 0
        self._head = 0

    def _encode(self, x: Tensor) -> Tensor:
        with torch.no_grad():
            z, _, _ = self.module.encode(x, self.edge_index)
        return z

    def _push(self, z: Tensor) -> None:
        if self._ring is None:
            self._ring = torch.zeros((self.window, self.n, z.size(-1)), dtype=z.dtype)
        self._ring[self._head] = z
        self._head = (self._head + 1) % self.window
        self._filled = min(self._filled + 1, self.window)

    def _logits(self) -> Tensor | None:
        if self._filled < self.window or self._ring is None:
            return None
        order = [(self._head + i) % self.window for i in range(self.window)]  # oldest first
        seq = self._ring[order].permute(1, 0, 2)  # [N, W, D]
        with torch.no_grad():
            return self.module.classify(seq)

    def step(self, x_t: Tensor) -> Tensor | None:
        """Encode one new snapshot [N, F]; logits of the window ending at it (None until W steps were seen)."""
        if x_t.shape[0] != self.n:
            raise ValueError(f"expected {self.n} nodes, got {x_t.shape[0]}")
        self._push(self._encode(x_t))
        return self._logits()

    def prime(self, x: Tensor) -> Tensor | None:
        """Encode the last W steps of a history [T, N, F] (one GAT call per snapshot); logits at its last step."""
        logits = None
        for t in range(max(0, x.shape[0] - self.window), x.shape[0]):
            logits = self.step(x[t])
        return logits


class ModelStepper:
    """`IncrementalScorer` for a `TrainedRiskModel`: raw values in, probabilities out, imputation carried."""

    def __init__(self, model: TrainedRiskModel, node_ids: Sequence[str], edges: Sequence[tuple[str, str]] | None = None) -> None:
        self.model = model
        self.node_ids = list(node_ids)
        ei, _ = message_edge_index(self.node_ids, model.edges if edges is None else edges)
        self.scorer = IncrementalScorer(model.module, torch.from_numpy(ei), len(self.node_ids))
        self._last = np.zeros((len(self.node_ids), len(model.features)), dtype=np.float32)
        self.timestamp: int | None = None

    def step(self, values: np.ndarray, timestamp: int) -> np.ndarray | None:
        """Raw values [N, F] of one step (NaN where missing) -> risk probabilities [N], or None until W steps."""
        z = self.model.scaler.transform(np.asarray(values, dtype=np.float64)[None], self.node_ids, self.model.features)[0]
        z = np.asarray(z, dtype=np.float32)
        seen = ~np.isnan(z)
        self._last = np.where(seen, z, self._last).astype(np.float32)
        self.timestamp = int(timestamp)
        logits = self.scorer.step(torch.from_numpy(self._last.copy()))
        return None if logits is None else torch.sigmoid(logits).numpy()
