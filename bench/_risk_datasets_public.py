"""Importers for two public datasets, for benchmarks and tests: Nezha Online Boutique and PetShop.

What it is for: measuring the risk and root-cause code on data it was not built
around. Each loader turns a dataset folder (passed in by the caller; this module
resolves no default path and reads no environment) into `TelemetryFrame`s plus
dependency edges ``(src, dst)`` meaning *src calls (depends on) dst*, and returns
an `ImportReport` of every row or value it dropped or could not trust: the data
has known defects (see the datasets' README, "Known traps"), and an importer
must say what it did about them rather than silently trust them. It must not be
used to fill a real estate's store: the product reads telemetry from the store.

Nezha (FSE'23), Online Boutique, ``<root>/<day>/metric/*_metric.csv``
    Per-pod one-minute rows. Rows are aligned by the ``Time`` column, floored to
    the minute (``TimeStamp`` is corrupted upstream in some files), and pods
    are aggregated per service (``service`` = pod name without its two
    generated suffixes; sums for counters, means for rates, max for latency
    percentiles). Faults (``<day>-fault_list.json``) are aligned by
    ``inject_time`` against ``Time`` (``inject_timestamp`` is off by 60 s for
    one fault): the faulted service is labelled failing for `fault_minutes`
    steps from the first row at or after the injection. Days are concatenated
    (the frame's timestamps jump between days; `segments` says where).
    Edges come from ``dependency.csv``; rows naming something that is not a
    service with metrics (IP addresses, the load generator) are dropped.

PetShop (Amazon, 2023), ``<root>/dataset/<scenario>/``
    ``graph.csv`` is an adjacency matrix (row calls column); ``metrics.csv``
    files have three header rows (node, metric, statistic) then five-minute
    rows. Each issue's frame has one feature per (metric, statistic), NaN where
    a node lacks it, and labels -1 (the data labels the issue, not steps).
"""

from __future__ import annotations

import csv
import json
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from opsgraph.errors import RiskError
from opsgraph.store.base import TelemetryFrame


class PublicDataError(RiskError, ValueError):
    """A dataset folder is missing or not in the expected format."""


@dataclass
class ImportReport:
    """What an importer dropped, distrusted or worked around, in plain sentences with counts."""

    notes: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    """Totals by kind, e.g. ``{"values_missing": 127, "edges_dropped": 12}``."""

    def add(self, kind: str, count: int, note: str) -> None:
        if count <= 0:
            return
        self.counts[kind] = self.counts.get(kind, 0) + count
        self.notes.append(note)


# -- Nezha ------------------------------------------------------------------------------------------

NEZHA_FEATURES: dict[str, tuple[str, str]] = {
    "cpu_rate": ("CpuUsageRate(%)", "mean"),
    "memory_rate": ("MemoryUsageRate(%)", "mean"),
    "syscall_read": ("SyscallRead", "sum"),
    "syscall_write": ("SyscallWrite", "sum"),
    "net_rx_bytes": ("NetworkReceiveBytes", "sum"),
    "net_tx_bytes": ("NetworkTransmitBytes", "sum"),
    "client_p90_s": ("PodClientLatencyP90(s)", "max"),
    "server_p90_s": ("PodServerLatencyP90(s)", "max"),
    "client_p99_s": ("PodClientLatencyP99(s)", "max"),
    "server_p99_s": ("PodServerLatencyP99(s)", "max"),
    "workload_ops": ("PodWorkload(Ops)", "sum"),
}
"""Feature name -> (source column, aggregation over a service's pods). CpuUsage(m),
MemoryUsage(Mi) and the p95 columns repeat these signals; Node* columns describe the
host, not the service; PodSuccessRate(%) is constant (checked and reported)."""

_CONSTANT_CHECK = "PodSuccessRate(%)"


