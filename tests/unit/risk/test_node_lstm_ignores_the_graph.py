import pytest
import torch
from _risk_baselines import NodeLSTM


def test_logits_per_window_and_node_whatever_the_edges() -> None:
    torch.manual_seed(0)
    model = NodeLSTM(3, window=4).eval()
    x = torch.randn(10, 5, 3)
    ends = torch.tensor([3, 4, 9])
    with torch.no_grad():
        a = model(x, torch.tensor([[0, 1], [1, 2]]), ends)
        b = model(x, torch.zeros(2, 0, dtype=torch.long), ends)
    assert a.shape == (3, 5)
    assert torch.equal(a, b)


def test_a_node_sees_only_its_own_window() -> None:
    torch.manual_seed(0)
    model = NodeLSTM(2, window=3).eval()
    x = torch.randn(6, 4, 2)
    y = x.clone()
    y[:, 1] += 5.0  # change node 1 only
    y[:2] += 3.0  # and steps before the window
    with torch.no_grad():
        a, b = model(x, None, torch.tensor([5])), model(y, None, torch.tensor([5]))
    changed = (a - b).abs()[0] > 1e-6
    assert changed.tolist() == [False, True, False, False]


@pytest.mark.parametrize("ends", [[1], [6], []])
def test_window_ends_outside_the_data_are_refused(ends: list[int]) -> None:
    with pytest.raises(ValueError):
        NodeLSTM(2, window=3)(torch.zeros(6, 2, 2), None, torch.tensor(ends, dtype=torch.long))
