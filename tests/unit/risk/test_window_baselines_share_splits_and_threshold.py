from _risk_baselines import NodeLSTM, fit_window_model, logistic_last_step

from opsgraph.risk import RiskConfig, build_dataset, simulate_estate


def test_lstm_and_logistic_report_risky_class_metrics_on_test_windows() -> None:
    sim = simulate_estate(4, 160, seed=3, incident_rate=1 / 40)
    cfg = RiskConfig(epochs=1, threads=1, seed=0, batch_size=64)
    ds = build_dataset(sim.to_frame(), sim.edges, window=cfg.window, horizon=cfg.horizon)
    known = int((ds.targets[ds.test_ends] >= 0).sum())
    lstm = fit_window_model("lstm", NodeLSTM(len(ds.features), window=cfg.window), ds, cfg)
    assert lstm.epochs == 1 and len(lstm.history) == 1
    for result in (lstm, logistic_last_step(ds)):
        assert {"f1", "auroc", "ap", "threshold"} <= set(result.test)
        assert result.test["count"] == known
        assert result.test["threshold"] == result.threshold == result.val["threshold"]
