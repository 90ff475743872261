"""Baselines the temporal GAT is measured against; benchmarks and tests only.

- `NodeLSTM`: the same windows, targets and recurrent head as `TemporalGAT`, but no
  graph layers (each node's own feature sequence, through a linear projection).
- `fit_window_model`: trains any window model -- `TemporalGAT`, `NodeLSTM`, or a
  `TemporalGAT` through the looped reference forward -- with `train_model`'s own
  loop (`opsgraph.risk.train.fit_windows`: loss, class weight, contiguous batches,
  early stopping) and its validation-chosen threshold, and reports test metrics
  of the risky class.
- `LogisticBaseline`: logistic regression on each node's own scaled features at
  the window's last step (weights shared by all nodes, balanced classes, L2),
  fitted by Newton's method in numpy (scikit-learn is not a dependency).
- `mean_shift_score`: the original design's drift score, the mean absolute
  difference between recent and training means of the scaled features,
  alarmed above a fixed threshold (0.05).

Like `opsgraph.risk.model`, this module imports torch at load time; `opsgraph.risk` does
not import it. No I/O.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor

from opsgraph.risk.config import RiskConfig
from opsgraph.risk.dataset import RiskDataset
from opsgraph.risk.metrics import best_f1_threshold, binary_metrics
from opsgraph.risk.train import fit_windows, probabilities

Forward = Callable[[torch.nn.Module, Tensor, Tensor, Tensor], Tensor]
"""``forward(module, x [T, N, F], edge_index [2, E], window_ends [B]) -> logits [B, N]``."""


class NodeLSTM(torch.nn.Module):
    r"""A recurrent risk model without graph layers.

    Each node's window :math:`(\mathbf{x}_{e-W+1,n}, \dots, \mathbf{x}_{e,n})` goes through
    :math:`\mathrm{Dropout}(\mathrm{LN}(\mathrm{ELU}(\mathbf{W}\mathbf{x})))`, an LSTM, and a
    linear head on its last hidden state, exactly like the tail of `TemporalGAT`.

    Args:
        in_channels (int): features per node and step, F.
        window (int): steps per window, W. (default: 8)
        hidden (int): width of the input projection. (default: 32)
        rnn_hidden (int): LSTM hidden size. (default: 32)
        dropout (float): dropout on the projection and before the head. (default: 0.2)

    Shapes:
        - **input:** x :math:`(T, N, F)`, edge_index (ignored), window ends :math:`(B,)`
        - **output:** logits :math:`(B, N)`
    """

    def __init__(self, in_channels: int, *, window: int = 8, hidden: int = 32, rnn_hidden: int = 32,
                 dropout: float = 0.2) -> None:
        super().__init__()
        if min(in_channels, window, hidden, rnn_hidden) < 1:
            raise ValueError("sizes must be >= 1")
        self.in_channels, self.window = in_channels, window
        self.proj = torch.nn.Linear(in_channels, hidden)
        self.norm = torch.nn.LayerNorm(hidden)
        self.rnn = torch.nn.LSTM(hidden, rnn_hidden, batch_first=True)
        self.head = torch.nn.Linear(rnn_hidden, 1)
        self.dropout = torch.nn.Dropout(dropout)

    def forward(self, x: Tensor, edge_index: Tensor | None, window_ends: Tensor) -> Tensor:
        if x.dim() != 3 or x.size(-1) != self.in_channels:
            raise ValueError(f"x must be [T, N, {self.in_channels}], got {tuple(x.shape)}")
        ends = window_ends.to(torch.long).view(-1)
        w = self.window
        if ends.numel() == 0 or int(ends.min()) < w - 1 or int(ends.max()) >= x.size(0):
            raise ValueError(f"window ends must be non-empty and lie in [{w - 1}, {x.size(0) - 1}]")
        steps = ends.view(-1, 1) - (w - 1) + torch.arange(w, device=x.device)  # [B, W]
        b, n = ends.numel(), x.size(1)
        seq = x[steps].permute(0, 2, 1, 3).reshape(b * n, w, -1)  # [B*N, W, F]
        h = self.dropout(self.norm(torch.nn.functional.elu(self.proj(seq))))
        out, _ = self.rnn(h)
        return self.head(self.dropout(out[:, -1])).view(b, n)


@dataclass(frozen=True)
class BaselineResult:
    """Validation and test metrics of one model, threshold chosen on validation."""

    name: str
    threshold: float
    val: dict[str, float]
    test: dict[str, float]
    epochs: int = 0
    seconds: float = 0.0
    history: list[dict[str, float]] = field(default_factory=list)


def evaluate_scores(name: str, ds: RiskDataset, val_scores: np.ndarray, test_scores: np.ndarray, *,
                    epochs: int = 0, seconds: float = 0.0,
                    history: list[dict[str, float]] | None = None) -> BaselineResult:
    """Threshold by best F1 on validation windows [B_val, N], metrics on test windows (unknown targets masked)."""
    val_y, test_y = ds.targets[ds.val_ends], ds.targets[ds.test_ends]
    kv, kt = val_y >= 0, test_y >= 0
    threshold = best_f1_threshold(val_y[kv], val_scores[kv])
    return BaselineResult(name, threshold, binary_metrics(val_y[kv], val_scores[kv], threshold),
                          binary_metrics(test_y[kt], test_scores[kt], threshold), epochs, seconds, history or [])


def window_probabilities(module: torch.nn.Module, ds: RiskDataset, ends: np.ndarray, chunk: int = 128) -> np.ndarray:
    """Eval-mode probabilities [B, N] of windows ending at `ends`."""
    return probabilities(module, torch.from_numpy(ds.x), torch.from_numpy(ds.edge_index), ends, chunk)


def fit_window_model(
    name: str,
    module: torch.nn.Module,
    ds: RiskDataset,
    config: RiskConfig,
    *,
    forward: Forward | None = None,
    epochs: int | None = None,
    progress: Callable[[int, dict[str, float]], None] | None = None,
) -> BaselineResult:
    """Train `module` on `ds`'s training windows like `train_model`, then score validation and test.

    `forward` replaces the module's own call during training (e.g. the looped reference);
    validation and test are always scored with the module's own eval-mode forward (the
    reference gives the same eval logits). `epochs` caps ``config.epochs``.
    """
    from opsgraph.risk._threads import torch_threads

    torch_threads(config.threads)
    torch.manual_seed(config.seed)
    start = time.perf_counter()
    history = fit_windows(module, ds, config, forward=forward, epochs=epochs,
                          progress=None if progress is None else (lambda epoch, _total, row: progress(epoch, row)))
    seconds = time.perf_counter() - start
    return evaluate_scores(name, ds, window_probabilities(module, ds, ds.val_ends),
                           window_probabilities(module, ds, ds.test_ends),
                           epochs=len(history), seconds=seconds, history=history)


@dataclass(frozen=True)
class LogisticBaseline:
    """Weighted, L2-regularised logistic regression ``p = sigmoid(x @ coef + intercept)``."""

    coef: np.ndarray
    intercept: float

    @classmethod
    def fit(cls, x: np.ndarray, y: np.ndarray, *, l2: float = 1e-2, iterations: int = 50) -> LogisticBaseline:
        """Fit on rows `x` [M, F] and 0/1 labels `y` [M] with balanced class weights (Newton-Raphson)."""
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        if x.ndim != 2 or y.shape != (x.shape[0],):
            raise ValueError("x must be [M, F] and y [M]")
        pos = y.sum()
        if pos == 0 or pos == y.size:
            raise ValueError("both classes are needed")
        weight = np.where(y == 1, y.size / (2 * pos), y.size / (2 * (y.size - pos)))
        xb = np.hstack([x, np.ones((x.shape[0], 1))])
        beta = np.zeros(xb.shape[1])
        reg = np.full(xb.shape[1], l2 * y.size)
        reg[-1] = 0.0  # the intercept is not shrunk
        for _ in range(iterations):
            p = 1.0 / (1.0 + np.exp(-np.clip(xb @ beta, -30, 30)))
            grad = xb.T @ (weight * (p - y)) + reg * beta
            hess = (xb * (weight * p * (1 - p))[:, None]).T @ xb + np.diag(reg) + 1e-9 * np.eye(xb.shape[1])
            step = np.linalg.solve(hess, grad)
            beta -= step
            if np.abs(step).max() < 1e-8:
                break
        return cls(beta[:-1], float(beta[-1]))

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Probabilities for rows `x` [..., F]."""
        z = np.asarray(x, dtype=np.float64) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


