"""Investigations, measured: root-cause accuracy on PetShop and Nezha, the confident-vs-not split, and speed.

One command (``python bench/investigate.py``) prints, for the same cases in the same run:

* **PetShop** issues of one split (``--split train``, the default: the 20 training issues the rankers were
  compared on; ``--split test``: the held-out issues, to be run only once a ranker is fixed; this
  machine's snapshot holds no test split, which is then reported as skipped) and **Nezha Online
  Boutique** (56 injected faults; symptom = frontend, the shop's entry point; 30 steps before the
  fault and 10 from it, the window the BARO-style figure of the issue was measured with):
  AC@1/3/5 and Avg@5 (mean of AC@1..5, RCAEval's measures) for the BARO-style baseline
  (`rca.rank_by_change`), the evidence walk (`rca.rank_root_causes`), the investigation ranker on
  metrics only (`investigate.rank_candidates` without traces: the ranker as it was before trace
  evidence) and on metrics and traces (`spans.trace_changes`: each service's own time per span and
  failed spans), and the latter without the caller-side rule (``caller_side=()``: X-Ray ``_remote`` nodes ranked
  like components, the ranker before that rule), and on metrics, traces and call edges (`calls.call_changes`: Nezha's
  ``source_50.csv`` / ``destination_50.csv``, each call edge's latency as its caller's and its callee's sidecar saw
  it, read by `_risk_datasets_public.load_nezha_calls`; PetShop has none). The investigation rankers run on `calibrated_changes`. Traces: Nezha's trace subset
  (SOURCE.txt) is one minute-file for 10 of the 56 fault windows plus one fault-free minute; the
  spans after are the window's file, the spans before the fault-free minute (`nezha_traces`).
  PetShop has no traces. Nothing is tuned per data set and nothing learns from the labels.
* the **confident-vs-not split**: how often the top candidate is right when the ranker says the
  cause is clear, and when it says "no clear cause".
* **speed**: a simulated 50-service estate with a day of per-minute telemetry in a real embedded
  store (day-sized telemetry buckets, the default); time of a whole investigation (telemetry read,
  evidence, ranking, paths, incidents, runbooks) on the old read path (every number converted by
  its own JPype call, no cache), on the new one with its bucket cache empty, warm, and cold with
  the spans of its window (`window_spans`); beside the in-memory ranking alone, over several symptoms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))


def find_datasets(start: Path = REPO) -> Path:
    """Walk up from the repository until a `shared/datasets` folder appears."""
    for p in [start, *start.parents]:
        if (p / "shared" / "datasets").is_dir():
            return p / "shared" / "datasets"
    return start.parent / "shared" / "datasets"


def _sub(frame, lo: int, hi: int):  # type: ignore[no-untyped-def]
    from opsgraph.store.base import TelemetryFrame

    return TelemetryFrame(frame.node_ids, frame.features, frame.timestamps[lo:hi], frame.values[lo:hi], frame.labels[lo:hi])


def petshop_cases(root: Path, split: str = "train") -> list[tuple]:
    from _risk_datasets_public import load_petshop

    issues, _ = load_petshop(root, split)
    return [(i.frame, i.edges, i.symptom, i.onset, i.baseline, i.root_cause, None, None) for i in issues]


def nezha_traces(root: Path, inject_time: str, normal: list | None) -> dict | None:
    """The trace evidence of one Nezha fault, when the dataset's trace subset covers its window.

    The subset (SOURCE.txt) is one minute-file per covered fault window, ``<day>/trace/HH_MM_trace.csv``
    named by the metric clock, and one fault-free minute (``normal/``); the files hold no spans before
    the onset of the same window. So the spans after are the window's file (the first named 0-3 minutes
    from the injection's minute), the spans before are the fault-free minute.
    """
    from datetime import datetime, timedelta

    from opsgraph.investigate.spans import trace_changes
    from opsgraph.sources.traces import read_span_table

    if not normal:
        return None
    at = datetime.strptime(inject_time[:16], "%Y-%m-%d %H:%M")
    for k in range(4):
        t = at + timedelta(minutes=k)
        path = root / t.strftime("%Y-%m-%d") / "trace" / f"{t:%H_%M}_trace.csv"
        if path.is_file():
            return trace_changes(normal, read_span_table(path))
    return None


def nezha_logs(root: Path) -> str:
    """What Nezha's log subset could say: its lines and how many are at error level (`sources.logs`)."""
    from opsgraph.sources.logs import read_logs

    files = sorted(root.glob("*/log/*_log.csv"))
    lines = [x for f in files for x in read_logs(f)]
    errors = sum(1 for x in lines if x.error)
    normal = len(sorted(root.glob("normal/*/log/*_log.csv")))
    return (f"  Nezha log subset: {len(files)} one-minute files, {len(lines):,} lines, {errors} at error level, {normal} "
            "fault-free log file(s): log evidence (error lines per second against before) "
            + ("has nothing to compare here, so it is not measured" if not (errors and normal) else "could be measured"))


