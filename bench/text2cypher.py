"""Offline text-to-Cypher, measured: execution accuracy on two hand-written question sets.

    .venv/bin/python bench/text2cypher.py            # both estates, SmolLM2 and Gemma, adapter trained (~60-90 min on 2 cores)
    .venv/bin/python bench/text2cypher.py --quick    # SmolLM2 only, 24 questions per estate, shorter training

Estates and questions (nothing here is read by tuning, which sees only the schema and the data):
  sample   the Online Boutique sample estate; the 67 `graph:` questions of bench/rag_questions.yaml,
           gold rows computed in this run by the gold Cypher.
  library  tests/fixtures/library_estate (a public-library catalogue, a domain opsgraph was not built
           around); tests/fixtures/library_questions.yaml with gold Cypher and gold rows.

A generated query is right when its rows equal the gold rows (`opsgraph.retrieve.text2cypher.eval`: values
compared as text, numbers normalised, sets unless the gold orders rows). For each estate this run first
times `OpsGraph.tune` (pairs from the schema and data, prompt-style choice on held-out pairs, LoRA
training on 2 cores), then measures, per model:
  schema       the live schema in the prompt, the question as asked (issue 4's text-to-Cypher)
  +examples    slots ($p0...) cut out of the question, the nearest training pairs as examples (k, format
               and schema as `tune` chose them on held-out pairs), no grammar
  +grammar     the same, decoding constrained by the estate's read-only Cypher grammar
  +adapter     the LoRA adapter `tune` trained (SmolLM2), question and parameters only, grammar on
  adapter+ex   the adapter with 3 retrieved examples and the grammar
and, without a model, `retrieval only`: the nearest example's query when its slots match the question's.
Also: the share of questions where a query ran without error, latency p50/p95 per question.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import replace  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import yaml  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from opsgraph.app import OpsGraph, Settings, sample_estate_path  # noqa: E402
from opsgraph.llm import resolve_model  # noqa: E402
from opsgraph.retrieve.planner import SchemaPathRetriever  # noqa: E402
from opsgraph.retrieve.text2cypher import (  # noqa: E402
    TASK,
    CypherWriter,
    EvalItem,
    EvalReport,
    ExampleIndex,
    PromptStyle,
    SlotFinder,
    evaluate,
    grammar_factory,
    is_ordered,
)

T0 = time.perf_counter()


def say(msg: str = "") -> None:
    print(f"[{time.perf_counter() - T0:7.1f}s] {msg}", flush=True)


def round_robin(items: list[EvalItem]) -> list[EvalItem]:
    """Items interleaved by pattern, so any prefix is a stratified sample."""
    groups: dict[str, list[EvalItem]] = {}
    for it in items:
        groups.setdefault(it.pattern, []).append(it)
    out: list[EvalItem] = []
    while any(groups.values()):
        for name in sorted(groups):
            if groups[name]:
                out.append(groups[name].pop(0))
    return out


def sample_items(og: OpsGraph) -> list[EvalItem]:
    spec = yaml.safe_load((ROOT / "bench" / "rag_questions.yaml").read_text(encoding="utf-8"))
    out = []
    for q in spec["graph"]:
        rows = og.query(q["gold"], limit=1000).rows
        out.append(EvalItem(q["q"], rows, ordered=is_ordered(q["gold"]), pattern=q["pattern"]))
    return out


def library_items(og: OpsGraph) -> list[EvalItem]:
    spec = yaml.safe_load((ROOT / "tests" / "fixtures" / "library_questions.yaml").read_text(encoding="utf-8"))
    return [EvalItem(q["q"], q["rows"], ordered=bool(q.get("ordered")), pattern=q["pattern"]) for q in spec["questions"]]


def blind_items(name: str) -> Any:
    """A set written after the first measurements, by a helper who did not see the generator or its pairs; the
    developer did not look at its questions (tests/fixtures/blind/, checked by tests/integration/retrieve/test_blind_question_sets_have_right_gold.py)."""

    def load(og: OpsGraph) -> list[EvalItem]:
        spec = yaml.safe_load((ROOT / "tests" / "fixtures" / "blind" / f"{name}_questions.yaml").read_text(encoding="utf-8"))
        return [EvalItem(q["q"], q["rows"], ordered=bool(q.get("ordered")), pattern=q["pattern"]) for q in spec["questions"]]

    return load


ESTATES = {
    "sample": (sample_estate_path, {"sample": sample_items, "sample-blind": blind_items("sample")}),
    "library": (lambda: ROOT / "tests" / "fixtures" / "library_estate", {"library": library_items, "library-blind": blind_items("library")}),
}


def row(name: str, rep: EvalReport) -> dict[str, Any]:
    s = rep.summary()
    say(f"    {name:<22} accuracy {s['accuracy']:.3f} ({s['correct']}/{s['total']})  ran {s['ran']:.2f}  p50 {s['p50_ms']:.0f} ms  p95 {s['p95_ms']:.0f} ms")
    return {"config": name, **s}


def run_estate(name: str, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    estate_fn, sets = ESTATES[name]
    settings = Settings(
        home=tmp / name,
        embed={"provider": "sentence-transformers", "threads": 1},
        llm={"provider": "llamacpp", "model": "smollm2-135m-instruct", "threads": args.llm_threads, "n_ctx": args.n_ctx},
        cypher={"held_out_sample": args.sample, "train_steps": args.steps, "seed": args.seed, "max_attempts": args.attempts},
    )
    out: dict[str, Any] = {"estate": name, "rows": []}
    with OpsGraph(settings) as og:
        og.ingest(estate_fn(), documents=False)
        schema = og.schema()
        assert schema is not None
        question_sets = {set_name: round_robin(fn(og))[: args.questions or None] for set_name, fn in sets.items() if set_name in args.sets}
        for set_name, items in question_sets.items():
            say(f"{set_name}: {len(items)} hand-written questions, patterns {sorted({i.pattern for i in items})}")

        say(f"{name}: opsgraph tune (pairs, style choice on {args.sample} held-out pairs, LoRA {args.steps} steps)")
        started = time.perf_counter()
        last = {"stage": ""}

        def progress(stage: str, done: int, total: int, note: str) -> None:
            if stage != last["stage"] or done == total:
                say(f"    tune {stage} {done}/{total} {note}")
                last["stage"] = stage

        if args.reuse:
            _reuse(args.reuse / name, settings.home)
            out["tune_seconds"] = None
            say(f"{name}: reusing the tuning in {args.reuse / name} (no tune in this run)")
        else:
            report = og.tune(adapter=not args.no_adapter, progress=progress)
            out["tune_seconds"] = round(time.perf_counter() - started, 1)
            out["tune"] = {k: v for k, v in report.as_dict().items() if k != "pair_stats"}
            out["pair_stats"] = report.pair_stats
            say(f"{name}: tune took {out['tune_seconds']} s {report.seconds}; pairs {report.pairs} (train {report.train}, held out {report.held_out}, dropped {report.dropped_inconsistent})")
            for s in report.styles:
                say(f"    held-out {json.dumps(s['style'])}: {s['accuracy']:.3f} ran {s['ran']:.2f} p50 {s['p50_ms']:.0f} ms")
        if args.keep:
            _reuse(settings.home, args.keep / name)

        store = og.store
        finder = SlotFinder.from_store(store, schema, og.linker())
        # As the product serves: examples from every tuned pair (training and held-out).
        index = ExampleIndex(og.text2cypher.pairs(), og.embedder)
        grammar = grammar_factory(schema)
        schema_text = og.text2cypher.schema_text(schema)
        choice = og.text2cypher.choice() or {}

        def record(label: str, model: str, write: Any) -> None:
            for set_name, items in question_sets.items():
                out["rows"].append({"set": set_name, "model": model, **row(f"{set_name:<13} {label}", evaluate(write, items))})

        def measure(label: str, llm: Any, **kw: Any) -> None:
            if label.split(" ")[0] not in args.configs:
                return
            writer = CypherWriter(store, llm, kw.pop("schema_text", schema_text), max_attempts=args.attempts, row_limit=1000, max_tokens=args.max_tokens, **kw)
            record(label, getattr(llm, "name", "none"), writer.write)

        say(f"{name}: retrieval only (no model)")
        measure("retrieval only", None, slots=finder, examples=index, style=PromptStyle(k=3))
        if "ask" in args.configs:
            # The product's path (`ask`): the tuned writer (reuse first, then the model), then the schema-path planner when
            # the writer found nothing; beside it the order of issue 4 (planner first) and the planner alone.
            planner = SchemaPathRetriever(store, schema, og.linker())
            say(f"{name}: ask's path {json.dumps(og.text2cypher.status(schema))}")
            record("ask: tuned, then planner", "tuned", _first_of(og.write_cypher, _planner(planner)))
            record("ask: planner, then tuned", "tuned", _first_of(_planner(planner), og.write_cypher))
            record("planner only", "none", _first_of(_planner(planner)))
        for model_name in args.models:
            mf = resolve_model(model_name, tmp / "models")
            say(f"{name}: {model_name}")
            with mf.to_model(n_ctx=args.n_ctx, n_threads=args.llm_threads) as llm:
                measure("schema", llm)
                tuned = PromptStyle(**choice.get("style", {}))
                measure("+examples", llm, slots=finder, examples=index, style=replace(tuned, grammar=False))
                measure("+grammar", llm, slots=finder, examples=index, grammar=grammar, style=replace(tuned, grammar=True))
                measure("reuse+grammar", llm, slots=finder, examples=index, grammar=grammar, style=replace(tuned, grammar=True), reuse=True)
            versions = _adapter_versions(settings.home, schema.name) if model_name.startswith("smollm2") else []
            if versions:
                path = versions[-1]
                with mf.to_model(n_ctx=args.n_ctx, n_threads=args.llm_threads, lora_path=path) as tuned:
                    measure("+adapter", tuned, slots=finder, examples=index, grammar=grammar, style=PromptStyle(k=0, schema=False, grammar=True))
                    measure("adapter+examples", tuned, slots=finder, examples=index, grammar=grammar, style=PromptStyle(k=3, schema=False, grammar=True))
    return out


class _Rows:
    """What `evaluate` reads: ok, rows, cypher, ms."""

    def __init__(self, ok: bool, rows: list[dict[str, Any]], cypher: str | None, ms: float) -> None:
        self.ok, self.rows, self.cypher, self.ms = ok, rows, cypher, ms


def _planner(planner: Any) -> Any:
    def write(question: str) -> Any:
        started = time.perf_counter()
        got = planner.retrieve(question, 1000)
        # The planner's rows carry display columns (name, type) beside the answer; the answer is the id column.
        rows = [{"id": r["id"]} if "id" in r else r for r in (h.detail.get("row", {}) for h in got.hits)]
        return _Rows(bool(got.hits), rows, got.detail.get("cypher"), (time.perf_counter() - started) * 1000)

    return write


def _first_of(*writers: Any) -> Any:
    """The first writer whose query ran and returned rows (as `ask` tries its structured retrievers in order)."""

    def write(question: str) -> Any:
        started = time.perf_counter()
        last = None
        for w in writers:
            last = w(question)
            if last.ok and last.rows:
                break
        assert last is not None
        return _Rows(bool(last.ok and last.rows), last.rows, last.cypher, (time.perf_counter() - started) * 1000)

    return write


def _reuse(src: Path, home: Path) -> None:
    """Copy a tuning (pairs, choice, adapters) between homes, pointing the choice's adapter at the new copy."""
    import shutil

    for part in ("text2cypher", "models"):
        if (src / part).exists():
            shutil.copytree(src / part, home / part, dirs_exist_ok=True)
    choice_path = home / "text2cypher" / "choice.json"
    choice = json.loads(choice_path.read_text(encoding="utf-8"))
    if choice.get("adapter"):
        version = choice["adapter"]["version"]
        choice["adapter"]["path"] = str(home / "models" / "adapters" / choice["estate"] / TASK / version / "adapter.gguf")
    choice_path.write_text(json.dumps(choice, indent=2), encoding="utf-8")


