"""Graph RAG on the sample estate: what each retrieval path gets right, next to plain vector RAG.

    .venv/bin/python bench/ask.py                # retrieval + text-to-Cypher + answers with SmolLM2
    .venv/bin/python bench/ask.py --model none   # retrieval only (fast)

Gold answers are computed in the same run by hand-written Cypher against the
same store, so the figures check the pipeline against the data, not against
remembered strings. Reported:
- graph questions: exact-set accuracy of the schema-path planner's rows; the
  same for the model's own text-to-Cypher (parsed / ran / correct); and, as
  the baseline, the recall of the gold ids in the context plain vector RAG
  (top-k chunks by embedding) would give a model;
- document questions: hit@k of the expected runbook for vector, full-text and
  the fused (RRF) list, and MRR;
- answers: latency per question, citation rate and dropped citations.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

GRAPH = [
    ("Which services depend on paymentservice?", "MATCH (s:Service)-[:DEPENDS_ON]->(:Service {id: 'paymentservice'}) RETURN DISTINCT s.id AS id"),
    ("Which services depend on cartservice?", "MATCH (s:Service)-[:DEPENDS_ON]->(:Service {id: 'cartservice'}) RETURN DISTINCT s.id AS id"),
    ("What breaks if redis-cart is down?", "MATCH (s:Service)-[:DEPENDS_ON*1..6]->(:Datastore {id: 'redis-cart'}) RETURN DISTINCT s.id AS id"),
    ("What breaks if productcatalogservice is down?", "MATCH (s:Service)-[:DEPENDS_ON*1..6]->(:Service {id: 'productcatalogservice'}) RETURN DISTINCT s.id AS id"),
    ("What does checkoutservice depend on?", "MATCH (:Service {id: 'checkoutservice'})-[:DEPENDS_ON]->(d) RETURN DISTINCT d.id AS id"),
    ("Which team owns paymentservice?", "MATCH (t:Team)-[:OWNS]->(:Service {id: 'paymentservice'}) RETURN t.id AS id"),
    ("Which team owns redis-cart?", "MATCH (t:Team)-[:OWNS]->(:Datastore {id: 'redis-cart'}) RETURN t.id AS id"),
    (
        "Who is on call for the services that depend on paymentservice?",
        "MATCH (s:Service)-[:DEPENDS_ON]->(:Service {id: 'paymentservice'}) MATCH (t:Team)-[:OWNS]->(s) "
        "MATCH (p:Person)-[:ON_CALL_FOR]->(t) RETURN DISTINCT p.id AS id",
    ),
    ("Which incidents were caused by redis-cart?", "MATCH (i:Incident)-[:CAUSED_BY]->(:Datastore {id: 'redis-cart'}) RETURN i.id AS id"),
    ("Which incidents affected frontend?", "MATCH (i:Incident)-[:AFFECTED]->(:Service {id: 'frontend'}) RETURN i.id AS id"),
    ("Who responded to INC-2041?", "MATCH (p:Person)-[:RESPONDED_TO]->(:Incident {id: 'INC-2041'}) RETURN p.id AS id"),
    ("Which runbooks are for paymentservice?", "MATCH (r:Runbook)-[:RUNBOOK_FOR]->(:Service {id: 'paymentservice'}) RETURN r.id AS id"),
]

DOCS = [
    ("How do I mitigate redis-cart evictions?", "cart-service-redis-cart-unavailable.md"),
    ("What should I do when payments return 5xx errors?", "payment-service-elevated-5xx.md"),
    ("How do I handle consumer lag on the order-events topic?", "kafka-order-events-consumer-lag.md"),
    ("The product catalog database is running out of connections, what do I check?", "product-catalog-db-connection-exhaustion.md"),
    ("Currency rates look stale, how do I fix it?", "currency-service-stale-rates.md"),
    ("Why does the frontend return 502 during a deploy?", "frontend-502s-during-deploy.md"),
    ("What is the procedure for the on-call handover?", "on-call-handover.md"),
    ("The payments ledger disk is filling up because of replication slots, what now?", "payments-ledger-db-disk-and-replication.md"),
    ("The shopping assistant hits its Gemini quota, how do we mitigate?", "shopping-assistant-gemini-quota.md"),
    ("Checkout latency SLO is burning, how do I diagnose it?", "checkout-latency-slo-burn.md"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="smollm2-135m-instruct", help="bundled model name, a .gguf path, or 'none'")
    parser.add_argument("--k", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    from opsgraph.app import OpsGraph, Settings, sample_estate_path
    from opsgraph.app.ask import AskService
    from opsgraph.retrieve import CHUNK_TEXT, CHUNK_VECTOR, FullTextRetriever, Text2CypherRetriever, VectorRetriever, reciprocal_rank_fusion

    llm_cfg = {"provider": "none"} if args.model == "none" else {"provider": "llamacpp", "model": args.model, "threads": args.threads, "max_tokens": 160}
    print(f"model {args.model}, llama.cpp threads {args.threads}, k {args.k}, embedder all-MiniLM-L6-v2 (1 torch thread)")
    with tempfile.TemporaryDirectory(prefix="opsgraph-bench-ask-") as tmp:
        settings = Settings(home=Path(tmp), embed={"provider": "sentence-transformers"}, llm=llm_cfg, ask={"k": args.k})
        with OpsGraph(settings) as og:
            t = time.perf_counter()
            og.ingest(sample_estate_path())
            print(f"ingest with documents: {time.perf_counter() - t:.1f} s")
            schema = og.schema()
            service = AskService(og.store, og.settings, embedder=og.embedder, llm=og.llm)
            rag = service.pipeline(schema)
            planner = rag.structured[0]
            vector = VectorRetriever(og.store, og.embedder, [CHUNK_VECTOR])  # type: ignore[arg-type]
            fulltext = FullTextRetriever(og.store, [CHUNK_TEXT])

            # -- graph questions ----------------------------------------------------
            print("\n== graph questions (exact set of ids)")
            planner_ok = baseline_recall = 0.0
            t2c = {"parsed": 0, "ran": 0, "correct": 0}
            t2c_ms: list[float] = []
            text2cypher = None
            if og.llm is not None:
                og.llm.open()
                text2cypher = Text2CypherRetriever(og.store, og.llm, og.text2cypher.schema_text(schema), max_attempts=2)  # type: ignore[arg-type]
            for question, gold_cypher in GRAPH:
                gold = {r["id"] for r in og.query(gold_cypher).rows}
                got = {h.source_id for h in planner.retrieve(question, 100).hits}
                ok = got == gold
                planner_ok += ok
                # Plain vector RAG: which gold ids would the model even see in its context?
                context = " ".join(h.text for h in vector.retrieve(question, args.k).hits)
                recall = sum(1 for g in gold if g in context) / len(gold) if gold else 1.0
                baseline_recall += recall
                line = f"  planner {'ok ' if ok else 'MISS'}  vector-RAG recall {recall:4.2f}"
                if text2cypher is not None:
                    began = time.perf_counter()
                    result = text2cypher.retrieve(question, 100)
                    t2c_ms.append((time.perf_counter() - began) * 1000)
                    attempts = result.detail.get("attempts", [])
                    parsed = any(not (a["error"] or "").startswith(("no Cypher", "the query has no RETURN")) for a in attempts)
                    ran = result.detail.get("cypher") is not None
                    rows = [h.detail.get("row", {}) for h in result.hits]
                    values = {str(next(iter(r.values()))) for r in rows if r}
                    correct = ran and values == gold
                    t2c["parsed"] += parsed
                    t2c["ran"] += ran
                    t2c["correct"] += correct
                    line += f"  text2cypher {'correct' if correct else 'ran' if ran else 'failed'}"
                print(f"{line}  | {question}")
            n = len(GRAPH)
            print(f"schema-path planner: {planner_ok:.0f}/{n} exact ({planner_ok / n:.0%})")
            print(f"baseline plain vector RAG: mean recall of gold ids in its top-{args.k} context {baseline_recall / n:.2f}")
            if text2cypher is not None:
                print(
                    f"text-to-Cypher ({args.model}, schema + retry): parsed {t2c['parsed']}/{n}, ran {t2c['ran']}/{n}, correct {t2c['correct']}/{n}; "
                    f"p50 {statistics.median(t2c_ms):.0f} ms"
                )

            # -- document questions ---------------------------------------------------
            print(f"\n== document questions (expected runbook in the top {args.k})")
            hits = {"vector": 0, "fulltext": 0, "fused": 0}
            rr: list[float] = []
            for question, doc in DOCS:
                v = vector.retrieve(question, args.k).hits
                f = fulltext.retrieve(question, args.k).hits
                fused = reciprocal_rank_fusion([v, f], limit=args.k)
                for name, lst in (("vector", v), ("fulltext", f), ("fused", fused)):
                    hits[name] += any(doc in h.source_id for h in lst)
                rank = next((i for i, h in enumerate(fused, start=1) if doc in h.source_id), None)
                rr.append(1 / rank if rank else 0.0)
                print(f"  vector {any(doc in h.source_id for h in v)!s:5} fulltext {any(doc in h.source_id for h in f)!s:5} fused rank {rank}  | {question}")
            m = len(DOCS)
            print(f"hit@{args.k}: vector {hits['vector']}/{m}, full-text {hits['fulltext']}/{m}, fused {hits['fused']}/{m}; fused MRR {statistics.mean(rr):.2f}")

            # -- answers ----------------------------------------------------------------
            if og.llm is not None:
                print("\n== answers with the model")
                lat: list[float] = []
                cited = dropped = 0
                for question, _ in GRAPH[:4] + DOCS[:4]:
                    began = time.perf_counter()
                    answer = og.ask(question)
                    lat.append((time.perf_counter() - began) * 1000)
                    cited += bool(answer.citations)
                    dropped += len(answer.dropped_citations)
                    print(f"  {lat[-1]:7.0f} ms  citations {len(answer.citations)}  | {question}\n           {answer.text.splitlines()[0][:110]}")
                print(f"answers: p50 {statistics.median(lat):.0f} ms, max {max(lat):.0f} ms; with >=1 valid citation {cited}/{len(lat)}; dropped citations {dropped}")


if __name__ == "__main__":
    main()
