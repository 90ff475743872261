"""A name followed by a type word that is not its type: "the cart db" is the cart's datastore, not the cart service.

Why: people name a datastore or a queue by the component it serves and its kind ("the cart db", "payments
database", "orders topic"). The linker matches "cart", an alias of the cart service, and the type word after it is
left over: a question about the cart's database was answered about the service ("who do I page if the cart db goes
down?" paged for the cart service). `TypedLinker` wraps the linker and re-reads such a link:

- the link's surface is followed (at most one word between: "cart's db" has none, "cart redis db" one) by a word
  that names a node type (its type words and the ops synonyms: "db", "database", "topic", "queue");
- both types are components (what the schema's dependency relations join: "the payments people" and "the checkout
  incident" are other modules' readings), and the type said is not the linked node's (a "checkout service" stays);
- exactly one node of that type has every word of the surface among the words of its id, name or aliases (of
  several, the ones whose words hold the type word too: "product catalog db" is the database, not the catalog
  cache): the link becomes that node, its surface running to the type word. No such node, or two: the link is dropped, so the
  question is not answered about the wrong node ("the checkout queue" when no queue is checkout's).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from typing import Any

from opsgraph.rag.depicted import component_types
from opsgraph.rag.lexicon import type_forms
from opsgraph.retrieve.base import EntityLinker
from opsgraph.schema import GraphSchema

_TOKEN = re.compile(r"[A-Za-z0-9]+")
_NEXT = re.compile(r"^(?:'s)?\s+(?P<type>[A-Za-z]+)\b")
_AFTER_ONE = re.compile(r"^(?:'s)?\s+(?P<mid>[A-Za-z0-9]+)\s+(?P<type>[A-Za-z]+)\b")


class TypedLinker:
    """`EntityLinker` wrapper: a link followed by another type's word names that type's node (module docstring)."""

    def __init__(self, base: EntityLinker, nodes: Iterable[tuple[str, str, Sequence[str]]], schema: GraphSchema) -> None:
        self.base = base
        self.components = component_types(schema)
        self.type_of_word: dict[str, str] = {}
        ambiguous: set[str] = set()
        for name in schema.nodes:
            for form in type_forms(name):
                if self.type_of_word.get(form, name) != name:
                    ambiguous.add(form)
                self.type_of_word.setdefault(form, name)
        for form in ambiguous:
            del self.type_of_word[form]  # "service" is a word of ExternalService too: it names no one type here
        self.words: dict[str, list[tuple[str, set[str]]]] = {}
        for node_id, node_type, names in nodes:
            found = {w.lower() for text in (node_id, *names) for w in _TOKEN.findall(text or "")}
            self.words.setdefault(node_type, []).append((node_id, found))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.base, name)

    def link(self, text: str, **kwargs: Any) -> list[Any]:
        links = list(self.base.link(text, **kwargs))
        out = []
        for x in links:
            m = next((m for p in (_NEXT, _AFTER_ONE) if (m := p.match(text[x.end :])) and m.group("type").lower() in self.type_of_word), None)
            wanted = self.type_of_word.get(m.group("type").lower()) if m else None
            if m is None or wanted is None or wanted == x.node_type or not {wanted, x.node_type} <= self.components:
                out.append(x)
                continue
            surface_words = {w.lower() for w in _TOKEN.findall(x.surface)} | ({m.group("mid").lower()} if "mid" in m.groupdict() else set())
            fits = [(node_id, words) for node_id, words in self.words.get(wanted, ()) if surface_words <= words]
            if len(fits) > 1:
                # "product catalog DB": of the catalog database and the catalog cache, the one whose names say "db".
                fits = [f for f in fits if m.group("type").lower() in f[1]] or fits
            if len(fits) == 1:
                end = x.end + m.end()
                out.append(dataclasses.replace(x, node_id=fits[0][0], node_type=wanted, surface=text[x.start : end], end=end))  # type: ignore[type-var]
            # else: the words name no one node of the type said: no link rather than the wrong one
        return out
