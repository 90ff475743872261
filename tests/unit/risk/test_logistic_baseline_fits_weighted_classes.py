import numpy as np
import pytest
from _risk_baselines import LogisticBaseline

from opsgraph.risk.metrics import auroc


def test_separates_a_rare_class_on_its_informative_feature() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 3))
    y = (x[:, 1] + 0.3 * rng.normal(size=400) > 1.5).astype(int)  # ~7 % positives
    model = LogisticBaseline.fit(x, y)
    p = model.predict(x)
    assert p.shape == (400,)
    assert auroc(y, p) > 0.95
    assert abs(model.coef[1]) > 5 * max(abs(model.coef[0]), abs(model.coef[2]))
    # balanced weights: positives are not drowned by the majority
    assert p[y == 1].mean() > 0.5 > p[y == 0].mean()


def test_needs_both_classes() -> None:
    with pytest.raises(ValueError):
        LogisticBaseline.fit(np.zeros((5, 2)), np.zeros(5))