def logistic_last_step(ds: RiskDataset, *, l2: float = 1e-2) -> BaselineResult:
    """`LogisticBaseline` on each node's features at the window's last step; same splits and threshold rule."""
    start = time.perf_counter()
    xs = ds.x[ds.train_ends].reshape(-1, ds.x.shape[2])
    ys = ds.targets[ds.train_ends].reshape(-1)
    known = ys >= 0
    model = LogisticBaseline.fit(xs[known], ys[known], l2=l2)
    return evaluate_scores("logistic", ds, model.predict(ds.x[ds.val_ends]), model.predict(ds.x[ds.test_ends]),
                           seconds=time.perf_counter() - start)


MEAN_SHIFT_THRESHOLD = 0.05
"""The original design's fixed drift threshold on `mean_shift_score`."""


def mean_shift_score(train_z: np.ndarray, recent_z: np.ndarray) -> float:
    """Mean over features of |mean of recent scaled values - mean of training scaled values| ([T, N, F] each)."""
    a = np.nanmean(np.asarray(train_z, dtype=np.float64).reshape(-1, train_z.shape[-1]), axis=0)
    b = np.nanmean(np.asarray(recent_z, dtype=np.float64).reshape(-1, recent_z.shape[-1]), axis=0)
    return float(np.mean(np.abs(b - a)))
