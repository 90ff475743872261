"""Graph RAG, measured: text-to-Cypher vs the schema-path planner, document retrieval, vector index recall, ask latency.

    .venv/bin/python bench/rag.py            # everything (~20-30 min on a loaded 2-core machine)
    .venv/bin/python bench/rag.py --quick    # no Gemma, no 100k vectors, smaller text-to-Cypher budget (~10 min)
    .venv/bin/python bench/rag.py --only graph,docs --show

Sections (`--only` picks some):

graph   67 questions about the sample estate (bench/rag_questions.yaml) with gold
        Cypher; gold rows are computed in this run from the same store. A system
        is right when the set of its first column equals the gold first column
        (values compared as strings; 6.0 == 6). Counted: the schema-path planner
        (no model; for count questions its count is its number of rows, which is
        what `ask` prints as "N result(s)") and text-to-Cypher
        (`Text2CypherRetriever`, the live schema in the prompt, no examples: as
        `ask.text2cypher: true` configures it) for each bundled model with
        max_attempts 3. The max_attempts=1 figure is the first attempt of that
        run: decoding is greedy with a fixed seed, so a 1-attempt run sends the
        same prompt and gets the same text (checked on the first questions and
        printed). Text-to-Cypher runs within a time budget per model; questions
        are taken round-robin over the patterns so any prefix is a stratified
        sample, and the planner is also scored on exactly that prefix.
ask     `OpsGraph.ask` with SmolLM2 on a few graph and document questions:
        milliseconds per trace stage (p50/p95), wall time, and the time spent
        outside any stage (building the pipeline per question).
docs    recall@5 (the gold runbook has a chunk in the top 5) and MRR@10 for the
        vector retriever, the full-text retriever and their RRF fusion, first on
        the sample estate's 10 runbooks, then on a sample of the shared corpus
        (/work/shared/datasets/runbooks: every prometheus-operator runbook plus
        evenly spaced OpenShift and GitLab runbooks and every gold document),
        symlinked into a temporary estate (nothing is copied into the project).
        "section@5": a top-5 chunk of the gold runbook sits under the gold heading.
vectors recall@10 of the store's `vector_search` (ArcadeDB LSM_VECTOR,
        `vectorNeighbors`) against exact numpy search, p50/p95 latency, per search
        width, at 10k (uniform random and MiniLM-like clustered 384-d vectors) and
        100k (random; skipped by --quick) vectors loaded with `upsert_nodes`. Also
        the engine alone (`SELECT id, distance`, no properties fetched) and numpy
        exact search, measured in the same run.

Threads: torch 1 (embeddings), BLAS 1 (numpy exact search), llama.cpp
`--llm-threads` (default 1: on this shared machine 2 threads decoded 5-10x
slower than 1 whenever the other core was busy; the run prints its own
calibration of both).
"""

from __future__ import annotations

import os

# Before numpy / torch load: one BLAS/OpenMP thread, passive waits, no hub access.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import argparse  # noqa: E402
import inspect  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections import defaultdict  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import yaml  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

QUESTIONS = Path(__file__).with_name("rag_questions.yaml")
CORPUS = Path("/work/shared/datasets/runbooks")
CORPORA = {  # name in doc ids → folder of markdown inside the shared corpus
    "prometheus-operator": "prometheus-operator-runbooks/content/runbooks",
    "openshift": "openshift-runbooks/alerts",
    "gitlab": "gitlab-com-runbooks/docs",
}
CORPUS_SCHEMA = """\
version: 1
name: runbook-corpus
description: Public runbooks (prometheus-operator, OpenShift, GitLab.com) as documents only.
nodes:
  Component:
    properties:
      name: {type: string, required: true}
documents:
  folder: docs
  chunking: {strategy: markdown, size: 800, overlap: 100}
"""
MODELS = ("smollm2-135m-instruct", "gemma3-270m")
SHORT = {"smollm2-135m-instruct": "smol", "gemma3-270m": "gemma"}
BEGAN = time.perf_counter()


def say(msg: str = "") -> None:
    print(msg, flush=True)


