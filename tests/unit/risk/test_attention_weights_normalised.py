import torch

from opsgraph.risk.model import TemporalGAT

EDGE_INDEX = torch.tensor([[1, 2, 3, 2], [0, 1, 0, 0]])


def test_attention_in_unit_interval_and_sums_to_one_per_target() -> None:
    torch.manual_seed(0)
    model = TemporalGAT(3, window=3).eval()
    with torch.no_grad():
        _, att = model(torch.randn(5, 4, 3), EDGE_INDEX, torch.tensor([2, 4]), return_attention=True)
    target = att.edge_index[1]
    for alpha in (att.alpha1, att.alpha2):
        assert float(alpha.min()) >= 0.0 and float(alpha.max()) <= 1.0 + 1e-6
        sums = torch.zeros(alpha.shape[0], 4, alpha.shape[2]).index_add_(1, target, alpha)
        torch.testing.assert_close(sums, torch.ones_like(sums))