def nezha_call_changes(calls, timestamps: np.ndarray, lo: int, hi: int, onset: int) -> dict:  # type: ignore[no-untyped-def]
    """The call-edge evidence of one Nezha window (`calls.call_changes`) from its edge latency files (`load_nezha_calls`:
    each call edge's latency as its caller's and its callee's sidecar saw it)."""
    from opsgraph.investigate.calls import call_changes, edge_changes

    return call_changes(edge_changes(calls.edges, timestamps[lo:hi], calls.client[lo:hi], calls.server[lo:hi], onset))


def nezha_cases(root: Path, before: int = 30, after: int = 10) -> list[tuple]:
    from _risk_datasets_public import load_nezha, load_nezha_calls

    from opsgraph.sources.traces import read_span_table

    nz = load_nezha(root)
    calls = load_nezha_calls(root, nz.frame.timestamps, nz.frame.node_ids)
    normal_files = sorted((root / "normal").glob("*/trace/*_trace.csv")) if (root / "normal").is_dir() else []
    normal = [s for p in normal_files for s in read_span_table(p)]
    ends = [*nz.segments[1:], len(nz.frame.timestamps)]
    out = []
    for f in nz.faults:
        seg = max(s for s in nz.segments if s <= f.step)
        end = min(e for e in ends if e > f.step)
        lo, hi = max(seg, f.step - before), min(end, f.step + after)
        onset = int(nz.frame.timestamps[f.step])
        out.append((_sub(nz.frame, lo, hi), nz.edges, "frontend", onset, None, f.service,
                    nezha_traces(root, f.inject_time, normal), nezha_call_changes(calls, nz.frame.timestamps, lo, hi, onset)))
    return out


def measures(tops: Sequence[list[str]], truths: Sequence[str]) -> dict[str, float]:
    acc = {k: float(np.mean([t in top[:k] for top, t in zip(tops, truths, strict=True)])) for k in range(1, 6)}
    return {"AC@1": acc[1], "AC@3": acc[3], "AC@5": acc[5], "Avg@5": float(np.mean(list(acc.values())))}


