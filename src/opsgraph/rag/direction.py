"""Which way a relation is asked: "what services does currency depend on?" is currency's dependencies, not its callers.

Why: an edge that joins a type to itself (DEPENDS_ON from a service to a service) can be walked either way, and a
query of the schema-path planner or the text-to-Cypher writer sometimes walks it the wrong way: every word of the
question is explained ("depend", "services", the entity), the rows come back, and the answer lists what depends
on currency, confidently. `direction_reason` reads the way the question asks it, as `compose.py` builds it:

- the relation word (a verb: "depends", "calls", "uses", "relies"; not a noun such as "dependencies" or
  "upstream", which name their direction differently) and the entity named: the entity before the word is its
  subject ("currency depends on"), after it its object ("what depends on currency"); a passive "by" flips it
  ("services used by checkout");
- the query's hop touching that entity's node (`{id: $param}`): the entity is the hop's source or its target.

When both are known and they disagree, the reason says so and the query is not the answer. A question with the
word twice or with two entities is not judged here; an edge whose ends differ in type (the types fix the way) only
when the question makes the entity the verb's subject ("what does the orders db use?") and the query its target.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from opsgraph.rag.lexicon import Lexicon, tokens
from opsgraph.schema import GraphSchema

_NOUNS = re.compile(r"dependenc(?:y|ies)|dependents|upstream|downstream|callers?|consumers?|users?|clients?", re.I)
"""Relation words that are nouns: "X's dependencies", "the callers of X" name the direction themselves."""
_HOP = r"-\[[^\]]*?:\s*(?P<edge>\w+)[^\]]*\]-"


def _anchor_role(cypher: str, param: str) -> dict[str, str]:
    """Edge → 'source' or 'target': the role of the node bound to `$param` in each one-step hop touching it."""
    node = rf"\([^()]*\{{\s*id\s*:\s*\${re.escape(param)}\s*\}}\s*\)"
    roles: dict[str, str] = {}
    for pattern, role in (
        (node + r"\s*-\[[^\]]*?:\s*(?P<edge>\w+)[^\]*]*\]->", "source"),
        (node + r"\s*<-\[[^\]]*?:\s*(?P<edge>\w+)[^\]*]*\]-", "target"),
        (r"-\[[^\]]*?:\s*(?P<edge>\w+)[^\]*]*\]->\s*" + node, "target"),
        (r"<-\[[^\]]*?:\s*(?P<edge>\w+)[^\]*]*\]-\s*" + node, "source"),
    ):
        for m in re.finditer(pattern, cypher):
            edge = m.group("edge")
            roles[edge] = "both" if roles.get(edge, role) != role else role
    return roles


def direction_reason(
    question: str,
    cypher: str,
    params: Mapping[str, Any],
    *,
    schema: GraphSchema,
    lexicon: Lexicon,
    entity_ids: Sequence[str],
    entity_surfaces: Sequence[str],
) -> str | None:
    """Why the query walks the relation the other way than the question asks it, or None (module docstring)."""
    ids = list(dict.fromkeys(entity_ids))
    surfaces = [s for s in dict.fromkeys(entity_surfaces) if s]
    if len(ids) != 1 or len(surfaces) != 1:
        return None
    params_of = [k for k, v in params.items() if v == ids[0]]
    if len(params_of) != 1:
        return None
    at = question.lower().find(surfaces[0].lower())
    if at < 0:
        return None
    roles = _anchor_role(cypher, params_of[0])
    for edge, role in roles.items():
        spec = schema.edges.get(edge)
        if spec is not None and spec.dependency and role == "target" and not set(spec.from_types) & set(spec.to_types):
            # "What does the orders db use?": the entity is the subject of the verb ("does <entity> <verb>"), but
            # its type can only be the edge's target: the query answers who uses it, which was not asked.
            verb = re.search(rf"\b(?:does|do|did)\s+(?:the\s+)?{re.escape(surfaces[0])}\s+(\w+)", question, re.I)
            if verb and edge in lexicon.edge_cues([verb.group(1).lower()]).get(verb.group(1).lower(), frozenset()):
                return f"the question asks what {surfaces[0]!r} {verb.group(1).lower()}s; the query walks {edge} to it instead"
        if spec is None or role == "both" or not set(spec.from_types) & set(spec.to_types):
            continue
        words = [w for w in tokens(question) if edge in lexicon.edge_cues([w]).get(w, frozenset())]
        if len(words) != 1 or _NOUNS.fullmatch(words[0]):
            continue
        m = re.search(rf"\b{re.escape(words[0])}\b", question, re.I)
        if m is None:
            continue
        passive = bool(re.match(r"\w*\s+by\b", question[m.start() :], re.I)) or bool(re.search(r"\bby\s*$", question[:at], re.I))
        asked = "source" if (at < m.start()) != passive else "target"
        if asked != role:
            side = "subject" if asked == "source" else "object"
            return f"the question asks for {surfaces[0]!r} as the {side} of {words[0]!r}; the query walks {edge} the other way"
    return None
