"""Retrieved few-shot examples: the training pairs nearest to a question go into its prompt.

The idea behind DSPy's compiled few-shot, without a framework: fixed examples
help a small model only when they resemble the question, so each question gets
its own. Pairs are compared by their delexicalised templates ("What does $p0
depend on?"), which removes the entity names that would otherwise dominate the
similarity; a pair whose slots have the same kinds and types as the question's
(same signature) ranks first, because its query can be reused nearly as is.
Similarity is cosine over the embedder's vectors, or, without an embedder,
over word and word-pair counts (a real fallback, not a stand-in).

Pairs a user confirmed (`add`) join the index and win ties over synthetic ones.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

from opsgraph.embed import Embedder
from opsgraph.retrieve.text2cypher.cues import UNASKED_PENALTY, cue_score, query_cues, question_cues, unasked_property
from opsgraph.retrieve.text2cypher.records import CypherPair

SIGNATURE_BONUS = 0.25
"""Added to the similarity of a pair whose slot signature equals the question's: a same-shaped query beats a
slightly closer wording with other parameter types."""


def pair_signature(pair: CypherPair) -> tuple[str, ...]:
    """Kinds and labels of a pair's slots, in order (as `QuestionSlots.signature`)."""
    return tuple(f"{s.kind}:{s.label}" for s in pair.slots)


def _words(text: str) -> Counter[str]:
    toks = re.findall(r"\$p\d+|[a-z0-9]+", text.lower())
    return Counter(toks + [f"{a} {b}" for a, b in itertools.pairwise(toks)])


class ExampleIndex:
    """Nearest (question, Cypher) pairs for a question template.

    Args:
        pairs: the candidates (synthetic training pairs, confirmed pairs).
        embedder: turns templates into vectors; `None` uses word overlap.
    """

    def __init__(self, pairs: Sequence[CypherPair], embedder: Embedder | None = None) -> None:
        self.embedder = embedder
        self.pairs: list[CypherPair] = []
        self.confirmed: list[bool] = []
        self._vectors: np.ndarray | None = None
        self._bags: list[Counter[str]] = []
        self._cues: list[frozenset[str]] = []
        self._add(pairs, confirmed=False)

    def __len__(self) -> int:
        return len(self.pairs)

    def add(self, pairs: Sequence[CypherPair]) -> None:
        """Add pairs a user confirmed."""
        self._add(pairs, confirmed=True)

    def _add(self, pairs: Sequence[CypherPair], *, confirmed: bool) -> None:
        pairs = list(pairs)
        if not pairs:
            return
        self.pairs.extend(pairs)
        self.confirmed.extend([confirmed] * len(pairs))
        self._cues.extend(query_cues(p.cypher) for p in pairs)
        if self.embedder is not None:
            vecs = np.asarray(self.embedder.embed([p.template for p in pairs]), dtype=np.float32)
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True) + 1e-12
            self._vectors = vecs if self._vectors is None else np.vstack([self._vectors, vecs])
        else:
            self._bags.extend(_words(p.template) for p in pairs)

    def _similarity(self, template: str) -> np.ndarray:
        if self.embedder is not None and self._vectors is not None:
            q = np.asarray(self.embedder.embed([template]), dtype=np.float32)[0]
            q /= np.linalg.norm(q) + 1e-12
            return self._vectors @ q
        bag = _words(template)
        qn = math.sqrt(sum(v * v for v in bag.values())) or 1.0
        out = np.zeros(len(self.pairs), dtype=np.float32)
        for i, other in enumerate(self._bags):
            dot = sum(v * other.get(w, 0) for w, v in bag.items())
            if dot:
                out[i] = dot / (qn * (math.sqrt(sum(v * v for v in other.values())) or 1.0))
        return out

    def nearest(self, template: str, signature: Sequence[str] = (), k: int = 3) -> list[CypherPair]:
        """The `k` best pairs, best first; at most one per distinct query, so k examples show k shapes."""
        if k <= 0 or not self.pairs:
            return []
        score = self._similarity(template)
        sig = tuple(signature)
        bonus = np.array([SIGNATURE_BONUS if pair_signature(p) == sig else 0.0 for p in self.pairs], dtype=np.float32)
        wanted = question_cues(template)
        cues = np.array(
            [
                cue_score(wanted, c) - (UNASKED_PENALTY if unasked_property(template, p.cypher) else 0.0)
                for c, p in zip(self._cues, self.pairs, strict=True)
            ],
            dtype=np.float32,
        )
        score = score + bonus + cues + np.array(self.confirmed, dtype=np.float32) * 1e-3
        out: list[CypherPair] = []
        seen: set[str] = set()
        for i in np.argsort(-score, kind="stable"):
            pair = self.pairs[int(i)]
            if pair.cypher in seen:
                continue
            seen.add(pair.cypher)
            out.append(pair)
            if len(out) == k:
                break
        return out
