"""Greedy decoding and seeded sampling give the same answer every time."""

from __future__ import annotations

from opsgraph.llm import LlamaCppModel

PROMPT = "List three reasons a web service can return HTTP 502 errors."


def test_greedy_generation_is_deterministic(smollm2: LlamaCppModel) -> None:
    first = smollm2.complete(PROMPT, max_tokens=24, temperature=0.0, seed=7)
    second = smollm2.complete(PROMPT, max_tokens=24, temperature=0.0, seed=7)
    assert first.text == second.text and first.text.strip()


def test_sampling_with_a_seed_is_deterministic(smollm2: LlamaCppModel) -> None:
    runs = {smollm2.complete(PROMPT, max_tokens=24, temperature=0.9, top_k=40, top_p=0.95, seed=1234).text for _ in range(2)}
    assert len(runs) == 1
