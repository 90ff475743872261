"""Follow-ups rewritten into standalone questions, from the session's recent turns.

"Which services depend on paymentservice?" then "and who owns it?": the
second question means nothing to retrieval or to the cache until "it"
becomes "paymentservice". `FollowUpRewriter` does that with deterministic
rules over the entities of the previous turn (the entities the previous
question linked, and the nodes its answer returned or cited):

- **ellipsis**: "what about cartservice?" / "and cartservice?" repeats the
  previous question with the new entity in place of the old one;
- **demonstratives**: "that team", "those services", "the same datastore"
  become the previous turn's entity (entities) of that type;
- **plural pronouns** ("they", "them", "their", "those") become the previous
  answer's entities (or, if it named none, the previous question's);
- **singular pronouns** ("it", "its", a final "that"/"this") become the
  previous question's main entity (or the answer's, when it has exactly one).

The bundled 135M model is too weak to rewrite reliably, so rules come first;
a language model is asked only when one is passed in (configure a capable
endpoint) and a follow-up marker is left unresolved. Every rewrite says which
rule fired and which turns it read, for the trace.

The turns come from a history (`opsgraph.rag.history`); this module only reads them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from opsgraph.llm import LanguageModel
from opsgraph.rag.history.base import Turn, TurnEntity
from opsgraph.retrieve.base import EntityLinker
from opsgraph.schema.words import TYPE_SYNONYMS, looks_plural, type_words


@dataclass(frozen=True)
class Rewrite:
    """A follow-up made standalone, and how."""

    question: str
    """The standalone question (the original when nothing was rewritten)."""
    original: str
    rule: str
    """`none`, `no history`, `ellipsis`, `reference`, `llm`."""
    resolved: dict[str, str] = field(default_factory=dict)
    """Each phrase replaced → what replaced it."""
    unresolved: list[str] = field(default_factory=list)
    """Follow-up words no rule could resolve."""
    turns_used: list[dict[str, Any]] = field(default_factory=list)
    """The history read: question and entities of each turn consulted."""

    @property
    def changed(self) -> bool:
        return self.question != self.original

    def to_dict(self) -> dict[str, Any]:
        return {
            "original": self.original,
            "standalone": self.question,
            "rule": self.rule,
            "resolved": self.resolved,
            "unresolved": self.unresolved,
            "history": self.turns_used,
        }


_LEAD = re.compile(r"^\s*(?:and|so|also|ok(?:ay)?|then|but|now)\b[\s,]*", re.I)
_ELLIPSIS = re.compile(r"^\s*(?:(?:and|so|ok(?:ay)?)[\s,]+)?(?:what|how)\s+about\s+(?P<x>.+?)\s*[?.!]*\s*$", re.I)
_AND_X = re.compile(r"^\s*(?:and|or)\s+(?P<x>[^?]+?)\s*\?\s*$", re.I)
_SINGULAR = re.compile(r"\b(?P<p>it|its|itself)\b", re.I)
_PLURAL = re.compile(r"\b(?P<p>they|them|their|theirs|themselves)\b", re.I)
_BARE_DEMONSTRATIVE = re.compile(r"\b(?P<p>that|this|those|these)\b(?=\s*[?!.]*\s*$)", re.I)
_FOLLOW_UP_WORDS = re.compile(r"\b(it|its|itself|they|them|their|theirs|those|these|that|this|same)\b", re.I)
_FILLER = frozenset("the a an for about instead then too also as well please same with".split())
"""Words allowed around the entity of an ellipsis ("and for redis-cart too?")."""
PLURAL_LIMIT = 10
"""Most entities a plural reference expands to."""

LLM_SYSTEM = (
    "Rewrite the user's last question so that it can be understood without the conversation. "
    "Replace pronouns and vague references with the exact names or ids they refer to. "
    "Reply with the rewritten question only, on one line."
)


class FollowUpRewriter:
    """Deterministic follow-up rewriting (an LLM only as a fallback, when given).

    Args:
        words: word or phrase → node type (see `type_words`).
        linker: finds entities (with their spans) in questions; without one, the
            ids recorded in the turns are searched for literally.
        llm: asked only when rules leave a follow-up word unresolved.
        window: most recent turns searched for referents.
    """

    def __init__(self, words: Mapping[str, str], *, linker: EntityLinker | None = None, llm: LanguageModel | None = None, window: int = 3) -> None:
        self.words = dict(words)
        self.linker = linker
        self.llm = llm
        self.window = window
        alternation = "|".join(re.escape(w) for w in sorted(self.words, key=len, reverse=True))
        self._demonstrative = (
            re.compile(rf"\b(?P<det>that|this|the same|those|these|the)\s+(?P<noun>{alternation})\b", re.I) if alternation else None
        )

    def rewrite(self, question: str, history: Sequence[Turn]) -> Rewrite:
        """The standalone form of `question` given the `history` (oldest first)."""
        original = " ".join(question.split())
        turns = [t for t in list(history)[-self.window :] if t.entities][::-1]  # most recent first
        used = [{"question": t.standalone, "entities": [e.id for e in t.entities]} for t in turns[:1]]
        if not history:
            return Rewrite(original, original, "no history")
        if not turns:
            if _FOLLOW_UP_WORDS.search(original) and self.llm is not None:
                return self._ask_llm(original, history, "reference")
            return Rewrite(original, original, "none", unresolved=self._markers(original))
        last = turns[0]
        done = self._ellipsis(original, last, used)
        if done is not None:
            return done
        text, resolved, unresolved = self._references(original, last)
        if resolved:
            text = _tidy(text)
            if unresolved and self.llm is not None:
                return self._ask_llm(text, history, "reference", resolved)
            return Rewrite(text, original, "reference", resolved, unresolved, used)
        if unresolved and self.llm is not None:
            return self._ask_llm(original, history, "none")
        return Rewrite(original, original, "none", unresolved=unresolved)

    # -- rules -------------------------------------------------------------------------
    def _links(self, text: str) -> list[tuple[str, str, int, int]]:
        if self.linker is None:
            return []
        return [(link.node_id, link.node_type, link.start, link.end) for link in self.linker.link(text)]

    def _ellipsis(self, question: str, last: Turn, used: list[dict[str, Any]]) -> Rewrite | None:
        m = _ELLIPSIS.match(question) or _AND_X.match(question)
        if m is None:
            return None
        phrase = m.group("x").strip()
        new = self._links(phrase)
        if not new:
            return None
        # The phrase must be the entity (plus filler), not a clause that names one: "and who owns paymentservice?"
        # is a question of its own.
        rest = phrase
        for _, _, start, end in sorted(new, key=lambda x: -x[2]):
            rest = rest[:start] + " " + rest[end:]
        if any(w not in _FILLER and w not in self.words for w in re.findall(r"[\w'-]+", rest.lower())):
            return None
        target_id, target_type = new[0][0], new[0][1]
        prev = last.standalone
        spans = [(i, t, s, e) for i, t, s, e in self._links(prev)] or _literal_spans(prev, last)
        if not spans:
            return None
        same_type = [sp for sp in spans if sp[1] == target_type]
        _, _, start, end = (same_type or spans)[0]
        text = prev[:start] + target_id + prev[end:]
        return Rewrite(_tidy(text), question, "ellipsis", {prev[start:end]: target_id}, [], used)

    def _references(self, question: str, last: Turn) -> tuple[str, dict[str, str], list[str]]:
        q_ents = [e for e in last.entities if e.source == "question"]
        a_ents = [e for e in last.entities if e.source == "answer"]
        resolved: dict[str, str] = {}
        unresolved: list[str] = []

        def pick(plural: bool, node_type: str | None) -> list[TurnEntity]:
            def of_type(ents: list[TurnEntity]) -> list[TurnEntity]:
                return [e for e in ents if node_type is None or e.type == node_type]

            if plural:
                return of_type(a_ents)[:PLURAL_LIMIT] or of_type(q_ents)[:PLURAL_LIMIT]
            if node_type is not None:
                return (of_type(q_ents) or of_type(a_ents))[:1]
            if q_ents:
                return q_ents[:1]
            return a_ents[:1] if len(a_ents) == 1 else []

        def resolve(word: str, plural: bool, node_type: str | None, possessive: bool) -> str:
            ents = pick(plural, node_type)
            if not ents:
                unresolved.append(word)
                return word
            ids = list(dict.fromkeys(e.id for e in ents))
            out = ids[0] if len(ids) == 1 else ", ".join(ids[:-1]) + " and " + ids[-1]
            out = out + "'s" if possessive else out
            resolved[word] = out
            return out

        text = question
        if self._demonstrative is not None:

            def demonstrative(m: re.Match[str]) -> str:
                det, noun = m.group("det").lower(), m.group("noun")
                node_type = self.words[noun.lower()]
                # "the service" refers back only at the end of a question ("who owns the service?") and only
                # when the last turn was about one: "the services that depend on X" is a new description.
                if det == "the" and not (re.match(r"\s*[?.!]*\s*$", text[m.end() :]) and any(e.type == node_type for e in last.entities)):
                    return m.group(0)
                plural = det in ("those", "these") or (det == "the" and looks_plural(noun))
                return resolve(m.group(0), plural, node_type, False)

            text = self._demonstrative.sub(demonstrative, text)
        text = _PLURAL.sub(lambda m: resolve(m.group(0), True, None, m.group(0).lower() in ("their", "theirs")), text)
        text = _SINGULAR.sub(lambda m: resolve(m.group(0), False, None, m.group(0).lower() == "its"), text)
        text = _BARE_DEMONSTRATIVE.sub(lambda m: resolve(m.group(0), m.group(0).lower() in ("those", "these"), None, False), text)
        return text, resolved, unresolved

    def _markers(self, text: str) -> list[str]:
        return [m.group(0) for m in _FOLLOW_UP_WORDS.finditer(text) if m.group(0).lower() not in ("that", "this")]

    # -- model fallback ------------------------------------------------------------------
    def _ask_llm(self, question: str, history: Sequence[Turn], rule: str, resolved: dict[str, str] | None = None) -> Rewrite:
        assert self.llm is not None
        lines = []
        for t in list(history)[-self.window :]:
            lines.append(f"User: {t.standalone}")
            if t.entities:
                lines.append(f"(about: {', '.join(e.id for e in t.entities[:PLURAL_LIMIT])})")
            lines.append(f"Assistant: {t.answer[:300]}")
        messages = [{"role": "system", "content": LLM_SYSTEM}, {"role": "user", "content": "\n".join(lines) + f"\n\nLast question: {question}"}]
        used = [{"question": t.standalone, "entities": [e.id for e in t.entities]} for t in list(history)[-self.window :]]
        try:
            completion = self.llm.complete(messages, max_tokens=80, temperature=0.0, seed=0, stop=["\n"])
        except Exception as exc:  # the model is optional help: a failure keeps the rule result
            return Rewrite(question, question, rule, resolved or {}, [f"llm failed: {exc}"], used)
        text = completion.text.strip().strip('"').strip()
        if not text or len(text) > 3 * len(question) + 120:
            return Rewrite(question, question, rule, resolved or {}, ["llm output refused"], used)
        return Rewrite(_tidy(text), question, "llm", resolved or {}, [], used)


def _literal_spans(text: str, turn: Turn) -> list[tuple[str, str, int, int]]:
    spans = []
    for e in turn.entities:
        if e.source != "question":
            continue
        m = re.search(rf"(?<![\w-]){re.escape(e.id)}(?![\w-])", text, re.I)
        if m:
            spans.append((e.id, e.type, m.start(), m.end()))
    return sorted(spans, key=lambda s: s[2])


def _tidy(text: str) -> str:
    text = _LEAD.sub("", " ".join(text.split()))
    return text[:1].upper() + text[1:] if text else text


__all__ = [
    "TYPE_SYNONYMS",
    "FollowUpRewriter",
    "Rewrite",
    "type_words",
]
