"""Find a question's slots: entity names and property values become `$p0, $p1, ...`.

A tiny model copies strings badly and invents ids; it is good at copying
structure. So before a question reaches the model, every node it names
(resolved by the entity linker, the same one ingestion uses) and every
categorical property value it contains (an exact, case-insensitive word match
against the stored values of `indexed` string properties) is replaced by a
parameter. The model writes `{id: $p0}` or `WHERE s.tier = $p1`; the store binds
the values. This is also what makes retrieved examples and a trained adapter
transfer: the training pairs of `generate` are delexicalised the same way,
so "What does $p0 depend on?" is the same string for every service.

Numbers stay in the text: "top 5", "more than 3" are part of the query's shape.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from opsgraph.retrieve.base import EntityLinker
from opsgraph.schema import GraphSchema
from opsgraph.schema.words import plural, words_of
from opsgraph.store.base import GraphStore

# Values too generic to be a filter when they occur as an ordinary word in a question.
_GENERIC = frozenset(
    "a an and the of to in on at by for with from or is are be it its this that our your via as into yes no true false none".split()
)
_MAX_VALUES = 200  # a property with more distinct values than this is not categorical (names, urls, ...)


@dataclass(frozen=True)
class Slot:
    """A part of a question that becomes a query parameter."""

    name: str
    """"p0", "p1", ... in order of appearance in the question."""
    kind: str
    """"entity" (a node, matched by its id) or "value" (a categorical property value)."""
    label: str
    """Node type ("Service") for entities; "Service.tier" for values."""
    value: Any
    """The node id, or the property value."""
    surface: str
    """How the question writes it."""


Linker = EntityLinker
"""Anything that finds the nodes a text names: `opsgraph.retrieve.base.EntityLinker` (the app passes `ingest.linking.EntityLinker`)."""


@dataclass(frozen=True)
class QuestionSlots:
    """A question with its slots cut out."""

    question: str
    """The question as asked."""
    template: str
    """The question with each slot's surface replaced by `$<name>`."""
    slots: tuple[Slot, ...] = ()
    """The slots in order of appearance."""

    @property
    def params(self) -> dict[str, Any]:
        """Query parameters: slot name → value."""
        return {s.name: s.value for s in self.slots}

    @property
    def signature(self) -> tuple[str, ...]:
        """Kinds and labels of the slots, in order: two questions with the same signature can share a query shape."""
        return tuple(f"{s.kind}:{s.label}" for s in self.slots)


def describe_slots(slots: Sequence[Slot]) -> str:
    """The parameter lines shown to a model: what each `$pN` is, never its value."""
    lines = []
    for s in slots:
        if s.kind == "entity":
            lines.append(f"${s.name}: the id of a {s.label}")
        else:
            label, _, prop = s.label.partition(".")
            lines.append(f"${s.name}: a value of {label}.{prop}")
    return "\n".join(lines)


