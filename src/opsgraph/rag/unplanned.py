"""Why no step found a query for a question: said in the abstention instead of a bare "I can't answer that".

Every step (on-call, compose, impact, the schema-path planner, lookup) either answers, gives its own reason for
refusing, or finds nothing to try. When none tried anything, the user used to see "I can't answer that from the
graph" with no reason, which is no help for rewording and no help for the schema's owner deciding what to add
(`synonyms`, a property). This module reads the question the way the steps read it and says which of three things
was missing:

- an entity: the question names no node of the estate (by id, name or alias) and no type to list;
- words: content words that are no relation, property, type, value or filler of this schema ("hostname", "cost");
- a fit: the words do point at relations or properties, but no query shape over them answers this question's shape.

It computes nothing that answers; it only words the refusal. `opsgraph eval` counts these reasons (`evaluate.py`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from opsgraph.rag.explained import unknown_words
from opsgraph.rag.lexicon import Lexicon, tokens
from opsgraph.rag.shape import QuestionShape
from opsgraph.retrieve.base import LinkedEntity
from opsgraph.schema import GraphSchema


def why_unplanned(
    question: str,
    shape: QuestionShape,
    links: Sequence[LinkedEntity],
    lexicon: Lexicon,
    schema: GraphSchema,
    values: Mapping[str, Any],
) -> list[str]:
    """The reasons no query was tried for `question` (see the module docstring), most telling first."""
    masked = question
    for x in sorted(links, key=lambda x: len(x.surface), reverse=True):
        if x.surface:
            masked = re.sub(re.escape(x.surface), " ", masked, flags=re.I)
    words = tokens(masked)
    unknown = unknown_words(words, lexicon, schema, values)
    edges = sorted({e for found in lexicon.edge_cues(words).values() for e in found})
    props = sorted({p for found in lexicon.prop_cues(words).values() for p in found})
    out: list[str] = []
    if not links and shape.wants_type is None:
        out.append("plan: the question names no component, person or team the graph holds (by id, name or alias)")
    if unknown:
        out.append(f"plan: the schema has no relation, property or type for {', '.join(repr(w) for w in unknown[:4])}")
    if not unknown:
        named = ", ".join(f"{x.surface!r} ({x.node_type})" for x in links[:3]) or "no entity"
        cues = ", ".join(edges[:3] + props[:3]) or "no relation or property"
        out.append(f"plan: no query over {cues} from {named} answers a '{shape.shape}' question")
    return out
