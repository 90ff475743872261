"""A threshold on how many neighbours a node has over one relation: "which services have more than 2 dependencies?".

"Which people are members of more than one team?", "teams that own at least 3
services", "services with exactly one dependency", "how many services depend on
more than 3 others?", "does any team own more than 5 services?" each select the
nodes of one type by the number of nodes one edge type joins them to. Read as
`most.py` reads "the most": the comparison and the word after it are taken out
and the rest is composed by `compose.py` (so relation words and their direction
are read one way everywhere), then each node's neighbours are counted:

    teams that own at least 3 services  →  teams that own  → (x:Team)-[:OWNS]->()
                                        →  (x:Team)-[:OWNS]->(y:Service), count(DISTINCT y) per x, kept when >= 3

- the comparison: more than / over / above, at least / N or more, fewer than /
  less than / under / below, at most / no more than / N or fewer, between N and
  M (`compare.comparison`), "exactly N", "multiple" (two or more); a number in
  digits or a word up to twelve, a whole number;
- the word right after it: a node type's word labels the counted end ("more
  than 2 services"); "others" (or "other" before the type word) is the asked
  type itself ("services that depend on more than 3 others"); a relation word
  ("dependencies", "members", "dependents") is left for the composer; a number
  property of the asked type ("more than 3 replicas") is not a count of
  neighbours, and nothing is built (`filtered.py` compares it);
- the relation: the one the rest of the question names, else the one edge type
  joining the asked type to the counted one; the counted end must be a type the
  edge reaches in the direction read. A type at both ends of its edge with the
  direction worded passively ("used by", "depended on", "upstream") builds
  nothing: the composer's reading of which end is which is not to be trusted.

A bound that zero meets ("fewer than 2", "at most one") counts over an optional
match, so nodes with no such neighbour are kept. The rows are each node's id
with its count `n` (the name is shown from the id, as `topk.py` does); a count
question ("how many ..." first) returns how many nodes pass, a listing that asks
"and how many" each node with its count; a
yes/no returns the nodes that pass (the answering step says yes or no). With no
filter besides the count, none passing is an answer (`parts["none_is_an_answer"]`);
with one ("critical services with ..."), an empty result is left unanswered as
for any one-step query. The header names the filters and the comparison. Every
word of the question must be explained by the query (`explained.py`; the
comparison's words are the query's). No entity may be named. "Who is on call for
more than one team?" (a paging question's words) asks for people, not whom to page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from opsgraph.rag.compare import comparison
from opsgraph.rag.compose import Anchor, Composed, ValueHit, compose
from opsgraph.rag.explained import QueryFacts, unexplained_words
from opsgraph.rag.filtered import conditions_text
from opsgraph.rag.lexicon import Lexicon, type_forms
from opsgraph.rag.shape import QuestionShape
from opsgraph.schema import GraphSchema

_WORD_NUMBERS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve".split())}
_N = r"(\d+|" + "|".join(_WORD_NUMBERS) + r")"
_EXACTLY = re.compile(rf"\bexactly\s+{_N}(?![\w.])", re.I)
_MULTIPLE = re.compile(r"\bmultiple\b", re.I)
_TIME_COMPARISON = re.compile(r"^(?:before|after|since|earlier|later|prior|in\s+the)\b", re.I)
_OTHERS = frozenset({"others", "other"})
_PASSIVE = re.compile(r"\bby\b|\bdepended\b|\bupstream\b|\bdownstream\b", re.I)
_RETURN = re.compile(r"\s+RETURN DISTINCT x\.id AS id(?P<name>.*?) ORDER BY id$")
_COUNT_FIRST = re.compile(
    r"^\W*(?:so\s+)?(?:how\s+many|(?:the\s+|what(?:'s|\s+is)\s+the\s+)?(?:total\s+)?(?:number|count)\s+of|count)\b", re.I
)
"""A question that asks how many nodes pass: the count words come first ("how many services ...", "number of ...")."""
_LISTING = re.compile(r"^\W*(?:which|what|list|show|name)\b", re.I)
_OPS = {">": "more than", ">=": "at least", "<": "fewer than", "<=": "at most", "=": "exactly"}


def threshold(question: str) -> tuple[list[tuple[str, int]], tuple[int, int]] | None:
    """The one comparison of a count `question` makes, as (operator, whole number) bounds and the span of its words;
    None when it makes none, more than one, a comparison of times ("before 2020") or one with a fraction."""
    found: list[tuple[list[tuple[str, int]], tuple[int, int]]] = []
    compared = comparison(question)
    if compared is not None:
        read, where = compared
        if _TIME_COMPARISON.match(question[where[0] : where[1]]) or any(not float(b).is_integer() for _, b in read):
            return None
        found.append(([(op, int(b)) for op, b in read], where))
    for m in _EXACTLY.finditer(question):
        word = m.group(1).lower()
        found.append(([("=", _WORD_NUMBERS[word] if word in _WORD_NUMBERS else int(word))], m.span()))
    for m in _MULTIPLE.finditer(question):
        found.append(([(">=", 2)], m.span()))
    if len(found) != 1:
        return None
    bounds, span = found[0]
    if any(not 0 <= n <= 10_000 for _, n in bounds):
        return None
    return bounds, span


def compose_degree(
    question: str,
    shape: QuestionShape,
    anchors: Sequence[Anchor],
    *,
    schema: GraphSchema,
    lexicon: Lexicon,
    values: Mapping[str, Sequence[ValueHit]],
    present_edges: Sequence[str] | None = None,
    refusals: list[str] | None = None,
) -> Composed | None:
    """The "which X have more than N Y" query of `question`, or None (see the module docstring)."""
    if anchors or shape.shape not in ("list", "person", "page", "count", "yesno"):
        return None
    read = threshold(question)
    if read is None:
        return None
    bounds, (start, end) = read
    # The word after the comparison: the counted end's type, "others", a relation word (left to the composer).
    after = list(re.finditer(r"[A-Za-z]+", question[end:]))
    cut = end
    counted: str | None = None
    others = False
    k = 0
    if k < len(after) and after[k].group(0).lower() in _OTHERS:
        others = True
        cut = end + after[k].end()
        k += 1
    if k + 1 < len(after):
        # A type of two words ("external services"): read whole before its last word alone.
        two = (after[k].group(0) + after[k + 1].group(0)).lower()
        kinds = [t for t in schema.nodes if two in type_forms(t)]
        if len(kinds) == 1:
            counted = kinds[0]
            cut = end + after[k + 1].end()
    if k < len(after) and counted is None:
        word = after[k].group(0).lower()
        kinds = [t for t in schema.nodes if word in type_forms(t)]
        plain = [t for t in kinds if word in {t.lower(), t.lower() + "s", t.lower() + "es"}]
        kinds = plain or kinds
        if len(kinds) == 1:
            counted = kinds[0]
            cut = end + after[k].end()
        elif len(kinds) > 1:
            return None
    if others and counted is None and (not after or after[0].group(0).lower() != "others"):
        return None  # "more than 2 other dependencies": "other" before a word that is no type
    rest = question[:start] + " " + question[cut:]
    base_shape = QuestionShape("list", shape.wants_type, False, "a count of neighbours: the set counted")
    base = compose(rest, base_shape, [], [], schema=schema, lexicon=lexicon, values=values, present_edges=present_edges)
    if base is None or base.negated or base.parts.get("bridge") or "*" in base.cypher or "(o:" in base.cypher:
        return None
    target = base.parts.get("target")
    ret = _RETURN.search(base.cypher)
    if not isinstance(target, str) or ret is None:
        return None
    if others:
        counted = counted or target
    head = base.cypher[: ret.start()]
    edge = base.parts.get("edge")
    if edge is None:
        joined = _joining(schema, target, counted, present_edges)
        if joined is None or not head.startswith(f"MATCH (x:{target})") or "-[" in head:
            return None
        edge, forward = joined
        head = head.replace(
            f"MATCH (x:{target})", f"MATCH (x:{target})-[r:{edge}]->()" if forward else f"MATCH ()-[r:{edge}]->(x:{target})", 1
        )
    else:
        forward = bool(base.parts.get("forward"))
    spec = schema.edges[str(edge)]
    ends = spec.to_types if forward else spec.from_types
    if counted is not None and counted not in ends:
        return None
    if target in spec.from_types and target in spec.to_types and _PASSIVE.search(rest):
        return None  # "services used by more than 2 services": which end is counted is not read reliably
    if counted is None:
        # Every node the edge reaches is counted: another type named anywhere would be explained by the untyped end
        # without being what is counted ("rely on at least 2 external services").
        own = type_forms(target)
        if any(w not in own and any(w in type_forms(t) for t in schema.nodes if t != target) for w in _words(question)):
            return None
    if _unfiltered_edge_value(question, str(edge), base.params, values):
        return None  # "more than one consumer": a value of the edge ('consume') the count does not filter on
    label = f":{counted}" if counted else ""
    if forward:
        pattern_start = f"MATCH (x:{target})-[r:{edge}]->()"
        step = f"(x)-[r:{edge}]->(y{label})"
    else:
        pattern_start = f"MATCH ()-[r:{edge}]->(x:{target})"
        step = f"(y{label})-[r:{edge}]->(x)"
    if not head.startswith(pattern_start):
        return None
    where = head[len(pattern_start) :].strip()
    if where and not where.startswith("WHERE "):
        return None
    conditions = where[len("WHERE ") :] if where else ""
    zero_passes = all(_holds(op, 0, n) for op, n in bounds)
    if conditions and re.search(r"\b(?:r|y)\.", conditions):
        if zero_passes:
            return None  # a filter on the relation itself cannot be kept apart from the nodes that have none
        matched = f"MATCH {step.replace('(x)', f'(x:{target})', 1)} WHERE {conditions}"
    else:
        matched = f"MATCH (x:{target}){' WHERE ' + conditions if conditions else ''} OPTIONAL MATCH {step}"
    params: dict[str, Any] = dict(base.params)
    tests = []
    for i, (op, n) in enumerate(bounds):
        params[f"k{i}"] = n
        tests.append(f"n {op} $k{i}")
    counting = f"{matched} WITH x, count(DISTINCT y) AS n WHERE {' AND '.join(tests)}"
    if shape.wants_number and _COUNT_FIRST.match(question):
        cypher = f"{counting} RETURN count(x) AS n"
    elif shape.wants_number and not _LISTING.match(question):
        return None
    else:
        # "Which genres have at least ten books, and how many?": each node with its count (its name shown from the id).
        cypher = f"{counting} RETURN x.id AS id, n ORDER BY n DESC, id"
    # The comparison's words are the query's test on n ("no more than 1" is no negation); the rest must be explained.
    checked = question[:start] + " " * (end - start) + question[end:]
    value_words = {w: [h.value for h in hs] for w, hs in values.items()}
    left = unexplained_words(checked, QueryFacts.of(cypher, params, schema), schema, lexicon=lexicon, values=value_words,
                             described=_OTHERS if others else ())  # fmt: skip
    if left:
        if refusals is not None:
            refusals.append(
                f"the count-of-neighbours query {cypher!r} explains no part of the question's {', '.join(repr(w) for w in left)}"
            )
        return None
    said = " and ".join(f"{_OPS[op]} {n}" for op, n in bounds)
    filtered = conditions_text(base.parts, base.params)
    condition = "; ".join(c for c in (filtered, f"{said} {edge} {'to' if forward else 'from'} {counted or 'any node'}") if c)
    # With no filter, the count is over every node of the type: none passing is the answer, not a misreading.
    parts = {**base.parts, "edge": edge, "forward": forward, "target": target, "degree": bounds, "counted": counted or "any",
             "conditions": condition, "none_is_an_answer": not conditions}  # fmt: skip
    return Composed(cypher, params, parts)


def _words(text: str) -> list[str]:
    return [w.lower() for w in re.findall(r"[A-Za-z]+", text)]


def _unfiltered_edge_value(question: str, edge: str, params: Mapping[str, Any], values: Mapping[str, Sequence[ValueHit]]) -> bool:
    """Whether a word of `question` names a value of a property of `edge` ("consumers", "readers": the 'consume' and
    'read' of an interaction; an agent noun is read as its verb) that the query does not filter on."""
    bound = {str(x).lower() for k, v in params.items() if k.startswith("e_") for x in (v if isinstance(v, list) else [v])}
    for word in _words(question):
        base = word[:-1] if word.endswith("s") else word
        forms = {word, base, base[:-1] if base.endswith("r") else base, base[:-2] if base.endswith("er") else base}
        hits = [h for f in forms for h in values.get(f, ()) if h.on_edge and h.owner == edge]
        if hits and not {h.value.lower() for h in hits} & bound:
            return True
    return False


def _holds(op: str, left: int, right: int) -> bool:
    return {">": left > right, ">=": left >= right, "<": left < right, "<=": left <= right, "=": left == right}[op]


def _joining(schema: GraphSchema, target: str, other: str | None, present: Sequence[str] | None) -> tuple[str, bool] | None:
    """The one edge type joining `target` to `other` and whether `target` is its source (None when none or several)."""
    if other is None:
        return None
    found = [(e, target in spec.from_types) for e, spec in schema.edges.items() if (present is None or e in present)
             and ((target in spec.from_types and other in spec.to_types) or (other in spec.from_types and target in spec.to_types))]  # fmt: skip
    incidents = schema.incidents
    if len(found) > 1 and incidents is not None and incidents.type in (target, other):
        found = [f for f in found if f[0] == incidents.affected]  # an incident of a component is one that affected it
    if len(found) != 1:
        return None
    spec = schema.edges[found[0][0]]
    if target in spec.from_types and target in spec.to_types:
        return None  # a type at both ends: no direction to read
    return found[0]
