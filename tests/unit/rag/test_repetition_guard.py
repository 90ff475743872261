"""The repetition guard cuts a small model's loops and never adds words."""

from __future__ import annotations

import re

from opsgraph.rag.repetition import cut_repetition

SENTENCE = "Restart the payment pods and wait for the gateway to recover."


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def test_one_sentence_repeated_twelve_times_is_kept_once() -> None:
    out = cut_repetition(" ".join([SENTENCE] * 12))
    assert out.text == SENTENCE
    assert out.removed_sentences == 11
    assert out.changed


def test_repeated_lines_are_cut_too() -> None:
    out = cut_repetition("\n".join(["Check the ledger disk [2]."] * 5) + "\nThen page Payments [1].")
    assert out.text == "Check the ledger disk [2]. Then page Payments [1]."


def test_a_looping_phrase_inside_one_sentence_is_truncated() -> None:
    loop = "the cache holds the carts and " * 6
    out = cut_repetition(f"Redis: {loop}more.")
    assert out.truncated
    assert out.text.count("the cache holds the") <= 2


def test_a_stuttered_token_collapses() -> None:
    assert cut_repetition("Owned by billing-billing-billing.").text == "Owned by billing."


def test_clean_text_is_unchanged_and_nothing_is_added() -> None:
    text = "Payment is on the critical path [1]. Roll back the last deploy [2]."
    out = cut_repetition(text)
    assert out.text == text and not out.changed
    noisy = " ".join([SENTENCE] * 3) + " Then check INC-2047. " + "and again " * 9
    kept = _words(cut_repetition(noisy).text)
    source = _words(noisy)
    assert set(kept) <= set(source)
