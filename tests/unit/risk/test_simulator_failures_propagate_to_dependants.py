import numpy as np

from opsgraph.risk import simulate_estate
from opsgraph.risk.simulate import Incident


def test_propagated_failures_follow_a_dependency_after_a_delay() -> None:
    e = simulate_estate(12, 600, seed=0, delay_steps=(1, 3))
    by_node: dict[str, list[Incident]] = {}
    for inc in e.incidents:
        by_node.setdefault(inc.node, []).append(inc)
    propagated = [i for i in e.incidents if i.cause is not None]
    assert len(propagated) >= 5
    for inc in propagated:
        assert inc.cause is not None
        assert (inc.node, inc.cause) in e.edges  # the dependant depends on its cause
        cause = max((c for c in by_node[inc.cause] if c.failure_start < inc.precursor_start),
                    key=lambda c: c.failure_start)
        delay = inc.precursor_start - cause.failure_start
        assert 1 <= delay <= 3
        assert inc.failure_start > cause.failure_start


def test_labels_mark_exactly_the_failing_steps() -> None:
    e = simulate_estate(12, 300, seed=2)
    idx = {n: i for i, n in enumerate(e.node_ids)}
    expected = np.zeros_like(e.labels)
    for inc in e.incidents:
        expected[inc.failure_start : inc.failure_end, idx[inc.node]] = 1
    np.testing.assert_array_equal(e.labels, expected)


def test_root_failures_have_precursors() -> None:
    e = simulate_estate(12, 600, seed=0)
    lat = e.features.index("latency_p95_ms")
    mem = e.features.index("memory")
    cpu = e.features.index("cpu")
    idx = {n: i for i, n in enumerate(e.node_ids)}
    rises = []
    for inc in e.incidents:
        if inc.cause is None and inc.precursor_start >= 5:
            n = idx[inc.node]
            before = e.values[inc.precursor_start - 5 : inc.precursor_start, n]
            late = e.values[inc.failure_start - 2 : inc.failure_start, n]  # last precursor steps, not failing yet
            assert e.labels[inc.failure_start - 1, n] == 0
            ratio = late.mean(0) / before.mean(0)
            rises.append(max(ratio[lat], ratio[mem], ratio[cpu]))
    assert len(rises) >= 5
    assert np.median(rises) > 1.5