@dataclass
class SlotFinder:
    """Cuts entity and value slots out of questions.

    Args:
        linker: finds node mentions (spans and node ids).
        values: lower-cased value → (`Type.property`, stored spelling) for each property it is a value of.
        type_words: lower-cased type word ("service", "services") → type name, to
            choose which type's property a value belongs to when several have it.
        min_link_score: links below this confidence are left in the text.
    """

    linker: Linker | None
    values: Mapping[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    type_words: Mapping[str, str] = field(default_factory=dict)
    min_link_score: float = 0.75

    def __post_init__(self) -> None:
        # A value matches as stored, in the plural ("audiobooks" for 'audiobook', "branch managers" for 'Branch
        # Manager') and with any of space, hyphen or underscore between its words ("on-call" for 'on call').
        self._forms: dict[str, tuple[tuple[str, str], ...]] = {}
        for v, owners in self.values.items():
            for form in (v, plural(v)):
                self._forms.setdefault(_norm(form), owners)
        # One alternation, longest form first, so "sev1" wins over "sev" and multi-word values match whole.
        ordered = sorted(self._forms, key=len, reverse=True)
        alternation = "|".join(r"[\s_-]+".join(re.escape(w) for w in form.split(" ")) for form in ordered)
        self._value_re = re.compile(r"(?<![\w$.-])(" + alternation + r")(?![\w-])", re.I) if ordered else None

    @classmethod
    def from_store(cls, store: GraphStore, schema: GraphSchema, linker: Linker | None, *, min_link_score: float = 0.75) -> SlotFinder:
        """Read the categorical values of every `indexed` string property (one query per property)."""
        values: dict[str, list[tuple[str, str]]] = {}
        for type_name, spec in schema.nodes.items():
            for prop, pspec in spec.properties.items():
                if not pspec.indexed or pspec.type.value != "string" or prop in (spec.name_property, spec.id_property, "id"):
                    continue
                # Names come from the validated schema (identifiers), never from user text.
                rows = store.query(
                    f"MATCH (n:{type_name}) WHERE n.{prop} IS NOT NULL RETURN DISTINCT n.{prop} AS v", limit=_MAX_VALUES + 1
                ).rows
                if len(rows) > _MAX_VALUES:
                    continue
                for row in rows:
                    v = str(row["v"]).strip()
                    if len(v) < 2 or v.lower() in _GENERIC or "@" in v:
                        continue
                    values.setdefault(v.lower(), []).append((f"{type_name}.{prop}", v))
        return cls(linker, {k: tuple(v) for k, v in values.items()}, type_words(schema), min_link_score)

    def find(self, question: str) -> QuestionSlots:
        """The question's slots, numbered in order of appearance."""

        spans: list[tuple[int, int, str, str, Any]] = []  # start, end, kind, label, value
        if self.linker is not None:
            for link in self.linker.link(question):
                if link.score >= self.min_link_score:
                    spans.append((link.start, link.end, "entity", link.node_type, link.node_id))
        if self._value_re is not None:
            mentioned = self._mentioned_types(question)
            for m in self._value_re.finditer(question):
                if any(a < m.end() and m.start() < b for a, b, *_ in spans):
                    continue
                owners = self._forms[_norm(m.group(1))]
                # The property of a type the question names ("critical services"), else the first that has the value;
                # the stored spelling ("Go", not "go"), because the store compares strings exactly.
                label, stored = next((o for o in owners if o[0].split(".")[0] in mentioned), owners[0])
                spans.append((m.start(), m.end(), "value", label, stored))
        spans.sort()
        slots: list[Slot] = []
        template, pos = [], 0
        for start, end, kind, label, value in spans:
            if start < pos:  # overlapping mentions: the first one wins
                continue
            name = f"p{len(slots)}"
            slots.append(Slot(name=name, kind=kind, label=label, value=value, surface=question[start:end]))
            template.append(question[pos:start] + f"${name}")
            pos = end
        template.append(question[pos:])
        return QuestionSlots(question, "".join(template), tuple(slots))

    def _mentioned_types(self, question: str) -> set[str]:
        # Longest phrase first: "medium external services" names ExternalService, not also Service.
        words = re.findall(r"[a-z]+", question.lower())
        found: set[str] = set()
        i = 0
        while i < len(words):
            two = f"{words[i]} {words[i + 1]}" if i + 1 < len(words) else ""
            if two in self.type_words:
                found.add(self.type_words[two])
                i += 2
                continue
            if words[i] in self.type_words:
                found.add(self.type_words[words[i]])
            i += 1
        return found


def _norm(text: str) -> str:
    """A value's comparable form: lower case, words separated by one space."""
    return " ".join(re.split(r"[\s_-]+", text.strip().lower()))


def type_words(schema: GraphSchema) -> dict[str, str]:
    """Words that name each node type: "ExternalService" → "external service", "external services"."""
    out: dict[str, str] = {}
    for name in schema.nodes:
        words = " ".join(words_of(name))
        for w in (words, plural(words), name.lower(), plural(name.lower())):
            out.setdefault(w, name)
    return out
