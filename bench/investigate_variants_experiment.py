"""Temporary: the ranking variants of issue 17 (session rca6) under the switches `rank._EXP`; removed in the next commit.

Run: python bench/investigate_variants_experiment.py [--wide] XRAY=OUTBOUND ...  (XRAY: off|zero|after; OUTBOUND: off|excess|unexplained|leaf)
"""
import sys, itertools
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
import investigate as B
from opsgraph.investigate import rank as R
from opsgraph.investigate.evidence import calibrated_changes, metric_evidence
ds = B.find_datasets()
sets = {"PetShop": B.petshop_cases(ds / "petshop"), "Nezha": B.nezha_cases(ds / "nezha_online_boutique")}
pre = {k: [(c, calibrated_changes(c[0], c[3], baseline=c[4])) for c in v] for k, v in sets.items()}
pre = {k: [(c, cal, metric_evidence(c[0], c[3], baseline=c[4], calibrated=cal)) for c, cal in v] for k, v in pre.items()}
WIDE = [a for a in sys.argv[1:] if a == "--wide"]
variants = [tuple(a.split("=")) for a in sys.argv[1:] if a != "--wide"] or [("off", "off")]
for xray, outb in [v if len(v) == 2 else (v[0], "off") for v in variants]:
    R._EXP.update(xray=xray, outbound=outb, wide=("on" if "--wide" in sys.argv[0:0] + WIDE else "off"))
    row = []
    for name, cases in pre.items():
        tops, truths = [], []
        for (frame, edges, symptom, onset, baseline, truth, traces), cal, met in cases:
            r = R.rank_candidates(frame, edges, symptom, onset, baseline=baseline, calibrated=cal, metrics=met, traces=traces)
            tops.append(r.top(5)); truths.append(truth)
        m = B.measures(tops, truths)
        row.append(f"{name} {m['AC@1']:.2f}/{m['AC@3']:.2f}/{m['AC@5']:.2f}/{m['Avg@5']:.2f}")
    print(f"xray={xray:<6} outbound={outb:<12}", " | ".join(row), flush=True)
