"""`opsgraph tune --no-adapter` on a ~200-node estate: the fast style choice beside every style on every pair.

    .venv/bin/python bench/tune.py              # fast path with the defaults of `cypher`; exhaustive: 40 pairs, 2 attempts
    .venv/bin/python bench/tune.py --sample 16 --first-rung 4 --attempts 1 --only halving

The estate: the Online Boutique sample estate (86 nodes without documents) plus the real service graphs of
../shared/datasets/topologies (Sock Shop, Train-Ticket, DeathStarBench social network and hotel reservation,
GAIA MicroSS, Online Boutique as published: 124 services, 207 calls), each system a team that owns its services;
about 216 nodes. It is written to a temporary folder, never into the project.

In one process, on one ingested store, with the same seed (so the same pairs, split and held-out sample):
  halving     the new path (`cypher` defaults unless given): every style answers the first rung of the held-out
              sample, the better half goes on (twice as many pairs), ...; the winner answers the whole sample, then
              races its grammar-off twin the same way; `cypher.tune_attempts` generations per question
  exhaustive  the old path: every candidate style (the schema-only prompt too, `SCHEMA_STYLE`, no longer a default
              candidate) and the winner's grammar-off twin answer every pair of a larger sample
              (`--exhaustive-sample`, 40) with `--exhaustive-attempts` (2) generations, as `tune` used to
The fast sample is a prefix of the exhaustive one (`held_out_items` deals pairs round robin over patterns), so the
style the fast path chose is looked up in the exhaustive table: its accuracy on the 40 pairs is printed beside the
accuracy of the exhaustive winner. The new path runs first, so it pays the model and embedder loads: any warm-up
bias is against it. Printed: wall time of pairs and of the choice for each, the style each chose, and accuracies.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import yaml  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from opsgraph.app import OpsGraph, Settings, sample_estate_path  # noqa: E402
from opsgraph.app.text2cypher import Text2CypherService  # noqa: E402
from opsgraph.retrieve.text2cypher import CANDIDATE_STYLES, SCHEMA_STYLE, PromptStyle  # noqa: E402

T0 = time.perf_counter()
TIERS = ("critical", "high", "medium", "low")


def say(msg: str) -> None:
    print(f"[{time.perf_counter() - T0:7.1f}s] {msg}", flush=True)


def datasets_dir() -> Path:
    for parent in Path(__file__).resolve().parents:
        if (parent / "shared" / "datasets").is_dir():
            return parent / "shared" / "datasets"
    raise SystemExit("shared/datasets not found above bench/")


def build_estate(folder: Path) -> Path:
    """The sample estate plus every published topology as services, calls and one owning team per system."""
    shutil.copytree(sample_estate_path(), folder, ignore=shutil.ignore_patterns("docs"))
    services, deps, teams, owns = [], [], [], []
    for path in sorted((datasets_dir() / "topologies").glob("*.json")):
        system = json.loads(path.read_text(encoding="utf-8"))
        slug = path.stem.replace("_", "-")
        team = f"team-{slug}"
        teams.append({"id": team, "name": slug.replace("-", " ").title()})
        for i, node in enumerate(system["nodes"]):
            sid = f"{slug}.{node['name']}"
            services.append({"id": sid, "name": f"{node['name']} ({slug})", "kind": "microservice", "tier": TIERS[i % 4]})
            owns.append({"from": team, "to": sid})
        names = {node["name"] for node in system["nodes"]}
        for edge in system["edges"]:
            if edge["src"] in names and edge["dst"] in names:
                deps.append({"from": f"{slug}.{edge['src']}", "to": f"{slug}.{edge['dst']}", "protocol": "http", "interaction": "rpc", "critical": True})
    _append(folder / "nodes" / "Service.yaml", services)
    _append(folder / "nodes" / "Team.yaml", teams)
    _append(folder / "edges" / "OWNS.yaml", owns)
    # The sample's calls are a CSV; carry them over into one YAML file with the new ones (one file per edge type).
    csv_path = folder / "edges" / "DEPENDS_ON.csv"
    with csv_path.open(encoding="utf-8", newline="") as fh:
        sample = [_typed(row) for row in csv.DictReader(fh)]
    csv_path.unlink()
    (folder / "edges" / "DEPENDS_ON.yaml").write_text(yaml.safe_dump([*sample, *deps], sort_keys=False), encoding="utf-8")
    return folder


def _typed(row: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {k: v for k, v in row.items() if v != ""}
    if "critical" in out:
        out["critical"] = out["critical"].strip().lower() == "true"
    if "timeout_ms" in out:
        out["timeout_ms"] = int(out["timeout_ms"])
    return out


def _append(path: Path, rows: list[dict[str, Any]]) -> None:
    existing = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    path.write_text(yaml.safe_dump([*existing, *rows], sort_keys=False), encoding="utf-8")


def run(og: OpsGraph, home: Path, label: str, cypher: dict[str, Any], styles: tuple[PromptStyle, ...]) -> dict[str, Any]:
    settings = og.settings.model_copy(update={"home": home, "cypher": og.settings.cypher.model_copy(update=cypher)})
    service = Text2CypherService(og.store, settings, embedder=og.text2cypher.embedder, llm=og.text2cypher.llm)
    schema = og.schema()
    assert schema is not None
    def progress(stage: str, done: int, total: int, note: str) -> None:
        if done == total and stage != "pairs":
            say(f"  {label}: {stage} {done}/{total} {note}")

    started, cpu = time.perf_counter(), time.process_time()
    report = service.tune(schema, og.linker(), adapter=False, styles=styles, progress=progress)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    chosen = report.chosen
    out = {
        "label": label, "cypher": cypher, "wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "load_1m": os.getloadavg()[0], "seconds": report.seconds,
        "pairs": report.pairs, "held_out": report.held_out, "chosen_style": chosen["style"],
        "chosen_accuracy": chosen["metrics"]["held_out_accuracy"],
        "answers": sum(s["total"] for s in report.styles), "styles": report.styles,
    }  # fmt: skip
    say(f"{label}: {wall:.1f} s wall, {cpu:.1f} s CPU, load {os.getloadavg()[0]:.1f} (pairs {report.seconds.get('pairs')} s, choice {report.seconds.get('styles')} s), "
        f"{out['answers']} held-out answers; chose {json.dumps(chosen['style'])} at {out['chosen_accuracy']}")  # fmt: skip
    for s in report.styles:
        say(f"    {json.dumps(s['style'])}: {s['correct']}/{s['total']}" + (f" (dropped at {s['dropped_at']})" if "dropped_at" in s else ""))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    defaults = Settings().cypher
    parser.add_argument("--sample", type=int, default=defaults.held_out_sample, help="fast path: held-out pairs the choice is made on (cypher.held_out_sample)")
    parser.add_argument("--first-rung", type=int, default=defaults.first_rung, help="fast path: pairs every style answers before the first cut (cypher.first_rung)")
    parser.add_argument("--attempts", type=int, default=defaults.tune_attempts, help="fast path: generations per question while measuring (cypher.tune_attempts)")
    parser.add_argument("--exhaustive-sample", type=int, default=40, help="exhaustive path: held-out pairs every style answers")
    parser.add_argument("--exhaustive-attempts", type=int, default=2, help="exhaustive path: generations per question")
    parser.add_argument("--llm-threads", type=int, default=1)
    parser.add_argument("--only", choices=["halving", "exhaustive"], default=None, help="run one path only")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        estate = build_estate(Path(tmp) / "estate")
        settings = Settings(home=Path(tmp) / "home", llm={"provider": "llamacpp", "threads": args.llm_threads})
        fast = {"held_out_sample": args.sample, "first_rung": args.first_rung, "tune_attempts": args.attempts}
        full = {"held_out_sample": args.exhaustive_sample, "first_rung": args.exhaustive_sample, "tune_attempts": args.exhaustive_attempts}
        with OpsGraph(settings) as og:
            og.ingest(estate, documents=False)
            nodes = og.store.query("MATCH (n) RETURN count(n) AS n").rows[0]["n"]
            say(f"estate: {nodes} nodes; fast: {fast}; exhaustive: {full}")
            results = []
            if args.only in (None, "halving"):
                results.append(run(og, Path(tmp) / "halving", "halving", fast, CANDIDATE_STYLES))
            if args.only in (None, "exhaustive"):
                results.append(run(og, Path(tmp) / "exhaustive", "exhaustive", full, (SCHEMA_STYLE, *CANDIDATE_STYLES)))
    print()
    print(f"{'path':<11} {'wall s':>7} {'CPU s':>7} {'load':>5} {'pairs s':>8} {'choice s':>9} {'answers':>8}  chosen style, accuracy on its own sample")
    for r in results:
        print(f"{r['label']:<11} {r['wall_s']:>7} {r['cpu_s']:>7} {r['load_1m']:>5.1f} {r['seconds'].get('pairs', 0):>8} {r['seconds'].get('styles', 0):>9} {r['answers']:>8}  "
              f"{json.dumps(r['chosen_style'])} {r['chosen_accuracy']} on {r['cypher']['held_out_sample']}")  # fmt: skip
    if len(results) == 2:
        fast_r, full_r = results
        table = {json.dumps(s["style"], sort_keys=True): s for s in full_r["styles"]}
        mine = table.get(json.dumps(fast_r["chosen_style"], sort_keys=True))
        print(f"on the exhaustive path's {args.exhaustive_sample} held-out pairs ({args.exhaustive_attempts} attempt(s)): "
              f"the fast path's choice {mine['accuracy'] if mine else 'not measured'}, the exhaustive choice {full_r['chosen_accuracy']}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps({"nodes": nodes, "args": {k: str(v) for k, v in vars(args).items()}, "results": results}, indent=2))


if __name__ == "__main__":
    main()
