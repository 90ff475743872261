"""`opsgraph tune` on a tiny graph: pairs, the prompt-style choice and a LoRA adapter measurably raise accuracy.

A correctness test of the tuning pipeline (real store, real SmolLM2, real training), not a timing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import SMALL_SCHEMA, write
from opsgraph.app import OpsGraph, Settings
from opsgraph.llm.adapters import AdapterRegistry
from opsgraph.retrieve.text2cypher import (
    ADAPTER_STYLE,
    CypherWriter,
    PromptStyle,
    SlotFinder,
    cypher_grammar,
    evaluate,
    held_out_items,
    load_pairs,
)
from opsgraph.store.cypher_guard import write_clauses

pytestmark = pytest.mark.training  # run first in the session (tests/conftest.py)

SERVICES = [
    ("web", "Web Frontend", "critical", 8080), ("api", "Public API", "critical", 8081), ("auth", "Auth Service", "high", 9000),
    ("cart", "Cart Service", "high", 7070), ("search", "Search Service", "medium", 7000), ("mail", "Mail Sender", "low", 2525),
    ("billing", "Billing Service", "critical", 9100), ("reports", "Reports Service", "low", 9200),
]  # fmt: skip
DEPS = [("web", "api"), ("web", "auth"), ("api", "cart"), ("api", "search"), ("api", "billing"), ("billing", "mail"), ("reports", "billing"), ("cart", "auth")]
OWNERS = {"team-shop": ["web", "cart", "search"], "team-core": ["api", "auth"], "team-money": ["billing", "reports", "mail"]}


@pytest.fixture
def estate(tmp_path: Path) -> Path:
    root = tmp_path / "estate"
    write(root / "schema.yaml", SMALL_SCHEMA.replace("  Service:\n", "  Service:\n    name_property: name\n"))
    rows = "\n".join(f"- {{id: {i}, name: '{n}', tier: {t}, port: {p}, healthy: true}}" for i, n, t, p in SERVICES)
    write(root / "nodes" / "Service.yaml", rows + "\n")
    write(root / "nodes" / "Team.yaml", "\n".join(f"- {{id: {t}, name: '{t.split('-')[1].title()} team'}}" for t in OWNERS) + "\n")
    write(root / "edges" / "DEPENDS_ON.yaml", "\n".join(f"- {{from: {a}, to: {b}, critical: true}}" for a, b in DEPS) + "\n")
    owns = [f"- {{from: {t}, to: {s}}}" for t, ss in OWNERS.items() for s in ss]
    write(root / "edges" / "OWNS.yaml", "\n".join(owns) + "\n")
    return root


def test_tuning_a_tiny_graph_raises_execution_accuracy(estate: Path, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", embed={"provider": "none"}, llm={"threads": 1, "n_ctx": 2048}, cypher={"max_attempts": 1, "pairs": 600})
    with OpsGraph(settings) as og:
        og.ingest(estate)
        schema = og.schema()
        assert schema is not None
        assert og.text2cypher.status(schema) == {"tuned": False}
        untuned = PromptStyle(k=0, schema=True)
        report = og.text2cypher.tune(schema, og.linker(), steps=40, sample=12, styles=[untuned, PromptStyle(k=1, schema=False)])

        # Pairs: enough, read-only, inside the estate grammar, kept with the estate.
        train = load_pairs(settings.home / "text2cypher" / "train.jsonl")
        assert report.pairs >= 50 and len(train) == report.train
        grammar = cypher_grammar(schema, params=("p0", "p1", "p2", "p3"))
        assert all(not write_clauses(p.cypher) and grammar.accepts(p.cypher) for p in train)

        # The prompt-style choice beats the untuned prompt (the schema alone) on the held-out pairs.
        by_style = {json.dumps(s["style"], sort_keys=True): s["accuracy"] for s in report.styles}
        baseline = by_style[json.dumps(untuned.as_dict(), sort_keys=True)]
        assert report.chosen["metrics"]["chosen_held_out_accuracy"] >= baseline + 0.15, report.styles

        # The adapter: registered with what it was trained on, and better than the same prompt without it.
        versions = AdapterRegistry(settings.home / "models" / "adapters").versions(schema.name, "cypher")
        assert [v.version for v in versions] == ["v0001"]
        manifest = versions[0].manifest
        assert manifest["metrics"]["held_out_accuracy"] == report.adapter["held_out_accuracy"]  # type: ignore[index]
        base = og.llm
        assert base is not None
        items = held_out_items(og.store, load_pairs(settings.home / "text2cypher" / "held_out.jsonl"), 12, 0)
        finder = SlotFinder.from_store(og.store, schema, og.linker())
        grammar_text = lambda params: cypher_grammar(schema, params=params).gbnf  # noqa: E731
        without = evaluate(CypherWriter(og.store, base, "", slots=finder, grammar=grammar_text, style=ADAPTER_STYLE, max_attempts=1).write, items)
        assert report.adapter is not None and report.adapter["held_out_accuracy"] >= without.accuracy + 0.15, (report.adapter, without.summary())

        # The choice is the estate's default now; a schema change makes it stale, and says so.
        status = og.text2cypher.status(schema)
        assert status["tuned"] and not status["stale"]
        changed = schema.model_copy(update={"description": "changed"})
        stale = og.text2cypher.status(changed)
        assert stale["stale"] and "opsgraph tune" in stale["warning"]