def evaluate(name: str, cases: list[tuple]) -> list[str]:
    from opsgraph.investigate.evidence import calibrated_changes, metric_evidence
    from opsgraph.investigate.rank import rank_candidates
    from opsgraph.risk.rca import rank_by_change, rank_root_causes

    truths = [c[5] for c in cases]
    baro, rca, prev, mid, new, prev_conf, mid_conf, conf, remote = [], [], [], [], [], [], [], [], []
    traced = sum(1 for c in cases if c[6])
    called = sum(1 for c in cases if c[7] is not None)
    began = time.perf_counter()
    for frame, edges, symptom, onset, baseline, _, traces, calls in cases:
        baro.append(rank_by_change(frame, onset, symptom=symptom, calls=edges).top(5))
        rca.append(rank_root_causes(frame, edges, symptom, onset, baseline=baseline).top(5))
        cal = calibrated_changes(frame, onset, baseline=baseline)
        metrics = metric_evidence(frame, onset, baseline=baseline, calibrated=cal)
        before = rank_candidates(frame, edges, symptom, onset, baseline=baseline, calibrated=cal, metrics=metrics)
        prev.append(before.top(5))
        prev_conf.append(before.confident)
        traced_only = rank_candidates(frame, edges, symptom, onset, baseline=baseline, calibrated=cal, metrics=metrics,
                                      traces=traces)
        mid.append(traced_only.top(5))
        mid_conf.append(traced_only.confident)
        ranking = rank_candidates(frame, edges, symptom, onset, baseline=baseline, calibrated=cal, metrics=metrics,
                                  traces=traces, calls=calls)
        new.append(ranking.top(5))
        conf.append(ranking.confident)
        remote.append(rank_candidates(frame, edges, symptom, onset, baseline=baseline, calibrated=cal, metrics=metrics,
                                      traces=traces, calls=calls, caller_side=()).top(5))
    secs = (time.perf_counter() - began) / max(len(cases), 1)
    lines = [f"{name}: {len(cases)} cases, {traced} with traces, {called} with call-edge latencies "
             f"({secs * 1000:.0f} ms per case for all six rankers)",
             f"  {'ranker':<62} {'AC@1':>5} {'AC@3':>5} {'AC@5':>5} {'Avg@5':>6}"]
    for label, tops in (("BARO-style (rca.rank_by_change)", baro), ("evidence walk (rca.rank_root_causes)", rca),
                        ("investigation ranker, metrics only (before trace evidence)", prev),
                        ("investigation ranker, remote nodes as components (no rule)", remote),
                        ("investigation ranker, metrics and traces (before call edges)", mid),
                        ("investigation ranker, metrics, traces and call edges (now)", new)):
        m = measures(tops, truths)
        lines.append(f"  {label:<62} {m['AC@1']:>5.2f} {m['AC@3']:>5.2f} {m['AC@5']:>5.2f} {m['Avg@5']:>6.2f}")
    for who, tops, flags in (("metrics only", prev, prev_conf), ("before call edges", mid, mid_conf), ("now", new, conf)):
        right = [top[0] == t for top, t in zip(tops, truths, strict=True)]
        for flag, word in ((True, "clear"), (False, "no clear cause")):
            hits = [r for r, c in zip(right, flags, strict=True) if c == flag]
            share = f"{np.mean(hits):.2f}" if hits else "n/a"
            lines.append(f"  investigation ranker ({who}) said '{word}': {len(hits)} case(s), top candidate right in {share}")
    if traced:
        changed = [(t, p[0], n[0]) for t, p, n, c in zip(truths, prev, mid, cases, strict=True) if c[6] and p[:5] != n[:5]]
        lines.append(f"  cases with traces whose ranking traces changed: {len(changed)} "
                     + ", ".join(f"(truth {t}: top {a} -> {b})" for t, a, b in changed))
    if called:
        moved = [(t, p.index(t) + 1 if t in p else None, n.index(t) + 1 if t in n else None)
                 for t, p, n, c in zip(truths, mid, new, cases, strict=True) if c[7] is not None and p[:5] != n[:5]]
        lines.append(f"  cases whose top 5 call edges changed: {len(moved)}; the true cause's place (top 5, '-' below) "
                     "before -> now: " + ", ".join(f"{t} {a or '-'}->{b or '-'}" for t, a, b in moved))
    return lines


SCHEMA = """\
version: 1
name: bench
nodes:
  Service:
    properties: {name: string}
    telemetry: [cpu, memory, latency_p95_ms, error_rate, requests_per_s]
  Incident:
    properties: {title: string, started_at: datetime, resolved_at: datetime, summary: string}
edges:
  DEPENDS_ON: {from: Service, to: Service, dependency: true}
  AFFECTED: {from: Incident, to: Service}
  CAUSED_BY: {from: Incident, to: Service}
incidents: {type: Incident}
"""


