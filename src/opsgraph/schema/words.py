"""English word handling shared by linking, follow-up rewriting and text-to-Cypher: one place for it.

- `words_of("ExternalService")` → `["external", "service"]`: the words of a
  CamelCase, camelCase, snake_case or kebab-case name (acronyms kept whole:
  `HTTPServer` → `http server`).
- `plural("service")` → `"services"`, `singular("categories")` →
  `"category"`: English number of the last word, with the irregular nouns an
  estate uses. `singular` undoes `plural` for every word `plural` makes
  (tested both ways); on words it never made it is a best guess
  (`"boxes"` → `"box"`, `"caches"` → `"cache"`).
- `looks_plural(noun)`: a cheap test, true for "services", false for "class".
- `type_words(schema)`: word or phrase → node type, for reading a type out of
  a question ("external services" → `ExternalService`), with the ops
  vocabulary of `TYPE_SYNONYMS` ("svc", "db", "topic", ...).
- `declared_values(description)`: the values a property description enumerates
  ("'resolved' or 'open'"), so a value no row holds yet can still be asked for.
- `schema_synonyms(schema)`: the `synonyms` every node and edge type of a
  schema declares (ordinary words that estate uses for its things).

Pure functions over strings and a `GraphSchema`; imports nothing else of opsgraph.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from opsgraph.schema.model import GraphSchema

__all__ = ["TYPE_SYNONYMS", "declared_values", "looks_plural", "plural", "schema_synonyms", "singular", "type_words", "words_of"]

_SPLIT = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")

_IRREGULAR: Mapping[str, str] = {"person": "people", "child": "children", "man": "men", "woman": "women", "index": "indexes"}
_IRREGULAR_BACK: Mapping[str, str] = {v: k for k, v in _IRREGULAR.items()}

TYPE_SYNONYMS: Mapping[str, tuple[str, ...]] = {
    "service": ("svc", "microservice", "microservices"),
    "datastore": ("database", "databases", "db", "dbs", "cache", "caches", "store", "stores"),
    "queue": ("topic", "topics"),
    "person": ("people", "engineer", "engineers", "person", "persons", "folks"),
    "externalservice": ("vendor", "vendors", "provider", "providers", "api", "apis", "integration", "integrations"),
}
"""Ops words that name a node type, keyed by the lower-case type name they apply to."""


def words_of(name: str) -> list[str]:
    """Lower-case words of a snake_case, kebab-case, camelCase or PascalCase name."""
    spaced = _SPLIT.sub(" ", name.replace("_", " ").replace("-", " "))
    return [w.lower() for w in spaced.split() if w]


def plural(words: str) -> str:
    """English plural of the last word: service → services, category → categories, person → people."""
    head, _, last = words.rpartition(" ")
    if last in _IRREGULAR:
        p = _IRREGULAR[last]
    elif re.search(r"[^aeiou]y$", last):
        p = last[:-1] + "ies"
    elif re.search(r"(s|x|z|ch|sh)$", last):
        p = last + "es"
    else:
        p = last + "s"
    return f"{head} {p}" if head else p


def singular(words: str) -> str:
    """English singular of the last word: services → service, categories → category, people → person."""
    head, _, last = words.rpartition(" ")
    if last in _IRREGULAR_BACK:
        s = _IRREGULAR_BACK[last]
    elif len(last) > 4 and last.endswith("ies"):
        s = last[:-3] + "y"
    elif re.search(r"(ss|us|is|sh|tch|x|zz)es$", last):
        s = last[:-2]
    elif len(last) > 3 and last.endswith("s") and not last.endswith(("ss", "us", "is")):
        s = last[:-1]
    else:
        s = last
    return f"{head} {s}" if head else s


def looks_plural(noun: str) -> bool:
    """True for nouns ending in a plural `s` ("services"), false for "class" or "status"."""
    n = noun.lower()
    return n in _IRREGULAR_BACK or (n.endswith("s") and not n.endswith(("ss", "us", "is")))


def type_words(schema: GraphSchema | None) -> dict[str, str]:
    """Word or phrase → node type: each type's name and its words, singular and plural, plus `TYPE_SYNONYMS`."""
    out: dict[str, str] = {}
    if schema is None:
        return out
    for name in schema.nodes:
        spaced = " ".join(words_of(name))
        for form in (spaced, name.lower()):
            out.setdefault(form, name)
            out.setdefault(plural(form), name)
        for syn in TYPE_SYNONYMS.get(name.lower(), ()):
            out.setdefault(syn, name)
    return out


def schema_synonyms(schema: GraphSchema | None) -> frozenset[str]:
    """Every `synonyms` word of the schema's node and edge types, lower-cased."""
    if schema is None:
        return frozenset()
    found: set[str] = set()
    for spec in [*schema.nodes.values(), *schema.edges.values()]:
        found.update(w.lower() for w in spec.synonyms)
    return frozenset(found)


_QUOTED_VALUE = re.compile(r"'([^'\s][^']*)'|\"([^\"\s][^\"]*)\"")
_EXAMPLE = re.compile(r"\b(?:e\.g\.|eg\.|for example|such as|like)", re.IGNORECASE)


def declared_values(description: str | None) -> list[str]:
    """The values a property's description enumerates: "'resolved' or 'open'." → `["resolved", "open"]`.

    Only a list of two or more quoted values counts, and only before an example marker: "e.g. 'v0.10.2'" quotes
    one example of an open-ended value, not the values the property takes."""
    text = _EXAMPLE.split(description or "", maxsplit=1)[0]
    found = [a or b for a, b in _QUOTED_VALUE.findall(text)]
    return list(dict.fromkeys(found)) if len(found) >= 2 else []
