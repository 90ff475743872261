"""JSON mode on the real model: the grammar forces parseable output that validates."""

from __future__ import annotations

from opsgraph.llm import LlamaCppModel

FACTS = "Facts:\n1. cartservice depends on redis-cart.\n2. checkoutservice depends on paymentservice.\n3. frontend depends on checkoutservice."


def test_answer_schema_parses_and_validates(smollm2: LlamaCppModel) -> None:
    schema = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}
    out = smollm2.complete(
        [{"role": "system", "content": "Reply in JSON."}, {"role": "user", "content": f"{FACTS}\n\nWhich service depends on paymentservice?"}],
        json_schema=schema,
        max_tokens=64,
    )
    assert isinstance(out.parsed, dict) and isinstance(out.parsed["answer"], str)
    assert out.finish_reason == "stop"


def test_enum_schema_can_only_name_known_services(smollm2: LlamaCppModel) -> None:
    ids = ["cartservice", "checkoutservice", "frontend", "paymentservice", "redis-cart"]
    schema = {
        "type": "object",
        "properties": {"services": {"type": "array", "items": {"enum": ids}, "minItems": 1, "maxItems": 3}},
        "required": ["services"],
        "additionalProperties": False,
    }
    out = smollm2.complete(f"{FACTS}\n\nWhich services does frontend depend on?", json_schema=schema, max_tokens=48)
    assert 1 <= len(out.parsed["services"]) <= 3
    assert set(out.parsed["services"]) <= set(ids)
