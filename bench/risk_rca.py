"""Root-cause section of `bench/risk.py`: AC@1 / AC@3 on PetShop's training issues.

Three rankers on the same 20 issues: a BARO-style baseline (each metric
robust-scaled by its own pre-onset rows, nodes by their largest post-onset
change), the same evidence as the ranker but no graph ("change only"), and the
evidence ranker of `opsgraph.risk.rca` (change calibrated against the no-issue
recording + anomaly-weighted personalised PageRank from the symptom). None of
them learns from labelled issues: all 20 share one root cause (PetSearch), so a
ranker that learned which node tends to be the cause would score perfectly here
and mean nothing elsewhere. Imported by `bench/risk.py`.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np


def run_rca(datasets: Path) -> list[str]:
    from _risk_datasets_public import load_petshop

    from opsgraph.risk.rca import (
        LOAD_PREFIXES,
        RankedNode,
        RootCauseRanking,
        accuracy_at_k,
        metric_changes,
        node_anomaly,
        rank_by_change,
        rank_root_causes,
    )

    root = datasets / "petshop"
    if not root.is_dir():
        return [f"PetShop not found at {root}: skipped"]
    issues, report = load_petshop(root, "train")
    truths = [i.root_cause for i in issues]
    baro, change, ranker = [], [], []
    for i in issues:
        baro.append(rank_by_change(i.frame, i.onset, symptom=i.symptom, calls=i.edges))
        perf = np.array([not f.startswith(LOAD_PREFIXES) for f in i.frame.features])
        a = node_anomaly(metric_changes(i.frame, i.onset, baseline=i.baseline), perf)
        order = sorted(range(a.size), key=lambda k: (-a[k], i.frame.node_ids[k]))
        change.append(RootCauseRanking(i.symptom, i.onset, "change", [
            RankedNode(i.frame.node_ids[k], float(a[k]), float(a[k]), False) for k in order]))
        ranker.append(rank_root_causes(i.frame, i.edges, i.symptom, i.onset, baseline=i.baseline))

    causes = Counter(truths)
    with_base = sum(i.baseline is not None for i in issues)
    lines = [f"{len(issues)} training issues ({', '.join(f'{k} {v}' for k, v in Counter(i.scenario for i in issues).items())}); "
             f"root causes: {dict(causes)}; {with_base} issues have a no-issue recording for calibration"]
    lines += [f"  import: {n}" for n in report.notes]
    lines.append(f"{'ranker':<44} {'AC@1':>5} {'AC@3':>5} {'AC@5':>5}  mean rank")
    for name, ranks in (("BARO-style (own pre-onset robust scale)", baro),
                        ("change only (calibrated evidence, no graph)", change),
                        ("evidence + graph (rca.rank_root_causes)", ranker)):
        mean_rank = np.mean([r.rank_of(t) or len(r.nodes) for r, t in zip(ranks, truths, strict=True)])
        lines.append(f"{name:<44} {accuracy_at_k(ranks, truths, 1):>5.2f} {accuracy_at_k(ranks, truths, 3):>5.2f} "
                     f"{accuracy_at_k(ranks, truths, 5):>5.2f}  {mean_rank:9.1f}")
    top1 = Counter(r.top(1)[0] for r in ranker)
    lines.append("  evidence ranker's top-1 picks: " + ", ".join(f"{k.split('_')[0][:24]} {v}" for k, v in top1.most_common(4)))
    return lines