def _adapter_versions(home: Path, estate: str) -> list[Path]:
    from opsgraph.llm.adapters import AdapterRegistry

    return [v.path for v in AdapterRegistry(home / "models" / "adapters").versions(estate, TASK)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="SmolLM2 only, 24 questions per estate, 120 training steps")
    parser.add_argument("--estates", default="sample,library")
    parser.add_argument("--models", default="smollm2-135m-instruct,gemma3-270m")
    parser.add_argument("--questions", type=int, default=0, help="questions per estate (0 = all)")
    parser.add_argument("--sample", type=int, default=16, help="held-out pairs per choice inside tune")
    parser.add_argument("--steps", type=int, default=150, help="LoRA steps inside tune")
    parser.add_argument("--no-adapter", action="store_true")
    parser.add_argument("--attempts", type=int, default=1, help="generations per question (1: the model's first query; repairs are measured by bench/rag.py)")
    parser.add_argument("--max-tokens", type=int, default=120)
    parser.add_argument("--llm-threads", type=int, default=1, help="1: on this shared 2-core machine 2 llama.cpp threads ran up to 20x slower whenever the other core was busy")
    parser.add_argument("--n-ctx", type=int, default=2048)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument("--keep", type=Path, default=None, help="copy each estate's tuning (pairs, choice, adapter) here")
    parser.add_argument("--reuse", type=Path, default=None, help="skip tune: reuse a tuning saved with --keep")
    parser.add_argument("--configs", default="retrieval,ask,schema,+examples,+grammar,reuse+grammar,+adapter,adapter+examples", help="which rows to measure")
    parser.add_argument("--sets", default="sample,sample-blind,library,library-blind", help="question sets (each estate's own and its blind set)")
    args = parser.parse_args()
    if args.quick:
        args.models, args.questions, args.steps, args.sample = "smollm2-135m-instruct", args.questions or 24, 120, 20
    args.models = [m for m in args.models.split(",") if m]
    args.configs = set(args.configs.split(","))
    args.sets = set(args.sets.split(","))
    results = []
    with tempfile.TemporaryDirectory(prefix="opsgraph-t2c-") as tmp:
        for name in args.estates.split(","):
            results.append(run_estate(name, args, Path(tmp)))
    say("summary (execution accuracy; ran = a query ran without error):")
    for res in results:
        say(f"  {res['estate']}: tune {res['tune_seconds']} s")
        for r in res["rows"]:
            say(f"    {r['model']:<28} {r['config']:<40} {r['accuracy']:.3f}  ran {r['ran']:.2f}  p50 {r['p50_ms']:.0f} ms  p95 {r['p95_ms']:.0f} ms")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
