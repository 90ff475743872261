"""Yes or no about two entities and one relation: "does the frontend depend on the currency service?".

The one-step query of `compose.py` is built from the first entity named, as
if the second were not there ("does the frontend depend on" → what the
frontend depends on); the second entity then filters its other end. It is
built only when

- the question is a yes/no question naming exactly two entities, the first
  before the relation word and the second after it;
- the relation walked reaches the second entity's type at the end the query
  returns;
- the query, with the second entity's filter, explains every word of the
  question (`explained.py`).

The answerer reads a found row as "yes" (with the row that makes it yes) and
no row as "no": the relation the question names was walked from the entity
it names, so nothing found is the answer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from opsgraph.rag.compose import Anchor, Composed, ValueHit, compose
from opsgraph.rag.explained import QueryFacts, unexplained_words
from opsgraph.rag.lexicon import Lexicon
from opsgraph.rag.shape import QuestionShape
from opsgraph.schema import GraphSchema

_RETURN = re.compile(r"\s+RETURN DISTINCT x\.id AS id")


def compose_pair(
    question: str,
    shape: QuestionShape,
    anchors: Sequence[Anchor],
    surfaces: Mapping[str, str],
    *,
    schema: GraphSchema,
    lexicon: Lexicon,
    values: Mapping[str, Sequence[ValueHit]],
    present_edges: Sequence[str] | None = None,
    refusals: list[str] | None = None,
) -> Composed | None:
    """The yes/no query of `question` about two entities (see the module docstring), or None.
    `surfaces`: node id → the text that named it."""
    ids = list(dict.fromkeys(a.node_id for a in anchors))
    if shape.shape != "yesno" or len(ids) != 2:
        return None
    first, second = sorted((next(a for a in anchors if a.node_id == i) for i in ids), key=lambda a: a.start)
    base = compose(question, shape, [first], list(surfaces.values()), schema=schema, lexicon=lexicon, values=values, present_edges=present_edges)
    if base is None or base.negated or base.parts.get("bridge") or base.parts.get("anchor") != first.node_id or "(o:" in base.cypher:
        return None
    edge = base.parts.get("edge")
    if not isinstance(edge, str):
        return None
    spec = schema.edges[edge]
    forward = bool(base.parts.get("forward"))
    if second.node_type not in (spec.to_types if forward else spec.from_types):
        return None
    rel_words = [m.start() for m in re.finditer(r"[A-Za-z]+", question) if first.start < m.start() < second.start]
    if not rel_words:
        return None
    ret = _RETURN.search(base.cypher)
    if ret is None:
        return None
    head = base.cypher[: ret.start()]
    condition = "x.id = $other"
    head = head.replace(" WHERE ", f" WHERE {condition} AND ", 1) if " WHERE " in head else f"{head} WHERE {condition}"
    cypher = head + base.cypher[ret.start() :]
    params = {**base.params, "other": second.node_id}
    value_words = {w: [h.value for h in hs] for w, hs in values.items()}
    left = unexplained_words(question, QueryFacts.of(cypher, params, schema), schema, lexicon=lexicon, surfaces=list(surfaces.values()), values=value_words)
    if left:
        if refusals is not None:
            refusals.append(f"the yes/no query {cypher!r} explains no part of the question's {', '.join(repr(w) for w in left)}")
        return None
    return Composed(cypher, params, {**base.parts, "other": second.node_id})
