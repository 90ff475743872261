"""Property questions in everyday words: "written in", "tier 1", "golang", "self-hosted", "how bad", "set off".

Why: on-call people ask for a component's facts in their own words, not the schema's. "What's the cart service
written in?" asks for the property described "Main implementation language"; "is payments tier 1?" for the first of
the values a `tier` description lists ("'critical', 'high', 'medium' or 'low'"); "anything in golang?" for the stored
value 'Go'; "which dbs do we host ourselves?" for the false side of a flag described "false for one we run ourselves".
Before this module every such question was abstained. Two parts, no word of an estate in either:

- `PROPERTY_FAMILIES`: everyday words for a property, each family used only for a property whose name or description
  holds one of its anchor words (read by `described.py` with its own `EVERYDAY_FAMILIES`, so the same ambiguity rules
  apply: a word that names two properties of one type names none).
- `plain_property_words(question, schema, values)`: writes loose spellings as what the schema and the stored values
  say, before the question is composed: an everyday spelling of a stored value ("golang" → "Go", only when 'go' is a
  stored value and "golang" is not), "tier N" as the N-th value a `tier` property described as a criticality quotes
  (when that value is stored and the tiers are not stored as numbers), and a self-hosting phrase as "not <flag>" for the one
  boolean property whose description's false side says "ourselves".

What the question then asks is composed and checked word by word as any question (`compose.py`, `explained.py`): a
rewrite read wrongly leaves words unexplained and the question is abstained.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from opsgraph.schema import GraphSchema

PROPERTY_FAMILIES: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    # "Main implementation language": what a service is written in, built with, its stack.
    (("implementation", "programming"), ("built with", "built in", "coded in", "stack", "tech stack", "runtime")),
    # "Business criticality": how important, its priority.
    (("criticality",), ("priority", "prio")),
    # "Database engine": what flavour of database.
    (("engine",), ("flavour", "flavor")),
    # "'sev1' (worst ...)": how bad an incident was.
    (("severity",), ("how bad", "how serious", "how severe")),
    # "Kind of trigger": what set an incident off.
    (("trigger",), ("set off", "kicked off")),
)
"""(anchor words, everyday words) per family; schema-generic, read by `described.description_cues`."""

VALUE_SPELLINGS: Mapping[str, str] = {
    "golang": "go",
    "py": "python",
    "python3": "python",
    "nodejs": "node.js",
    "csharp": "c#",
    "dotnet": "c#",
    "postgres": "postgresql",
    "pg": "postgresql",
    "psql": "postgresql",
    "mongo": "mongodb",
    "rabbit": "rabbitmq",
}
"""Everyday spellings of common stack values → the value as usually stored (lower case). Used only when that value is
stored and the spelling itself is not."""

_TOKEN = re.compile(r"(?<![\w.#-])[A-Za-z][A-Za-z0-9]*(?![\w#-]|\.\w)")
_TIER = re.compile(r"\btier[- ]?(1|2|3|4|5|one|two|three|four|five)\b", re.I)
_WRITTEN_IN_END = re.compile(r"\s+(?:written|coded)\s+in\s*\?*\s*$", re.I)
_CRITICALITY = re.compile(r"\bcriticality\b", re.I)
_ORDINALS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
_QUOTED = re.compile(r"'([^']+)'")
_SELF_HOSTED = re.compile(
    r"\b(?:(?P<be>is|are)\s+)?(?:self[- ]?hosted|self[- ]?managed|in[- ]house)\b|"
    r"\b(?:do|did|does)\s+we\s+(?:run|host|operate|manage)\s+(?:(?:it|them|that|those|this)\s+)?(?:our\s?selves|ourself)\b|"
    r"\b(?:we\s+)?(?:run|host|operate)\s+(?:(?:it|them)\s+)?(?:our\s?selves|ourself)\b",
    re.I,
)


class _Hit(Protocol):
    """A stored value and where it lives (`compose.ValueHit`)."""

    @property
    def owner(self) -> str: ...
    @property
    def prop(self) -> str: ...
    @property
    def value(self) -> str: ...


def plain_property_words(question: str, schema: GraphSchema, values: Mapping[str, Sequence[_Hit]]) -> str:
    """`question` with loose value spellings, "tier N" and self-hosting phrases written as the schema's words (see the
    module docstring); `values`: the value index (lower-case word → stored values)."""
    text = _self_hosted(question, schema)
    text = _tiers(text, schema, values)
    # "what's the cart service written in?": a trailing "written in" asks what it is built with (a family phrase above);
    # followed by a value ("not written in Go") it is left to the value's filter.
    if _implemented(schema) and not re.search(r"\blanguage\b", text, re.I):
        text = _WRITTEN_IN_END.sub(" built with?", text)

    def fix(m: re.Match[str]) -> str:
        token = m.group(0)
        low = token.lower()
        if low in values:
            return token
        full = VALUE_SPELLINGS.get(low)
        if full is None or full not in values:
            return token
        return values[full][0].value

    return _TOKEN.sub(fix, text)


_PURPOSE = re.compile(
    r"^\s*(?:(?:and|so|ok|hey)\s+)?what\s+(?:(?:does|do)\s+(?P<a>.+?)\s+(?:do|actually do|even do)|"
    r"(?:is|'s)\s+(?P<b>.+?)\s+(?:for|used for|responsible for doing))\s*\??\s*$",
    re.I,
)
""""What does the fraud service do?", "what is the shopping assistant for?": what a thing does, its description."""


def purpose_as_description(text: str, schema: GraphSchema, relation_words: Callable[[str], bool]) -> str:
    """"What does X do?" written as "what is the description of X?" when a type keeps a property named `description`
    (a schema without one is left alone, and the question abstains as before) and X holds no relation word
    (`relation_words`: whether a text uses one)."""
    m = _PURPOSE.match(text.replace("what's", "what 's").replace("whats", "what 's"))
    if m is None or not any("description" in spec.properties for spec in schema.nodes.values()):
        return text
    thing = m.group("a") or m.group("b")
    if relation_words(thing):
        return text  # "what is Marcus on call for?" asks for a relation's other end, not for a description
    return f"what is the description of {thing}?"


def _implemented(schema: GraphSchema) -> bool:
    """Whether a property's description holds an anchor of the "built with" family (a service's implementation
    language): else "written in" (a book's language) is left as it is."""
    anchors = set(PROPERTY_FAMILIES[0][0])
    return any(
        anchors & set(re.findall(r"[a-z]+", (p.description or "").lower()))
        for spec in schema.nodes.values()
        for p in spec.properties.values()
    )


def tier_values(schema: GraphSchema, values: Mapping[str, Sequence[_Hit]]) -> list[str] | None:
    """The values the `tier` properties described as a criticality quote, in order, when every type that has one
    quotes the same list and its first value is stored; None otherwise (tiers stored as numbers need no rewriting, a
    membership tier is no criticality: "tier 1" is the most critical, by the usual ops convention)."""
    lists: set[tuple[str, ...]] = set()
    for spec in schema.nodes.values():
        prop = spec.properties.get("tier")
        if prop is None or prop.type.value != "string" or not _CRITICALITY.search(prop.description or ""):
            continue  # a membership tier ('standard', 'premium', ...) has no "tier 1"
        quoted = tuple(q.lower() for q in _QUOTED.findall(prop.description or ""))
        if len(quoted) < 2 or any(q.isdigit() for q in quoted):
            return None
        lists.add(quoted)
    if len(lists) != 1:
        return None
    order = list(next(iter(lists)))
    if not any(h.prop == "tier" for h in values.get(order[0], ())):
        return None
    return order


def _tiers(question: str, schema: GraphSchema, values: Mapping[str, Sequence[_Hit]]) -> str:
    if not _TIER.search(question):
        return question
    order = tier_values(schema, values)
    if order is None:
        return question

    def fix(m: re.Match[str]) -> str:
        n = m.group(1).lower()
        i = _ORDINALS.get(n) or int(n)
        return order[i - 1] if i <= len(order) else m.group(0)

    return _TIER.sub(fix, question)


def self_hosted_flag(schema: GraphSchema) -> str | None:
    """The one boolean property (its words) whose description's false side says "ourselves" ("false for one we run
    ourselves"), or None when no or several properties do."""
    found: set[str] = set()
    for spec in schema.nodes.values():
        for name, prop in spec.properties.items():
            if prop.type.value != "boolean":
                continue
            m = re.search(r"\bfalse\b([^;.]*)", (prop.description or "").lower())
            if m and re.search(r"\bour\s?selves\b", m.group(1)):
                found.add(name.replace("_", " "))
    return next(iter(found)) if len(found) == 1 else None


def _self_hosted(question: str, schema: GraphSchema) -> str:
    if not _SELF_HOSTED.search(question):
        return question
    flag = self_hosted_flag(schema)
    if flag is None:
        return question
    # "is redis-cart managed or do we run it ourselves?": the flag itself, asked either way.
    either = re.compile(rf"\b{re.escape(flag)}\s+or\s+(?:{_SELF_HOSTED.pattern})", re.I)
    text = either.sub(flag, question)

    def fix(m: re.Match[str]) -> str:
        be = m.group("be")
        return f"{be} not {flag}" if be else f"are not {flag}" if m.group(0).lower().startswith(("do", "did")) else f"not {flag}"

    return _SELF_HOSTED.sub(fix, text)
