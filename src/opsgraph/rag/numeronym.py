"""A numeronym in a question ("k8s", "i18n", "o11y") explained by the word it shortens in the schema's own description.

On-call people write "which k8s namespace is the shipping svc in?"; the schema describes the
`namespace` property as the "Kubernetes namespace the service is deployed in". A numeronym keeps
a word's first and last letters and counts the letters between them, so "k8s" can only stand for
a word of ten letters from k to s. The word is explained when a property the query reads (on a
node type it reaches, or an edge type it walks) has that word in its description, just before the
property's own name (see below): "k8s" next to
a read of `namespace` is explained, next to a read of `version` (whose description never says
Kubernetes) it is not, and the question is abstained as before. No word list: the schema's
descriptions are the only source, so it serves any estate that describes its properties.

The same description also names the kind of the property by the word just before the property's own name
("Kubernetes namespace", "Container port", "client connections"): that word, written out, is explained by a
read of that property too ("which Kubernetes namespace is cartservice in?"), and only that word (not any word
of the description: "false for one we run ourselves in Kubernetes" explains no "Kubernetes" for `managed`).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from itertools import pairwise

from opsgraph.schema import GraphSchema

_NUMERONYM = re.compile(r"([a-z])(\d{1,2})([a-z])")
_WORD = re.compile(r"[a-z]+")


def expands_to(numeronym: str, word: str) -> bool:
    """Whether `numeronym` ("k8s") is the numeronym of `word` ("kubernetes"), both lower case."""
    m = _NUMERONYM.fullmatch(numeronym)
    if m is None:
        return False
    first, count, last = m.group(1), int(m.group(2)), m.group(3)
    return count >= 2 and len(word) == count + 2 and word[0] == first and word[-1] == last and word.isalpha()


def _qualifiers(name: str, description: str) -> set[str]:
    """Words just before a word of the property's name in its description ("Kubernetes" of "Kubernetes namespace")."""
    words = _WORD.findall(description.lower())
    own = {w for w in name.lower().split("_") if len(w) >= 3}
    return {a for a, b in pairwise(words) if len(a) >= 3 and (b in own or b.rstrip("s") in own or f"{b}s" in own)}


def described_word_explained(word: str, props: Collection[str], node_types: Collection[str], edges: Collection[str], schema: GraphSchema) -> bool:
    """Whether `word` is explained by the description of a property the query reads: a numeronym of a word of it,
    or the word that qualifies the property's name in it."""
    return numeronym_explained(word, props, node_types, edges, schema) or qualifier_explained(word, props, node_types, edges, schema)


def qualifier_explained(word: str, props: Collection[str], node_types: Collection[str], edges: Collection[str], schema: GraphSchema) -> bool:
    """Whether `word` qualifies the name of a property in `props` in its description ("Kubernetes namespace")."""
    specs = [schema.nodes[n] for n in node_types if n in schema.nodes] + [schema.edges[e] for e in edges if e in schema.edges]
    return any(
        name in props and word in _qualifiers(name, prop.description or "") for spec in specs for name, prop in spec.properties.items()
    )


def numeronym_explained(word: str, props: Collection[str], node_types: Collection[str], edges: Collection[str], schema: GraphSchema) -> bool:
    """Whether `word` is a numeronym of the word that qualifies the name of a property in `props` (on one of
    `node_types` or `edges`: read or compared by the query) in its description ("k8s" of "Kubernetes namespace")."""
    if _NUMERONYM.fullmatch(word) is None or not props:
        return False
    specs = [schema.nodes[n] for n in node_types if n in schema.nodes] + [schema.edges[e] for e in edges if e in schema.edges]
    for spec in specs:
        for name, prop in spec.properties.items():
            if name in props and any(expands_to(word, w) for w in _qualifiers(name, prop.description or "")):
                return True
    return False
