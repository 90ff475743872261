"""Entity-linking precision and recall on sentences from the sample estate's runbooks.

    .venv/bin/python bench/linking.py [--errors] [--threads N]

The gold set below is labelled by hand: for each sentence, taken verbatim
from one of the sample estate's 10 runbooks, the ids of the estate nodes it
truly names. Labelling rule: a node counts when the sentence refers to that
particular service, datastore, topic, vendor, team, person, incident or
runbook, by any name or a recognisable short form ("cart" for the cart
service's function in "Browsing, cart and currency conversion keep
working"); it does not count when the word means something else (the
shopper's own payment, a physical warehouse, a Kubernetes namespace, an
environment variable). Each sentence is linked with its whole runbook as
context, as `sync_documents` does.

A second, small set of made-up sentences with variant spellings ("payment
svc") shows what fuzzy matching is for; it is reported separately and not
used to pick the default.

It prints micro-averaged precision / recall / F1 over (sentence, node)
pairs for exact+alias matching alone and with fuzzy matching at three
thresholds, and the threshold it would pick (best F1 on the runbook set, ties
to the higher precision). The model runs on CPU with the thread count shown.

Figures (2 cores, 1 torch thread, machine busy with a compile; 51 runbook
sentences with 130 gold links, 12 variant sentences):

    configuration        P      R      F1     | variants P / R / F1
    exact + alias        0.975  0.900  0.936  | 0.556 / 0.455 / 0.500
    + fuzzy >= 0.70      0.968  0.923  0.945  | 0.846 / 1.000 / 0.917
    + fuzzy >= 0.80      0.976  0.923  0.949  | 0.917 / 1.000 / 0.957   <- default
    + fuzzy >= 0.90      0.975  0.908  0.940  | 0.818 / 0.818 / 0.818

Caveat: the linking rules (casing tie-break, code spans, fuzzy targets)
were refined while reading this set's errors, so these figures are
optimistic; a held-out set of other runbooks would give an honest number.
Most remaining misses are weak one-word mentions with no evidence in their
runbook ("Browsing, cart and currency conversion keep working" in the
payment runbook) and names no surface covers ("PayRiver" is the gateway's
vendor, "Orders" alone the Orders & Fulfilment team).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from opsgraph.app import sample_estate_path
from opsgraph.embed import SentenceTransformerEmbedder
from opsgraph.ingest.estate import read_estate
from opsgraph.ingest.linking import EntityLinker, entities_from_rows, link_settings

PAY = "payment-service-elevated-5xx.md"
CART = "cart-service-redis-cart-unavailable.md"
CHECKOUT = "checkout-latency-slo-burn.md"
FX = "currency-service-stale-rates.md"
WEB = "frontend-502s-during-deploy.md"
KAFKA = "kafka-order-events-consumer-lag.md"
HANDOVER = "on-call-handover.md"
LEDGER = "payments-ledger-db-disk-and-replication.md"
CATALOG = "product-catalog-db-connection-exhaustion.md"
ASSIST = "shopping-assistant-gemini-quota.md"

GOLD: list[tuple[str, str, set[str]]] = [
    (PAY, "Owner: Payments team (`#team-payments`). Pager schedule: `payments-oncall`.", {"team-payments"}),
    (PAY, "Related incidents: INC-2047 (payment gateway timeouts), INC-2075 (ledger disk full).",
     {"INC-2047", "INC-2075", "payment-gateway", "payments-ledger-db"}),
    (PAY, 'The Payment Service (`paymentservice`, often just "payments" or "payment-service") charges the shopper\'s card through the '
          "external payment gateway (PayRiver), writes every authorisation and capture to the payments ledger database, and publishes "
          "a message to the `payment-events` Kafka topic.",
     {"paymentservice", "payment-gateway", "payments-ledger-db", "payment-events"}),
    (PAY, "Checkout calls it synchronously from `PlaceOrder`, so every failed charge is a failed order.", {"checkoutservice"}),
    (PAY, 'Shoppers see "Your payment could not be processed" on the checkout page; the frontend returns 500 on `POST /cart/checkout`.',
     {"frontend"}),
    (PAY, "Payment is on the critical path: when paymentservice fails, checkoutservice fails, and the frontend cannot take orders.",
     {"paymentservice", "checkoutservice", "frontend"}),
    (PAY, "Browsing, cart and currency conversion keep working.", {"cartservice", "currencyservice"}),
    (PAY, "Look at the gateway latency and error panel on the Payments dashboard, then the vendor status page (https://status.payriver.example).",
     {"payment-gateway", "team-payments"}),
    (PAY, "Gateway timeouts over 6 s mean the PSP is degraded (see INC-2047).", {"payment-gateway", "INC-2047"}),
    (PAY, "Slow ledger writes show up as `DeadlineExceeded` rather than gateway errors.", {"payments-ledger-db", "payment-gateway"}),
    (PAY, "Make sure checkout retries on `Charge` are off (`CHECKOUT_PAYMENT_RETRIES=0` on checkoutservice in namespace `orders`), "
          "or we double-authorise cards as in INC-2047.",
     {"checkoutservice", "INC-2047"}),
    (PAY, "PayRiver support: open a P1 through the merchant portal and quote our merchant id; Olu Adeyemi (Payments tech lead) holds "
          "the vendor escalation contacts.",
     {"payment-gateway", "olu.adeyemi", "team-payments"}),
    (PAY, "Tell the Orders & Fulfilment on-call (`orders-oncall`): checkout is the first service to feel it.", {"team-orders", "checkoutservice"}),
    (CART, 'The Cart Service (`cartservice`, "cart", "basket") keeps each shopper\'s cart in the Cart Redis, `redis-cart`, a StatefulSet '
           "in the `orders` namespace with one replica and Sentinel.",
     {"cartservice", "redis-cart"}),
    (CART, "Both the frontend and the Checkout Service call cartservice, so a redis-cart problem breaks the cart page and every order.",
     {"frontend", "checkoutservice", "cartservice", "redis-cart"}),
    (CART, "One cartservice pod holding thousands of connections is a client-side leak, usually a recent cartservice release (INC-2093).",
     {"cartservice", "INC-2093"}),
    (CART, "Orders & Fulfilment primary on call (`orders-oncall`); Priya Raman is the tech lead for the cart.",
     {"team-orders", "priya.raman", "cartservice"}),
    (CART, "Tomasz Nowak (Platform SRE, embedded in Orders) knows the Sentinel setup.", {"tomasz.nowak", "team-platform", "team-orders"}),
    (CART, "Sev1: announce in `#incidents` and tell the Storefront on-call (`storefront-oncall`), since the frontend cart page will be failing.",
     {"team-storefront", "frontend"}),
    (CHECKOUT, 'The Checkout Service (`checkoutservice`, "checkout", "place order") has a latency SLO: 99% of `PlaceOrder` calls finish '
               "within 2 s over 28 days.",
     {"checkoutservice"}),
    (CHECKOUT, "`PlaceOrder` calls its dependencies one after another: cart, product catalog, currency, shipping quote, payment, ship order, "
               "the orders database, a publish to `order-events`, and finally the e-mail confirmation.",
     {"cartservice", "productcatalogservice", "currencyservice", "shippingservice", "paymentservice", "orders-db", "order-events", "emailservice"}),
    (CHECKOUT, "Shipping slow: check the carrier API, which has no cache on our side.", {"shippingservice", "shipping-carrier-api"}),
    (CHECKOUT, "Orders & Fulfilment on call (`orders-oncall`) owns the SLO; Hannah Lee (engineering manager) decides on freezing releases "
               "when more than 50% of the monthly budget is gone.",
     {"team-orders", "hannah.lee"}),
    (CHECKOUT, "Payments on call (`payments-oncall`) for charge latency; Platform SRE (`sre-incident-commander`) for Kafka.",
     {"team-payments", "team-platform"}),
    (FX, "It serves rates from the currency rates cache (`currency-rates-cache`, a Redis in the `payments` namespace) and refreshes that "
         "cache every hour from the ECB euro reference rates feed.",
     {"currency-rates-cache", "ecb-rates-feed"}),
    (FX, "This is a sev3; it becomes sev2 if the cache is empty, because currencyservice then returns errors and both the frontend and "
         "checkout fail (the Currency Service is on the critical path for both).",
     {"currencyservice", "frontend", "checkoutservice"}),
    (FX, "Payments on call (`payments-oncall`); Ines Moreau and Olu Adeyemi know the currency code.",
     {"team-payments", "ines.moreau", "olu.adeyemi", "currencyservice"}),
    (WEB, 'The Frontend (`frontend`, "web frontend", "the website") is the only service behind the external HTTPS load balancer.', {"frontend"}),
    (WEB, "The load generator (Locust) reports failures on `/` and `/product/*` at the same time.", {"loadgenerator"}),
    (WEB, "Rollouts use `maxSurge: 25%` and `maxUnavailable: 0` since INC-2071.", {"INC-2071"}),
    (WEB, "Storefront primary on call (`storefront-oncall`); Diego Ramirez is the frontend tech lead and Amara Okafor the engineering manager.",
     {"team-storefront", "diego.ramirez", "frontend", "amara.okafor"}),
    (WEB, "If the frontend is healthy but returns 500 (not 502), the failure is downstream; look at which backend calls fail on the "
          "Storefront dashboard (cart, checkout, product catalog, currency) and use that service's runbook.",
     {"frontend", "team-storefront", "cartservice", "checkoutservice", "productcatalogservice", "currencyservice"}),
    (KAFKA, "`order-events` is a 12-partition topic on `kafka-prod` with 7 days of retention.", {"order-events"}),
    (KAFKA, "No shopper-facing errors; checkout does not wait for consumers.", {"checkoutservice"}),
    (KAFKA, "Fraud Detection lag above 30 minutes is a sev2, because the warehouse ships orders before they are scored.", {"fraud-detection"}),
    (KAFKA, "Never delete or recreate the topic; fraud-detection and analytics-worker would lose their place.", {"fraud-detection", "analytics-worker"}),
    (HANDOVER, "Most of our repeat incidents had a warning sign in the previous shift that nobody passed on: the redis-cart memory growth "
               "before INC-2041 was visible for a week, and the payments ledger slot lag before INC-2075 had paged twice and been silenced.",
     {"redis-cart", "INC-2041", "payments-ledger-db", "INC-2075"}),
    (HANDOVER, "**Changes coming.** Releases, database maintenance, node pool upgrades, vendor maintenance windows (payment gateway, "
               "shipping carrier, e-mail provider) and marketing campaigns in the next week.",
     {"payment-gateway", "shipping-carrier-api", "email-delivery-provider"}),
    (HANDOVER, "Engineering managers: Amara Okafor (Storefront), Hannah Lee (Orders & Fulfilment), David Cohen (Payments and Risk & Data), "
               "Sam Taylor (Platform SRE).",
     {"amara.okafor", "team-storefront", "hannah.lee", "team-orders", "david.cohen", "team-payments", "team-risk-data", "sam.taylor", "team-platform"}),
    (LEDGER, 'The payments ledger database (`payments-ledger-db`, "ledger", "payments-pg") is a Cloud SQL PostgreSQL 15 instance with one read replica.',
     {"payments-ledger-db"}),
    (LEDGER, "The Payment Service writes one ledger entry per authorisation, capture and refund, inside the same request that charges the card.",
     {"paymentservice", "payments-ledger-db"}),
    (LEDGER, "Chloe Martin (database reliability, member of Catalog and Payments) for slot, vacuum and Cloud SQL questions.",
     {"chloe.martin", "team-catalog", "team-payments"}),
    (LEDGER, "After recovery, list authorisations without a ledger entry from the payment gateway report and hand them to Payments for reversal.",
     {"payments-ledger-db", "payment-gateway", "team-payments"}),
    (CATALOG, 'Only the Product Catalog Service (`productcatalogservice`, "catalog", "products") connects to it, through a pgx pool of at '
              "most 20 connections per pod, with the Redis catalog cache in front for product reads.",
     {"productcatalogservice", "catalog-cache"}),
    (CATALOG, "In INC-2058 the Recommendation Service tripled its calls after a release removed its cache and added retries.",
     {"INC-2058", "recommendationservice"}),
    (CATALOG, "Recommendations are optional for the frontend, so `kubectl -n storefront scale deploy/recommendationservice --replicas=0` is "
              "acceptable in a sev1.",
     {"recommendationservice", "frontend"}),
    (CATALOG, "Product pages return 500; checkout fails while preparing items; recommendations disappear.", {"checkoutservice", "recommendationservice"}),
    (ASSIST, "For each question it embeds the text, looks up similar products in the assistant vector store (`assistant-vector-db`, "
             "AlloyDB with pgvector) and asks the Gemini API to write the answer.",
     {"assistant-vector-db", "gemini-api"}),
    (ASSIST, "The frontend calls it over HTTP with a 20 s timeout and hides the chat panel if it fails, so an assistant outage never blocks "
             "browsing, the cart or checkout.",
     {"frontend", "shoppingassistantservice", "cartservice", "checkoutservice"}),
    (ASSIST, "Storefront on call (`storefront-oncall`); Kenji Watanabe owns the assistant and the embedding pipeline.",
     {"team-storefront", "kenji.watanabe", "shoppingassistantservice"}),
    (ASSIST, "Quota increases and Cloud Armor rules: Platform SRE (`sre-incident-commander`) during their hours.", {"team-platform"}),
]
"""(runbook file, sentence as written in it, ids of the nodes it names)."""

VARIANTS: list[tuple[str, str, set[str]]] = [
    (PAY, "The payment svc is throwing 5xx again.", {"paymentservice"}),
    (CART, "Restart the cart svc pods after the failover.", {"cartservice"}),
    (FX, "The currency-svc refresh failed overnight.", {"currencyservice"}),
    (CATALOG, "The prod catalog database is at max connections.", {"product-catalog-db"}),
    (WEB, "The web front-end returns 502s during the rollout.", {"frontend"}),
    (ASSIST, "The shopping-assistant svc ran out of quota.", {"shoppingassistantservice"}),
    (HANDOVER, "Ping Oluwaseun about the vendor contract.", {"olu.adeyemi"}),
    (PAY, "Ask the payment team to look at the card processor.", {"team-payments", "payment-gateway"}),
    (KAFKA, "The orders-events topic is lagging.", {"order-events"}),
    (CHECKOUT, "The shipping carrier is slow to quote.", {"shipping-carrier-api"}),
    (KAFKA, "The warehouse ships orders late on Mondays.", set()),
    (PAY, "Shoppers retry the payment when the page spins.", set()),
]
"""Made-up sentences with variant spellings; context is still the named runbook."""

THRESHOLDS = (0.7, 0.8, 0.9)


def score(linker: EntityLinker, rows: list[tuple[str, str, set[str]]], docs: dict[str, str], errors: bool) -> tuple[float, float, float, int, int, int]:
    tp = fp = fn = 0
    for doc, sentence, gold in rows:
        found = {link.node_id for link in linker.link(sentence, document=docs[doc])}
        tp += len(found & gold)
        fp += len(found - gold)
        fn += len(gold - found)
        if errors and found != gold:
            print(f"    {doc[:24]:24} +{sorted(found - gold)} -{sorted(gold - found)} :: {sentence[:70]}")
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f, tp, fp, fn


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--errors", action="store_true", help="print every sentence whose links differ from the gold set")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    args = ap.parse_args()

    root = sample_estate_path()
    plan = read_estate(root)
    entities = entities_from_rows(plan.schema, plan.nodes)
    docs = {p.name: p.read_text(encoding="utf-8") for p in (root / "docs").glob("*.md")}
    for doc, sentence, gold in GOLD + VARIANTS:
        missing = gold - {e.id for e in entities}
        if missing:
            raise SystemExit(f"gold names unknown nodes {missing}")
        if (doc, sentence, gold) in GOLD and " ".join(sentence.split()) not in " ".join(docs[doc].split()):
            raise SystemExit(f"not found verbatim in {doc}: {sentence[:60]}")
    embedder = SentenceTransformerEmbedder(threads=args.threads)
    began = time.perf_counter()
    embedder.open()
    print(f"model {embedder.name} loaded in {time.perf_counter() - began:.1f} s; torch threads {args.threads}")
    n_gold = sum(len(g) for _, _, g in GOLD)
    print(f"runbook set: {len(GOLD)} sentences, {n_gold} gold links; variants: {len(VARIANTS)} sentences\n")
    print(f"{'configuration':22} {'P':>6} {'R':>6} {'F1':>6} {'tp':>4} {'fp':>4} {'fn':>4}   | variants P / R / F1")
    results = []
    configs: list[tuple[str, float | None]] = [("exact + alias", None)] + [(f"+ fuzzy >= {t:.2f}", t) for t in THRESHOLDS]
    for label, threshold in configs:
        linker = EntityLinker(entities, embedder=embedder if threshold is not None else None, settings=link_settings(plan.schema, fuzzy_threshold=threshold))
        t0 = time.perf_counter()
        if args.errors:
            print(f"  {label}: sentences whose links differ (+ wrong, - missed)")
        p, r, f, tp, fp, fn = score(linker, GOLD, docs, args.errors)
        vp, vr, vf, *_ = score(linker, VARIANTS, docs, args.errors)
        results.append((f, p, threshold, label))
        print(f"{label:22} {p:6.3f} {r:6.3f} {f:6.3f} {tp:4} {fp:4} {fn:4}   | {vp:.3f} / {vr:.3f} / {vf:.3f}   ({time.perf_counter() - t0:.1f} s)")
    best = max(results, key=lambda x: (round(x[0], 4), x[1]))
    print(f"\npick: {best[3]} (best F1 on the runbook set, ties to higher precision) -> DEFAULT_FUZZY_THRESHOLD = {best[2]}")


if __name__ == "__main__":
    main()
