"""Bundled language models on grounded ops questions: speed, answer containment, JSON-mode validity.

    .venv/bin/python bench/llm_models.py                        # both bundled models, 2 threads
    .venv/bin/python bench/llm_models.py --threads 1 --show-answers
    .venv/bin/python bench/llm_models.py --models smollm2-135m-instruct --cache-dir /tmp/models

Each of 12 questions about the Online Boutique sample estate comes with the
estate as numbered facts in the prompt (the facts shuffled per question with a
fixed seed, so llama.cpp cannot reuse a cached prompt prefix and every call
pays for its whole prompt, as a RAG prompt with fresh context would). The task
is grounded answering, not knowledge. The models are loaded side by side and
run interleaved, item by item, so load from other processes hits them alike.
Every model runs with identical settings: greedy (temperature 0, seed 0), `n_ctx` 2048, the same threads,
`max_tokens` 64 (text) / 96 (JSON).

Scores, per model:
- **contain**: mean share of a question's expected entity ids that appear in the
  answer (whole-id match, case-insensitive); **all**: share of questions whose
  answer names every expected id;
- **extra**: mean number of *other* estate ids the answer names (echoing the
  facts back scores high on contain and high here, so read the two together);
- **JSON valid**: share of JSON-mode answers (schema: a list of 1-4 ids from the
  estate) that parsed and validated; **JSON contain/prec**: recall and precision
  of the ids listed.
Speed: prefill tokens/s (a full facts prompt, 1-token answer), decode tokens/s
(a short prompt, up to 64 tokens; the stored prompt prefix is reused), and
p50/p95 latency of the 12 text answers; after one warm-up call; load time
(sha256 check included) apart.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from opsgraph.llm import Completion, LlamaCppModel, StructuredOutputError, resolve_model

FACTS = [
    "frontend depends on adservice, cartservice, checkoutservice, currencyservice, productcatalogservice, recommendationservice, shippingservice and shoppingassistantservice.",
    "checkoutservice depends on cartservice, currencyservice, emailservice, paymentservice, productcatalogservice and shippingservice.",
    "checkoutservice writes orders to orders-db and publishes to the order-events topic.",
    "cartservice stores carts in redis-cart.",
    "paymentservice calls the external payment-gateway, writes to payments-ledger-db and publishes to the payment-events topic.",
    "currencyservice reads currency-rates-cache and the external ecb-rates-feed.",
    "productcatalogservice reads product-catalog-db through catalog-cache.",
    "recommendationservice depends on productcatalogservice.",
    "emailservice sends mail through email-delivery-provider, consumes order-events and parks failed mail in the email-retry queue.",
    "shippingservice calls the external shipping-carrier-api.",
    "shoppingassistantservice calls the external gemini-api and reads assistant-vector-db.",
    "fraud-detection consumes order-events and payment-events, uses fraud-feature-store and publishes fraud-alerts.",
    "analytics-worker consumes order-events, payment-events and fraud-alerts and writes to analytics-warehouse.",
    "loadgenerator sends traffic to frontend.",
    "team-payments owns paymentservice, currencyservice, payments-ledger-db, currency-rates-cache and payment-events.",
    "team-orders owns cartservice, checkoutservice, shippingservice, emailservice, redis-cart, orders-db and order-events.",
    "team-catalog owns productcatalogservice, product-catalog-db and catalog-cache.",
    "team-storefront owns frontend, adservice, recommendationservice and shoppingassistantservice.",
    "team-risk-data owns fraud-detection, analytics-worker, fraud-feature-store and analytics-warehouse.",
    "rachel.kim is the primary on-call engineer for team-payments; ines.moreau is secondary.",
    "marcus.bell is the primary on-call engineer for team-orders; tomasz.nowak is secondary.",
    "arjun.mehta is the primary on-call engineer for team-catalog.",
    "INC-2047 (sev1): checkout failed because payment-gateway authorisation timed out during a vendor outage.",
    "INC-2058 (sev2): product-catalog-db ran out of connections; it was caused by recommendationservice release 2.14.0 retrying without back-off.",
    "INC-2053 (sev3): prices used stale exchange rates because the ecb-rates-feed changed its XML format.",
    "INC-2075 (sev2): payments-ledger-db filled its disk because an inactive replication slot retained WAL.",
    "INC-2093 (sev2): cartservice release 3.8.0 opened a Redis connection per request and exhausted redis-cart clients.",
    "INC-2084 (sev3): shoppingassistantservice failed because the gemini-api quota was exceeded.",
    "Runbook rb-ledger-disk covers payments-ledger-db and paymentservice.",
    "Runbook rb-cart-redis covers cartservice and redis-cart.",
]

QUESTIONS: list[tuple[str, tuple[str, ...]]] = [
    ("Which service depends directly on paymentservice?", ("checkoutservice",)),
    ("Which service stores its data in redis-cart?", ("cartservice",)),
    ("Which team owns payments-ledger-db?", ("team-payments",)),
    ("Which service caused incident INC-2058?", ("recommendationservice",)),
    ("Which services consume the order-events topic?", ("emailservice", "fraud-detection", "analytics-worker")),
    ("Which external API does shippingservice call?", ("shipping-carrier-api",)),
    ("Which incident was caused by the ecb-rates-feed format change?", ("INC-2053",)),
    ("Which runbook covers payments-ledger-db?", ("rb-ledger-disk",)),
    ("Which datastores does productcatalogservice read?", ("product-catalog-db", "catalog-cache")),
    ("Which team owns fraud-detection?", ("team-risk-data",)),
    ("Who is the primary on-call engineer for the team that owns paymentservice?", ("rachel.kim",)),
    ("Which external API was involved in incident INC-2084?", ("gemini-api",)),
]

SYSTEM = "You answer questions about a service estate using only the numbered facts. Answer briefly and name things by their exact ids."
ID_PATTERN = re.compile(r"[a-zA-Z][a-zA-Z0-9.]*(?:-[a-zA-Z0-9.]+)+|[a-z]+service|[a-z]+\.[a-z]+|INC-\d+|frontend|loadgenerator")
KNOWN_IDS = sorted({m.group(0).rstrip(".") for fact in FACTS for m in ID_PATTERN.finditer(fact)} - {"2.14.0", "3.8.0", "back-off", "on-call"})


def prompt(question: str, seed: int) -> list[dict[str, str]]:
    facts = FACTS[:]
    random.Random(seed).shuffle(facts)
    numbered = "\n".join(f"{i}. {f}" for i, f in enumerate(facts, 1))
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": f"Facts:\n{numbered}\n\nQuestion: {question}"}]


def mentioned(text: str) -> set[str]:
    """Estate ids named in `text` as whole ids (so `cartservice` is not found inside `redis-cart`)."""
    low = text.lower()
    return {i for i in KNOWN_IDS if re.search(rf"(?<![a-z0-9.-]){re.escape(i.lower())}(?![a-z0-9-])", low)}


JSON_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"answer": {"type": "array", "items": {"enum": KNOWN_IDS}, "minItems": 1, "maxItems": 4}},
    "required": ["answer"],
    "additionalProperties": False,
}


@dataclass
class Result:
    name: str
    load_s: float = 0.0
    latencies: list[float] = field(default_factory=list)
    prefill_tps: float = 0.0
    decode_tps: float = 0.0
    contain: list[float] = field(default_factory=list)
    extra: list[int] = field(default_factory=list)
    prompt_tokens: list[int] = field(default_factory=list)
    json_valid: int = 0
    json_latencies: list[float] = field(default_factory=list)
    json_contain: list[float] = field(default_factory=list)
    json_prec: list[float] = field(default_factory=list)
    answers: list[tuple[str, str, str]] = field(default_factory=list)


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def ask(model: LlamaCppModel, res: Result, i: int, question: str, expected: tuple[str, ...]) -> None:
    """One question, text then JSON mode; each with its own fact order, so neither reuses the other's prompt cache."""
    out: Completion = model.complete(prompt(question, i), max_tokens=64, temperature=0.0, seed=0)
    found = mentioned(out.text)
    res.latencies.append(out.latency_ms)
    res.prompt_tokens.append(out.prompt_tokens)
    res.contain.append(len(found & set(expected)) / len(expected))
    res.extra.append(len(found - set(expected)))
    try:
        js = model.complete(prompt(question, 500 + i), json_schema=JSON_SCHEMA, max_tokens=96, temperature=0.0, seed=0)
        res.json_valid += 1
        res.json_latencies.append(js.latency_ms)
        listed = set(js.parsed["answer"])
        res.json_contain.append(len(listed & set(expected)) / len(expected))
        res.json_prec.append(len(listed & set(expected)) / len(listed))
        json_text = js.text
    except StructuredOutputError as exc:
        res.json_contain.append(0.0)
        res.json_prec.append(0.0)
        json_text = f"INVALID ({exc.problems[:1]}): {exc.text[:80]}"
    res.answers.append((question, out.text.strip().replace("\n", " ")[:160], json_text[:160]))