class _ElementWiseTransport:
    """The store's transport without `query_numeric`: every number crosses from the engine one JPype call at a time
    (the read path before the fast one), for the old-path figure."""

    def __init__(self, inner) -> None:  # type: ignore[no-untyped-def]
        self._inner = inner

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        if name == "query_numeric":
            raise AttributeError(name)
        return getattr(self._inner, name)


def speed(n_services: int = 50, steps: int = 1440, runs: int = 5, bucket_steps: int = 1440) -> list[str]:
    from opsgraph.investigate import investigate
    from opsgraph.investigate.evidence import detect_onset
    from opsgraph.investigate.spans import MAX_SPANS
    from opsgraph.risk.rca import rank_root_causes
    from opsgraph.risk.simulate import simulate_estate
    from opsgraph.schema.loader import parse_schema
    from opsgraph.store import create_store
    from opsgraph.store.telemetry_cache import BucketCache

    sim = simulate_estate(n_services, steps, seed=3, incident_rate=1 / 400)
    schema = parse_schema(SCHEMA)
    roots = [i for i in sim.incidents if i.cause is None and i.failure_start > 60]
    with tempfile.TemporaryDirectory() as tmp:
        store = create_store("arcadedb-embedded", path=Path(tmp) / "store", bucket_steps=bucket_steps)
        store.open()
        try:
            store.ensure_schema(schema)
            store.upsert_nodes("Service", [{"id": n, "name": n} for n in sim.node_ids])
            store.upsert_edges("DEPENDS_ON", [{"from": a, "to": b, "from_type": "Service", "to_type": "Service"} for a, b in sim.edges])
            rows = [{"node": n, "ts": int(sim.timestamps[t]), "values": [float(x) for x in sim.values[t, j]], "label": None}
                    for t in range(steps) for j, n in enumerate(sim.node_ids)]
            began = time.perf_counter()
            store.write_telemetry("Service", list(sim.features), rows)
            write_s = time.perf_counter() - began
            targets = []
            for inc in roots[:runs]:
                symptom = next((a for a, b in sim.edges if b == inc.node), inc.node)  # a caller of the root cause sees it
                targets.append((symptom, int(sim.timestamps[inc.failure_start])))
            investigate(store, schema, targets[0][0], at=targets[0][1])  # the engine's first query plans (JIT), not counted
            fast_transport, cache = store.transport, store.telemetry_cache
            store.transport, store.telemetry_cache = _ElementWiseTransport(fast_transport), BucketCache(0)
            old = [_timed(lambda s=s, a=a: investigate(store, schema, s, at=a)) for s, a in targets]
            store.transport, store.telemetry_cache = fast_transport, cache
            cold = []
            for symptom, at in targets:
                cache.clear()
                cold.append(_timed(lambda s=symptom, a=at: investigate(store, schema, s, at=a)))
            warm = [_timed(lambda s=s, a=a: investigate(store, schema, s, at=a)) for s, a in targets]
            spans = {a: window_spans(sim.edges, a) for _, a in targets}
            traced = []
            for symptom, at in targets:
                cache.clear()
                traced.append(_timed(lambda s=symptom, a=at: investigate(store, schema, s, at=a, spans=spans[a])))
            frame = store.read_telemetry("Service")
            call_s = [_timed(lambda a=a: call_evidence(spans[a], a)) for _, a in targets]
            rank_only = [_timed(lambda s=s, a=a: rank_root_causes(frame, sim.edges, s, a)) for s, a in targets]
            detect_s = _timed(lambda: detect_onset(frame, targets[0][0]))
        finally:
            store.close()

    def fig(xs: list[float]) -> str:
        return f"median {statistics.median(xs):.2f} s, max {max(xs):.2f} s"

    return [f"speed: {n_services} services, {steps} steps ({len(rows)} telemetry rows, written in {write_s:.1f} s), "
            f"store telemetry buckets of {bucket_steps} steps, {len(targets)} symptoms; a whole investigation (read + evidence + "
            "rank + paths + incidents + runbooks), goal < 2 s:",
            f"  old path (each number crosses from the engine by itself, no bucket cache): {fig(old)}",
            f"  new path, cold (numbers cross as one string per list, bucket cache emptied first): {fig(cold)}",
            f"  new path, warm (buckets decoded by an earlier investigation, same data):   {fig(warm)}",
            f"  new path, cold, with {statistics.median(len(v) for v in spans.values()):,.0f} spans in the +-30 min window "
            f"(every dependency edge called {SPAN_CALLS}x a minute; thinned to whole traces, ~{MAX_SPANS:,} spans): {fig(traced)}",
            f"  of which the call-edge evidence from those spans (thin, client/server latency per edge and minute, "
            f"changes): median {statistics.median(call_s):.2f} s, max {max(call_s):.2f} s",
            f"  in-memory reference in the same run: rca.rank_root_causes on the whole day: median {statistics.median(rank_only):.3f} s",
            f"  onset detection over the day for one symptom: {detect_s:.3f} s"]


