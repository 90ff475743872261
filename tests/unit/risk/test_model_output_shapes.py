import pytest
import torch

from opsgraph.risk.model import TemporalGAT

# 0 <- 1 <- 2 and 0 <- 3: messages travel from dependencies to dependants.
EDGE_INDEX = torch.tensor([[1, 2, 3], [0, 1, 0]])


def _model(rnn: str = "lstm") -> TemporalGAT:
    torch.manual_seed(0)
    return TemporalGAT(3, window=4, hidden_channels=5, heads=4, out_channels=6, out_heads=2, rnn_hidden=7, rnn=rnn)


def test_logits_are_one_per_window_and_node() -> None:
    x = torch.randn(10, 4, 3)
    out = _model()(x, EDGE_INDEX, torch.tensor([3, 4, 9]))
    assert out.shape == (3, 4)


def test_attention_has_one_row_per_snapshot_and_edge() -> None:
    x = torch.randn(10, 4, 3)
    _, att = _model()(x, EDGE_INDEX, torch.tensor([3, 5]), return_attention=True)
    assert att.steps.tolist() == [0, 1, 2, 3, 4, 5]  # distinct snapshots, each once
    assert att.edge_index.shape == (2, 3 + 4)  # edges + one self-loop per node
    assert att.alpha1.shape == (6, 7, 4)
    assert att.alpha2.shape == (6, 7, 2)


def test_gru_cell_gives_same_shapes() -> None:
    out = _model(rnn="gru")(torch.randn(6, 4, 3), EDGE_INDEX, torch.tensor([3, 5]))
    assert out.shape == (2, 4)


def test_window_end_before_a_full_window_is_refused() -> None:
    with pytest.raises(ValueError, match="window ends"):
        _model()(torch.randn(6, 4, 3), EDGE_INDEX, torch.tensor([2]))


def test_unknown_rnn_is_refused() -> None:
    with pytest.raises(ValueError, match="rnn"):
        TemporalGAT(3, rnn="transformer")


def test_repr_names_the_layers() -> None:
    assert repr(_model()) == (
        "TemporalGAT(3, window=4, rnn=lstm, conv1=GATv2Conv(3, 5, heads=4), conv2=GATv2Conv(20, 6, heads=2))"
    )