def run(names: list[str], cache_dir: Path, threads: int, n_ctx: int) -> list[Result]:
    """Every model on every item, interleaved (and the order alternated) so a busy shared machine slows all alike."""
    models: list[tuple[LlamaCppModel, Result]] = []
    for name in names:
        model = resolve_model(name, cache_dir).to_model(n_ctx=n_ctx, n_threads=threads)
        started = time.perf_counter()
        model.open()  # includes the sha256 check of the file
        models.append((model, Result(name, load_s=time.perf_counter() - started)))
        model.complete(prompt(QUESTIONS[0][0], 999), max_tokens=8)  # warm-up, not timed

    def rotated(k: int) -> list[tuple[LlamaCppModel, Result]]:
        return models[k % len(models) :] + models[: k % len(models)]

    # Speed probes: prefill = a full facts prompt with a 1-token answer; decode = a short prompt, up to 64 tokens.
    probes: dict[str, list[tuple[Completion, Completion]]] = {r.name: [] for _, r in models}
    for k in range(3):
        for model, res in rotated(k):
            pre = model.complete(prompt(QUESTIONS[k][0], 100 + k), max_tokens=1)
            dec = model.complete("Write a long story about a database that never sleeps.", max_tokens=64)
            probes[res.name].append((pre, dec))
    for _, res in models:
        pairs = probes[res.name]
        res.prefill_tps = sum(p.prompt_tokens for p, _ in pairs) / sum(p.latency_ms / 1000 for p, _ in pairs)
        res.decode_tps = sum(d.completion_tokens for _, d in pairs) / sum(d.latency_ms / 1000 for _, d in pairs)
    for i, (question, expected) in enumerate(QUESTIONS):
        for model, res in rotated(i):
            ask(model, res, i, question, expected)
    for model, _ in models:
        model.close()
    return [res for _, res in models]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=["smollm2-135m-instruct", "gemma3-270m"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--n-ctx", type=int, default=2048)
    parser.add_argument("--cache-dir", type=Path, default=Path.home() / ".opsgraph" / "models", help="where gemma3-270m is assembled")
    parser.add_argument("--show-answers", action="store_true")
    args = parser.parse_args()

    import llama_cpp

    print(f"llama-cpp-python {llama_cpp.__version__}; n_threads={args.threads} (batch too), n_ctx={args.n_ctx}, greedy, seed 0, "
          f"max_tokens 64 text / 96 JSON; {len(QUESTIONS)} questions, {len(FACTS)} facts, {len(KNOWN_IDS)} estate ids")  # fmt: skip
    load_before = os.getloadavg()[0]
    results = run(args.models, args.cache_dir, args.threads, args.n_ctx)
    if args.show_answers:
        for r in results:
            print(f"\n== {r.name}")
            for question, text, js in r.answers:
                print(f"Q: {question}\n   text: {text}\n   json: {js}")

    header = f"{'model':<24}{'load s':>7}{'prompt tok':>11}{'prefill t/s':>12}{'decode t/s':>11}{'p50 ms':>8}{'p95 ms':>8}{'contain':>8}{'all':>6}{'extra':>6}{'JSON valid':>11}{'JSON p50':>9}{'JSON cont':>10}{'JSON prec':>10}"
    # A shared machine skews every figure: say how busy it was.
    print(f"\nload average (1 min) before {load_before:.2f}, after {os.getloadavg()[0]:.2f}, on {os.cpu_count()} cores")
    print(header)
    print("-" * len(header))
    n = len(QUESTIONS)
    for r in results:
        all_hit = sum(1 for c in r.contain if c == 1.0) / n
        json_p50 = f"{pct(r.json_latencies, 50):.0f}" if r.json_latencies else "-"
        print(
            f"{r.name:<24}{r.load_s:>7.2f}{statistics.mean(r.prompt_tokens):>11.0f}{r.prefill_tps:>12.0f}{r.decode_tps:>11.1f}"
            f"{pct(r.latencies, 50):>8.0f}{pct(r.latencies, 95):>8.0f}{statistics.mean(r.contain):>8.2f}{all_hit:>6.2f}"
            f"{statistics.mean(r.extra):>6.1f}{r.json_valid / n:>11.2f}{json_p50:>9}{statistics.mean(r.json_contain):>10.2f}{statistics.mean(r.json_prec):>10.2f}"
        )


if __name__ == "__main__":
    main()
