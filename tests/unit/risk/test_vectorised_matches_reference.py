import pytest
import torch
from _risk_reference import reference_forward

from opsgraph.risk.model import TemporalGAT

EDGE_INDEX = torch.tensor([[1, 2, 3, 4, 4], [0, 1, 0, 2, 3]])


@pytest.mark.parametrize("rnn", ["lstm", "gru"])
def test_same_weights_give_same_logits(rnn: str) -> None:
    torch.manual_seed(0)
    model = TemporalGAT(4, window=5, rnn=rnn).eval()
    x = torch.randn(14, 5, 4)
    ends = torch.tensor([4, 5, 6, 10, 13])  # overlapping and separate windows
    with torch.no_grad():
        fast = model(x, EDGE_INDEX, ends)
        slow = reference_forward(model, x, EDGE_INDEX, ends)
    assert float((fast - slow).abs().max()) < 1e-5