@dataclass(frozen=True)
class NezhaFault:
    """One injected fault, aligned to the frame."""

    inject_time: str
    """As written in the fault list (UTC)."""
    service: str
    kind: str
    """cpu_contention | cpu_consumed | network_delay | return | exception."""
    step: int
    """Frame index of the first row at or after `inject_time`."""


@dataclass(frozen=True)
class PublicTelemetry:
    """A frame, its dependency edges, and what the import did."""

    frame: TelemetryFrame
    edges: list[tuple[str, str]]
    """(src, dst): src calls dst."""
    report: ImportReport
    segments: list[int] = field(default_factory=list)
    """Frame index where each contiguous recording (a Nezha day) starts."""
    faults: list[NezhaFault] = field(default_factory=list)


def _parse_time(text: str) -> float | None:
    """Epoch seconds of Nezha's ``2022-08-22 03:51:19.799087274 +0000 UTC m=+0.3`` (UTC), or None."""
    try:
        whole = datetime.strptime(text[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC).timestamp()
    except ValueError:
        return None
    frac = text[19:].split(" ", 1)[0]
    return whole + (float("0" + frac) if frac.startswith(".") and frac[1:].isdigit() else 0.0)


def _float(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        return math.nan
    return v if math.isfinite(v) else math.nan


def service_of(pod: str) -> str:
    """``checkoutservice-578fcf4766-9csqn`` -> ``checkoutservice`` (Kubernetes deployment pods)."""
    parts = pod.rsplit("-", 2)
    return parts[0] if len(parts) == 3 else pod


def nezha_days(root: str | Path) -> list[str]:
    """Days (folder names) that have a fault list and metrics, sorted."""
    root = Path(root)
    return sorted(p.name for p in root.iterdir() if p.is_dir() and (p / f"{p.name}-fault_list.json").is_file()
                  and (p / "metric").is_dir())


def load_nezha(
    root: str | Path,
    days: Sequence[str] | None = None,
    *,
    fault_minutes: int = 5,
    features: dict[str, tuple[str, str]] | None = None,
) -> PublicTelemetry:
    """Nezha Online Boutique as one per-service, per-minute frame (see the module docstring)."""
    root = Path(root)
    if not root.is_dir():
        raise PublicDataError(f"no Nezha folder at {root}")
    if fault_minutes < 1:
        raise ValueError("fault_minutes must be >= 1")
    feats = dict(features or NEZHA_FEATURES)
    names = list(feats)
    days = list(days) if days is not None else nezha_days(root)
    if not days:
        raise PublicDataError(f"no day folders with a fault list under {root}")
    report = ImportReport()

    # per day: service -> minute -> pod -> values, and each service's row times (for fault alignment)
    per_day: list[tuple[str, dict[str, dict[int, dict[str, np.ndarray]]], dict[str, np.ndarray]]] = []
    services: set[str] = set()
    constant_values: set[str] = set()
    missing_by_feature: dict[str, int] = defaultdict(int)
    for day in days:
        files = sorted((root / day / "metric").glob("*_metric.csv"))
        if not files:
            raise PublicDataError(f"no *_metric.csv files in {root / day / 'metric'}")
        rows_by_service: dict[str, dict[int, dict[str, np.ndarray]]] = defaultdict(lambda: defaultdict(dict))
        times_by_service: dict[str, list[float]] = defaultdict(list)
        for path in files:
            with path.open(newline="") as fh:
                reader = csv.reader(fh)
                header = next(reader, None) or []
                col = {name: i for i, name in enumerate(header)}
                absent = [src for src, _ in feats.values() if src not in col]
                if absent or "Time" not in col or "PodName" not in col:
                    raise PublicDataError(f"{path.name} lacks columns {absent or ['Time/PodName']}")
                idx = [col[src] for src, _ in feats.values()]
                bad_time = ts_mismatch = dup = 0
                seen: set[int] = set()
                for row in reader:
                    if len(row) != len(header):
                        bad_time += 1
                        continue
                    t = _parse_time(row[col["Time"]])
                    if t is None:
                        bad_time += 1
                        continue
                    pod = row[col["PodName"]]
                    minute = int(t // 60) * 60
                    if "TimeStamp" in col:
                        stamp = _float(row[col["TimeStamp"]])
                        if not (abs(stamp - t) <= 2.0):
                            ts_mismatch += 1
                    if _CONSTANT_CHECK in col:
                        constant_values.add(row[col[_CONSTANT_CHECK]])
                    vals = np.array([_float(row[i]) for i in idx], dtype=np.float64)
                    for j in np.flatnonzero(np.isnan(vals)):
                        missing_by_feature[names[j]] += 1
                    if minute in seen:
                        dup += 1
                    seen.add(minute)
                    svc = service_of(pod)
                    rows_by_service[svc][minute][pod] = vals  # a repeated minute: the later row wins
                    times_by_service[svc].append(t)
            where = f"{day}/{path.name}"
            report.add("rows_dropped", bad_time, f"{where}: {bad_time} rows with a malformed Time or row length dropped")
            report.add("rows_timestamp_distrusted", ts_mismatch,
                       f"{where}: TimeStamp disagrees with Time in {ts_mismatch} rows (corrupted upstream): "
                       "aligned by Time; their values are kept but may carry corrupted digits")
            report.add("rows_duplicate_minute", dup, f"{where}: {dup} rows repeat a minute: the later row kept")
        services.update(rows_by_service)
        per_day.append((day, rows_by_service, {s: np.sort(np.array(v)) for s, v in times_by_service.items()}))

    if len(constant_values) == 1:
        report.add("columns_constant", 1, f"{_CONSTANT_CHECK} is constant ({next(iter(constant_values))}) in every "
                   "file: not used")
    node_ids = sorted(services)
    index = {s: i for i, s in enumerate(node_ids)}
    agg = [how for _, how in feats.values()]

    blocks, stamps, segments = [], [], []
    day_info = []
    start = 0
    for day, rows_by_service, _ in per_day:
        minutes = sorted({m for by_min in rows_by_service.values() for m in by_min})
        if not minutes:
            raise PublicDataError(f"{root / day / 'metric'}: no readable metric rows")
        grid = np.arange(minutes[0], minutes[-1] + 60, 60, dtype=np.int64)
        pos = {int(m): i for i, m in enumerate(grid)}
        block = np.full((grid.size, len(node_ids), len(names)), np.nan, dtype=np.float64)
        absent_minutes = 0
        for svc, by_min in rows_by_service.items():
            n = index[svc]
            absent_minutes += grid.size - len(by_min)
            for m, pods in by_min.items():
                block[pos[m], n] = _aggregate(np.vstack(list(pods.values())), agg)
        absent_minutes += (len(node_ids) - len(rows_by_service)) * grid.size
        report.add("rows_absent", absent_minutes,
                   f"{day}: {absent_minutes} service-minutes have no row: values missing")
        segments.append(start)
        day_info.append((day, grid, start))
        start += grid.size
        blocks.append(block)
        stamps.append(grid)
    values = np.concatenate(blocks).astype(np.float32)
    timestamps = np.concatenate(stamps)
    total_missing = sum(missing_by_feature.values())
    if total_missing:
        detail = ", ".join(f"{k} {v}" for k, v in sorted(missing_by_feature.items()))
        report.add("values_missing", total_missing,
                   f"{total_missing} values missing or non-numeric ({detail}): left missing (the dataset imputes)")

    labels = np.zeros(values.shape[:2], dtype=np.int8)
    faults: list[NezhaFault] = []
    for (day, _, row_times), (_, grid, offset) in zip(per_day, day_info, strict=True):
        path = root / day / f"{day}-fault_list.json"
        try:
            listing = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise PublicDataError(f"cannot read {path}: {exc}") from exc
        entries = [f for hour in sorted(listing) for f in listing[hour]]
        off_stamp = dropped = 0
        for f in entries:
            t = _parse_time(str(f.get("inject_time", "")))
            svc = service_of(str(f.get("inject_pod", "")))
            if t is None or svc not in row_times:
                dropped += 1
                continue
            if abs(_float(str(f.get("inject_timestamp", "nan"))) - t) > 1.0:
                off_stamp += 1
            times = row_times[svc]
            k = int(np.searchsorted(times, t, side="left"))
            if k >= times.size:
                dropped += 1
                continue
            step = offset + int(np.searchsorted(grid, int(times[k] // 60) * 60))
            end = min(step + fault_minutes, offset + grid.size)
            labels[step:end, index[svc]] = 1
            faults.append(NezhaFault(str(f["inject_time"]), svc, str(f.get("inject_type", "")), step))
        report.add("faults_dropped", dropped, f"{day}: {dropped} faults name an unknown pod or fall after the metrics: dropped")
        report.add("faults_timestamp_distrusted", off_stamp,
                   f"{day}: inject_timestamp disagrees with inject_time for {off_stamp} faults: aligned by inject_time")

    edges, dropped_edges = _nezha_edges(root, days, set(node_ids), report)
    report.add("edges_dropped", dropped_edges,
               f"dependency.csv: {dropped_edges} rows name something without metrics (IP addresses, loadgenerator): dropped")
    frame = TelemetryFrame(node_ids=node_ids, features=names, timestamps=timestamps, values=values, labels=labels)
    return PublicTelemetry(frame=frame, edges=edges, report=report, segments=segments, faults=faults)


def _aggregate(stack: np.ndarray, how: Sequence[str]) -> np.ndarray:
    """One service-minute from its pods' rows [P, F]: per feature sum, max or mean, NaN-aware."""
    if stack.shape[0] == 1:
        return stack[0]
    import warnings

    with warnings.catch_warnings():  # all-NaN columns stay NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        mean, top = np.nanmean(stack, axis=0), np.nanmax(stack, axis=0)
    total = np.where(np.all(np.isnan(stack), axis=0), np.nan, np.nansum(stack, axis=0))
    return np.array([total[j] if h == "sum" else top[j] if h == "max" else mean[j] for j, h in enumerate(how)])


def _nezha_edges(root: Path, days: Sequence[str], known: set[str], report: ImportReport) -> tuple[list[tuple[str, str]], int]:
    edges: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    dropped: set[tuple[str, str]] = set()
    for day in days:
        path = root / day / "metric" / "dependency.csv"
        if not path.is_file():
            report.add("files_missing", 1, f"{day}: no dependency.csv")
            continue
        with path.open(newline="") as fh:
            for row in csv.DictReader(fh):
                pair = (str(row.get("Source", "")).strip(), str(row.get("Target", "")).strip())
                if pair[0] in known and pair[1] in known and pair[0] != pair[1]:
                    if pair not in seen:
                        seen.add(pair)
                        edges.append(pair)
                else:
                    dropped.add(pair)
    return edges, len(dropped)


# -- PetShop ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PetShopIssue:
    """One labelled issue: its telemetry, the call graph, the symptom and the root cause."""

    scenario: str
    """high_traffic | low_traffic | temporal_traffic1 | temporal_traffic2."""
    name: str
    """issue_N."""
    frame: TelemetryFrame
    """Features ``metric:statistic`` per graph node; labels -1 (unknown)."""
    edges: list[tuple[str, str]]
    """(caller, callee) from graph.csv."""
    symptom: str
    """Node where the issue was observed."""
    symptom_metric: str
    onset: int
    """Epoch seconds of the symptom (rows before it are pre-onset)."""
    root_cause: str
    """Ground truth. A ranker must not read it."""
    baseline: TelemetryFrame | None
    """The scenario's no-issue recording (different months; use for dispersion, not levels), if present."""


def _read_graph(path: Path) -> tuple[list[str], list[tuple[str, str]]]:
    with path.open(newline="") as fh:
        rows = list(csv.reader(fh))
    if not rows or len(rows[0]) < 2:
        raise PublicDataError(f"{path} is not an adjacency matrix")
    nodes = rows[0][1:]
    edges = []
    for row in rows[1:]:
        src = row[0]
        for j, cell in enumerate(row[1:]):
            weight = _float(cell) if cell else 0.0
            if weight != 0.0 and not math.isnan(weight) and src != nodes[j]:
                edges.append((src, nodes[j]))
    return nodes, edges


def read_petshop_metrics(path: str | Path, nodes: Sequence[str], report: ImportReport | None = None) -> TelemetryFrame:
    """A PetShop ``metrics.csv`` as a frame over `nodes` (features ``metric:statistic``; absent -> NaN)."""
    path = Path(path)
    with path.open(newline="") as fh:
        rows = list(csv.reader(fh))
    if len(rows) < 4 or rows[0][:1] != ["microservice"]:
        raise PublicDataError(f"{path} lacks the node/metric/statistic header rows")
    cols = list(zip(rows[0][1:], rows[1][1:], rows[2][1:], strict=False))
    feats = sorted({f"{m}:{s}" for _, m, s in cols})
    node_index = {n: i for i, n in enumerate(nodes)}
    feat_index = {f: i for i, f in enumerate(feats)}
    stamps, body = [], []
    skipped = 0
    for row in rows[3:]:
        t = _float(row[0]) if row else math.nan
        if math.isnan(t):
            skipped += 1  # the "unix_timestamp" label row, or a malformed one
            continue
        stamps.append(int(t))
        body.append(row[1:])
    values = np.full((len(stamps), len(nodes), len(feats)), np.nan, dtype=np.float32)
    unknown = set()
    for j, (node, metric, stat) in enumerate(cols):
        if node not in node_index:
            unknown.add(node)
            continue
        for t, row in enumerate(body):
            if j < len(row) and row[j] != "":
                values[t, node_index[node], feat_index[f"{metric}:{stat}"]] = _float(row[j])
    if report is not None:
        report.add("rows_dropped", max(skipped - 1, 0), f"{path}: {max(skipped - 1, 0)} rows without a timestamp dropped")
        report.add("columns_dropped", len(unknown), f"{path}: {len(unknown)} nodes not in graph.csv dropped")
    return TelemetryFrame(node_ids=list(nodes), features=feats, timestamps=np.array(stamps, dtype=np.int64),
                          values=values, labels=np.full((len(stamps), len(nodes)), -1, dtype=np.int8))


def load_petshop(root: str | Path, split: str = "train", scenarios: Sequence[str] | None = None
                 ) -> tuple[list[PetShopIssue], ImportReport]:
    """Labelled issues of `split` under ``<root>/dataset/<scenario>/``, scenario by scenario."""
    base = Path(root) / "dataset"
    if not base.is_dir():
        raise PublicDataError(f"no PetShop dataset folder at {base}")
    report = ImportReport()
    names = list(scenarios) if scenarios is not None else sorted(p.name for p in base.iterdir() if p.is_dir())
    issues: list[PetShopIssue] = []
    for sc in names:
        folder = base / sc
        nodes, edges = _read_graph(folder / "graph.csv")
        noissue = folder / "noissue" / "metrics.csv"
        baseline = read_petshop_metrics(noissue, nodes, report) if noissue.is_file() else None
        if baseline is None:
            report.add("baselines_missing", 1, f"{sc}: no noissue/metrics.csv (absent from the snapshot)")
        split_dir = folder / split
        if not split_dir.is_dir():
            continue
        for issue_dir in sorted(split_dir.iterdir(), key=lambda p: (len(p.name), p.name)):
            target_path, metrics_path = issue_dir / "target.json", issue_dir / "metrics.csv"
            if not (target_path.is_file() and metrics_path.is_file()):
                report.add("issues_dropped", 1, f"{sc}/{issue_dir.name}: target.json or metrics.csv missing: dropped")
                continue
            target = json.loads(target_path.read_text())
            frame = read_petshop_metrics(metrics_path, nodes, report)
            issues.append(PetShopIssue(
                scenario=sc, name=issue_dir.name, frame=frame, edges=list(edges),
                symptom=str(target["target"]["node"]), symptom_metric=str(target["target"].get("metric", "")),
                onset=int(target["target"]["timestamp"]), root_cause=str(target["root_cause"]["node"]),
                baseline=baseline,
            ))
    return issues, report


NEZHA_CALL_FILES = ("source_50.csv", "destination_50.csv")
"""Per call edge (``<caller>_<callee>`` columns), one-minute latency as the caller's and as the callee's sidecar saw it."""


@dataclass(frozen=True)
class CallLatencies:
    """Each call edge's latency seen from its caller and from its callee, aligned to a frame's timestamps."""

    edges: list[tuple[str, str]]
    client: np.ndarray
    """[T, E] caller-side latency (NaN where not recorded)."""
    server: np.ndarray
    """[T, E] callee-side latency."""
    report: ImportReport


def load_nezha_calls(root: str | Path, timestamps: np.ndarray, services: Sequence[str],
                     days: Sequence[str] | None = None) -> CallLatencies:
    """Nezha's edge latency files (`NEZHA_CALL_FILES`) aligned by ``time`` floored to the minute onto `timestamps`.

    A column ``a_b`` is the call edge from service ``a`` to service ``b`` (split where both halves are `services`);
    a column that splits into no two known services is dropped and reported. A day without both files is reported.
    """
    root = Path(root)
    known = set(services)
    ts = np.asarray(timestamps, np.int64)
    pos = {int(t): i for i, t in enumerate(ts)}
    report = ImportReport()
    edges: list[tuple[str, str]] = []
    data: dict[str, dict[tuple[str, str], dict[int, float]]] = {"client": defaultdict(dict), "server": defaultdict(dict)}
    for day in list(days) if days is not None else nezha_days(root):
        paths = [root / day / "metric" / name for name in NEZHA_CALL_FILES]
        if not all(p.is_file() for p in paths):
            report.add("files_missing", 1, f"{day}: no {' / '.join(NEZHA_CALL_FILES)}: no call latencies for that day")
            continue
        for side, path in zip(("client", "server"), paths, strict=True):
            with path.open(newline="") as fh:
                reader = csv.reader(fh)
                header = next(reader, None) or []
                if len(header) < 3 or header[0] != "time":
                    raise PublicDataError(f"{path}: expected a header 'time,timestamp,<caller>_<callee>...'")
                cols: dict[int, tuple[str, str]] = {}
                for j, name in enumerate(header[2:], 2):
                    pair = next(((name[:k], name[k + 1:]) for k in range(len(name)) if name[k] == "_"
                                 and name[:k] in known and name[k + 1:] in known), None)
                    if pair is None:
                        report.add("call_columns_dropped", 1, f"{path.name}: column {name!r} names no two known services")
                        continue
                    cols[j] = pair
                    if pair not in edges:
                        edges.append(pair)
                bad = 0
                for row in reader:
                    t = _parse_time(row[0]) if row else None
                    if t is None or len(row) != len(header):
                        bad += 1
                        continue
                    i = pos.get(int(t // 60) * 60)
                    if i is None:
                        continue
                    for j, pair in cols.items():
                        data[side][pair][i] = _float(row[j])
                report.add("rows_dropped", bad, f"{day}/{path.name}: {bad} rows with a malformed time or length dropped")
    arrays = []
    for side in ("client", "server"):
        a = np.full((ts.size, len(edges)), np.nan)
        for k, pair in enumerate(edges):
            for i, v in data[side][pair].items():
                a[i, k] = v
        arrays.append(a)
    return CallLatencies(edges, arrays[0], arrays[1], report)