SPAN_CALLS = 20
"""Calls a minute on each dependency edge in the speed figure with spans."""


@dataclass(frozen=True)
class _Span:
    trace_id: str
    span_id: str
    parent_id: str | None
    service: str
    start_ns: int
    end_ns: int
    error: bool | None = None


def window_spans(edges: Sequence[tuple[str, str]], at: int, window_s: int = 1800, seed: int = 1) -> list[_Span]:
    """Two-span traces (caller, callee) on every dependency edge, `SPAN_CALLS` a minute, over the window around `at`."""
    rng = np.random.default_rng(seed)
    out = []
    n = 0
    for minute in range(at - window_s, at + window_s, 60):
        for a, b in edges:
            for _ in range(SPAN_CALLS):
                t0 = int((minute + 60 * rng.random()) * 1e9)
                callee_ms, own_ms = 2 + rng.random(), 1 + rng.random()
                c0 = t0 + int(own_ms / 2 * 1e6)
                c1 = c0 + int(callee_ms * 1e6)
                out += [_Span(f"t{n}", "p", None, a, t0, c1 + int(own_ms / 2 * 1e6)), _Span(f"t{n}", "c", "p", b, c0, c1)]
                n += 1
    return out


def call_evidence(spans: Sequence[_Span], at: int) -> dict:
    """The call-edge evidence `investigate` computes from a window's spans (`calls`), alone, for its share of the time."""
    from opsgraph.investigate.calls import call_changes, edge_changes, span_call_latencies
    from opsgraph.investigate.spans import thin

    return call_changes(edge_changes(*span_call_latencies(thin(spans), 60), at))


def _timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--datasets", type=Path, default=None, help="folder of the shared datasets (read, never copied)")
    p.add_argument("--skip-speed", action="store_true", help="accuracy only")
    p.add_argument("--split", choices=("train", "test"), default="train",
                   help="PetShop split: 'train' (the issues rankers were compared on) or 'test' (held out: run it only to "
                        "measure a ranker already fixed)")
    args = p.parse_args(argv)
    datasets = args.datasets or find_datasets()
    sections: list[tuple[str, Callable[[], list[tuple]]]] = [
        (f"PetShop {'training' if args.split == 'train' else 'held-out test'} issues",
         lambda: petshop_cases(datasets / "petshop", args.split)),
        ("Nezha Online Boutique", lambda: nezha_cases(datasets / "nezha_online_boutique")),
    ]
    for name, load in sections:
        try:
            cases = load()
        except (OSError, ValueError) as exc:
            print(f"{name}: skipped ({exc})")
            continue
        if not cases:
            print(f"{name}: skipped (no issues found under {datasets})")
            continue
        print("\n".join(evaluate(name, cases)), flush=True)
        if name.startswith("Nezha"):
            print(nezha_logs(datasets / "nezha_online_boutique"), flush=True)
    if not args.skip_speed:
        # The default store keeps a day per telemetry document: any window reads the whole day of every node.
        print("\n".join(speed()), flush=True)


if __name__ == "__main__":
    main()