def elapsed() -> str:
    return f"[{time.perf_counter() - BEGAN:6.0f}s]"


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


# -- comparing rows -------------------------------------------------------------------

def norm(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, list | tuple):
        return "[" + ",".join(norm(v) for v in value) + "]"
    return str(value)


def first_column(rows: list[dict[str, Any]]) -> set[str]:
    return {norm(next(iter(r.values()))) for r in rows if r}


def correct(rows: list[dict[str, Any]], gold: set[str], *, count: bool, planner: bool = False) -> bool:
    if count and planner:
        return {str(len({norm(r.get("id")) for r in rows}))} == gold
    return first_column(rows) == gold


def round_robin(questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Questions interleaved by pattern, so a prefix of the list covers every pattern."""
    by: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for q in questions:
        by[q["pattern"]].append(q)
    out: list[dict[str, Any]] = []
    while any(by.values()):
        for pattern in list(by):
            if by[pattern]:
                out.append(by[pattern].pop(0))
    return out


# -- graph questions ----------------------------------------------------------------

def calibrate_llm(model_name: str, models_dir: Path) -> None:
    from opsgraph.llm import resolve_model, unload_models

    msgs = [{"role": "user", "content": "Count from one to thirty in words."}]
    line = []
    for threads in (1, 2):
        model = resolve_model(model_name, models_dir).to_model(n_ctx=512, n_threads=threads)
        model.open()
        model.complete(msgs, max_tokens=4, temperature=0.0, seed=0)
        rates = []
        for _ in range(2):
            t = time.perf_counter()
            c = model.complete(msgs, max_tokens=32, temperature=0.0, seed=0)
            rates.append(c.completion_tokens / (time.perf_counter() - t))
        line.append(f"{threads} thread(s) {statistics.mean(rates):5.1f} tok/s")
        model.close()
    unload_models()
    say(f"llama.cpp calibration ({model_name}, 32-token decode, mean of 2): " + ", ".join(line) + f"; load avg {os.getloadavg()[0]:.1f}")


def run_text2cypher(og: Any, schema_text: str, model_name: str, questions: list[dict[str, Any]], golds: list[set[str]], args: argparse.Namespace, models_dir: Path) -> dict[str, Any]:
    from opsgraph.llm import resolve_model, unload_models
    from opsgraph.retrieve import Text2CypherRetriever

    t = time.perf_counter()
    model = resolve_model(model_name, models_dir).to_model(n_ctx=args.n_ctx, n_threads=args.llm_threads)
    model.open()
    say(f"{elapsed()} {model_name}: loaded in {time.perf_counter() - t:.1f} s (sha256 checked); budget {args.t2c_budget:.0f} s")
    t2c = Text2CypherRetriever(og.store, model, schema_text, max_attempts=3, row_limit=100, max_tokens=args.t2c_max_tokens)
    out: dict[str, Any] = {"done": 0, "at1": [], "at3": [], "extracted1": 0, "ran1": 0, "ran3": 0, "errors": 0, "ms": [], "firsts": [], "gens": 0}
    began = time.perf_counter()
    for i, (q, gold) in enumerate(zip(questions, golds, strict=True)):
        if time.perf_counter() - began > args.t2c_budget:
            break
        t = time.perf_counter()
        try:
            result = t2c.retrieve(q["q"], 100)
            attempts = result.detail.get("attempts") or []
            rows = [h.detail.get("row", {}) for h in result.hits]
        except Exception as exc:  # a model error (context overflow, ...) is a failed question, not a failed bench
            out["errors"] += 1
            attempts, rows = [], []
            say(f"   ! {type(exc).__name__}: {str(exc)[:120]}")
        ms = (time.perf_counter() - t) * 1000
        out["ms"].append(ms)
        out["gens"] += len(attempts)
        first = attempts[0] if attempts else {"cypher": "", "error": "no attempt"}
        out["firsts"].append(first.get("cypher", ""))
        ok3 = bool(attempts) and attempts[-1]["error"] is None and correct(rows, gold, count=q.get("answer") == "count")
        ok1 = ok3 and len(attempts) == 1
        extracted = not str(first.get("error") or "").startswith("no Cypher")
        out["done"] += 1
        out["at1"].append(ok1)
        out["at3"].append(ok3)
        out["extracted1"] += extracted
        out["ran1"] += bool(attempts) and attempts[0]["error"] is None
        out["ran3"] += bool(attempts) and attempts[-1]["error"] is None
        if args.show or i < 3:
            err = (first.get("error") or "ran")[:60]
            say(f"   {ms / 1000:5.1f}s att {len(attempts)} {'OK ' if ok3 else 'no '} | {q['q'][:60]:60} | 1st: {first.get('cypher', '')[:70]!r} -> {err}")
    out["wall_s"] = time.perf_counter() - began
    # The 1-attempt figure is the first attempt of the 3-attempt run: check that claim on a few questions.
    single = Text2CypherRetriever(og.store, model, schema_text, max_attempts=1, row_limit=100, max_tokens=args.t2c_max_tokens)
    same = 0
    checked = min(args.determinism_checks, out["done"])
    for q, first in zip(questions[:checked], out["firsts"][:checked], strict=True):
        attempts = single.retrieve(q["q"], 100).detail.get("attempts") or []
        same += bool(attempts) and attempts[0]["cypher"] == first
    out["same_first"] = (same, checked)
    model.close()
    unload_models()
    return out


def section_graph(og: Any, args: argparse.Namespace, spec: dict[str, Any], models_dir: Path) -> None:
    from opsgraph.app.ask import AskService

    questions = round_robin(spec["graph"])
    say(f"\n== graph questions: {len(questions)} over {len({q['pattern'] for q in questions})} patterns (exact set of the first column)")
    golds = []
    for q in questions:
        rows = og.query(q["gold"]).rows
        gold = first_column(rows)
        if not gold or gold == {"0"}:
            raise SystemExit(f"gold query returned nothing for {q['q']!r}: fix bench/rag_questions.yaml")
        golds.append(gold)
    schema = og.schema()
    service = AskService(og.store, og.settings, embedder=og.embedder, llm=None)
    planner = service.pipeline(schema).structured[0]
    plan_ok: list[bool] = []
    plan_ms: list[float] = []
    for q, gold in zip(questions, golds, strict=True):
        t = time.perf_counter()
        result = planner.retrieve(q["q"], 100)
        plan_ms.append((time.perf_counter() - t) * 1000)
        rows = [h.detail.get("row", {}) for h in result.hits]
        ok = bool(rows) and correct(rows, gold, count=q.get("answer") == "count", planner=True)
        plan_ok.append(ok)
        if args.show:
            say(f"   planner {'OK  ' if ok else ('none' if not rows else 'MISS')} | {q['pattern']:10} | {q['q']}")
    say(f"{elapsed()} planner: {sum(plan_ok)}/{len(questions)} correct, p50 {statistics.median(plan_ms):.0f} ms/question (entity linking with MiniLM included)")

    results: dict[str, dict[str, Any]] = {}
    models = [m for m in MODELS if not (args.quick and m == "gemma3-270m")]
    if args.no_llm:
        models = []
    if models:
        calibrate_llm(models[0], models_dir)
        schema_text = og.text2cypher.schema_text(schema)
        say(f"text-to-Cypher prompt: live schema {len(schema_text)} chars, no examples, max_tokens {args.t2c_max_tokens}, n_ctx {args.n_ctx}, {args.llm_threads} llama.cpp thread(s)")
    for name in models:
        results[name] = run_text2cypher(og, schema_text, name, questions, golds, args, models_dir)
        r = results[name]
        n = r["done"]
        say(
            f"{elapsed()} {name}: {n}/{len(questions)} questions in {r['wall_s']:.0f} s ({r['gens']} generations); "
            f"attempt 1: Cypher extracted {r['extracted1']}/{n}, ran {r['ran1']}/{n}; ran within 3 attempts {r['ran3']}/{n}; "
            f"correct @1 {sum(r['at1'])}/{n}, @3 {sum(r['at3'])}/{n}; p50 {statistics.median(r['ms']) / 1000:.1f} s/question; "
            f"first attempts identical in a max_attempts=1 rerun: {r['same_first'][0]}/{r['same_first'][1]}"
        )

    # Side by side, per pattern; model columns count only the questions that model reached.
    say("\ncorrect / asked, per pattern (text-to-Cypher columns: questions reached within the budget)")
    header = f"  {'pattern':11} {'n':>3} {'planner':>8}"
    for name in results:
        header += f" {SHORT[name] + '@1':>8} {SHORT[name] + '@3':>8}"
    say(header)
    patterns = list(dict.fromkeys(q["pattern"] for q in spec["graph"]))
    for pattern in [*patterns, "ALL"]:
        idx = [i for i, q in enumerate(questions) if pattern in ("ALL", q["pattern"])]
        line = f"  {pattern:11} {len(idx):>3} {sum(plan_ok[i] for i in idx):>4}/{len(idx):<3}"
        for r in results.values():
            reached = [i for i in idx if i < r["done"]]
            line += f" {sum(r['at1'][i] for i in reached):>4}/{len(reached):<3} {sum(r['at3'][i] for i in reached):>4}/{len(reached):<3}"
        say(line)
    for name, r in results.items():
        n = r["done"]
        say(f"  planner on the {n} questions {SHORT[name]} reached: {sum(plan_ok[:n])}/{n}")


# -- ask latency -------------------------------------------------------------------------

def section_ask(og: Any, args: argparse.Namespace, spec: dict[str, Any]) -> None:
    graph = [q["q"] for q in round_robin(spec["graph"])][: args.ask_graph]
    docs = [d["q"] for d in spec["sample_docs"]][: args.ask_docs]
    say(f"\n== ask latency with smollm2-135m-instruct ({args.llm_threads} llama.cpp thread(s), semantic cache bypassed): {len(graph)} graph + {len(docs)} document questions")
    og.llm.open()
    # Measure the pipeline, not the semantic cache (when this version has one): every question goes through.
    kwargs = {"use_cache": False} if "use_cache" in inspect.signature(og.ask).parameters else {}
    og.ask("warm-up: which services depend on cartservice?", **kwargs)
    stages: dict[str, list[float]] = defaultdict(list)
    tokens: dict[str, list[int]] = defaultdict(list)
    walls: list[float] = []
    outside: list[float] = []
    for question in graph + docs:
        t = time.perf_counter()
        answer = og.ask(question, **kwargs)
        wall = (time.perf_counter() - t) * 1000
        walls.append(wall)
        outside.append(wall - answer.trace.total_ms)
        for s in answer.trace.stages:
            stages[s.name].append(s.ms)
            tokens[s.name].append(s.tokens)
        path = "rows" if answer.rows is not None else f"context, {len(answer.citations)} cited"
        say(f"   {wall:7.0f} ms  {path:18} | {question[:70]}")
    say(f"  {'stage':26} {'n':>3} {'p50 ms':>8} {'p95 ms':>8} {'tokens p50':>10}")
    for name, ms in stages.items():
        say(f"  {name:26} {len(ms):>3} {pct(ms, 50):8.0f} {pct(ms, 95):8.0f} {statistics.median(tokens[name]):>10.0f}")
    say(f"  {'outside stages (build)':26} {len(outside):>3} {pct(outside, 50):8.0f} {pct(outside, 95):8.0f}")
    say(f"  {'wall per question':26} {len(walls):>3} {pct(walls, 50):8.0f} {pct(walls, 95):8.0f}")


# -- document retrieval -------------------------------------------------------------------

def doc_rank(hits: list[Any], gold: str, *, same_name_ok: bool) -> tuple[int | None, bool]:
    """1-based rank of the first chunk of the gold document (and whether a same-named runbook matched)."""
    for i, h in enumerate(hits, start=1):
        doc = str(h.detail.get("doc_id") or h.source_id.split("#")[0])
        if doc == gold:
            return i, False
        if same_name_ok and Path(doc).name == Path(gold).name and Path(doc).stem not in ("README", "_index", "index"):
            return i, True
    return None, False


def heading(hit: Any) -> str:
    first = hit.text.splitlines()[0] if hit.text else ""
    return first.strip("[]").lower()


def evaluate_docs(title: str, store: Any, embedder: Any, items: list[dict[str, Any]], args: argparse.Namespace, *, prefix: str, same_name_ok: bool) -> None:
    from opsgraph.retrieve import CHUNK_TEXT, CHUNK_VECTOR, FullTextRetriever, VectorRetriever, reciprocal_rank_fusion

    vector = VectorRetriever(store, embedder, [CHUNK_VECTOR])
    fulltext = FullTextRetriever(store, [CHUNK_TEXT])
    stats: dict[str, dict[str, list[float]]] = {n: {"r5": [], "rr": [], "sec": [], "ms": []} for n in ("vector", "fulltext", "fused")}
    lenient = 0
    for item in items:
        gold = prefix + item["doc"]
        t = time.perf_counter()
        v = vector.retrieve(item["q"], 10)
        tv = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        f = fulltext.retrieve(item["q"], 10)
        tf = (time.perf_counter() - t) * 1000
        fused = reciprocal_rank_fusion([v.hits, f.hits], limit=10)
        line = []
        for name, hits, ms in (("vector", v.hits, tv), ("fulltext", f.hits, tf), ("fused", fused, tv + tf)):
            rank, by_name = doc_rank(hits, gold, same_name_ok=same_name_ok)
            lenient += by_name and name == "fused"
            s = stats[name]
            s["r5"].append(1.0 if rank and rank <= 5 else 0.0)
            s["rr"].append(1.0 / rank if rank else 0.0)
            s["ms"].append(ms)
            if item.get("section"):
                want = item["section"].lower()
                top = [h for h in hits[:5] if doc_rank([h], gold, same_name_ok=same_name_ok)[0]]
                s["sec"].append(1.0 if any(want in heading(h) for h in top) else 0.0)
            line.append(f"{name} {rank or '-':>2}")
        if args.show:
            say(f"   {'  '.join(line)} | {item['q'][:80]}")
    say(f"  {title}: {len(items)} questions")
    say(f"  {'retriever':9} {'recall@5':>9} {'MRR@10':>7} {'section@5':>10} {'p50 ms':>7}")
    for name, s in stats.items():
        sec = f"{statistics.mean(s['sec']):.2f}" if s["sec"] else "-"
        say(f"  {name:9} {statistics.mean(s['r5']):9.2f} {statistics.mean(s['rr']):7.2f} {sec:>10} {pct(s['ms'], 50):7.0f}")
    if lenient:
        say(f"  ({lenient} fused hit(s) were the same-named runbook of another corpus, counted as right)")


def corpus_files(spec: dict[str, Any], args: argparse.Namespace) -> dict[str, Path]:
    """doc path under docs/ → source file: every prometheus-operator runbook, evenly spaced others, every gold doc."""
    golds = {d["doc"] for d in spec["corpus_docs"]}
    picked: dict[str, Path] = {}
    quota = {"prometheus-operator": None, "openshift": args.openshift_docs, "gitlab": args.gitlab_docs}
    for name, folder in CORPORA.items():
        root = args.corpus / folder
        files = sorted(p for p in root.rglob("*.md") if p.is_file())
        n = quota[name]
        chosen = files if n is None or n >= len(files) else [files[int(i * len(files) / n)] for i in range(n)]
        for p in chosen:
            picked[f"{name}/{p.relative_to(root).as_posix()}"] = p
        for g in golds:
            if g.startswith(name + "/"):
                src = root / g[len(name) + 1 :]
                if not src.is_file():
                    raise SystemExit(f"gold document {g} is not in the corpus at {src}")
                picked[g] = src
    return picked


def section_docs(og: Any, args: argparse.Namespace, spec: dict[str, Any], embedder: Any, tmp: Path) -> None:
    from opsgraph.app import OpsGraph, Settings
    from opsgraph.ingest.documents import sync_documents
    from opsgraph.ingest.linking import EntityLinker

    say("\n== document retrieval (chunks; vector = MiniLM in the store's LSM_VECTOR index, full-text = the engine's index, fused = RRF k=60)")
    evaluate_docs("sample estate runbooks (10 documents)", og.store, embedder, spec["sample_docs"], args, prefix="", same_name_ok=False)

    files = corpus_files(spec, args)
    estate = tmp / "corpus-estate"
    (estate / "docs").mkdir(parents=True)
    (estate / "schema.yaml").write_text(CORPUS_SCHEMA, encoding="utf-8")
    for rel, src in files.items():
        link = estate / "docs" / rel
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(src)
    counts = defaultdict(int)
    for rel in files:
        counts[rel.split("/")[0]] += 1
    say(f"{elapsed()} corpus sample: {len(files)} runbooks ({', '.join(f'{k} {v}' for k, v in counts.items())}), symlinked into {estate}")
    settings = Settings(home=tmp / "corpus-home", embed={"provider": "sentence-transformers", "threads": 1}, llm={"provider": "none"})
    last = [0.0]

    def progress(task: str, done: int, total: int) -> None:
        if time.perf_counter() - last[0] > 15 or done == total:
            last[0] = time.perf_counter()
            say(f"   {elapsed()} {task} {done}/{total}")

    with OpsGraph(settings, embedder=embedder) as corpus:
        t = time.perf_counter()
        corpus.ingest(estate, documents=False)
        # The estate has no entities to link to. The default linker (fuzzy matching on) crashes on an
        # empty entity list (IndexError in EntityLinker._fuzzy: its owner array is float when empty),
        # so the documents are synced with an entity-less linker without fuzzy matching; linking is
        # not what this section measures.
        docs = sync_documents(corpus.store, corpus.schema(), estate, embedder, progress=progress, linker=EntityLinker([], embedder=None))
        chunks = corpus.query("MATCH (c:Chunk) RETURN count(c) AS n").rows[0]["n"]
        say(f"{elapsed()} ingested {len(docs.created)} documents, {chunks} chunks in {time.perf_counter() - t:.0f} s (chunk, embed with 1 torch thread, write)")
        t = time.perf_counter()
        corpus.store.vector_search("Chunk", "embedding", [0.0] * 383 + [1.0], 1)
        say(f"{elapsed()} first vector search (builds the index graph): {time.perf_counter() - t:.1f} s")
        evaluate_docs(f"shared runbook corpus ({len(files)} documents, {chunks} chunks)", corpus.store, embedder, spec["corpus_docs"], args, prefix="docs/", same_name_ok=True)
        # The index on real MiniLM chunk embeddings against exact search, at the store's width.
        rows = corpus.query("MATCH (c:Chunk) RETURN c.id AS id, c.embedding AS e", limit=1_000_000).rows
        ids = [str(r["id"]) for r in rows]
        matrix = np.asarray([r["e"] for r in rows], dtype=np.float32)
        queries = embedder.embed([d["q"] for d in spec["corpus_docs"]])
        recall = []
        for q in queries:
            exact = {ids[i] for i in np.argsort(-(matrix @ q))[:10]}
            recall.append(len({h.id for h in corpus.store.vector_search("Chunk", "embedding", q.tolist(), 10)} & exact) / 10)
        say(f"  vector_search vs exact numpy on these {len(ids)} real MiniLM chunk vectors ({len(queries)} questions): recall@10 {statistics.mean(recall):.3f}")


# -- vector index ------------------------------------------------------------------------

VEC_SCHEMA = """\
version: 1
name: vectors
nodes:
  VecChunk:
    properties:
      embedding: {type: vector, dimensions: 384}
"""


def make_vectors(n: int, nq: int, kind: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors: uniform on the sphere, or MiniLM-like clusters (neighbours at cosine ~0.6, a shared offset)."""
    rng = np.random.default_rng(seed)
    d = 384

    def unit(x: np.ndarray) -> np.ndarray:
        return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)

    if kind == "random":
        return unit(rng.normal(size=(n, d))), unit(rng.normal(size=(nq, d)))
    centres = unit(rng.normal(size=(max(1, n // 50), d)))
    common = unit(rng.normal(size=(1, d)))[0]  # MiniLM embeddings share a direction (anisotropy)

    def draw(m: int) -> np.ndarray:
        c = centres[rng.integers(0, len(centres), size=m)]
        return unit(c + 0.35 * common + 0.8 * rng.normal(size=(m, d)) / np.sqrt(d))

    return draw(n), draw(nq)


def section_vectors(args: argparse.Namespace, tmp: Path) -> None:
    from opsgraph.schema import parse_schema
    from opsgraph.store.arcadedb import VECTOR_SEARCH_WIDTH, ArcadeDBStore

    runs = [(10_000, "random"), (10_000, "clustered")]
    if not args.quick:
        runs.append((args.big, args.big_kind))
    if args.vec_runs:
        runs = [(int(n), kind) for n, kind in (r.split(":") for r in args.vec_runs.split(","))]
    widths = [int(w) for w in args.widths.split(",")]
    say(f"\n== vector index: recall@10 vs exact numpy search, {args.vec_queries} queries, widths {widths} (store default {VECTOR_SEARCH_WIDTH})")
    schema = parse_schema(VEC_SCHEMA)
    for n, kind in runs:
        X, Q = make_vectors(n, args.vec_queries, kind, seed=n + len(kind))
        store = ArcadeDBStore(tmp / f"vec-{n}-{kind}")
        store.open()
        try:
            store.ensure_schema(schema)  # index declared first, as sync_documents does it
            t = time.perf_counter()
            step = 10_000
            for start in range(0, n, step):
                store.upsert_nodes("VecChunk", [{"id": f"v{i}", "embedding": X[i].tolist()} for i in range(start, min(n, start + step))])
                if n > step:
                    say(f"   {elapsed()} loaded {min(n, start + step)}/{n}")
            load_s = time.perf_counter() - t
            t = time.perf_counter()
            store.vector_search("VecChunk", "embedding", Q[0].tolist(), 10)
            build_s = time.perf_counter() - t
            say(f"{elapsed()} {n} {kind} vectors: upsert_nodes {load_s:.0f} s, first search (index build) {build_s:.0f} s")
            # Exact search: one query at a time, as a service would run it.
            exact = []
            exact_ms = []
            for q in Q:
                t = time.perf_counter()
                scores = X @ q
                top = np.argpartition(-scores, 10)[:10]
                top = top[np.argsort(-scores[top])]
                exact_ms.append((time.perf_counter() - t) * 1000)
                exact.append({f"v{i}" for i in top})
            say(f"  {'search':30} {'recall@10':>9} {'p50 ms':>7} {'p95 ms':>7}")
            say(f"  {'numpy exact (1 BLAS thread)':30} {1.0:9.3f} {pct(exact_ms, 50):7.2f} {pct(exact_ms, 95):7.2f}")
            for w in widths:
                store.vector_search_width = w
                rec, ms = [], []
                for q, gold in zip(Q, exact, strict=True):
                    t = time.perf_counter()
                    hits = store.vector_search("VecChunk", "embedding", q.tolist(), 10)
                    ms.append((time.perf_counter() - t) * 1000)
                    rec.append(len({h.id for h in hits} & gold) / 10)
                raw_ms, raw_rec = [], []
                sql = f"SELECT id, distance FROM (SELECT expand(vectorNeighbors('VecChunk[embedding]', :v, 10, {w})))"
                for q, gold in zip(Q, exact, strict=True):
                    t = time.perf_counter()
                    rows, _ = store.transport.query("sql", sql, {"v": q.tolist()}, 10)
                    raw_ms.append((time.perf_counter() - t) * 1000)
                    raw_rec.append(len({str(r["id"]) for r in rows} & gold) / 10)
                mark = "  <- >= 0.98" if statistics.mean(rec) >= 0.98 else ""
                say(f"  {'vector_search width ' + str(w):30} {statistics.mean(rec):9.3f} {pct(ms, 50):7.2f} {pct(ms, 95):7.2f}{mark}")
                say(f"  {'  engine only (id, distance)':30} {statistics.mean(raw_rec):9.3f} {pct(raw_ms, 50):7.2f} {pct(raw_ms, 95):7.2f}")
        finally:
            store.close()


# -- main ----------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="skip Gemma and the 100k vectors")
    parser.add_argument("--only", default="graph,ask,docs,vectors", help="comma-separated sections: graph, ask, docs, vectors")
    parser.add_argument("--show", action="store_true", help="print every question")
    parser.add_argument("--no-llm", action="store_true", help="planner only in the graph section")
    parser.add_argument("--llm-threads", type=int, default=1)
    parser.add_argument("--n-ctx", type=int, default=2048)
    parser.add_argument("--t2c-budget", type=float, default=None, help="seconds of text-to-Cypher per model (default 240)")
    parser.add_argument("--t2c-max-tokens", type=int, default=96, help="the longest gold query is ~45 tokens; more only lets a looping model loop")
    parser.add_argument("--determinism-checks", type=int, default=2)
    parser.add_argument("--ask-graph", type=int, default=3)
    parser.add_argument("--ask-docs", type=int, default=3)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--openshift-docs", type=int, default=70)
    parser.add_argument("--gitlab-docs", type=int, default=30)
    parser.add_argument("--vec-queries", type=int, default=100)
    parser.add_argument("--widths", default="400,1000,2000,5000")
    parser.add_argument("--big", type=int, default=100_000)
    parser.add_argument("--big-kind", choices=("random", "clustered"), default="random")
    parser.add_argument("--vec-runs", default=None, help="override the vector runs, e.g. 100000:clustered,10000:random")
    parser.add_argument("--models-dir", type=Path, default=None, help="where gemma3-270m is assembled (default: the run's temp folder)")
    args = parser.parse_args()
    if args.t2c_budget is None:
        args.t2c_budget = 240.0
    sections = {s.strip() for s in args.only.split(",") if s.strip()}

    import torch

    torch.set_num_threads(1)
    from opsgraph.app import OpsGraph, Settings, sample_estate_path
    from opsgraph.embed import create_embedder

    spec = yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))
    say(
        f"bench/rag.py {'--quick ' if args.quick else ''}sections {sorted(sections)}; torch threads {torch.get_num_threads()}, "
        f"BLAS/OMP threads {os.environ['OMP_NUM_THREADS']}, llama.cpp threads {args.llm_threads}; cpus {os.cpu_count()}, load avg {os.getloadavg()[0]:.1f}"
    )
    with tempfile.TemporaryDirectory(prefix="opsgraph-bench-rag-") as tmp_name:
        tmp = Path(tmp_name)
        models_dir = args.models_dir or tmp / "models"
        embedder = create_embedder("sentence-transformers", threads=1)
        if sections & {"graph", "ask", "docs"}:
            settings = Settings(
                home=tmp / "home",
                embed={"provider": "sentence-transformers", "threads": 1},
                llm={"provider": "llamacpp", "model": "smollm2-135m-instruct", "threads": args.llm_threads, "max_tokens": 200},
            )
            with OpsGraph(settings, embedder=embedder) as og:
                t = time.perf_counter()
                og.ingest(sample_estate_path())
                say(f"{elapsed()} sample estate ingested with its 10 runbooks (MiniLM, 1 torch thread) in {time.perf_counter() - t:.0f} s")
                if "graph" in sections:
                    section_graph(og, args, spec, models_dir)
                if "ask" in sections and not args.no_llm:
                    section_ask(og, args, spec)
                if "docs" in sections:
                    section_docs(og, args, spec, embedder, tmp)
        if "vectors" in sections:
            section_vectors(args, tmp)
    say(f"\ntotal {time.perf_counter() - BEGAN:.0f} s")


if __name__ == "__main__":
    main()
