"""max_tokens and stop sequences end generation where asked; an oversized prompt is refused clearly."""

from __future__ import annotations

import pytest

from opsgraph.llm import LlamaCppModel, LLMContextError, ModelFile

STORY = "Write a long story about a database that never sleeps."


def test_max_tokens_is_honoured(smollm2: LlamaCppModel) -> None:
    out = smollm2.complete(STORY, max_tokens=5)
    assert out.completion_tokens == 5
    assert out.finish_reason == "length"


def test_a_stop_sequence_ends_the_answer_before_it(smollm2: LlamaCppModel) -> None:
    free = smollm2.complete(STORY, max_tokens=40).text
    words = free.split()
    assert len(words) > 8, free
    stop = " " + words[len(words) // 2]  # a word the greedy answer is known to reach
    cut = smollm2.complete(STORY, max_tokens=40, stop=[stop])
    assert cut.finish_reason == "stop"
    assert stop not in cut.text
    assert cut.text == free[: free.index(stop)]
    assert cut.completion_tokens < 40


def test_a_prompt_longer_than_the_context_is_a_context_error(smollm2_file: ModelFile) -> None:
    with smollm2_file.to_model(n_ctx=256, n_threads=2) as small, pytest.raises(LLMContextError, match="256-token context window"):
        small.complete("incident " * 300, max_tokens=4)
