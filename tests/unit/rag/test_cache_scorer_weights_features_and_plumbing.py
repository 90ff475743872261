"""The learned cache verifier: its features, its committed weights, its fitting, and the cache asking it after the rules.

The scorer's judgement on real questions needs the real embedder: tests/integration/rag/test_cache_serves_rewordings_only.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from opsgraph.embed import HashingEmbedder
from opsgraph.errors import OpsGraphError
from opsgraph.rag import EmbeddedSemanticCache
from opsgraph.rag.cache import base as cache_base
from opsgraph.rag.cache_scorer import (
    BASE_FEATURES,
    CacheScorerError,
    PairScorer,
    feature_names,
    fit_logistic,
    pair_features,
)


def _unit(v: list[float]) -> np.ndarray:
    x = np.asarray(v, dtype=np.float64)
    return x / np.linalg.norm(x)


def test_features_are_distance_word_differences_rule_verdicts_and_the_vector_pair() -> None:
    u, v = _unit([1.0, 0.0, 1.0]), _unit([1.0, 1.0, 0.0])
    f = dict(zip(feature_names(3), pair_features("What happened in 2002?", "What happened in 1992 in Paris?", u, v), strict=True))
    assert f["distance"] == pytest.approx(1.0 - float(u @ v))
    assert f["content_diff"] == 3.0  # 2002 | 1992, paris
    assert f["length_diff"] == 1.0
    assert f["rule_numbers"] == 1.0 and f["rule_entities"] == 1.0 and f["rule_negation"] == 0.0
    assert [f[f"absdiff_{i}"] for i in range(3)] == pytest.approx(list(np.abs(u - v)))
    assert [f[f"product_{i}"] for i in range(3)] == pytest.approx(list(u * v))


def test_plural_s_and_stop_words_are_not_a_difference() -> None:
    u = _unit([1.0, 2.0])
    f = dict(zip(feature_names(2), pair_features("What are the best books?", "Which is the best book", u, u), strict=True))
    assert f["content_diff"] == 0.0 and f["distance"] == pytest.approx(0.0, abs=1e-12)


def test_vectors_of_different_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="same length"):
        pair_features("a", "b", np.ones(3), np.ones(4))


def test_committed_weights_say_how_they_were_made() -> None:
    scorer = PairScorer.load()
    assert scorer.embedder == "all-MiniLM-L6-v2" and scorer.dims == 384
    assert len(scorer.weights) == len(BASE_FEATURES) + 2 * 384
    assert 0.0 < scorer.min_probability < 1.0
    assert len(scorer.meta["dataset"]["sha256"]) == 64 and "calibration" in scorer.meta["split"]
    assert "fit_cache_scorer.py" in scorer.meta["about"]
    point = scorer.meta["operating_point"]
    assert point["min_probability"] == scorer.min_probability and 0.0 < point["max_distance"] <= 0.35
    assert scorer.applies_to("all-MiniLM-L6-v2", 384) and not scorer.applies_to("hashing-384", 384)


def test_a_broken_weights_file_is_a_clear_error(tmp_path: Path) -> None:
    good = PairScorer.load().to_dict()
    missing = tmp_path / "missing.json"
    missing.write_text(json.dumps({k: v for k, v in good.items() if k != "bias"}), encoding="utf-8")
    with pytest.raises(CacheScorerError, match=r"missing\.json: field 'bias' is missing"):
        PairScorer.load(missing)
    short = tmp_path / "short.json"
    short.write_text(json.dumps({**good, "weights": good["weights"][:10]}), encoding="utf-8")
    with pytest.raises(CacheScorerError, match="'weights' has 10 values, expected 776"):
        PairScorer.load(short)
    with pytest.raises(CacheScorerError, match="cannot read"):
        PairScorer.load(tmp_path / "absent.json")
    assert issubclass(CacheScorerError, OpsGraphError)


def test_round_trip_keeps_the_scores(tmp_path: Path) -> None:
    scorer = PairScorer.load()
    again = PairScorer.from_dict(json.loads(json.dumps(scorer.to_dict())))
    u, v = _unit(list(np.arange(1.0, 385.0))), _unit(list(np.arange(384.0, 0.0, -1.0)))
    assert again.probability("How do I x?", "How can I x?", u, v) == pytest.approx(scorer.probability("How do I x?", "How can I x?", u, v), abs=1e-5)


def test_fit_logistic_learns_the_sign_and_folds_the_scaling_in() -> None:
    rng = np.random.default_rng(0)
    x = np.c_[rng.normal(0, 5, 400), rng.normal(10, 0.1, 400)]
    y = (x[:, 0] + rng.normal(0, 1, 400) > 0).astype(float)
    w, b = fit_logistic(x, y, l2=1.0)
    p = 1 / (1 + np.exp(-(x @ w + b)))
    assert w[0] > 0 and abs(w[1]) < abs(w[0]) * 10
    assert float(np.mean((p > 0.5) == (y == 1))) > 0.85


def _cache(tmp_path: Path, scorer: PairScorer, monkeypatch: pytest.MonkeyPatch) -> EmbeddedSemanticCache:
    monkeypatch.setattr(cache_base, "default_scorer", lambda: scorer)
    cache = EmbeddedSemanticCache(HashingEmbedder(16), tmp_path, threshold=0.5)
    cache.open()
    return cache


def _scorer_for_hashing(bias: float) -> PairScorer:
    return PairScorer(np.zeros(len(feature_names(16))), bias, 0.5, "hashing-16", {})


def test_the_cache_asks_the_scorer_after_the_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = _cache(tmp_path, _scorer_for_hashing(-5.0), monkeypatch)  # refuses everything the rules let through
    cache.store("Which services depend on payment?", "checkout")
    looked = cache.lookup("Which services depend on payment?")
    assert looked.outcome == "miss" and "learned verifier: p 0.01 < 0.50" in looked.candidates[0]["why"]
    assert cache.stats.guarded == 1
    numbers = cache.lookup("Which 2 services depend on payment?")
    assert numbers.candidates and all("numbers" in c["why"] for c in numbers.candidates)  # the rule first; no scorer asked
    cache.learned_verifier = False
    assert cache.lookup("Which services depend on payment?").outcome == "hit"


def test_the_cache_serves_what_the_scorer_accepts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = _cache(tmp_path, _scorer_for_hashing(5.0), monkeypatch)
    cache.store("Which services depend on payment?", "checkout")
    assert cache.lookup("Which services depend on payment?").outcome == "hit"


def test_weights_for_another_embedder_are_not_applied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    refuse_all = PairScorer(np.zeros(len(feature_names(384))), -5.0, 0.5, "all-MiniLM-L6-v2", {})
    cache = _cache(tmp_path, refuse_all, monkeypatch)
    cache.store("Which services depend on payment?", "checkout")
    assert cache.lookup("Which services depend on payment?").outcome == "hit"
