"""The repetition guard: a small model's loops cut out of generated text before anyone reads them.

Small local models fall into loops ("billing-billing-billing", one invented
sentence printed twelve times). `cut_repetition` keeps the first occurrence of
every sentence, stops the text where a word n-gram comes back more than
`max_ngram_repeats` times, and collapses a token repeated with hyphens or
spaces. It only ever removes text, never adds any. Used only when a model
writes prose (`llm.answers: generate`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_WORDS = re.compile(r"\w+")
_STUTTER = re.compile(r"\b(\w{2,})(?:[-\s]+\1\b){2,}", re.I)


@dataclass(frozen=True)
class GuardResult:
    """The text as kept, and what was cut."""

    text: str
    removed_sentences: int
    truncated: bool
    """True when the text was cut at a repeated n-gram."""

    @property
    def changed(self) -> bool:
        return self.removed_sentences > 0 or self.truncated


def _norm(sentence: str) -> str:
    return " ".join(_WORDS.findall(sentence.lower()))


def cut_repetition(text: str, *, n: int = 4, max_ngram_repeats: int = 2) -> GuardResult:
    """`text` without repeated sentences, cut where a word `n`-gram occurs more than `max_ngram_repeats` times."""
    text = _STUTTER.sub(lambda m: m.group(1), text)
    kept: list[str] = []
    seen: set[str] = set()
    removed = 0
    for sentence in (s for s in _SENTENCE.split(text) if s.strip()):
        key = _norm(sentence)
        if key and key in seen:
            removed += 1
            continue
        seen.add(key)
        kept.append(sentence.strip())
    joined = " ".join(kept)
    truncated = False
    counts: dict[tuple[str, ...], int] = {}
    words = list(_WORDS.finditer(joined))
    for i in range(len(words) - n + 1):
        gram = tuple(w.group(0).lower() for w in words[i : i + n])
        counts[gram] = counts.get(gram, 0) + 1
        if counts[gram] > max_ngram_repeats:
            joined = joined[: words[i].start()].rstrip(" ,;:-")
            truncated = True
            break
    return GuardResult(joined.strip(), removed, truncated)
