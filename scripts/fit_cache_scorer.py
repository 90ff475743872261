"""Re-fit the cache's learned verifier (`src/opsgraph/rag/cache_scorer.json`) from the Quora pairs, calibration half only.

    .venv/bin/python scripts/fit_cache_scorer.py            # writes src/opsgraph/rag/cache_scorer.json
    .venv/bin/python scripts/fit_cache_scorer.py --out /tmp/x.json

1. Reads `../shared/datasets/qqp_dev_pairs.json` in place (found by walking up to `shared/datasets`; never copied)
   and keeps the calibration half: pairs whose `text_b` hashes even (`in_calibration`, the split bench/cache.py uses
   too). The held-out half is not read past the split.
2. Embeds both questions of each pair with all-MiniLM-L6-v2 (1 thread; vectors cached in .cache/bench) and computes
   `opsgraph.rag.cache_scorer.pair_features`.
3. Fits an L2 logistic regression (numpy, Newton) on the calibration pairs within cosine distance `FIT_MAX_DISTANCE`
   (the pairs a cache would ever ask it about), choosing the L2 strength from `L2_GRID` by 5-fold cross-validation
   (folds seeded with `SEED`).
4. Chooses the operating point on the out-of-fold probabilities, with the cache's hard rules (`DEFAULT_RULES`)
   applied first as the cache does: a (distance, probability) pair; if some point reaches precision >= 0.95 at
   recall >= 0.5 (recall over all calibration duplicates), the one with the highest recall, else the highest
   precision with recall >= 0.5.
5. Re-fits on all calibration pairs with that L2 and writes weights, the operating point and how they were produced.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from opsgraph.rag.cache_scorer import PairScorer, feature_names, fit_logistic, pair_features  # noqa: E402
from opsgraph.rag.cache_verify import DEFAULT_RULES, same_question  # noqa: E402

SEED = 14
FIT_MAX_DISTANCE = 0.35
L2_GRID = (100.0, 300.0, 1000.0, 3000.0)
DISTANCE_GRID = (0.10, 0.15, 0.20, 0.25, 0.30, 0.35)
GOAL_PRECISION, GOAL_RECALL = 0.95, 0.5
OUT = ROOT / "src" / "opsgraph" / "rag" / "cache_scorer.json"


def datasets_dir() -> Path:
    for parent in ROOT.parents:
        if (parent / "shared" / "datasets").is_dir():
            return parent / "shared" / "datasets"
    raise SystemExit("no shared/datasets above this checkout")


def in_calibration(text_b: str) -> bool:
    """The fixed split: calibration when a blake2b hash of the looked-up question is even (bench/cache.py uses this)."""
    return int(hashlib.blake2b(text_b.encode(), digest_size=4).hexdigest(), 16) % 2 == 0


def operating_points(prob: np.ndarray, dist: np.ndarray, hard_ok: np.ndarray, label: np.ndarray, positives: int) -> list[tuple[float, float, float, float, int]]:
    """(precision, recall, max distance, min probability, served) for every distance in DISTANCE_GRID and every
    probability cut at an observed score."""
    out = []
    for t in DISTANCE_GRID:
        m = (dist <= t) & hard_ok
        s, y = prob[m], label[m]
        order = np.argsort(-s, kind="stable")
        tp = np.cumsum(y[order])
        for k in range(len(order)):
            if k + 1 < len(order) and s[order][k + 1] == s[order][k]:
                continue  # a cut cannot fall between equal scores
            out.append((float(tp[k] / (k + 1)), float(tp[k] / positives), t, float(s[order][k]), k + 1))
    return out


def choose(points: list[tuple[float, float, float, float, int]]) -> tuple[tuple[float, float, float, float, int], str]:
    goal = [x for x in points if x[0] >= GOAL_PRECISION and x[1] >= GOAL_RECALL]
    if goal:
        return max(goal, key=lambda x: (x[1], x[0])), "precision >= 0.95 at recall >= 0.5 on calibration: the highest recall"
    half = [x for x in points if x[1] >= GOAL_RECALL]
    if half:
        return max(half, key=lambda x: (x[0], x[1])), "no point reaches precision 0.95 at recall >= 0.5 on calibration: the highest precision with recall >= 0.5"
    return max(points, key=lambda x: (x[1], x[0])), "recall 0.5 is out of reach on calibration: the highest recall"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    from opsgraph.embed import SentenceTransformerEmbedder

    path = datasets_dir() / "qqp_dev_pairs.json"
    raw = path.read_bytes()
    pairs = [p for p in json.loads(raw) if in_calibration(p["text_b"])]
    embedder = SentenceTransformerEmbedder(threads=1, cache_dir=ROOT / ".cache" / "bench")
    va, vb = embedder.embed([p["text_a"] for p in pairs]), embedder.embed([p["text_b"] for p in pairs])
    x = np.stack([pair_features(p["text_a"], p["text_b"], a, b) for p, a, b in zip(pairs, va, vb, strict=True)])
    y = np.array([p["label"] == 1 for p in pairs])
    dist = x[:, 0]
    hard_ok = np.array([same_question(p["text_a"], p["text_b"], rules=DEFAULT_RULES).ok for p in pairs])
    positives = int(y.sum())
    near = dist <= FIT_MAX_DISTANCE
    folds = np.random.default_rng(SEED).integers(0, 5, len(pairs))
    print(f"{len(pairs)} calibration pairs ({positives} duplicates), {int(near.sum())} within {FIT_MAX_DISTANCE}; {x.shape[1]} features")
    cv: dict[str, Any] = {}
    best: tuple[tuple[float, float], float, np.ndarray] | None = None
    for l2 in L2_GRID:
        prob = np.zeros(len(pairs))
        for k in range(5):
            w, b = fit_logistic(x[near & (folds != k)], y[near & (folds != k)], l2=l2)
            prob[folds == k] = 1.0 / (1.0 + np.exp(-np.clip(x[folds == k] @ w + b, -700, 700)))
        point, _ = choose(operating_points(prob, dist, hard_ok, y, positives))
        cv[str(l2)] = {"precision": round(point[0], 4), "recall": round(point[1], 4)}
        print(f"  l2 {l2:>7.0f}: out-of-fold precision {point[0]:.3f} at recall {point[1]:.3f} (distance <= {point[2]:.2f}, p >= {point[3]:.3f})")
        if best is None or (point[0], point[1]) > best[0]:
            best = ((point[0], point[1]), l2, prob)
    assert best is not None
    _, l2, prob = best
    point, how = choose(operating_points(prob, dist, hard_ok, y, positives))
    dist_only = [x for x in operating_points(-dist, dist, np.ones(len(pairs), dtype=bool), y, positives) if x[2] == max(DISTANCE_GRID)]
    base = max((x for x in dist_only if x[1] >= point[1]), key=lambda x: x[0])
    print(f"chosen: l2 {l2:.0f}; serve at distance <= {point[2]:.2f} with p >= {point[3]:.3f} ({how})")
    print(f"  calibration, out of fold: precision {point[0]:.3f} recall {point[1]:.3f} ({point[4]} served); "
          f"distance alone at that recall: precision {base[0]:.3f} (distance <= {-base[3]:.3f})")  # fmt: skip
    w, b = fit_logistic(x[near], y[near], l2=l2)
    meta = {
        "about": "Learned cache verifier: logistic regression over opsgraph.rag.cache_scorer.pair_features. Produced by scripts/fit_cache_scorer.py.",
        "dataset": {"file": "shared/datasets/qqp_dev_pairs.json", "sha256": hashlib.sha256(raw).hexdigest()},
        "split": "calibration = pairs whose text_b blake2b (4-byte digest) is even; the held-out half is never read",
        "fit": {"pairs": int(near.sum()), "max_distance": FIT_MAX_DISTANCE, "l2": l2, "l2_grid_cv": cv, "folds": 5, "seed": SEED},
        "operating_point": {
            "max_distance": point[2],
            "min_probability": round(point[3], 6),
            "how": how,
            "hard_rules_first": sorted(DEFAULT_RULES),
            "calibration_out_of_fold": {"precision": round(point[0], 4), "recall": round(point[1], 4), "served": point[4]},
            "distance_only_same_recall": {"precision": round(base[0], 4), "max_distance": round(-base[3], 4)},
        },
        "features": [*feature_names(embedder.dims)[:8], "absdiff_<i>", "product_<i>"],
    }
    scorer = PairScorer(w, b, round(point[3], 6), embedder.name, meta)
    args.out.write_text(json.dumps(scorer.to_dict(), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
