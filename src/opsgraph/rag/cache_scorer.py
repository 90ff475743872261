"""A learned second opinion after the cache's distance search: is a near neighbour the same question?

The rule checks of `cache_verify.same_question` refuse what a rule can name (other numbers, a negation, other
names). What they cannot name (an extra clause, a narrower scope, another comparison) is left to a logistic
regression over a handful of pair features (`FEATURES`):

- `distance`: cosine distance of the two sentence embeddings;
- `content_diff`: content words (stop words dropped, a plural `s` folded) in one question and not the other;
- `length_diff`: difference of the content-word counts;
- `rule_<name>`: 1.0 when the rule `<name>` of `cache_verify` refuses the pair (numbers, negation, entities,
  comparison, shape), so the regression weighs rules that are too coarse to be hard refusals;
- `absdiff_<i>`, `product_<i>`: |u - v| and u * v of the two embeddings (the classic sentence-pair head).

The weights live in `cache_scorer.json` beside this module, fitted by `scripts/fit_cache_scorer.py` on the
calibration half of `../shared/datasets/qqp_dev_pairs.json` (the split, regularisation, the chosen operating point
and its calibration figures are recorded in the file); `bench/cache.py` measures it on the held-out half. They are
only meaningful for vectors of the embedder they were fitted with (`embedder`), so `PairScorer.applies_to` is checked
before use. A pure function of two questions and their vectors: no I/O after loading, no model call.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from opsgraph.errors import OpsGraphError
from opsgraph.rag.cache_verify import content_words, same_question

SCORED_RULES = ("numbers", "negation", "entities", "comparison", "shape")
"""The `cache_verify` rules whose verdicts are features (not hard refusals) of the scorer."""
BASE_FEATURES = ("distance", "content_diff", "length_diff", *(f"rule_{r}" for r in SCORED_RULES))
WEIGHTS_FILE = "cache_scorer.json"

class CacheScorerError(OpsGraphError):
    """The cache scorer's weights file is missing, unreadable or does not fit its features."""

    code = "cache_scorer_invalid"


def feature_names(dims: int) -> list[str]:
    """Every feature's name, in order, for embeddings of `dims` dimensions."""
    return [*BASE_FEATURES, *(f"absdiff_{i}" for i in range(dims)), *(f"product_{i}" for i in range(dims))]


def _content(text: str) -> set[str]:
    return set(content_words(text))


def pair_features(a: str, b: str, va: np.ndarray, vb: np.ndarray) -> np.ndarray:
    """The features of questions `a`, `b` with their L2-normalised embeddings `va`, `vb` (see the module docstring)."""
    u = np.asarray(va, dtype=np.float64)
    v = np.asarray(vb, dtype=np.float64)
    if u.shape != v.shape or u.ndim != 1:
        raise ValueError(f"expected two vectors of the same length, got shapes {u.shape} and {v.shape}")
    ca, cb = _content(a), _content(b)
    base = [
        1.0 - float(u @ v),
        float(len(ca ^ cb)),
        float(abs(len(ca) - len(cb))),
        *(0.0 if same_question(a, b, rules=[r]).ok else 1.0 for r in SCORED_RULES),
    ]
    return np.concatenate([np.asarray(base), np.abs(u - v), u * v])


@dataclass(frozen=True)
class PairScorer:
    """Logistic regression over `pair_features`: the probability that two near questions are the same question.

    Args:
        weights: one weight per feature (standardisation folded in), in `feature_names(dims)` order.
        bias: the intercept.
        min_probability: the operating point: a candidate is served when its probability reaches this.
        embedder: name of the embedder whose vectors the weights were fitted on.
        meta: how the weights were produced (dataset, split, regularisation, calibration figures).
    """

    weights: np.ndarray
    bias: float
    min_probability: float
    embedder: str
    meta: dict[str, Any]

    @property
    def dims(self) -> int:
        return (len(self.weights) - len(BASE_FEATURES)) // 2

    def applies_to(self, embedder_name: str, dims: int) -> bool:
        """Whether vectors of this embedder are the ones the weights were fitted on."""
        return embedder_name == self.embedder and dims == self.dims

    def probability(self, a: str, b: str, va: np.ndarray, vb: np.ndarray) -> float:
        """P(same question) for cached question `a` and new question `b` (symmetric in its features)."""
        z = float(pair_features(a, b, va, vb) @ self.weights) + self.bias
        return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0

    def same(self, a: str, b: str, va: np.ndarray, vb: np.ndarray) -> tuple[bool, float]:
        """(served?, probability) at the operating point."""
        p = self.probability(a, b, va, vb)
        return p >= self.min_probability, p

    @classmethod
    def load(cls, path: str | Path | None = None) -> PairScorer:
        """The committed weights (`cache_scorer.json` in this package), or those at `path`."""
        where = str(path) if path is not None else f"opsgraph.rag/{WEIGHTS_FILE}"
        try:
            text = Path(path).read_text(encoding="utf-8") if path is not None else resources.files("opsgraph.rag").joinpath(WEIGHTS_FILE).read_text(encoding="utf-8")
            data = json.loads(text)
        except (OSError, ValueError) as exc:
            raise CacheScorerError(f"cannot read the cache scorer's weights {where}: {exc}") from exc
        return cls.from_dict(data, where=where)

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, where: str = "<dict>") -> PairScorer:
        for key in ("weights", "bias", "min_probability", "embedder", "dims"):
            if key not in data:
                raise CacheScorerError(f"{where}: field '{key}' is missing (expected the output of scripts/fit_cache_scorer.py)")
        weights = np.asarray(data["weights"], dtype=np.float64)
        expected = len(feature_names(int(data["dims"])))
        if weights.shape != (expected,):
            raise CacheScorerError(f"{where}: field 'weights' has {weights.size} values, expected {expected} for dims {data['dims']}")
        if not 0.0 <= float(data["min_probability"]) <= 1.0:
            raise CacheScorerError(f"{where}: field 'min_probability' must be in [0, 1], got {data['min_probability']}")
        meta = {k: v for k, v in data.items() if k not in ("weights", "bias", "min_probability", "embedder", "dims")}
        return cls(weights, float(data["bias"]), float(data["min_probability"]), str(data["embedder"]), meta)

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.meta,
            "embedder": self.embedder,
            "dims": self.dims,
            "min_probability": self.min_probability,
            "bias": self.bias,
            "weights": [round(float(w), 6) for w in self.weights],
        }


def fit_logistic(x: np.ndarray, y: np.ndarray, *, l2: float, iterations: int = 100) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression by Newton's method on standardised features; returns (weights, bias) on the
    raw features (standardisation folded in). The intercept is not penalised."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    mu, sd = x.mean(axis=0), x.std(axis=0)
    sd[sd < 1e-12] = 1.0
    z = np.c_[np.ones(len(x)), (x - mu) / sd]
    w = np.zeros(z.shape[1])
    penalty = l2 * np.eye(z.shape[1])
    penalty[0, 0] = 0.0
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(z @ w, -700, 700)))
        grad = z.T @ (p - y) + penalty @ w
        hess = (z * (p * (1.0 - p))[:, None]).T @ z + penalty
        step = np.linalg.solve(hess, grad)
        w -= step
        if float(np.abs(step).max()) < 1e-9:
            break
    raw = w[1:] / sd
    return raw, float(w[0] - raw @ mu)


@cache
def default_scorer() -> PairScorer:
    """The committed weights, read once per process."""
    return PairScorer.load()
