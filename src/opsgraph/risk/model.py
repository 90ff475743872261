"""The temporal GATv2 risk model, vectorised (`TemporalGAT`).

This module imports torch at load time; the rest of the risk layer imports
it lazily. It does no I/O and keeps no state between calls.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import torch
from torch import Tensor

# torch-geometric 2.8 calls the deprecated `torch.jit.script` at import time;
# the warning is theirs, and our test suite turns warnings into errors.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", category=DeprecationWarning, message=".*torch.jit.script.*")
    from torch_geometric.nn import GATv2Conv
    from torch_geometric.utils import add_self_loops, remove_self_loops


@dataclass(frozen=True)
class TemporalAttention:
    """Attention coefficients of both GAT layers for each encoded snapshot."""

    edge_index: Tensor
    """[2, E'] message source (row 0) -> target (row 1), self-loops included."""
    steps: Tensor
    """[S] time step of each encoded snapshot (ascending)."""
    alpha1: Tensor
    """[S, E', H1] layer-1 attention; sums to 1 over the incoming edges of each target."""
    alpha2: Tensor
    """[S, E', H2] layer-2 attention."""


def with_self_loops(edge_index: Tensor, num_nodes: int) -> Tensor:
    """`edge_index` without existing self-loops, plus one self-loop per node (appended)."""
    ei, _ = remove_self_loops(edge_index)
    ei, _ = add_self_loops(ei, num_nodes=num_nodes)
    return ei


class TemporalGAT(torch.nn.Module):
    r"""A production-aware temporal GAT: GATv2 per snapshot, then a recurrent layer per node.

    For a graph with N nodes, dependency messages along `edge_index` (dependency
    -> dependant, with one self-loop per node added by the model), and node
    features :math:`\mathbf{x}_t \in \mathbb{R}^{N \times F}` at step t, every
    snapshot is encoded by two GATv2 layers (Brody et al., `How Attentive are
    Graph Attention Networks? <https://arxiv.org/abs/2105.14491>`_):

    .. math::
        \mathbf{h}^{(1)}_t &= \mathrm{Dropout}\big(\mathrm{LN}_1(\mathrm{ELU}(
            \mathrm{GATv2}_1(\mathbf{x}_t)))\big)
            \in \mathbb{R}^{N \times H_1 C_1}

        \mathbf{h}^{(2)}_t &= \mathrm{Dropout}\big(\mathrm{LN}_2(\mathrm{ELU}(
            \mathrm{GATv2}_2(\mathbf{h}^{(1)}_t) + \mathbf{W}_r \mathbf{x}_t))\big)
            \in \mathbb{R}^{N \times H_2 C_2}

    with heads concatenated, where a GATv2 layer computes for target i

    .. math::
        \alpha_{ij} = \mathrm{softmax}_{j \in \mathcal{N}(i) \cup \{i\}}
            \big(\mathbf{a}^\top \mathrm{LeakyReLU}(\mathbf{W}_s \mathbf{x}_j +
            \mathbf{W}_t \mathbf{x}_i)\big), \qquad
        \mathbf{x}'_i = \sum_j \alpha_{ij} \mathbf{W}_s \mathbf{x}_j + \mathbf{b}.

    A window ending at step e is each node's sequence
    :math:`(\mathbf{h}^{(2)}_{e-W+1,n}, \dots, \mathbf{h}^{(2)}_{e,n})`; a recurrent
    layer (LSTM or GRU) reads it and its last hidden state
    :math:`\mathbf{c}_{e,n} \in \mathbb{R}^{R}` gives the logit
    :math:`\ell_{e,n} = \mathbf{w}^\top \mathrm{Dropout}(\mathbf{c}_{e,n}) + b`
    of node n being risky.

    Vectorised: the S distinct snapshots needed by a batch of B windows (S <= B +
    W - 1 for consecutive windows, instead of B * W) go through the GAT layers in
    one call as one disjoint-union graph of S * N nodes, and all B * N sequences
    go through the recurrent layer in one call. In training mode a snapshot
    shared by several windows therefore shares its dropout mask; in eval mode the
    logits equal the looped reference (`reference.py`).

    Topology over time: with `edge_mask` [T, E] (bool), the snapshot of step t
    holds only the edges e with ``edge_mask[t, e]`` (self-loops always), so each
    step is encoded on the dependencies true at its own time. With no mask, or
    an all-true one, every snapshot holds every edge and the logits are the
    same. Attention of an edge absent from a snapshot is 0 there.

    Args:
        in_channels (int): features per node and step, F.
        window (int): steps per window, W. (default: 8)
        hidden_channels (int): channels per head of layer 1, C1. (default: 16)
        heads (int): heads of layer 1, H1. (default: 4)
        out_channels (int): channels per head of layer 2, C2. (default: 16)
        out_heads (int): heads of layer 2, H2. (default: 2)
        rnn (str): ``"lstm"`` or ``"gru"``. (default: ``"lstm"``)
        rnn_hidden (int): hidden size R. (default: 32)
        dropout (float): dropout on embeddings and before the classifier. (default: 0.2)
        attention_dropout (float): dropout on attention coefficients. (default: 0.0)
        negative_slope (float): LeakyReLU slope in the attention. (default: 0.2)

    Shapes:
        - **input:** features :math:`(T, N, F)`, edge_index :math:`(2, E)` (no
          self-loops needed), window ends :math:`(B,)` with values in
          :math:`[W-1, T-1]`, optional edge_mask :math:`(T, E)` bool
        - **output:** logits :math:`(B, N)`; with ``return_attention=True`` also a
          `TemporalAttention` whose `edge_index` is :math:`(2, E')` (E' = E
          without self-loops + N), `steps` :math:`(S,)`, `alpha1`
          :math:`(S, E', H_1)`, `alpha2` :math:`(S, E', H_2)`.
    """

    def __init__(
        self,
        in_channels: int,
        *,
        window: int = 8,
        hidden_channels: int = 16,
        heads: int = 4,
        out_channels: int = 16,
        out_heads: int = 2,
        rnn: str = "lstm",
        rnn_hidden: int = 32,
        dropout: float = 0.2,
        attention_dropout: float = 0.0,
        negative_slope: float = 0.2,
    ) -> None:
        super().__init__()
        if rnn not in ("lstm", "gru"):
            raise ValueError(f"rnn must be 'lstm' or 'gru', got {rnn!r}")
        if min(in_channels, window, hidden_channels, heads, out_channels, out_heads, rnn_hidden) < 1:
            raise ValueError("sizes must be >= 1")
        self.in_channels = in_channels
        self.window = window
        self.rnn_kind = rnn
        d1, d2 = heads * hidden_channels, out_heads * out_channels
        # Self-loops are added once by the model (not by each conv) so the
        # attention of every snapshot lines up with one shared edge list.
        self.conv1 = GATv2Conv(in_channels, hidden_channels, heads=heads, concat=True,
                               negative_slope=negative_slope, dropout=attention_dropout,
                               add_self_loops=False)
        self.norm1 = torch.nn.LayerNorm(d1)
        self.conv2 = GATv2Conv(d1, out_channels, heads=out_heads, concat=True,
                               negative_slope=negative_slope, dropout=attention_dropout,
                               add_self_loops=False)
        self.norm2 = torch.nn.LayerNorm(d2)
        self.res = torch.nn.Linear(in_channels, d2)
        rnn_cls = torch.nn.LSTM if rnn == "lstm" else torch.nn.GRU
        self.rnn = rnn_cls(d2, rnn_hidden, batch_first=True)
        self.head = torch.nn.Linear(rnn_hidden, 1)
        self.dropout = torch.nn.Dropout(dropout)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Initialise every parameter (Glorot for attention, PyTorch defaults elsewhere)."""
        self.conv1.reset_parameters()
        self.conv2.reset_parameters()
        self.norm1.reset_parameters()
        self.norm2.reset_parameters()
        self.res.reset_parameters()
        self.rnn.reset_parameters()
        self.head.reset_parameters()

    def encode(
        self, x: Tensor, edge_index: Tensor
    ) -> tuple[Tensor, tuple[Tensor, Tensor], tuple[Tensor, Tensor]]:
        """GAT layers on one (possibly disjoint-union) graph whose `edge_index` has self-loops.

        Returns embeddings [M, H2*C2] and both layers' (edge_index, alpha).
        """
        h, att1 = self.conv1(x, edge_index, return_attention_weights=True)
        h = self.dropout(self.norm1(torch.nn.functional.elu(h)))
        h2, att2 = self.conv2(h, edge_index, return_attention_weights=True)
        h2 = self.dropout(self.norm2(torch.nn.functional.elu(h2 + self.res(x))))
        return h2, att1, att2

    def classify(self, seq: Tensor) -> Tensor:
        """Recurrent layer + classifier on sequences [M, W, D] -> logits [M]."""
        out, _ = self.rnn(seq)
        return self.head(self.dropout(out[:, -1])).squeeze(-1)

    def forward(
        self, x: Tensor, edge_index: Tensor, window_ends: Tensor, return_attention: bool = False,
        edge_mask: Tensor | None = None,
    ) -> Tensor | tuple[Tensor, TemporalAttention]:
        if x.dim() != 3 or x.size(-1) != self.in_channels:
            raise ValueError(f"x must be [T, N, {self.in_channels}], got {tuple(x.shape)}")
        t_len, n, _ = x.shape
        ends = window_ends.to(torch.long).view(-1)
        w = self.window
        if ends.numel() == 0:
            raise ValueError("window_ends is empty")
        if int(ends.min()) < w - 1 or int(ends.max()) >= t_len:
            raise ValueError(f"window ends must lie in [{w - 1}, {t_len - 1}]")
        if edge_index.numel() and (int(edge_index.min()) < 0 or int(edge_index.max()) >= n):
            raise ValueError("edge_index refers to nodes outside [0, N)")
        if edge_mask is not None and tuple(edge_mask.shape) != (t_len, edge_index.size(1)):
            raise ValueError(f"edge_mask must be [{t_len}, {edge_index.size(1)}], got {tuple(edge_mask.shape)}")

        steps = ends.view(-1, 1) - (w - 1) + torch.arange(w, device=x.device)  # [B, W]
        uniq, inv = torch.unique(steps, return_inverse=True)  # [S], [B, W]
        s = uniq.numel()
        ei = with_self_loops(edge_index.to(torch.long), n)  # [2, E']
        offsets = (torch.arange(s, device=x.device) * n).view(1, s, 1)
        union = ei.view(2, 1, -1) + offsets  # snapshot-major [2, S, E']
        present = None
        if edge_mask is not None and not bool(edge_mask.all()):
            # Columns of `ei`: the non-loop edges of `edge_index` in order, then one self-loop per node.
            not_loop = edge_index[0] != edge_index[1]
            step_mask = edge_mask.to(torch.bool)[:, not_loop]
            present = torch.cat([step_mask[uniq], torch.ones(s, n, dtype=torch.bool, device=x.device)], dim=1)  # [S, E']
            union = union[:, present]  # [2, K]
        z, att1, att2 = self.encode(x[uniq].reshape(s * n, -1), union.reshape(2, -1))  # [S*N, D]
        seq = z.view(s, n, -1)[inv]  # [B, W, N, D]
        b = ends.numel()
        seq = seq.permute(0, 2, 1, 3).reshape(b * n, w, -1)
        logits = self.classify(seq).view(b, n)
        if not return_attention:
            return logits
        e = ei.size(1)
        alpha1, alpha2 = att1[1], att2[1]
        if present is not None:
            full1 = alpha1.new_zeros(s, e, alpha1.size(-1))
            full2 = alpha2.new_zeros(s, e, alpha2.size(-1))
            full1[present], full2[present] = alpha1, alpha2
            alpha1, alpha2 = full1, full2
        attention = TemporalAttention(
            edge_index=ei,
            steps=uniq,
            alpha1=alpha1.view(s, e, -1),
            alpha2=alpha2.view(s, e, -1),
        )
        return logits, attention

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}({self.in_channels}, window={self.window}, "
                f"rnn={self.rnn_kind}, conv1={self.conv1}, conv2={self.conv2})")
