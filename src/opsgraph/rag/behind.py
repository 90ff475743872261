"""'What was behind INC-2041?' asks what caused it, but only when what follows "behind" is a thing that has causes.

"Behind" is a cause word in "what was behind the outage?" and none in "fraud detection is lagging behind"
or "the consumer is behind on events". So the phrase "was/were/is/are behind X" is read as "caused X" only when
X is an entity the question names (linked) whose node type is the source of an edge the schema's lexicon reads
as a cause ("cause" is a word of it: CAUSED_BY, from Incident). "What was behind checkoutservice?" names a
service, which the cause edge does not start from, and is left as it is (and abstained as before); no word
list of the estate, only the schema's edges and the lexicon's cause words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from opsgraph.rag.lexicon import Lexicon
from opsgraph.retrieve.base import LinkedEntity
from opsgraph.schema import GraphSchema

_BEHIND = re.compile(r"\b(?:was|were|is|are)\s+behind\s+(?:the\s+)?", re.I)


def cause_edges_from(node_type: str, schema: GraphSchema, lexicon: Lexicon) -> set[str]:
    """Edge types the lexicon reads "cause" as, which start from `node_type`."""
    cued = lexicon.edge_cues(["cause"]).get("cause", frozenset())
    return {e for e in cued if e in schema.edges and node_type in schema.edges[e].from_types}


def behind_as_cause(question: str, links: Sequence[LinkedEntity], schema: GraphSchema, lexicon: Lexicon) -> str:
    """`question` with "was behind X" written "caused X" (same length, offsets kept) when X is a linked entity of a
    type that has causes; otherwise `question` unchanged."""
    m = _BEHIND.search(question)
    if m is None:
        return question
    rest = question[m.end():]
    named = [x for x in links if x.surface and rest.lower().startswith(x.surface.lower())]
    if not named or not all(cause_edges_from(x.node_type, schema, lexicon) for x in named):
        return question
    verb = question[m.start(): m.end()]
    return question[: m.start()] + "caused".ljust(len(verb)) + rest
