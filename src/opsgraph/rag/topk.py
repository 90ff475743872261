"""The k nodes of a type with the largest or smallest value of one of its number or date properties.

"Which are the three oldest books we hold?", "What are the three best-rated
books?", "Which three of our publishers are the oldest?" ask for one node type
ordered by a property and cut at a number the question gives. Read from the
schema, not from phrases:

- k: the one number the question gives (a digit or a word up to twelve);
- the order word: a time word ("oldest", "earliest", "newest", "latest") orders
  a time property (a date, or a number its description says is a year), oldest
  first; a size word ("biggest", "highest", "best", "most", "smallest") orders a
  number property that is no time, largest first for the large words, and only
  a property the question names ("the three longest books" names none);
- the property: the one of those the question's other words name (its name,
  declared words or the words of its description, as `compare.py` reads them),
  else, for a time word only, the type's one time property.

Nodes that tie with the k-th are kept (the cut is by value, not by row count).
The rows are each node's id and the value it is ordered by (the answer shows
the node's name from the id, as every listing does).
Every other word must be explained by the query (`explained.py`; the words of
the ordered property's description count). No entity may be named.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from opsgraph.rag.compare import described_words, named_property
from opsgraph.rag.compose import Anchor, Composed, ValueHit
from opsgraph.rag.explained import QueryFacts, unexplained_words
from opsgraph.rag.lexicon import NEGATION, Lexicon, tokens, type_forms
from opsgraph.rag.shape import QuestionShape
from opsgraph.schema import GraphSchema

_WORD_NUMBERS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve".split()) if i >= 2}
_TIME_WORDS = {"oldest": "ASC", "earliest": "ASC", "newest": "DESC", "latest": "DESC", "youngest": "DESC"}
_SIZE_WORDS = {
    "biggest": "DESC", "largest": "DESC", "highest": "DESC", "best": "DESC", "greatest": "DESC", "longest": "DESC", "most": "DESC",
    "top": "DESC", "smallest": "ASC", "lowest": "ASC", "worst": "ASC", "fewest": "ASC", "shortest": "ASC",
}  # fmt: skip
_YEAR = re.compile(r"^\s*(?:the\s+)?year\b", re.I)


def _is_time(kind: str, description: str) -> bool:
    return kind in ("datetime", "date") or (kind == "integer" and bool(_YEAR.search(description)))


def compose_topk(
    question: str,
    shape: QuestionShape,
    anchors: Sequence[Anchor],
    *,
    schema: GraphSchema,
    lexicon: Lexicon,
    values: Mapping[str, Sequence[ValueHit]],
    refusals: list[str] | None = None,
) -> Composed | None:
    """The "the k <order word> X" query of `question`, or None (see the module docstring)."""
    if anchors or shape.wants_number or shape.wants_value or shape.shape in ("risk", "path", "yesno") or NEGATION.search(question):
        return None
    words = tokens(question)
    named = [t for t in schema.nodes if any(w in type_forms(t) for w in words)]
    target = shape.wants_type or (named[0] if len(named) == 1 else None)  # "our three longest books": the one type named
    spec = schema.nodes.get(target or "")
    if spec is None or target is None:
        return None
    ks = [int(w) for w in words if w.isdigit()] + [_WORD_NUMBERS[w] for w in words if w in _WORD_NUMBERS]
    order_parts = [p for w in re.findall(r"[a-z]+(?:-[a-z]+)*", question.lower()) for p in w.split("-") if p in _TIME_WORDS or p in _SIZE_WORDS]
    if len(ks) != 1 or not 2 <= ks[0] <= 50 or len(order_parts) != 1:
        return None
    k, word = ks[0], order_parts[0]
    timed = word in _TIME_WORDS
    direction = _TIME_WORDS.get(word) or _SIZE_WORDS[word]
    kinds = {
        p: s.type.value
        for p, s in spec.properties.items()
        if s.type.value in ("integer", "float", "datetime", "date") and _is_time(s.type.value, s.description or "") == timed
    }
    rest = re.sub(rf"\b{word}\b", " ", question, flags=re.I)
    prop = named_property(rest, target, kinds, spec.properties, lexicon)
    if prop is None and timed and len(kinds) == 1:
        prop = next(iter(kinds))  # "the three oldest books": the type's one time property
    if prop is None:
        return None
    cmp = ">=" if direction == "DESC" else "<="
    cypher = (
        f"MATCH (x:{target}) WHERE x.{prop} IS NOT NULL WITH x ORDER BY x.{prop} {direction} LIMIT {k} "
        f"WITH {'min' if direction == 'DESC' else 'max'}(x.{prop}) AS cut MATCH (x:{target}) WHERE x.{prop} {cmp} cut "
        f"RETURN x.id AS id, x.{prop} AS {prop} ORDER BY {prop} {direction}, id"
    )
    params: dict[str, Any] = {}
    described = described_words(question, spec.properties[prop].description or "")
    value_words = {w: [h.value for h in hs] for w, hs in values.items()}
    left = unexplained_words(question, QueryFacts.of(cypher, params, schema), schema, lexicon=lexicon, values=value_words, described=described)
    if left:
        if refusals is not None:
            refusals.append(f"the top-k query {cypher!r} explains no part of the question's {', '.join(repr(w) for w in left)}")
        return None
    return Composed(cypher, params, {"anchor": None, "edge": None, "target": target, "ordered": prop, "k": k, "direction": direction})
